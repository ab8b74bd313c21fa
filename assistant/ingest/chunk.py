"""Structure-aware chunking.

The cleaned text of a page is read as *blocks* (headings, paragraphs, list items); paragraphs are
re-flowed from their wrapped lines. Chunks are packed from whole blocks up to a target size inside
one section, lists are kept whole when they fit, long paragraphs are split on sentence boundaries,
and consecutive chunks of a section overlap by whole sentences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import accumulate
from typing import NamedTuple

from ..records import Chunk, Document, content_hash
from ..textutil import split_sentences
from .clean import _FOOTNOTE_START, code_blocks

_BULLET_FIRST = "•◦▪●○■□➢➤►*-–"
_SPECIAL_FIRST = _BULLET_FIRST + "#"
_BULLET = re.compile(rf"^[{re.escape(_BULLET_FIRST)}]\s+")
_NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2})*)(?:\.|\s*\|)\s+(\S.*)$")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(\S.*)$")
_TERMINAL = (".", "!", "?", ":", ";", "”", '"', "’", ")")


@dataclass
class Block:
    kind: str  # "heading" | "para" | "item" | "code" (preformatted: its lines as they are, fenced)
    text: str
    start: int
    end: int
    level: int = 0  # headings: 1 = section, 2 = subsection
    list_id: int = -1  # items of one list share an id (the intro line too)
    # lines joined on while reading, joined to ``text`` once at the end (appending to the text line by
    # line would copy it again for every line: quadratic in a long paragraph)
    more: list[str] = field(default_factory=list, repr=False)

    @property
    def last_line(self) -> str:
        return self.more[-1] if self.more else self.text

    def joined(self) -> str:
        return " ".join([self.text, *self.more]) if self.more else self.text


def _is_caps(s: str) -> bool:
    if len(s) < 4 or s.islower():
        return False  # fewer than 4 letters, or none in capitals
    letters = [c for c in s if c.isalpha()]
    return len(letters) >= 4 and sum(c.isupper() for c in letters) >= 0.8 * len(letters)


_FUNCTION_WORDS = {"de", "het", "een", "en", "van", "in", "op", "te", "met", "voor", "aan", "bij", "of", "die", "dat"}


_LINKISH = re.compile(r"https?:|www\.|\.pdf|\.html|/")
_ENDS_WITH_YEAR = re.compile(r"\d{4}\)?$")


# what a command has and a heading has not: an option, an assignment, a pipe or redirection, a
# variable, a path or a snake_case name ("LC_ALL=C apt full-upgrade -y" is no heading)
_COMMAND = re.compile(r"(?:^|\s)--?[a-zA-Z]|[=|&<>$`{}\\]|\w_\w|(?:^|\s)[~.]?/\w")


_NUMBER_BAR = re.compile(r"^\d{1,2}(?:\.\d{1,2})*\s*\|\s")  # "2 | Recht doen aan belangen" numbers a heading


def _commandish(s: str) -> bool:
    """``s`` reads as a command, not a heading.

    >>> [_commandish(s) for s in ("LC_ALL=C apt full-upgrade -y", "ls -l /home0", "2 | Recht doen aan belangen")]
    [True, True, False]
    """
    return bool(_COMMAND.search(_NUMBER_BAR.sub("", s)))


def _looks_like_title(s: str) -> bool:
    return (
        len(s) <= 70
        and not _commandish(s)
        and s[0].isupper()
        and not s.endswith((".", ",", ";", ":", "!", "?"))
        and not _LINKISH.search(s)
        and s.split()[-1].lower() not in _FUNCTION_WORDS
        and len(s.split()) <= 10
        and not _is_caps(s)
        and not _ENDS_WITH_YEAR.search(s)
    )


class _Line(NamedTuple):
    text: str
    start: int
    end: int
    blank_before: bool


class _Lines(NamedTuple):
    """The non-empty lines of a text as parallel lists: an object per line costs more than reading
    most lines does (a line that only continues a paragraph)."""

    text: list[str]
    start: list[int]
    end: list[int]
    blank_before: list[bool]
    code: list[bool]  # the line is preformatted text (kept as it is)

    def line(self, i: int) -> _Line:
        return _Line(self.text[i], self.start[i], self.end[i], self.blank_before[i])


def code_lines(lines: list[str]) -> list[bool]:
    """Per line, whether it belongs to preformatted text: a fenced block (```, its fences included,
    only when it is closed) or a run of lines that start with a shell prompt.

    >>> code_lines(["Doe dit:", "```", "  make", "", "```", "$ apt update", "klaar", "```"])
    [False, True, True, True, True, True, False, False]
    """
    out = [False] * len(lines)
    for a, b in code_blocks(lines):
        out[a:b + 1] = [True] * (b + 1 - a)
    return out


def _lines(text: str) -> _Lines:
    """The non-empty lines of ``text``, stripped, with offsets and whether a blank line precedes.
    Lines of preformatted text (:func:`code_lines`) keep their indentation and blank lines."""
    raws = text.split("\n")
    code = code_lines(raws) if "```" in text or "$" in text or "@" in text else [False] * len(raws)
    stripped = [r.rstrip() if c else r.strip() for r, c in zip(raws, code)]
    offsets = list(accumulate((len(r) + 1 for r in raws), initial=0))
    keep = [i for i, s in enumerate(stripped) if s or code[i]]
    starts = [offsets[i] + (0 if code[i] else len(raws[i]) - len(raws[i].lstrip())) for i in keep]
    return _Lines([stripped[i] for i in keep], starts, [a + len(stripped[i]) for a, i in zip(starts, keep)],
                  [i == 0 or not stripped[i - 1] for i in keep], [code[i] for i in keep])


def _caps_runs(lines: _Lines) -> list[int]:
    """Per line, the length of the run of caps lines (no blank line between) it is in; 0 if not caps.
    Short runs are headings, long ones body text."""
    caps = [len(t) >= 4 and not t.islower() and _is_caps(t) for t in lines.text]
    n = len(caps)
    runs = [0] * n
    j = 0
    while j < n:
        k = j
        while caps[j] and k + 1 < n and caps[k + 1] and not lines.blank_before[k + 1]:
            k += 1
        for m in range(j, k + 1):
            runs[m] = k - j + 1 if caps[j] else 0
        j = k + 1
    return runs


def _is_item(b: Block | None) -> bool:
    return b is not None and b.kind == "item"


def _numbered_item(s: str, prev: str, nxt: str, last: Block | None) -> bool:
    """A numbered line that is a list item rather than a numbered heading."""
    return bool(prev.endswith(":") and _NUMBERED.match(nxt)
                or _NUMBERED.match(nxt) and len(nxt) < 60 and len(s) < 60 and (_is_item(last) or prev.endswith(":"))
                or (_is_item(last) and _NUMBERED.match(prev)))


def _unbulleted_item(s: str, prev: str, last: Block | None, in_list: bool) -> bool:
    """Short lines ending with ';' after an intro line ending with ':'."""
    return bool((prev.endswith(":") or (in_list and _is_item(last))) and len(s) < 200
                and (s.endswith((";", ".", ",")) or (_is_item(last) and s[0].isupper()))
                and (prev.endswith(":") or last is not None and last.last_line.endswith(";")))


def _title(line: _Line, prev: str, nxt: str, last: Block | None) -> bool:
    return bool(not (last is not None and last.kind == "para" and not line.blank_before)
                and (not prev or prev.endswith((".", "!", "?", ":")) or (last is not None and last.kind == "heading"))
                and (not nxt or nxt[0].isupper() or _BULLET.match(nxt))
                and _looks_like_title(line.text))


class _BlockReader:
    """Reads lines into blocks, one line at a time, remembering whether a list is open. With
    ``guess`` False only the document's own headings (Markdown ``#`` lines) are headings."""

    def __init__(self, lines: _Lines, guess: bool = True):
        self.guess = guess
        self.lines, self.caps = lines, _caps_runs(lines) if guess else [0] * len(lines.text)
        self.blocks: list[Block] = []
        self.list_id, self.in_list = 0, False

    @property
    def last(self) -> Block | None:
        return self.blocks[-1] if self.blocks else None

    def _text(self, i: int) -> str:
        return self.lines.text[i] if 0 <= i < len(self.lines.text) else ""

    def _add(self, kind: str, s: str, line: _Line, level: int = 0) -> None:
        if kind == "item" and not self.in_list:
            self.list_id += 1
        self.in_list = kind == "item"
        self.blocks.append(Block(kind, s, line.start, line.end, level=level,
                                 list_id=self.list_id if kind == "item" else -1))

    def _extend(self, s: str, end: int) -> None:
        last = self.last
        assert last is not None
        last.more.append(s)
        last.end = end

    def read(self) -> list[Block]:
        i = 0
        while i < len(self.lines.text):
            i = self._continue_paragraph(self._read_line(i) + 1)
        for b in self.blocks:
            b.text, b.more = b.joined(), []
        for a, b in zip(self.blocks, self.blocks[1:]):
            if a.kind == "para" and a.text.endswith(":") and b.kind == "item":
                a.list_id = b.list_id  # a paragraph ending with ':' introduces the list after it
            elif a.kind in ("para", "item") and a.text.endswith(":") and b.kind == "code":
                self.list_id += 1  # ... or the code block after it (an item leaves its list for it)
                a.list_id = b.list_id = self.list_id
        return self.blocks

    def _continue_paragraph(self, i: int) -> int:
        """Joins the lines from ``i`` on that only continue the last paragraph (the first test of
        :meth:`_read_line`, in one tight loop: most lines of a text are such lines); returns the
        first line it did not take."""
        last, lines = self.blocks[-1] if self.blocks else None, self.lines
        if last is None or last.kind != "para" or self.in_list:
            return i
        texts, blank, caps, more, start = lines.text, lines.blank_before, self.caps, last.more, i
        while i < len(texts) and not blank[i] and not 1 <= caps[i] <= 2 and not lines.code[i]:
            s = texts[i]
            if s[0] in _SPECIAL_FIRST or texts[i - 1].endswith(":") or (s[0].isdecimal() and _NUMBERED.match(s)):
                break
            more.append(s)
            i += 1
        if i > start:
            last.end = lines.end[i - 1]
        return i

    def _read_line(self, i: int) -> int:
        """Turns line ``i`` into a block (or extends the last one); returns the last line used."""
        texts, last = self.lines.text, self.blocks[-1] if self.blocks else None
        if self.lines.code[i]:
            return self._code(i)
        s, prev, nxt = texts[i], texts[i - 1] if i else "", texts[i + 1] if i + 1 < len(texts) else ""
        # the first character decides which patterns can match (a pattern call per line is most of the time)
        num = _NUMBERED.match(s) if s[0].isdecimal() else None
        if num is None and last is not None and last.kind == "para" and not self.lines.blank_before[i] \
                and not self.in_list and not 1 <= self.caps[i] <= 2 and s[0] not in _SPECIAL_FIRST \
                and not prev.endswith(":"):
            last.more.append(s)  # the next line of a paragraph (what the tests below decide, at a glance)
            last.end = self.lines.end[i]
            return i
        line = self.lines.line(i)
        md = _MD_HEADING.match(s) if s[0] == "#" else None
        if md:
            self._add("heading", md.group(2).strip(), line, level=min(len(md.group(1)), 2))
        elif s[0] in _BULLET_FIRST and _BULLET.match(s):
            self._add("item", _BULLET.sub("", s), line)
        elif line.blank_before and _FOOTNOTE_START.match(s):
            self.in_list = False  # a footnote block (moved to the page's end) is a paragraph of its own
            self.blocks.append(Block("para", s, line.start, line.end))
        elif num and _numbered_item(s, prev, nxt, last):
            self._add("item", s, line)
        elif num and self.guess and len(s) <= 100 and not s.endswith((".", ",", ";")) and not _commandish(s):
            self._add("heading", s, line, level=2)
        elif 1 <= self.caps[i] <= 2 and len(s) <= 90 and not _commandish(s):
            return self._caps_heading(i)
        elif self.in_list and last is not None and last.kind == "item" and (
                not line.blank_before and s[0].islower() or not last.last_line.endswith(_TERMINAL)):
            self._extend(s, line.end)  # a wrapped list item
        elif _unbulleted_item(s, prev, last, self.in_list):
            self._add("item", s, line)
        elif self.guess and _title(line, prev, nxt, last):
            self._add("heading", s, line, level=1)
        else:
            self._para(line)
        return i

    def _code(self, i: int) -> int:
        """Preformatted text as one block with its line breaks and indentation: a fenced block up to
        its closing fence, or a run of shell-prompt lines (fenced here)."""
        lines, j = self.lines, i
        if lines.text[i].lstrip().startswith("```"):
            j += 1
            while lines.text[j].strip() != "```":  # code_lines() marked only closed fences
                j += 1
            text = "\n".join(lines.text[i:j + 1])
        else:
            while j + 1 < len(lines.text) and lines.code[j + 1] and not lines.text[j + 1].lstrip().startswith("```"):
                j += 1
            text = "```\n" + "\n".join(lines.text[i:j + 1]) + "\n```"
        self.in_list = False
        if text.strip("`\n \t"):  # an empty block shows nothing
            self.blocks.append(Block("code", text, lines.start[i], lines.end[j]))
        return j

    def _caps_heading(self, i: int) -> int:
        """A caps heading of one or two lines, joined to a caps heading right before it."""
        line, last, lines = self.lines.line(i), self.last, self.lines
        s, end = line.text, line.end
        if i + 1 < len(lines.text) and _is_caps(lines.text[i + 1]) and not lines.blank_before[i + 1]:
            s, end = f"{s} {lines.text[i + 1]}", lines.end[i + 1]
            i += 1
        if last is not None and last.kind == "heading" and last.level == 1 and _is_caps(last.joined()) \
                and len(last.joined()) + len(s) < 150:
            self._extend(s, end)
        else:
            self.blocks.append(Block("heading", s, line.start, end, level=1))
        self.in_list = False
        return i

    def _para(self, line: _Line) -> None:
        self.in_list = False
        last, s = self.last, line.text
        if last is not None and last.kind == "para" and (
                not (line.blank_before and last.last_line.endswith((".", "!", "?", ":", "”", '"')))
                or s[0].islower()):
            self._extend(s, line.end)
        else:
            self.blocks.append(Block("para", s, line.start, line.end))


def parse_blocks(text: str, guess_headings: bool = True) -> list[Block]:
    """Read cleaned page text as headings, paragraphs and list items with character offsets.
    ``guess_headings`` False: only Markdown ``#`` lines are headings (the document marks its own)."""
    return _BlockReader(_lines(text), guess_headings).read()


_MARKED_HEADING = re.compile(r"^#{1,6}[ \t]+\S", re.M)


def marks_headings(doc: Document) -> bool:
    """Whether the document marks its own headings (Markdown ``#``, HTML h1-h6, Word and ODF
    heading styles, a PDF's outline): then no other line is taken for one."""
    return any(_MARKED_HEADING.search(p.text) for p in doc.pages)


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
    length = 0  # len(" ".join(cur)), kept as it grows
    for sent in split_sentences(text):
        if cur and length + len(sent) > size:
            units.append(_PackUnit(" ".join(cur), start, end))
            cur, length = [], 0
        length += len(sent) + (1 if cur else 0)
        cur.append(sent)
    if cur:
        units.append(_PackUnit(" ".join(cur), start, end))
    return units


CODE_SIZE = 3  # a code block stays whole up to this many chunk sizes (a script is read as one)


def _split_code(text: str, start: int, end: int, size: int) -> list[_PackUnit]:
    """A code block as one unit, or, when it is longer than :data:`CODE_SIZE` chunks, as fenced
    runs of whole lines (never sentences: a command is not prose)."""
    if len(text) <= size * CODE_SIZE:
        return [_PackUnit(text, start, end)]
    lines = text.split("\n")
    fence, body = lines[0], lines[1:-1]
    units, cur, length = [], [], 0
    for line in body:
        if cur and length + len(line) > size * CODE_SIZE:
            units.append(_PackUnit("\n".join([fence, *cur, "```"]), start, end))
            cur, length = [], 0
        cur.append(line)
        length += len(line) + 1
    if cur:
        units.append(_PackUnit("\n".join([fence, *cur, "```"]), start, end))
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
            code = any(g.kind == "code" for g in group)
            if len(text) <= int(size * (CODE_SIZE if code else 1.5)):
                units.append(_PackUnit(text, group[0].start, group[-1].end))
            else:
                for t, g in zip(lines, group):
                    units.extend(_split_code(t, g.start, g.end, size) if g.kind == "code"
                                 else _split_long(t, g.start, g.end, size))
        elif b.kind == "code":
            units.extend(_split_code(b.text, b.start, b.end, size))
        else:
            units.extend(_split_long(b.text, b.start, b.end, size))
        i += 1
    return units


def _tail_overlap(text: str, overlap: int) -> str:
    """The last whole sentences of ``text`` that fit in ``overlap`` characters."""
    if overlap <= 0:
        return ""
    if "\n" in text:  # a list or a code block: carried whole or not at all, never as a run-on sentence
        return text if len(text) <= overlap else ""
    taken: list[str] = []
    for sent in reversed(split_sentences(text)):
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

    guess = not marks_headings(doc)
    for page in doc.pages:
        blocks = parse_blocks(page.text, guess)
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
            body_len = 0  # sum of the body's text lengths, kept as it grows
            for u in _units(run, size):
                if body and body_len + len(carry) + len(u.text) > size:
                    emit(body, sec, page.number, carry)
                    carry = _tail_overlap(body[-1].text, overlap)
                    body, body_len = [], 0
                body.append(u)
                body_len += len(u.text)
            if body:
                emit(body, sec, page.number, carry)
    return chunks
