"""The web app's logic, independent of Gradio: one shared engine, conversations, uploads, feedback.

:class:`AssistantService` loads one :class:`~assistant.answer.chain.AnswerEngine` and shares it
between all users (retrieval is read-only and the embedder serialises its own calls). After the
index changes, :meth:`AssistantService.reload` builds a new engine and swaps it in under a lock;
answers already running keep the engine they started with (the previous index generation stays
on disk until the next build).

The ``render_*`` helpers turn answers, sources and reports into HTML/Markdown for the UI. Every
piece of source text and user text goes through :func:`esc` before it is put into markup.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import re
import shutil
import tempfile
import threading
import time
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import AssistantError, DocumentError, FieldError
from .feedback import FeedbackStore
from .index import BuildSummary, build_index
from .ingest.load import SUPPORTED, CorpusFile, list_corpus, load_file, read_metadata, set_metadata
from .prompts import UI
from .records import Answer
from .render import markdown
from .safe_text import escape_html, escape_markdown
from .settings import Settings
from .textutil import one_line

log = logging.getLogger(__name__)

UPLOAD_DIR = "uploads"  # uploads go to corpus_dir/uploads/
_RESERVED = {"readme.md", "readme.txt", "metadata.toml"}


# --------------------------------------------------------------------------------------------
# conversations


@dataclass
class TurnRecord:
    """One answered question, with what the UI needs to show and rate it later."""

    question: str
    answer: str
    query: str
    abstained: bool
    lang: str
    citations: list[dict[str, Any]]  # Citation.to_json() plus "text": the whole cited passage
    history: list[dict[str, str]]  # the conversation before this question
    seconds: float = 0.0
    feedback_id: int | None = None

    @property
    def rewritten(self) -> bool:
        return bool(self.query) and self.query.strip() != self.question.strip()


@dataclass
class Conversation:
    """A chat's state: its turns (history for follow-ups, prior citation ids, feedback ids)."""

    turns: list[TurnRecord] = field(default_factory=list)
    last_feedback: int | None = None  # the rating a later comment belongs to
    dropped: int = 0  # turns taken out by trim(); turn numbers (bron-<turn>-<n>) go on from there

    def trim(self, max_turns: int) -> int:
        """Keep the last ``max_turns`` turns (a bounded history and page); returns how many went."""
        extra = max(0, len(self.turns) - max(1, max_turns))
        if extra:
            del self.turns[:extra]
            self.dropped += extra
        return extra

    def history(self) -> list[dict[str, str]]:
        out: list[dict[str, str]] = []
        for t in self.turns:
            out += [{"role": "user", "content": t.question}, {"role": "assistant", "content": t.answer}]
        return out

    def prior_ids(self) -> list[str]:
        return [c["chunk_id"] for c in self.turns[-1].citations] if self.turns else []


# --------------------------------------------------------------------------------------------
# uploads


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


# --------------------------------------------------------------------------------------------
# the service


class AssistantService:
    """Thread-safe: one engine for everyone, swapped atomically after an index update."""

    def __init__(self, settings: Settings, engine: Any = None):
        self.settings = settings
        self._lock = threading.Lock()  # guards the engine reference
        self._build_lock = threading.Lock()  # one upload/index build at a time
        if engine is None:
            from .answer.chain import AnswerEngine

            engine = AnswerEngine(settings)
        self._engine = engine
        self.feedback = FeedbackStore.for_settings(settings)

    # --- engine --------------------------------------------------------------------------------
    @property
    def engine(self) -> Any:
        with self._lock:
            return self._engine

    def reload(self) -> Any:
        """Open the live index generation in a new engine and swap it in (models are reused)."""
        from .answer.chain import AnswerEngine

        old = self.engine
        new = AnswerEngine(self.settings, embeddings=old.embeddings, chat_model=old.chat_model)
        _ = new.stats  # warm up before anyone waits on it
        with self._lock:
            self._engine = new
        return new

    @property
    def generation(self) -> str:
        return self.engine.index.generation.name

    # --- answers -------------------------------------------------------------------------------
    def stream(self, conv: Conversation, question: str) -> Iterator[tuple[str, Answer | None]]:
        """``(text so far, None)`` while the answer streams, then ``(final text, Answer)``.

        The finished turn is appended to ``conv``; a question the engine refuses raises
        :class:`~assistant.errors.AssistantError` (its message is meant for the user).
        """
        engine = self.engine  # this answer keeps using this engine, even if a reload happens
        history = conv.history()
        text = ""
        for part in engine.stream(question, history, conv.prior_ids()):
            if isinstance(part, Answer):
                conv.turns.append(self._record(engine, question, part, history))
                yield part.text, part
                return
            text += part
            yield text, None

    def ask(self, conv: Conversation, question: str) -> Answer:
        final: Answer | None = None
        for _, ans in self.stream(conv, question):
            final = ans or final
        assert final is not None
        return final

    @staticmethod
    def _record(engine: Any, question: str, ans: Answer, history: list[dict[str, str]]) -> TurnRecord:
        cites = []
        for c in ans.citations:
            d = c.to_json()
            chunk = engine.index.chunks.get(c.chunk_id)
            d["text"] = chunk.text if chunk is not None else c.quote
            cites.append(d)
        return TurnRecord(question.strip(), ans.text, ans.query, ans.abstained, ans.language, cites, history,
                          ans.seconds)

    # --- meeting preparation -------------------------------------------------------------------
    def prepare(self, topic: str, partners: str, goal: str = "") -> Any:
        from .prepare import prepare

        return prepare(self.engine, topic, partners or "", goal or "")

    @staticmethod
    def write_prep_file(sheet: Any, folder: Path | None = None) -> Path:
        """The prep sheet as a Markdown file (in a fresh temporary folder unless one is given)."""
        folder = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="samenwerkwijzer-"))
        folder.mkdir(parents=True, exist_ok=True)
        slug = (safe_filename(sheet.topic.replace(" ", "-")[:60] + ".md") or "overleg.md").lower()
        path = folder / f"voorbereiding-{slug}"
        path.write_text(sheet.to_markdown(), encoding="utf-8")
        return path

    # --- sources -------------------------------------------------------------------------------
    def documents(self) -> list[dict[str, Any]]:
        return self.engine.index.documents

    def document_rows(self) -> list[list[Any]]:
        """Title, organisation, year, passages, file: one row per indexed document."""
        rows = []
        for d in self.documents():
            meta = d.get("meta") or {}
            year = meta.get("year", "")
            rows.append([d.get("title", ""), str(meta.get("author", "")), str(year) if year else "",
                         int(d.get("chunks", 0)), d.get("id", "")])
        return rows

    def chunk_count(self) -> int:
        return len(self.engine.index)

    def add_files(self, files: Sequence[tuple[str, Path | str]], show_progress: bool = False,
                  details: DocumentDetails | None = None, progress: Any = None) -> UploadReport:
        """Add uploaded files (``(name as uploaded, path of the received bytes)``) to the corpus and
        index them incrementally.

        Each file is checked first (name, type, size, readable); refused files are reported with
        their reason and never touch the corpus. ``details`` (title only when one file is offered,
        author, year) go into the corpus metadata for the added files. If indexing fails, the
        copied files and their metadata are removed again and the previous index stays live.
        ``progress(done, total, stage)`` is called while indexing, when the index build reports it.
        """
        report = UploadReport()
        try:
            self._add_files(list(files), report, show_progress, details or DocumentDetails(), progress)
        finally:
            order = {name: i for i, (name, _) in reversed(list(enumerate(files)))}
            report.rejected.sort(key=lambda r: order.get(r[0], len(order)))  # in upload order
        return report

    def _add_files(self, files: list[tuple[str, Path | str]], report: UploadReport, show_progress: bool,
                   details: DocumentDetails, progress: Any = None) -> None:
        limit = self.settings.max_upload_mb
        staged: list[tuple[str, Path, str]] = []  # (name as uploaded, received path, safe name)
        for name, path in files:
            shown = str(name)
            safe = safe_filename(shown)
            if safe is None:
                report.rejected.append((shown, UI["reason_name"]))
                continue
            suffix = Path(safe).suffix.lower()
            if suffix not in SUPPORTED:
                report.rejected.append((shown, UI["reason_type"].format(suffix=suffix or "(geen)")))
                continue
            p = Path(path)
            if not p.is_file():
                report.rejected.append((shown, UI["reason_missing"]))
                continue
            size = p.stat().st_size
            if size > limit * 1e6:
                report.rejected.append((shown, UI["reason_size"].format(mb=size / 1e6, limit=limit)))
                continue
            if size == 0:
                report.rejected.append((shown, UI["reason_empty"]))
                continue
            staged.append((shown, p, safe))
        if not staged:
            return

        with self._build_lock:
            corpus = self.settings.corpus_dir
            target_dir = corpus / UPLOAD_DIR
            known = {cf.sha: cf.rel for cf in list_corpus(corpus)}
            copied: dict[str, tuple[str, Path]] = {}  # rel -> (name as uploaded, corpus path)
            try:
                self._copy_in(staged, corpus, target_dir, known, copied, report, limit)
            except OSError as e:  # e.g. a corpus folder that is not writable: nothing is added
                log.warning("copying the upload into %s failed: %s", target_dir, e)
                for _, dest in copied.values():
                    dest.unlink(missing_ok=True)
                report.error = UI["upload_copy_failed"].format(message=e.strerror or e)
                return
            if not copied:
                return
            fields = details.fields(with_title=len(copied) == 1)
            if details.title and len(copied) > 1:
                report.notes.append(UI["upload_title_ignored"])
            undo: dict[str, dict[str, Any] | None] = {}  # what metadata.toml held for these files
            try:
                # an entry left behind by a removed file of the same name must not describe this one
                declared = read_metadata(corpus)
                stale = [rel for rel in copied if rel in declared]
                if fields or stale:
                    undo = set_metadata(corpus, dict.fromkeys(copied, fields) if fields else {}, remove=stale)
                summary = self._build(show_progress, progress)
                unreadable = [(rel, reason) for rel, reason in summary.skipped if rel in copied]
                if unreadable:  # the check above should have caught it; take it out again
                    for rel, reason in unreadable:
                        report.rejected.append((copied[rel][0], reason))
                        copied.pop(rel)[1].unlink(missing_ok=True)
                    if fields:
                        set_metadata(corpus, {}, remove=[rel for rel, _ in unreadable])
                    summary = self._build(show_progress, progress)
            except Exception as e:  # noqa: BLE001 - whatever failed, the corpus goes back as it was
                log.warning("indexing the upload failed: %s", e, exc_info=True)
                for _, dest in copied.values():
                    dest.unlink(missing_ok=True)
                if undo:
                    try:
                        set_metadata(corpus, undo)  # only these files' entries; others' edits stay
                    except Exception as undo_error:  # noqa: BLE001 - the report must still reach the user
                        log.warning("could not undo the metadata of the upload: %s", undo_error)
                        report.notes.append(UI["upload_metadata_left"].format(message=undo_error))
                report.notes[:] = [n for n in report.notes if n != UI["upload_title_ignored"]]
                report.error = str(e) if isinstance(e, AssistantError) else f"{type(e).__name__}: {e}"
                self.reload()  # the previous generation is still CURRENT
                return
            report.summary = summary
            report.added = sorted(copied)
            self.reload()

    def _build(self, show_progress: bool, progress: Any) -> BuildSummary:
        kwargs = {}
        if progress is not None and "progress" in inspect.signature(build_index).parameters:
            kwargs["progress"] = progress  # the build reports (done, total, stage) as it embeds
        return build_index(self.settings, show_progress=show_progress, **kwargs)

    def _copy_in(self, staged: list[tuple[str, Path, str]], corpus: Path, target_dir: Path, known: dict[str, str],
                 copied: dict[str, tuple[str, Path]], report: UploadReport, limit: float) -> None:
        """Check each staged file the way indexing reads it, then copy it into the corpus (``copied``)."""
        chars = 0  # text in this upload so far: its indexing work
        with tempfile.TemporaryDirectory(prefix="upload-") as tmp:
            for shown, p, safe in staged:
                # read it the way indexing will, under its final name, before it enters the corpus
                probe = Path(tmp) / safe
                shutil.copyfile(p, probe)
                sha = _sha(probe)
                if sha in known:
                    report.rejected.append((shown, UI["reason_duplicate"].format(name=known[sha])))
                    continue
                try:
                    doc = load_file(CorpusFile(probe, safe, probe.stat().st_size, sha), {}, int(limit * 1e6), [])
                except DocumentError as e:
                    report.rejected.append((shown, e.reason))
                    continue
                n = len(doc.text)
                if chars + n > self.settings.max_upload_chars:  # refused before any indexing starts
                    limit_chars = _thousands(self.settings.max_upload_chars)
                    report.rejected.append((shown, UI["reason_chars"].format(n=_thousands(n), limit=limit_chars)))
                    continue
                chars += n
                target_dir.mkdir(parents=True, exist_ok=True)
                dest = _unique(target_dir / safe)
                rel = dest.relative_to(corpus).as_posix()
                copied[rel] = (shown, dest)  # first, so that a failed copy is cleaned up too
                shutil.copyfile(probe, dest)
                known[sha] = rel

    # --- feedback ------------------------------------------------------------------------------
    def rate(self, conv: Conversation, turn_index: int, liked: bool | None, comment: str = "") -> int | None:
        """Store (or change, or with ``liked=None`` withdraw) the rating of one answer."""
        if not 0 <= turn_index < len(conv.turns):
            raise IndexError(turn_index)
        t = conv.turns[turn_index]
        if liked is None:
            if t.feedback_id is not None:
                self.feedback.delete(t.feedback_id)
            t.feedback_id = None
            conv.last_feedback = None
            return None
        if t.feedback_id is not None and self.feedback.set_rating(t.feedback_id, "up" if liked else "down"):
            if comment.strip():
                self.feedback.set_comment(t.feedback_id, comment)
        else:
            t.feedback_id = self.feedback.add(
                t.question, t.answer, "up" if liked else "down", comment=comment,
                citations=[{k: v for k, v in c.items() if k != "text"} for c in t.citations],
                query=t.query, history=t.history, abstained=t.abstained, lang=t.lang)
        conv.last_feedback = t.feedback_id
        return t.feedback_id

    def comment(self, conv: Conversation, comment: str) -> bool:
        """Attach a comment to the conversation's most recent rating."""
        if conv.last_feedback is None or not comment.strip():
            return False
        return self.feedback.set_comment(conv.last_feedback, comment)


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", ".")  # Dutch: 250.000


def _unique(path: Path) -> Path:
    if not path.exists():
        return path
    for i in range(2, 10000):
        cand = path.with_name(f"{path.stem}-{i}{path.suffix}")
        if not cand.exists():
            return cand
    raise AssistantError(f"Te veel bestanden met de naam {path.name}.")


# --------------------------------------------------------------------------------------------
# rendering (all text escaped)


esc = escape_html  # every text put into HTML goes through assistant.safe_text

def chat_markdown(text: str) -> str:
    """A user's or the app's own text for the chat, shown literally
    (:func:`~assistant.safe_text.escape_markdown`); answers go through :func:`answer_markdown`."""
    return escape_markdown(text)


def answer_markdown(ans: Answer, turn: int) -> str:
    """An answer for the chat, made from its statements: text escaped, each ``[n]`` a link to
    passage ``bron-<turn>-<n>`` in the sources panel."""
    return markdown(ans.statements, link=lambda n: f"#bron-{turn}-{n}")


def highlight(passage: str, spans: Sequence[Sequence[int]]) -> tuple[str, bool]:
    """The passage, escaped, with the quoted spans (character offsets) in <mark>; returns (html,
    whether anything was marked)."""
    spans = sorted((int(s), int(e)) for s, e in spans if 0 <= int(s) < int(e) <= len(passage))
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    out, pos = [], 0
    for s, e in merged:
        out.append(esc(passage[pos:s]))
        out.append(f"<mark>{esc(passage[s:e])}</mark>")
        pos = e
    out.append(esc(passage[pos:]))
    return "".join(out), bool(merged)


def _where(c: dict[str, Any]) -> str:
    parts = [c.get("section") or ""]
    if c.get("page"):
        parts.append(UI["page"].format(page=c["page"]))
    return " · ".join(p for p in parts if p)


def _turn_html(t: TurnRecord, number: int) -> str:
    rows = [f'<section class="sw-turn" id="beurt-{number}">',
            f'<h4 class="sw-turn-q">{esc(UI["sources_turn"].format(n=number, question=t.question))}</h4>']
    if t.rewritten:
        rows.append(f'<p class="sw-query">{esc(UI["searched_as"])}: <em>{esc(t.query)}</em></p>')
    if not t.citations:
        rows.append(f'<p class="sw-none">{esc(UI["sources_none"])}</p>')
    for c in t.citations:
        body, marked = highlight(c.get("text") or "", c.get("spans") or ())
        where = _where(c)
        rows.append(
            f'<details class="sw-source" id="bron-{number}-{int(c["n"])}" data-n="{int(c["n"])}">'
            f'<summary><span class="sw-n">[{int(c["n"])}]</span> <strong>{esc(c.get("title", ""))}</strong>'
            + (f' <span class="sw-where">— {esc(where)}</span>' if where else "")
            + "</summary>"
            + ("" if marked else f'<p class="sw-quoted">{esc(UI["quoted"])}: <mark>{esc(c.get("quote", ""))}</mark></p>')
            + f'<div class="sw-passage">{body}</div>'
            f'<p class="sw-file">{esc(c.get("source", ""))}</p></details>'
        )
    rows.append("</section>")
    return "".join(rows)


def render_sources(conv: Conversation) -> str:
    """The sources panel: the latest answer's cited passages first, earlier answers folded away."""
    head = f'<h3 class="sw-heading">{esc(UI["sources_heading"])}</h3>'
    if not conv.turns:
        return f'<div class="sw-sources">{head}<p class="sw-empty">{esc(UI["sources_empty"])}</p></div>'
    n, first = len(conv.turns), conv.dropped + 1  # turn numbers go on after a trim
    parts = ['<div class="sw-sources">', head, _turn_html(conv.turns[-1], first + n - 1)]
    if n > 1:
        parts.append('<details class="sw-older"><summary>Eerdere vragen</summary>')
        for i in range(n - 2, -1, -1):
            parts.append(_turn_html(conv.turns[i], first + i))
        parts.append("</details>")
    parts.append("</div>")
    return "".join(parts)


def render_upload_report(report: UploadReport) -> str:
    """Markdown (escaped) saying what was added and what was refused, by name."""
    paras = []
    if report.error:
        paras.append(chat_markdown(UI["upload_index_failed"].format(message=report.error)))
    if report.added:
        paras.append(chat_markdown(UI["upload_added"].format(names=", ".join(report.added))))
    paras += [chat_markdown(note) for note in report.notes]
    if report.rejected:
        items = "\n".join(f"- **{chat_markdown(name)}**: {chat_markdown(reason)}" for name, reason in report.rejected)
        paras.append(f"{chat_markdown(UI['upload_rejected'])}\n\n{items}")
    return "\n\n".join(paras)
