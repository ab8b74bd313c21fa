"""Load ``.txt``, ``.md`` and ``.pdf`` files from a corpus folder into :class:`Document` records.

Unreadable files are skipped with a reason naming the file; everything else still loads.
"""

from __future__ import annotations

import hashlib
import logging
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import CorpusError, DocumentError, TextTooLongError
from ..fsutil import write_atomic
from ..prompts import ERRORS, NOT_UTF8, SKIPPED
from ..records import Document, Page
from ..textutil import one_line
from .clean import clean_text, footnote_numbers, normalize_unicode, strip_page_furniture
from .pdfcode import page_text
from .pdfoutline import mark_headings, outline

log = logging.getLogger(__name__)

SUPPORTED = {".txt", ".md", ".markdown", ".pdf", ".docx", ".odt", ".html", ".htm"}
LEGACY = {".doc": ".docx", ".ppt": ".pptx", ".xls": ".xlsx", ".rtf": ".docx"}  # refused, saying what to save as
METADATA_FILE = "metadata.toml"
_IGNORED_NAMES = {"readme.md", "readme.txt"}


@dataclass
class CorpusFile:
    path: Path
    rel: str  # path relative to the corpus folder, with '/' separators: the document id
    size: int
    sha: str


@dataclass
class LoadResult:
    documents: list[Document] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    warnings: list[str] = field(default_factory=list)


def read_metadata(corpus_dir: Path) -> dict[str, dict[str, Any]]:
    path = corpus_dir / METADATA_FILE
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise CorpusError(ERRORS["metadata_unreadable"].format(path=path, error=e)) from e


_METADATA_HEADER = "Metadata for the documents in this folder, one table per file name."


@contextmanager
def _metadata_lock(corpus_dir: Path) -> Iterator[None]:
    """One writer of the metadata file at a time, across processes (a hidden lock file beside it)."""
    import fcntl

    path = corpus_dir / f".{METADATA_FILE}.lock"
    try:
        fh = open(path, "a+")  # noqa: SIM115 - closed below
    except OSError as e:
        raise CorpusError(ERRORS["metadata_readonly"].format(corpus_dir=corpus_dir, reason=e.strerror)) from e
    with fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def set_metadata(corpus_dir: Path, entries: Mapping[str, Mapping[str, Any] | None],
                 remove: Iterable[str] = ()) -> dict[str, dict[str, Any] | None]:
    """Add or replace ``entries`` (document id -> fields; None removes the entry) in the corpus
    metadata file and drop the ids in ``remove``, keeping the file's comments and the other entries
    as they are. Returns what the touched ids held before (None: no entry), which given back to this
    function undoes the change without touching what others wrote meanwhile. A file that cannot be
    read is reported (:class:`CorpusError`), never overwritten."""
    import tomlkit

    path = corpus_dir / METADATA_FILE
    changes: dict[str, Mapping[str, Any] | None] = {rel: None for rel in remove}
    changes.update(entries)
    with _metadata_lock(corpus_dir):
        before = read_metadata(corpus_dir)
        doc = tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()
        if not path.exists():
            doc.add(tomlkit.comment(_METADATA_HEADER))
        for rel, fields in changes.items():
            doc.pop(rel, None)
            if fields is not None:
                table = tomlkit.table()
                for key, value in fields.items():
                    table[key] = value
                doc[rel] = table
        text = tomlkit.dumps(doc).rstrip("\n") + "\n"  # an entry added and removed again leaves no blank line
        if not tomllib.loads(text) and text.strip() == f"# {_METADATA_HEADER}":
            path.unlink(missing_ok=True)  # only the header this function wrote: there was no file before
        else:
            write_atomic(path, text)
    return {rel: before.get(rel) for rel in changes}


def list_corpus(corpus_dir: Path) -> list[CorpusFile]:
    """Every supported file under ``corpus_dir`` (hidden files and READMEs excluded), sorted."""
    if not corpus_dir.is_dir():
        raise CorpusError(ERRORS["corpus_missing"].format(corpus_dir=corpus_dir))
    files = []
    for p in sorted(corpus_dir.rglob("*")):
        rel = p.relative_to(corpus_dir).as_posix()
        if not p.is_file() or any(part.startswith(".") for part in Path(rel).parts):
            continue
        if p.suffix.lower() not in SUPPORTED or p.name.lower() in _IGNORED_NAMES:
            continue
        data = p.read_bytes()
        files.append(CorpusFile(p, rel, len(data), hashlib.sha256(data).hexdigest()[:20]))
    return files


# Byte-order marks, the four-byte ones first (UTF-32 LE begins like UTF-16 LE).
_BOMS = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe", "utf-16"),
         (b"\xfe\xff", "utf-16"))


def decode_text(data: bytes, path: Path, warnings: list[str]) -> str:
    """UTF-8 first (UTF-16/32 with a byte-order mark too); otherwise the encoding charset-normalizer
    finds, with a warning; binary -> error."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(codec)  # the codec reads the mark and drops it
            except UnicodeDecodeError:
                raise DocumentError(path, SKIPPED["undecodable"]) from None
            if "\x00" in text:
                raise DocumentError(path, SKIPPED["binary"])
            warnings.append(NOT_UTF8.format(name=path.name, encoding=codec))
            return text
    if b"\x00" in data[:8192]:
        raise DocumentError(path, SKIPPED["binary"])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    text, encoding = _detect(data, path)
    warnings.append(NOT_UTF8.format(name=path.name, encoding=encoding))
    log.warning("%s: not UTF-8, decoded as %s", path.name, encoding)
    return text


def _detect(data: bytes, path: Path) -> tuple[str, str]:
    """The text and encoding of bytes that are not UTF-8. Windows-1252 when charset-normalizer finds
    it as likely as its best guess (it cannot tell cp1252 from cp1250 on Dutch text, and reads "ï" as
    "ď" in the latter), else its best guess (GB18030, cp1251, ...); nothing found: cp1252 if the
    bytes decode, else the file is refused."""
    from charset_normalizer import from_bytes

    matches = from_bytes(data)
    best = matches.best()
    if best is not None and best.encoding is not None:
        if not any("cp1252" in m.could_be_from_charset and m.chaos <= best.chaos for m in matches):
            return str(best), best.encoding
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        raise DocumentError(path, SKIPPED["undecodable"]) from None


def read_pdf(path: Path, data: bytes) -> list[Page]:
    """Text per page with pypdf; encrypted, empty or broken PDFs raise :class:`DocumentError`."""
    return read_pdf_with_info(path, data)[0]


# Titles that PDF writers fill in by themselves: a file name, the program's own name, a placeholder.
_JUNK_TITLE = re.compile(
    r"^(microsoft (word|powerpoint|excel)\b.*|untitled.*|naamloos.*|document\d*|presentatie\d*|"
    r"titel|title|no title|geen titel|.*\.(docx?|pptx?|xlsx?|odt|pdf|indd|rtf|txt|tex|dvi))$", re.IGNORECASE)
_JUNK_AUTHOR = re.compile(r"^(user|gebruiker|admin(istrator)?|owner|eigenaar|unknown|onbekend|auteur|author)$",
                          re.IGNORECASE)


def _info_text(value: Any, junk: re.Pattern[str]) -> str:
    text = one_line(value)
    if not 3 <= len(text) <= 200 or not re.search(r"[^\W\d_]{2}", text) or junk.match(text):
        return ""
    if re.search("[\ufffd\u00fe\u00ff]", text):  # undecodable, or bytes read as text (BOM remnants)
        return ""
    return text


def pdf_info(reader: Any) -> dict[str, Any]:
    """Title and author from a PDF's document information, when they are text that looks filled in
    by a person (not "Microsoft Word - verslag.docx" or "Untitled"); anything else is left out. The
    creation date is not taken as the year: it is when the file was made, often years after the text."""
    out: dict[str, Any] = {}
    try:
        info = reader.metadata or {}
        for key, field_name, junk in (("/Title", "title", _JUNK_TITLE), ("/Author", "author", _JUNK_AUTHOR)):
            value = info.get(key)
            value = value.get_object() if hasattr(value, "get_object") else value
            text = _info_text(value, junk) if isinstance(value, str) else ""  # not bytes, arrays, numbers
            if text:
                out[field_name] = text
    except Exception:  # noqa: BLE001 - a broken info dictionary must not stop the document
        return {}
    return out


def read_pdf_with_info(path: Path, data: bytes, max_chars: int | None = None) -> tuple[list[Page], dict[str, Any]]:
    """:func:`read_pdf` plus the document information (:func:`pdf_info`). More than ``max_chars``
    characters of text: :class:`TextTooLongError`, before any cleaning."""
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise DocumentError(path, SKIPPED["not_pdf"])
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception:  # noqa: BLE001 - pypdf raises several types here
                ok = 0
            if not ok:
                raise DocumentError(path, SKIPPED["encrypted"])
        texts = []
        for i, page in enumerate(reader.pages, start=1):
            try:
                texts.append(page_text(page))  # monospaced lines fenced as code
            except Exception as e:  # noqa: BLE001 - a broken page must not stop the document
                log.warning("%s page %d: unreadable (%s)", path.name, i, e)
                texts.append("")
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, RecursionError) as e:
        raise DocumentError(path, SKIPPED["broken_pdf"].format(error=e)) from e
    except Exception as e:  # noqa: BLE001 - pypdf may raise anything on hostile input
        raise DocumentError(path, SKIPPED["broken_pdf"].format(error=type(e).__name__)) from e
    chars = sum(len(t) for t in texts)
    if max_chars is not None and chars > max_chars:
        raise TextTooLongError(path, chars, max_chars)
    notes = frozenset().union(*(footnote_numbers(normalize_unicode(t)) for t in texts))  # endnotes count too
    texts = strip_page_furniture([clean_text(t, notes) for t in texts])
    entries = outline(reader)  # the document's own headings, where it has bookmarks
    if entries:
        texts, found = mark_headings(texts, entries)
        log.info("%s: %d of %d outline headings found in the text", path.name, found, len(entries))
    pages = [Page(i, t) for i, t in enumerate(texts, start=1) if t.strip()]
    if not pages:
        raise DocumentError(path, SKIPPED["pdf_no_text"])
    return pages, pdf_info(reader)


def guess_title(text: str, path: Path) -> str:
    """First Markdown heading, else a short first line, else the file name."""
    for line in text.split("\n")[:40]:
        m = re.match(r"#{1,3}\s+(.+)", line.strip())
        if m:
            return m.group(1).strip()
    for line in text.split("\n")[:5]:
        s = line.strip()
        if 3 <= len(s) <= 100 and not s.endswith((",", ";")):
            return s
    return path.stem.replace("_", " ").replace("-", " ").strip().capitalize()


def load_file(cf: CorpusFile, meta: dict[str, Any], max_bytes: int, warnings: list[str],
              max_chars: int | None = None) -> Document:
    """One file as a :class:`Document`. A file with more than ``max_chars`` characters of text is
    refused (:class:`TextTooLongError`) on its raw text, before cleaning it."""
    path = cf.path
    if cf.size == 0:
        raise DocumentError(path, SKIPPED["empty"])
    if cf.size > max_bytes:
        raise DocumentError(path, SKIPPED["too_big"].format(mb=cf.size / 1e6, limit=max_bytes / 1e6))
    data = path.read_bytes()
    found: dict[str, Any] = {}  # what the file says about itself (a PDF's document information)
    if path.suffix.lower() == ".pdf":
        page_list, found = read_pdf_with_info(path, data, max_chars)
        pages = tuple(page_list)
    elif path.suffix.lower() in (".docx", ".odt", ".html", ".htm"):
        text, found = read_structured(path, data, warnings, max_chars)
        pages = (Page(None, text),)
    else:
        raw = decode_text(data, path, warnings)
        if max_chars is not None and len(raw) > max_chars:
            raise TextTooLongError(path, len(raw), max_chars)
        text = clean_text(fence_indented_code(raw) if path.suffix.lower() in (".md", ".markdown") else raw)
        if not text.strip():
            raise DocumentError(path, SKIPPED["no_text"])
        pages = (Page(None, text),)
    meta = {**found, **{k: v for k, v in meta.items() if v not in ("", None)}}  # metadata.toml wins
    title = str(meta.get("title") or guess_title(pages[0].text, path))
    return Document(id=cf.rel, title=title, source=path.name, pages=pages, meta=meta, file_hash=cf.sha)


_INDENTED = re.compile(r"(?: {4}|\t)[ \t]*\S")
_LIST_ITEM = re.compile(r"\s*(?:[-*+]|\d{1,2}[.)])\s")


def fence_indented_code(text: str) -> str:
    r"""Markdown's indented code (lines indented four spaces or a tab, after a blank line, not
    continuing a list item) as a fenced block, so it is read as code like a fenced one.

    >>> fence_indented_code("Typ:\n\n    apt update\n      -y\n\nKlaar.")
    'Typ:\n\n```\napt update\n  -y\n```\n\nKlaar.'
    """
    lines, out, i = text.split("\n"), [], 0
    fenced = False
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith("```"):
            fenced = not fenced
        prev = next((x for x in reversed(out) if x.strip()), "")
        if not fenced and _INDENTED.match(line) and (not out or not out[-1].strip()) and not _LIST_ITEM.match(prev):
            j = i
            while j < len(lines) and (_INDENTED.match(lines[j]) or not lines[j].strip() and j + 1 < len(lines)
                                      and _INDENTED.match(lines[j + 1])):
                j += 1
            out += ["```", *(x[4:] if x.startswith("    ") else x[1:] if x.startswith("\t") else x
                             for x in lines[i:j]), "```"]
            i = j
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


def read_structured(path: Path, data: bytes, warnings: list[str], max_chars: int | None) -> tuple[str, dict[str, Any]]:
    """Word, OpenDocument and HTML files: their text with the structure as Markdown, and what the
    file says of itself. Only documented normalisations are applied (Unicode NFC, line ends): the
    repairs of :mod:`.clean` are for PDF extraction damage, which these formats do not have."""
    from .clean import normalize_unicode
    from .html import read_html
    from .office import read_docx, read_odt

    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        raw = decode_text(data, path, warnings)
        if max_chars is not None and len(raw) > 4 * max_chars:  # markup included: a generous bound first
            raise TextTooLongError(path, len(raw), max_chars)
        text, found = read_html(raw)
    else:
        text, found = (read_docx if suffix == ".docx" else read_odt)(path, data)
    text = normalize_unicode(text)
    junk = {"title": _JUNK_TITLE, "author": _JUNK_AUTHOR}
    found = {k: v for k, v in ((k, _info_text(v, junk[k])) for k, v in found.items() if k in junk) if v}
    if max_chars is not None and len(text) > max_chars:
        raise TextTooLongError(path, len(text), max_chars)
    if not text.strip():
        raise DocumentError(path, SKIPPED["no_text"])
    return text, found


def load_corpus(corpus_dir: Path, max_file_mb: float = 50.0, only: set[str] | None = None) -> LoadResult:
    """Load every supported file (or only the ids in ``only``); skipped files carry their reason."""
    result = LoadResult()
    metadata = read_metadata(corpus_dir)
    for cf in list_corpus(corpus_dir):
        if only is not None and cf.rel not in only:
            continue
        try:
            result.documents.append(load_file(cf, metadata.get(cf.rel, {}), int(max_file_mb * 1e6), result.warnings))
        except DocumentError as e:
            log.warning("skipped %s", e)
            result.skipped.append((cf.rel, e.reason))
    return result
