"""Adding uploaded files to the corpus as one transaction: check, stage, commit, or roll back.

:meth:`UploadTransaction.check` refuses what cannot be a document (name, type, size) without
touching anything; :meth:`~UploadTransaction.stage` reads each file the way indexing will and copies
it into the corpus; :meth:`~UploadTransaction.commit` writes the metadata and builds the index;
:meth:`~UploadTransaction.rollback` removes the copies and restores the metadata, so a failed upload
leaves the corpus as it was. Every refusal goes into the :class:`UploadReport`, by name.
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import tempfile
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import AssistantError, FieldError
from .index import BuildSummary
from .ingest.load import LEGACY, SUPPORTED, list_corpus, read_metadata, set_metadata
from .ingest.probe import probe_file
from .prompts import UI
from .settings import Settings
from .textutil import one_line

log = logging.getLogger(__name__)

UPLOAD_DIR = "uploads"  # uploads go to corpus_dir/uploads/
_RESERVED = {"readme.md", "readme.txt", "metadata.toml"}


@dataclass(frozen=True)
class DocumentDetails:
    """What a user may say about uploaded files for their citations: title, author, year."""

    title: str = ""
    author: str = ""
    year: int | None = None

    MAX_CHARS = 200

    @classmethod
    def parse(cls, title: str | None = "", author: str | None = "", year: str | int | None = "") -> "DocumentDetails":
        """Checked and tidied form input (control characters dropped, whitespace collapsed); a
        value that cannot be used raises :class:`~assistant.errors.FieldError` naming it."""
        clean = {}
        for name, label, value in (("title", UI["details_title"], title), ("author", UI["details_author"], author)):
            text = one_line(value)
            if len(text) > cls.MAX_CHARS:
                raise FieldError(label, text, UI["field_too_long"].format(n=len(text), limit=cls.MAX_CHARS))
            clean[name] = text
        raw_year = str(year if year is not None else "").strip()
        number: int | None = None
        if raw_year:
            if not re.fullmatch(r"\d{4}", raw_year) or not 1500 <= int(raw_year) <= time.localtime().tm_year + 1:
                raise FieldError(UI["details_year"], raw_year, UI["field_year"])
            number = int(raw_year)
        return cls(clean["title"], clean["author"], number)

    def fields(self, with_title: bool = True) -> dict[str, Any]:
        """The metadata.toml fields this sets (empty ones left out, so the file's own apply)."""
        out: dict[str, Any] = {}
        if with_title and self.title:
            out["title"] = self.title
        if self.author:
            out["author"] = self.author
        if self.year:
            out["year"] = self.year
        return out


@dataclass
class UploadReport:
    added: list[str] = field(default_factory=list)  # document ids (corpus-relative paths) now indexed
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (name as uploaded, reason)
    error: str = ""  # indexing failed: nothing was added
    notes: list[str] = field(default_factory=list)  # things to know about what was added
    summary: BuildSummary | None = None

    @property
    def ok(self) -> bool:
        return not self.error and not self.rejected


@dataclass(frozen=True)
class Staged:
    shown: str  # the name as uploaded
    path: Path  # where the received bytes are
    safe: str  # the name it gets in the corpus


def safe_filename(name: str) -> str | None:
    """A safe base name for an uploaded file, or None when the name tries to leave the folder.

    Names with folder parts (``/``, ``\\``, ``..``) are refused; otherwise accents are folded and
    anything but letters, digits, ``.``, ``-`` and ``_`` becomes ``-``.
    """
    raw = str(name or "").strip()
    if not raw or "/" in raw or "\\" in raw or "\x00" in raw or raw in (".", ".."):
        return None
    if any(part == ".." for part in re.split(r"[/\\]", raw)):
        return None
    folded = unicodedata.normalize("NFKD", raw)
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    stem, dot, suffix = folded.rpartition(".")
    if not dot:
        stem, suffix = folded, ""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-._")[:100] or "document"
    suffix = re.sub(r"[^A-Za-z0-9]+", "", suffix).lower()[:10]
    out = f"{stem}.{suffix}" if suffix else stem
    if out.lower() in _RESERVED:
        out = f"upload-{out}"
    return out


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:20]  # the same key list_corpus uses


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", ".")  # Dutch: 250.000


def corpus_size(corpus: Path) -> int:
    """Bytes of the documents in the corpus folder."""
    return sum(cf.size for cf in list_corpus(corpus))


def indexed_files(settings: Settings) -> set[str]:
    """The corpus files (relative paths) the live index holds."""
    import json

    from .index import current_generation

    gen = current_generation(settings.index_dir)
    if gen is None:
        return set()
    try:
        return set(json.loads((gen / "manifest.json").read_text(encoding="utf-8")).get("files", {}))
    except (OSError, ValueError):
        return set()


def _unique(path: Path) -> Path:
    if not path.exists():
        return path
    for i in range(2, 10000):
        cand = path.with_name(f"{path.stem}-{i}{path.suffix}")
        if not cand.exists():
            return cand
    raise AssistantError(UI["upload_too_many_names"].format(name=path.name))


def _refusal(shown: str, safe: str | None, p: Path, limit_mb: float) -> str:
    """Why a received file cannot be a document ("" when it may be one)."""
    if safe is None:
        return UI["reason_name"]
    suffix = Path(safe).suffix.lower()
    if suffix not in SUPPORTED:
        if suffix in LEGACY:
            return UI["reason_legacy"].format(suffix=suffix, modern=LEGACY[suffix])
        return UI["reason_type"].format(suffix=suffix or UI["reason_no_suffix"])
    if not p.is_file():
        return UI["reason_missing"]
    size = p.stat().st_size
    if size > limit_mb * 1e6:
        return UI["reason_size"].format(mb=size / 1e6, limit=limit_mb)
    if size == 0:
        return UI["reason_empty"]
    return ""


class UploadTransaction:
    """One upload's files into the corpus and the index, all of them or none (refused ones aside).

    ``build`` builds the index from the corpus; the caller holds the one-build-at-a-time lock
    around :meth:`stage`, :meth:`commit` and :meth:`rollback`.
    """

    def __init__(self, settings: Settings, report: UploadReport, details: DocumentDetails,
                 build: Callable[[], BuildSummary]):
        self.settings = settings
        self.report = report
        self.details = details
        self.build = build
        self.corpus = settings.corpus_dir
        self.target_dir = self.corpus / UPLOAD_DIR
        self.copied: dict[str, tuple[str, Path]] = {}  # rel -> (name as uploaded, corpus path)
        self.undo: dict[str, dict[str, Any] | None] = {}  # what metadata.toml held for these files
        self.adopted: dict[str, str] = {}  # rel -> name as uploaded: in the corpus already, not yet indexed

    def check(self, files: Sequence[tuple[str, Path | str]]) -> list[Staged]:
        """The files that may be documents; the others go into the report with their reason."""
        staged = []
        for name, path in files:
            shown, p = str(name), Path(path)
            safe = safe_filename(shown)
            reason = _refusal(shown, safe, p, self.settings.max_upload_mb)
            if reason:
                self.report.rejected.append((shown, reason))
            else:
                staged.append(Staged(shown, p, str(safe)))
        return staged

    def stage(self, staged: Sequence[Staged]) -> bool:
        """Copy the files that read as documents into the corpus; whether any was. A copy that
        fails (a corpus folder that is not writable) takes out the ones made and reports it."""
        try:
            self._copy_in(staged, {cf.sha: cf.rel for cf in list_corpus(self.corpus)})
        except OSError as e:
            log.warning("copying the upload into %s failed: %s", self.target_dir, e)
            self._remove_copies()
            self.report.error = UI["upload_copy_failed"].format(message=e.strerror or e)
            return False
        return bool(self.copied or self.adopted)

    def _copy_in(self, staged: Sequence[Staged], known: dict[str, str]) -> None:
        """Check each file the way indexing reads it (under its final name, in a worker process with
        a time budget), then copy it in. A file already in the corpus but not in the index (an
        interrupted build) is taken as it is: the build indexes it."""
        limit_bytes = int(self.settings.max_upload_mb * 1e6)
        max_chars, chars = self.settings.max_upload_chars, 0  # text in this upload: its indexing work
        corpus_bytes = corpus_size(self.corpus)
        indexed = indexed_files(self.settings)
        with tempfile.TemporaryDirectory(prefix="upload-") as tmp:
            for s in staged:
                probe = Path(tmp) / s.safe
                shutil.copyfile(s.path, probe)
                sha = _sha(probe)
                if sha in known and known[sha] in indexed:
                    self.report.rejected.append((s.shown, UI["reason_duplicate"].format(name=known[sha])))
                    continue
                size = probe.stat().st_size
                if sha not in known and corpus_bytes + size > self.settings.max_corpus_mb * 1e6:
                    self.report.rejected.append((s.shown, UI["reason_corpus_full"].format(
                        mb=corpus_bytes / 1e6, limit=self.settings.max_corpus_mb)))
                    continue
                read = probe_file(probe, s.safe, sha, limit_bytes, max_chars - chars, self.settings.ingest_timeout_s)
                if read.reason:
                    reason = read.reason if not read.too_long else UI["reason_chars"].format(
                        n=_thousands(read.too_long), limit=_thousands(max_chars))
                    self.report.rejected.append((s.shown, reason))
                    continue
                if chars + read.chars > max_chars:  # refused before any indexing starts
                    reason = UI["reason_chars"].format(n=_thousands(read.chars), limit=_thousands(max_chars))
                    self.report.rejected.append((s.shown, reason))
                    continue
                chars += read.chars
                if sha in known:  # present, never indexed: no second copy
                    self.adopted[known[sha]] = s.shown
                    continue
                self.target_dir.mkdir(parents=True, exist_ok=True)
                dest = _unique(self.target_dir / s.safe)
                rel = dest.relative_to(self.corpus).as_posix()
                self.copied[rel] = (s.shown, dest)  # first, so that a failed copy is cleaned up too
                shutil.copyfile(probe, dest)
                corpus_bytes += size
                known[sha] = rel

    def commit(self) -> BuildSummary:
        """Write the details into metadata.toml and build the index; files the build cannot read
        after all are taken out again. Raises whatever failed (then :meth:`rollback`)."""
        targets = [*self.copied, *self.adopted]
        fields = self.details.fields(with_title=len(targets) == 1)
        if self.details.title and len(targets) > 1:
            self.report.notes.append(UI["upload_title_ignored"])
        # an entry left behind by a removed file of the same name must not describe this one
        stale = [rel for rel in self.copied if rel in read_metadata(self.corpus)]
        if fields or stale:
            self.undo = set_metadata(self.corpus, dict.fromkeys(targets, fields) if fields else {}, remove=stale)
        summary = self.build()
        unreadable = [(rel, reason) for rel, reason in summary.skipped if rel in self.copied]
        if unreadable:  # the check should have caught it
            for rel, reason in unreadable:
                self.report.rejected.append((self.copied[rel][0], reason))
                self.copied.pop(rel)[1].unlink(missing_ok=True)
            if fields:
                set_metadata(self.corpus, {}, remove=[rel for rel, _ in unreadable])
            summary = self.build()
        self.report.summary = summary
        self.report.added = sorted(set(self.copied) | {rel for rel in self.adopted if rel not in dict(summary.skipped)})
        return summary

    def rollback(self, error: BaseException) -> None:
        """Take the copies out and restore these files' metadata entries (others' edits stay)."""
        self._remove_copies()
        if self.undo:
            try:
                set_metadata(self.corpus, self.undo)
            except Exception as undo_error:  # noqa: BLE001 - the report must still reach the user
                log.warning("could not undo the metadata of the upload: %s", undo_error)
                self.report.notes.append(UI["upload_metadata_left"].format(message=undo_error))
        self.report.notes[:] = [n for n in self.report.notes if n != UI["upload_title_ignored"]]
        self.report.error = str(error) if isinstance(error, AssistantError) else f"{type(error).__name__}: {error}"

    def _remove_copies(self) -> None:
        for _, dest in self.copied.values():
            dest.unlink(missing_ok=True)
