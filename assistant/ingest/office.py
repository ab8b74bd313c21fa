"""Word (.docx) and OpenDocument (.odt) files as Markdown-like text: headings from the document's
own heading styles as ``#`` lines, list items as ``- `` lines, table rows as one line each (the header
row's cells named), code-styled paragraphs as fenced blocks; title and author from the document's
properties. Tracked changes give the final text (insertions kept, deletions left out), comments are
left out, footnotes follow their section.

Both formats are zip archives of XML. The archive is checked before anything is unpacked (number of
members, total and per-member size, compression ratio: a zip bomb is refused), and the XML is parsed
with defusedxml, which refuses entity declarations and external references (XXE, billion laughs).
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DocumentError
from ..prompts import SKIPPED

MAX_MEMBERS = 2000
MAX_UNPACKED = 200_000_000  # bytes of XML and media together
MAX_RATIO = 200  # a member that compressed more than this is a bomb, not a document

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
STYLE = "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}"
OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
DC = "{http://purl.org/dc/elements/1.1/}"
META = "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}"
_CODE_STYLE = re.compile(r"code|source|preformatted|macro|html ?pre|verbatim|broncode", re.I)


@dataclass
class Lines:
    """Text being assembled: paragraphs separated by blank lines, code fenced, list items kept together."""

    out: list[str] = field(default_factory=list)
    code: list[str] = field(default_factory=list)

    def flush_code(self) -> None:
        if self.code:
            self.out.append("```\n" + "\n".join(self.code) + "\n```")
            self.code = []

    def add(self, text: str, code: bool = False) -> None:
        if code:
            self.code.append(text.rstrip())
            return
        self.flush_code()
        if text.strip():
            self.out.append(text.strip())

    def text(self) -> str:
        self.flush_code()
        joined: list[str] = []
        for block in self.out:  # list items and table rows stay in one block, others are paragraphs
            same = joined and block.startswith("- ") and joined[-1].split("\n")[-1].startswith("- ")
            joined[-1:] = [joined[-1] + "\n" + block] if same else joined[-1:] + [block]
        return "\n\n".join(joined) + "\n"


def open_archive(path: Path, data: bytes) -> zipfile.ZipFile:
    """The zip archive, checked for bombs; anything that is not one is refused naming the file."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise DocumentError(path, SKIPPED["not_office"].format(kind=path.suffix.lower())) from None
    if len(infos) > MAX_MEMBERS or sum(i.file_size for i in infos) > MAX_UNPACKED or any(
            i.file_size > MAX_RATIO * max(i.compress_size, 1) and i.file_size > 1_000_000 for i in infos):
        raise DocumentError(path, SKIPPED["zip_bomb"])
    return zf


def parse_xml(path: Path, zf: zipfile.ZipFile, name: str) -> Any:
    """One member as an ElementTree root (None when absent); entities and DTDs are refused."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        raw = zf.read(name)
    except KeyError:
        return None
    try:
        return fromstring(raw, forbid_dtd=True)
    except DefusedXmlException:
        raise DocumentError(path, SKIPPED["xml_entities"]) from None
    except Exception:  # noqa: BLE001 - a broken member: the document cannot be read
        raise DocumentError(path, SKIPPED["broken_office"].format(kind=path.suffix.lower())) from None


def read_docx(path: Path, data: bytes) -> tuple[str, dict[str, Any]]:
    zf = open_archive(path, data)
    root = parse_xml(path, zf, "word/document.xml")
    if root is None:
        raise DocumentError(path, SKIPPED["not_office"].format(kind=".docx"))
    styles = _docx_styles(parse_xml(path, zf, "word/styles.xml"))
    notes = _docx_notes(parse_xml(path, zf, "word/footnotes.xml"))
    lines, pending = Lines(), []
    body = root.find(f"{W}body")
    for el in list(body) if body is not None else []:
        if el.tag == f"{W}p":
            kind, level = _docx_kind(el, styles)
            if kind == "heading":
                lines.add("\n".join(pending))  # footnotes come at the end of their section
                pending = []
            pending += [notes[i] for i in _docx_note_refs(el) if i in notes]
            text = _docx_text(el)
            lines.add({"heading": "#" * level + " ", "item": "- "}.get(kind, "") + text if text.strip() else "",
                      code=kind == "code")
        elif el.tag == f"{W}tbl":
            for row in _table_rows([[_docx_text(p) for p in tc.iter(f"{W}p")] for tc in tr.findall(f"{W}tc")]
                                   for tr in el.findall(f"{W}tr")):
                lines.add(row)
    lines.add("\n".join(pending))
    return lines.text(), _core_properties(parse_xml(path, zf, "docProps/core.xml"))


def _docx_styles(root: Any) -> dict[str, tuple[str, int]]:
    """Style id -> (kind, heading level) from word/styles.xml, by the style's name."""
    out: dict[str, tuple[str, int]] = {}
    for st in root.iter(f"{W}style") if root is not None else ():
        sid = st.get(f"{W}styleId") or ""
        name_el = st.find(f"{W}name")
        name = (name_el.get(f"{W}val") if name_el is not None else sid) or sid
        m = re.fullmatch(r"(?:heading|kop)\s*(\d)", name.strip(), re.I)
        if m:
            out[sid] = ("heading", int(m.group(1)))
        elif name.strip().lower() == "title":
            out[sid] = ("heading", 1)
        elif _CODE_STYLE.search(name):
            out[sid] = ("code", 0)
        elif re.search(r"list", name, re.I):
            out[sid] = ("item", 0)
    return out


def _docx_kind(p: Any, styles: dict[str, tuple[str, int]]) -> tuple[str, int]:
    ppr = p.find(f"{W}pPr")
    if ppr is None:
        return "para", 0
    styled = styles.get(_val(ppr.find(f"{W}pStyle")))
    num = ppr.find(f"{W}numPr")
    if num is not None and _val(num.find(f"{W}numId")) not in ("", "0"):  # numId 0: numbering switched off
        return styled if styled and styled[0] in ("heading", "code") else ("item", 0)
    outline = ppr.find(f"{W}outlineLvl")
    if outline is not None and _val(outline).isdigit() and int(_val(outline)) < 9:
        return "heading", int(_val(outline)) + 1
    return styled or ("para", 0)


def _val(el: Any) -> str:
    return (el.get(f"{W}val") or "") if el is not None else ""


def _docx_text(p: Any) -> str:
    """A paragraph's final text: runs and insertions, not deletions, comments or field codes."""
    parts: list[str] = []
    for el in p.iter():
        if el.tag == f"{W}t":
            parts.append(el.text or "")
        elif el.tag == f"{W}tab":
            parts.append("\t")
        elif el.tag in (f"{W}br", f"{W}cr"):
            parts.append("\n")
    return "".join(parts)  # w:delText (deleted text) and w:instrText (field codes) are other tags


def _docx_note_refs(p: Any) -> list[str]:
    return [el.get(f"{W}id") or "" for el in p.iter(f"{W}footnoteReference")]


def _docx_notes(root: Any) -> dict[str, str]:
    out = {}
    for fn in root.findall(f"{W}footnote") if root is not None else ():
        text = " ".join(_docx_text(p) for p in fn.iter(f"{W}p")).strip()
        if text and int(fn.get(f"{W}id") or 0) > 0:  # ids 0 and -1 are the separators
            out[fn.get(f"{W}id") or ""] = text
    return out


def _table_rows(rows: Any) -> list[str]:
    """One line per row; from the second row on each cell is named by its header cell."""
    rows = [[" ".join(c).strip() for c in row] for row in rows]
    rows = [r for r in rows if any(r)]
    if not rows:
        return []
    head, out = rows[0], ["- " + " | ".join(rows[0])]
    for r in rows[1:]:
        named = [f"{h}: {c}" if h and c and len(rows) > 1 else c for h, c in zip(head, r)] + r[len(head):]
        out.append("- " + " | ".join(x for x in named if x))
    return out


def _core_properties(root: Any) -> dict[str, Any]:
    if root is None:
        return {}
    found = {"title": root.findtext(f"{DC}title") or "", "author": root.findtext(f"{DC}creator") or ""}
    return {k: " ".join(v.split()) for k, v in found.items() if v and v.strip()}


def read_odt(path: Path, data: bytes) -> tuple[str, dict[str, Any]]:
    zf = open_archive(path, data)
    root = parse_xml(path, zf, "content.xml")
    if root is None:
        raise DocumentError(path, SKIPPED["not_office"].format(kind=".odt"))
    styles = _odt_styles(root, parse_xml(path, zf, "styles.xml"))
    lines = Lines()
    body = root.find(f"{OFFICE}body/{OFFICE}text")
    for el in list(body) if body is not None else []:
        _odt_block(el, lines, styles)
    meta = parse_xml(path, zf, "meta.xml")
    props: dict[str, Any] = {}
    if meta is not None:
        m = meta.find(f"{OFFICE}meta")
        if m is not None:
            props = {k: " ".join(v.split()) for k, v in (
                ("title", m.findtext(f"{DC}title") or ""),
                ("author", m.findtext(f"{META}initial-creator") or m.findtext(f"{DC}creator") or "")) if v.strip()}
    return lines.text(), props


_ODT_HEADING = re.compile(r"(?:Heading|Kop)(?:_20_|\s)?(\d)|Title|Titel", re.I)


def _odt_styles(*roots: Any) -> dict[str, tuple[str, int]]:
    """Paragraph style name -> ("heading", level) or ("code", 0), through the styles' parents
    (LibreOffice writes a heading of an HTML page as a paragraph in style Heading_20_1)."""
    parent: dict[str, str] = {}
    for root in roots:
        for st in root.iter(f"{STYLE}style") if root is not None else ():
            parent[st.get(f"{STYLE}name") or ""] = st.get(f"{STYLE}parent-style-name") or ""
    out: dict[str, tuple[str, int]] = {}
    for name in parent:
        seen, cur = 0, name
        while cur and seen < 8:
            m = _ODT_HEADING.fullmatch(cur)
            if m:
                out[name] = ("heading", int(m.group(1) or 1))
                break
            if _CODE_STYLE.search(cur):
                out[name] = ("code", 0)
                break
            cur, seen = parent.get(cur, ""), seen + 1
    return out


def _odt_text(el: Any) -> str:
    """Text of a paragraph or heading: spans, spaces, tabs and line breaks; notes and annotations out."""
    parts = [el.text or ""]
    for child in el:
        tag = child.tag
        if tag == f"{TEXT}s":
            parts.append(" " * int(child.get(f"{TEXT}c") or 1))
        elif tag == f"{TEXT}tab":
            parts.append("\t")
        elif tag == f"{TEXT}line-break":
            parts.append("\n")
        elif tag in (f"{TEXT}note", f"{OFFICE}annotation", f"{OFFICE}annotation-end", f"{TEXT}tracked-changes"):
            pass
        else:
            parts.append(_odt_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _odt_item(item: Any, lines: Lines, styles: dict[str, tuple[str, int]]) -> None:
    """A list item: its paragraphs as one ``- `` line; a code paragraph inside it as a block of its
    own, the paragraphs after that as running text (as the HTML it came from shows them)."""
    parts: list[str] = []
    prefix = "- "
    for p in item.findall(f"{TEXT}p"):
        if styles.get(p.get(f"{TEXT}style-name") or "", ("", 0))[0] == "code":
            lines.add(prefix + " ".join(parts) if parts else "")
            parts, prefix = [], ""
            lines.add(_odt_text(p), code=True)
        elif _odt_text(p).strip():
            parts.append(" ".join(_odt_text(p).split()))
    if parts:
        lines.add(prefix + " ".join(parts))


def _odt_block(el: Any, lines: Lines, styles: dict[str, tuple[str, int]]) -> None:
    tag = el.tag
    if tag == f"{TEXT}h":
        level = int(el.get(f"{TEXT}outline-level") or 1)
        lines.add("#" * min(level, 6) + " " + _odt_text(el).strip())
    elif tag == f"{TEXT}p":
        kind, level = styles.get(el.get(f"{TEXT}style-name") or "", ("para", 0))
        text = _odt_text(el)
        if kind == "heading" and text.strip():
            lines.add("#" * min(level, 6) + " " + text.strip())
        else:
            lines.add(text, code=kind == "code")
    elif tag == f"{TEXT}list":
        for item in el.iter(f"{TEXT}list-item"):
            _odt_item(item, lines, styles)
    elif tag == f"{TABLE}table":
        rows = [[[_odt_text(p) for p in cell.iter(f"{TEXT}p")] for cell in row.findall(f"{TABLE}table-cell")]
                for row in el.iter(f"{TABLE}table-row")]
        for row in _table_rows(rows):
            lines.add(row)
    elif tag == f"{TEXT}section":
        for child in el:
            _odt_block(child, lines, styles)
