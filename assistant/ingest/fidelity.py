"""Is every unit the product can show made of the text it extracted? (issue 20, point 1)

A unit (a sentence, a list with its intro, a code block) is compared with the extracted source
text of its document (pypdf's text of a PDF, the decoded text of a ``.txt``/``.md``, the structured
text :mod:`.html`/:mod:`.office` read) through a *key*: the text with the documented normalisations
applied, and an offset map from every key character back to the source. Allowed differences:

- normalisations: whitespace between words (outside code), line-end hyphenation, ligatures, Unicode
  NFC, mojibake and private-use bullet glyphs (known glyph fixes), the structure markers the reader
  writes or reads (``#`` of a heading, ``- ``/``•`` of a list item, the fences of a code block);
- deletions backed by evidence in the same document: a footnote marker whose footnote is there, a
  footnote block (moved to the end of its page), a line repeated as page furniture (3+ times, digits
  ignored: running headers and page numbers), a URL line already given.

Anything else (a substitution, a deletion by the shape of a word) is *altered*; every difference is
an :class:`Edit` with its position in the source.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from difflib import SequenceMatcher

from .clean import _FOOTNOTE_START, _URL, fix_mojibake, footnote_numbers, is_running_header, normalize_unicode

if TYPE_CHECKING:
    from pathlib import Path

    from ..records import Document

LIGATURES = {"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"}
# what a line may open with that is structure, not text: a heading's #, a list item's marker, a fence
_MARKER = re.compile(r"[ \t]*(?:#{1,6}[ \t]+|[-*•◦▪▫●○■□➢➤►·–][ \t]+|```[\w+-]*[ \t]*$)")
_PUA = re.compile("[\ue000-\uf8ff]")
_DIGITS = re.compile(r"\d+")
ALLOWED = ("whitespace", "hyphenation", "footnote marker", "footnote block", "page furniture", "repeated URL")


@dataclass(frozen=True)
class Edit:
    position: int  # offset in the (normalised) source text
    removed: str  # source text the unit does not have
    added: str  # unit text the source does not have
    reason: str  # one of ALLOWED, or "altered"

    @property
    def altered(self) -> int:
        return 0 if self.reason in ALLOWED else max(len(self.removed), len(self.added), 1)


@dataclass(frozen=True)
class Check:
    unit: str
    position: int  # where the unit starts in the source; -1 when it was not found at all
    edits: tuple[Edit, ...]

    @property
    def altered(self) -> int:
        return len(self.unit) if self.position < 0 else sum(e.altered for e in self.edits)

    def diff(self) -> str:
        """The unit and its differences, for a failing test."""
        rows = [f"unit at {self.position}: {self.unit!r}"]
        rows += [f"  {e.reason} at {e.position}: -{e.removed!r} +{e.added!r}" for e in self.edits]
        return "\n".join(rows)


def _key(text: str) -> tuple[str, list[int], set[int]]:
    """The comparison key of ``text``, the source offset of each key character, and the key positions
    of line-end hyphens (a hyphen followed by a line break)."""
    out: list[str] = []
    offsets: list[int] = []
    hyphens: set[int] = set()
    pos = 0
    for line in text.split("\n"):
        m = _MARKER.match(line)
        i = m.end() if m else 0
        if out and out[-1] != " ":
            out.append(" ")
            offsets.append(pos - 1)
        if len(out) > 1 and out[-2] == "-" and out[-1] == " ":
            hyphens.add(len(out) - 2)
        for j in range(i, len(line)):
            c = line[j]
            if c.isspace():
                if out and out[-1] != " ":
                    out.append(" ")
                    offsets.append(pos + j)
                continue
            if _PUA.match(c):
                continue
            for d in LIGATURES.get(c, c):
                out.append(d)
                offsets.append(pos + j)
        pos += len(line) + 1
    while out and out[-1] == " ":
        out.pop()
        offsets.pop()
    return "".join(out), offsets, hyphens


def _line_key(line: str) -> str:
    return _DIGITS.sub("#", line.strip().lower())


class Source:
    """The extracted text of one document, keyed once, with its evidence for deletions."""

    def __init__(self, text: str):
        self.text = fix_mojibake(normalize_unicode(text))
        self.key, self.offsets, self.hyphens = _key(self.text)
        lines = self.text.split("\n")
        self.repeated = {k for k, n in Counter(_line_key(s) for s in lines if s.strip()).items() if n >= 3}
        self.notes = footnote_numbers(self.text)

    def check(self, unit: str) -> Check:
        u, _, _ = _key(fix_mojibake(normalize_unicode(unit)))
        if not u:
            return Check(unit, 0, ())
        at = self.key.find(u)
        if at >= 0:
            return Check(unit, self.offsets[at], ())
        best: Check | None = None
        for anchor in self._anchors(u):
            found = self._align(unit, u, anchor)
            if best is None or found.altered < best.altered:
                best = found
            if not best.altered:
                break
        if best is None or best.altered:
            pieces = self._pieces(unit, u)  # moved blocks explain the unit, or the alignment describes it
            if pieces is not None and (best is None or pieces.altered == 0):
                best = pieces
        return best or Check(unit, -1, ())

    def _pieces(self, unit: str, u: str) -> Check | None:
        """The unit as verbatim pieces of the source from different places (a footnote block moved
        to the end of its page, read on with the text after it), longest first piece first; a piece
        that does not open a footnote block is a move without evidence. None: no such pieces."""
        edits, done, first, after = [], 0, -1, -1
        while done < len(u):
            lo, hi = 1, len(u) - done  # the longest prefix of u[done:] found in the key
            if self.key.find(u[done:done + lo]) < 0:
                return None
            while lo < hi:
                mid = (lo + hi + 1) // 2
                lo, hi = (mid, hi) if self.key.find(u[done:done + mid]) >= 0 else (lo, mid - 1)
            piece = u[done:done + lo]
            at = self.key.find(piece.lstrip())
            pos = self.offsets[at]
            if first < 0:
                first = pos
            elif at == after + 1 and after - 1 in self.hyphens:
                edits.append(Edit(pos, " ", "", "hyphenation"))  # read on over a line-end hyphen
            elif piece.strip():
                ls = self.text.rfind("\n", 0, pos) + 1
                moved = self.text[ls:pos].strip() == "" and _FOOTNOTE_START.match(self.text[pos:pos + 200])
                edits.append(Edit(pos, "", piece, "footnote block" if moved else "altered"))
            done, after = done + lo, at + len(piece.lstrip())
            if len(edits) > 8:
                return None  # not a unit made of a few moved blocks
        return Check(unit, first, tuple(edits))

    def _align(self, unit: str, u: str, anchor: int) -> Check:
        """The unit aligned with the source around ``anchor``, its differences classified."""
        lo = max(0, anchor - 200)
        window = self.key[lo:anchor + int(len(u) * 1.5) + 400]
        ops = SequenceMatcher(None, window, u, autojunk=False).get_opcodes()
        while ops and ops[0][0] == "delete":
            ops.pop(0)  # source before the unit
        while ops and ops[-1][0] == "delete":
            ops.pop()  # source after it
        if ops and ops[0][0] == "replace":  # the unit opens with text of its own: what it replaced
            _, i1, i2, j1, j2 = ops[0]       # in the window lies before the unit, not in it
            ops[0] = ("insert", i2, i2, j1, j2)
        if ops and ops[-1][0] == "replace":
            _, i1, i2, j1, j2 = ops[-1]
            ops[-1] = ("insert", i1, i1, j1, j2)
        edits = tuple(self._edit(lo + i1, lo + i2, u[j1:j2]) for tag, i1, i2, j1, j2 in ops if tag != "equal")
        start = lo + ops[0][1] if ops else anchor
        return Check(unit, self.offsets[min(start, len(self.offsets) - 1)], edits)

    def _anchors(self, u: str, most: int = 6) -> list[int]:
        """Where in the key the unit may start: pieces of it found verbatim, counted back (every
        place a piece occurs, up to ``most``: a table of contents repeats a heading)."""
        out: list[int] = []
        for size in (min(24, len(u)), min(12, len(u))):
            for off in range(0, max(1, len(u) - size + 1), max(1, size // 2)):
                at = self.key.find(u[off:off + size])
                while at >= 0 and len(out) < most:
                    if max(0, at - off) not in out:
                        out.append(max(0, at - off))
                    at = self.key.find(u[off:off + size], at + 1)
            if out:
                return out
        return out

    def _edit(self, a: int, b: int, added: str) -> Edit:
        removed = self.key[a:b]
        pos = self.offsets[min(a, len(self.offsets) - 1)]
        return Edit(pos, removed, added, self._reason(a, b, removed, added))

    def _reason(self, a: int, b: int, removed: str, added: str) -> str:
        if not removed.strip() and not added.strip():
            return "whitespace"
        if removed.strip() in ("-", "") and added.strip() in ("-", "") and \
                any(h in self.hyphens for h in range(a - 2, b + 1)):
            return "hyphenation"
        if added.strip():
            return "altered"  # text the source does not have at this place
        return self._deletion(a, b, removed)

    def _deletion(self, a: int, b: int, removed: str) -> str:
        while a < b and self.key[a] == " ":
            a += 1  # the gaps around a deleted line are the line breaks around it
        while b > a and self.key[b - 1] == " ":
            b -= 1
        s, e = self.offsets[a], self.offsets[b - 1] + 1
        gone = removed.strip()
        marker = re.match(r"\d{1,2}(?= |$)", gone)
        if marker and marker.group(0) in self.notes and s > 0 and (self.text[s - 1].isalpha()
                                                                    or self.text[s - 1] in ".!?)"):
            rest = a + len(marker.group(0))
            if rest >= b:
                return "footnote marker"
            why = self._deletion(rest, b, self.key[rest:b])  # the marker, then the footnote it points to
            return why if why == "footnote block" else "altered"
        ls = self.text.rfind("\n", 0, s) + 1
        le = self.text.find("\n", e)
        lines = [ln for ln in self.text[ls:le if le >= 0 else len(self.text)].split("\n") if ln.strip()]
        whole = self.text[ls:s].strip() == "" and (le < 0 or self.text[e:le].strip() == "")
        if whole and lines and all(_line_key(ln) in self.repeated or is_running_header(ln) for ln in lines):
            return "page furniture"
        body = [ln for ln in lines if not (_line_key(ln) in self.repeated or is_running_header(ln))]
        if whole and body and _FOOTNOTE_START.match(body[0].strip()):
            return "footnote block"
        joined = "".join(ln.strip() for ln in lines)  # a URL broken over lines is one URL
        urls = [x for x in re.split(r"(?=https?://|www\.)", joined) if x]
        before = re.sub(r"[ \t]*\n[ \t]*", "", self.text[:ls]) if whole and _URL.match(joined) else ""
        if before and all(_URL.fullmatch(x) and x.rstrip(".,;") in before for x in urls):
            return "repeated URL"
        return "altered"


@dataclass
class Tally:
    """Fidelity counts of one corpus and format."""

    documents: int = 0
    units: int = 0
    characters: int = 0  # characters of the units checked
    altered: int = 0  # characters altered outside the normalisations
    allowed: Counter[str] | None = None
    failures: list[Check] | None = None
    code_kept: int = 0  # code blocks of the source that come out whole in one unit
    code_blocks: int = 0

    def add(self, checks: Iterable[Check]) -> None:
        self.allowed = self.allowed if self.allowed is not None else Counter()
        self.failures = self.failures if self.failures is not None else []
        self.documents += 1
        for c in checks:
            self.units += 1
            self.characters += len(c.unit)
            self.altered += c.altered
            self.allowed.update(e.reason for e in c.edits if e.reason in ALLOWED)
            if c.altered:
                self.failures.append(c)


def extracted_text(path: Path) -> str:
    """The text a document's reader extracts, before any repair: pypdf's page texts, the decoded
    text of a plain file, the structured text of a web page or an office file."""
    from pathlib import Path

    from .html import read_html
    from .load import decode_text
    from .office import read_docx, read_odt

    path = Path(path)
    data, suffix = path.read_bytes(), path.suffix.lower()
    if suffix == ".pdf":
        import io

        from pypdf import PdfReader

        return "\n\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    if suffix in (".docx", ".odt"):
        return (read_docx if suffix == ".docx" else read_odt)(path, data)[0]
    text = decode_text(data, path, [])
    return read_html(text)[0] if suffix in (".html", ".htm") else text


def shown_units(doc: Document, size: int = 900, overlap: int = 150) -> list[str]:
    """Every unit of a document the product can show: the units of each of its chunks."""
    from ..units import units_of
    from .chunk import chunk_document

    return [u.text for c in chunk_document(doc, size, overlap) for u in units_of(c.text, 0)]


def check_document(path: Path, doc: Document) -> list[Check]:
    source = Source(extracted_text(path))
    return [source.check(u) for u in shown_units(doc)]


def code_blocks(text: str) -> list[str]:
    """The fenced code blocks of an extracted text, without their fences, lines right-stripped."""
    from .clean import fenced_blocks

    lines = text.split("\n")
    return ["\n".join(ln.rstrip() for ln in lines[a + 1:b]) for a, b in fenced_blocks(lines)]


def code_kept(path: Path, units: list[str], original: Path | None = None) -> tuple[int, int]:
    """How many of the document's code blocks come out whole, with their line breaks and
    indentation, inside one unit; and how many it has. ``original``: the file the document was
    converted from, whose code blocks count (a PDF's text has no fences to count)."""
    blocks = [b for b in code_blocks(extracted_text(original or path)) if b.strip()]
    return sum(any(f"\n{b}\n" in f"\n{u}\n" for u in units) for b in blocks), len(blocks)  # lines whole
