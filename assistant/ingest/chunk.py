"""Structure-aware chunking.

The cleaned text of a page is read as *blocks* (headings, paragraphs, list items); paragraphs are
re-flowed from their wrapped lines. Chunks are packed from whole blocks up to a target size inside
one section, lists are kept whole when they fit, long paragraphs are split on sentence boundaries,
and consecutive chunks of a section overlap by whole sentences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..records import Chunk, Document, content_hash
from ..textutil import split_sentences

_BULLET = re.compile(r"^[•◦▪●○■□➢➤►*\-–]\s+")
_NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2})*)(?:\.|\s*\|)\s+(\S.*)$")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(\S.*)$")
_TERMINAL = (".", "!", "?", ":", ";", "”", '"', "’", ")")


@dataclass
class Block:
    kind: str  # "heading" | "para" | "item"
    text: str
    start: int
    end: int
    level: int = 0  # headings: 1 = section, 2 = subsection
    list_id: int = -1  # items of one list share an id (the intro line too)


def _is_caps(s: str) -> bool:
    letters = [c for c in s if c.isalpha()]
    return len(letters) >= 4 and sum(c.isupper() for c in letters) >= 0.8 * len(letters)


_FUNCTION_WORDS = {"de", "het", "een", "en", "van", "in", "op", "te", "met", "voor", "aan", "bij", "of", "die", "dat"}


def _looks_like_title(s: str) -> bool:
    return (
        len(s) <= 70
        and not re.search(r"https?:|www\.|\.pdf|\.html|/", s)
        and s.split()[-1].lower() not in _FUNCTION_WORDS
        and len(s.split()) <= 10
        and s[0].isupper()
        and not _is_caps(s)
        and not s.endswith((".", ",", ";", ":", "!", "?"))
        and not re.search(r"\d{4}\)?$", s)
    )


def parse_blocks(text: str) -> list[Block]:
    """Read cleaned page text as headings, paragraphs and list items with character offsets."""
    lines: list[tuple[str, int, int, bool]] = []  # (text, start, end, blank line before)
    pos, blank = 0, True
    for raw in text.split("\n"):
        s = raw.strip()
        if s:
            off = text.index(s, pos)
            lines.append((s, off, off + len(s), blank))
            blank = False
        else:
            blank = True
        pos += len(raw) + 1

    # consecutive caps lines (no blank line between) form a run: short runs are headings
    caps_run = [0] * len(lines)
    j = 0
    while j < len(lines):
        k = j
        while _is_caps(lines[j][0]) and k + 1 < len(lines) and _is_caps(lines[k + 1][0]) and not lines[k + 1][3]:
            k += 1
        for m in range(j, k + 1):
            caps_run[m] = k - j + 1 if _is_caps(lines[j][0]) else 0
        j = k + 1

    blocks: list[Block] = []
    list_id = 0
    in_list = False  # inside a list started by a line ending with ':' or a bullet
    i = 0
    while i < len(lines):
        s, start, end, blank_before = lines[i]
        prev = lines[i - 1][0] if i else ""
        nxt = lines[i + 1][0] if i + 1 < len(lines) else ""
        last = blocks[-1] if blocks else None

        md = _MD_HEADING.match(s)
        num = _NUMBERED.match(s)
        if md:
            blocks.append(Block("heading", md.group(2).strip(), start, end, level=min(len(md.group(1)), 2)))
            in_list = False
        elif _BULLET.match(s):
            if not in_list:
                list_id += 1
                in_list = True
            blocks.append(Block("item", _BULLET.sub("", s), start, end, list_id=list_id))
        elif num and (prev.endswith(":") and bool(_NUMBERED.match(nxt)) or _NUMBERED.match(nxt) and len(nxt) < 60 and len(s) < 60
                      and (last is not None and last.kind == "item" or prev.endswith(":"))
                      or (last is not None and last.kind == "item" and _NUMBERED.match(prev))):
            if not in_list:
                list_id += 1
                in_list = True
            blocks.append(Block("item", s, start, end, list_id=list_id))
        elif num and len(s) <= 100 and not s.endswith((".", ",", ";")):
            blocks.append(Block("heading", s, start, end, level=2))
            in_list = False
        elif 1 <= caps_run[i] <= 2 and len(s) <= 90:
            # a caps heading of one or two lines; longer caps runs are body text
            if i + 1 < len(lines) and _is_caps(nxt) and not lines[i + 1][3]:
                s, end = f"{s} {nxt}", lines[i + 1][2]
                i += 1
            if last is not None and last.kind == "heading" and last.level == 1 and _is_caps(last.text) \
                    and len(last.text) + len(s) < 150:
                last.text, last.end = f"{last.text} {s}", end
            else:
                blocks.append(Block("heading", s, start, end, level=1))
            in_list = False
        elif in_list and last is not None and last.kind == "item" and not blank_before and s[0].islower():
            last.text, last.end = f"{last.text} {s}", end  # continuation of a wrapped list item
        elif in_list and last is not None and last.kind == "item" and not last.text.endswith(_TERMINAL):
            last.text, last.end = f"{last.text} {s}", end
        elif (prev.endswith(":") or (in_list and last is not None and last.kind == "item")) and len(s) < 200 \
                and (s.endswith((";", ".", ",")) or (last is not None and last.kind == "item" and s[0].isupper())) \
                and (prev.endswith(":") or last.text.endswith(";")):
            # an unbulleted list: short lines ending with ';' after an intro line ending with ':'
            if not in_list:
                list_id += 1
                in_list = True
            blocks.append(Block("item", s, start, end, list_id=list_id))
        elif (
            _looks_like_title(s)
            and (not prev or prev.endswith((".", "!", "?", ":")) or (last is not None and last.kind == "heading"))
            and (not nxt or nxt[0].isupper() or _BULLET.match(nxt))
            and not (last is not None and last.kind == "para" and not blank_before)
        ):
            blocks.append(Block("heading", s, start, end, level=1))
            in_list = False
        else:
            in_list = False
            if (
                last is not None
                and last.kind == "para"
                and not (blank_before and last.text.endswith((".", "!", "?", ":", "”", '"')))
            ):
                last.text, last.end = f"{last.text} {s}", end
            elif last is not None and last.kind == "para" and s[0].islower():
                last.text, last.end = f"{last.text} {s}", end
            else:
                blocks.append(Block("para", s, start, end))
        i += 1
    # a paragraph ending with ':' directly before a list introduces it and belongs to it
    for a, b in zip(blocks, blocks[1:]):
        if a.kind == "para" and a.text.endswith(":") and b.kind == "item":
            a.list_id = b.list_id
    return blocks


@dataclass
class _PackUnit:
    """Text that is packed as a whole: a paragraph piece, or a list with its intro."""

    text: str
    start: int
    end: int


def _split_long(text: str, start: int, end: int, size: int) -> list[_PackUnit]:
    """The text as one unit, or as sentence runs of about ``size`` characters when it is longer."""
    if len(text) <= size:
        return [_PackUnit(text, start, end)]
    units: list[_PackUnit] = []
    cur: list[str] = []
    for sent in split_sentences(text):
        if cur and len(" ".join(cur)) + len(sent) > size:
            units.append(_PackUnit(" ".join(cur), start, end))
            cur = []
        cur.append(sent)
    if cur:
        units.append(_PackUnit(" ".join(cur), start, end))
    return units


def _units(blocks: list[Block], size: int) -> list[_PackUnit]:
    units: list[_PackUnit] = []
    i = 0
    while i < len(blocks):
        b = blocks[i]
        if b.list_id >= 0:
            group = [b]
            while i + 1 < len(blocks) and blocks[i + 1].list_id == b.list_id:
                i += 1
                group.append(blocks[i])
            lines = [g.text if g.kind != "item" else f"• {g.text}" for g in group]
            text = "\n".join(lines)
            if len(text) <= int(size * 1.5):
                units.append(_PackUnit(text, group[0].start, group[-1].end))
            else:
                for t, g in zip(lines, group):
                    units.extend(_split_long(t, g.start, g.end, size))
        else:
            units.extend(_split_long(b.text, b.start, b.end, size))
        i += 1
    return units


def _tail_overlap(text: str, overlap: int) -> str:
    """The last whole sentences of ``text`` that fit in ``overlap`` characters."""
    if overlap <= 0:
        return ""
    taken: list[str] = []
    for sent in reversed(split_sentences(text.replace("\n", " "))):
        if len(" ".join([sent, *taken])) > overlap:
            break
        taken.insert(0, sent)
    return " ".join(taken)


def chunk_document(doc: Document, size: int = 900, overlap: int = 150) -> list[Chunk]:
    """Chunks of one document, in reading order, each inside one section and one page."""
    chunks: list[Chunk] = []
    section: list[str] = []  # [level-1 heading, level-2 heading]
    seen: set[str] = set()

    def emit(body: list[_PackUnit], sec: str, page: int | None, carry: str) -> None:
        text = "\n\n".join(u.text for u in body)
        if carry:
            text = f"{carry}\n\n{text}"
        cid = content_hash(f"{sec}\n{text}")  # the section is embedded too: a renamed heading is a new chunk
        if cid in seen or len(text.strip()) < 20:
            return
        seen.add(cid)
        chunks.append(Chunk(cid, doc.id, doc.title, sec, page, body[0].start, body[-1].end, text, (doc.id,)))

    for page in doc.pages:
        blocks = parse_blocks(page.text)
        # group blocks by section
        runs: list[tuple[str, list[Block]]] = []
        cur: list[Block] = []
        for b in blocks:
            if b.kind == "heading":
                if cur:
                    runs.append((" › ".join(section), cur))
                    cur = []
                if b.level == 1:
                    section = [b.text]
                else:
                    section = section[:1] + [b.text] if section and section[0] != b.text else [b.text]
                    if len(section) > 2:
                        section = section[-2:]
            else:
                cur.append(b)
        if cur:
            runs.append((" › ".join(section), cur))

        for sec, run in runs:
            body: list[_PackUnit] = []
            carry = ""
            for u in _units(run, size):
                length = sum(len(x.text) for x in body) + len(carry)
                if body and length + len(u.text) > size:
                    emit(body, sec, page.number, carry)
                    carry = _tail_overlap(body[-1].text, overlap)
                    body = []
                body.append(u)
            if body:
                emit(body, sec, page.number, carry)
    return chunks
