"""The web app's logic, independent of Gradio: one shared engine, and the parts it puts together.

:class:`AssistantService` loads one :class:`~assistant.answer.chain.AnswerEngine` and shares it
between all users (retrieval is read-only and the embedder serialises its own calls). After the
index changes, :meth:`AssistantService.reload` builds a new engine and swaps it in under a lock;
answers already running keep the engine they started with (the previous index generation stays
on disk until the next build).

The parts live in their own modules: conversations (``conversation.py``), uploads as a
transaction (``upload_transaction.py``), ratings (``rating.py``) and the HTML/Markdown
(``webrender.py``); their public names are importable from here as well.
"""

from __future__ import annotations

import inspect
import logging
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from . import rating
from .conversation import Conversation, TurnRecord, record_turn
from .feedback import FeedbackStore
from .index import BuildSummary, build_index
from .records import Answer, Progress
from .settings import Settings
from .upload_transaction import UPLOAD_DIR, DocumentDetails, UploadReport, UploadTransaction, safe_filename
from .webrender import (answer_markdown, chat_markdown, esc, highlight, render_sources,
                        render_upload_report)

__all__ = [
    "UPLOAD_DIR", "AssistantService", "Conversation", "DocumentDetails", "TurnRecord", "UploadReport",
    "UploadTransaction", "answer_markdown", "build_index", "chat_markdown", "esc", "highlight",
    "render_sources", "render_upload_report", "safe_filename",
]

log = logging.getLogger(__name__)


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
    def stream(self, conv: Conversation, question: str) -> Iterator[tuple[str, Answer | Progress | None]]:
        """``(text so far, None)`` while the answer streams (verified text only), ``("", Progress)``
        while an LLM answer has nothing verified to show yet, then ``(final text, Answer)``.

        The finished turn is appended to ``conv``; a question the engine refuses raises
        :class:`~assistant.errors.AssistantError` (its message is meant for the user).
        """
        engine = self.engine  # this answer keeps using this engine, even if a reload happens
        history = conv.history()
        text = ""
        for part in engine.stream(question, history, conv.prior_ids()):
            if isinstance(part, Answer):
                conv.turns.append(record_turn(engine, question, part, history))
                yield part.text, part
                return
            if isinstance(part, Progress):
                yield text, part
                continue
            text += part
            yield text, None

    def ask(self, conv: Conversation, question: str) -> Answer:
        final: Answer | None = None
        for _, ans in self.stream(conv, question):
            final = ans if isinstance(ans, Answer) else final
        assert final is not None
        return final

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
        path.write_text(sheet.to_markdown(for_file=True), encoding="utf-8")
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
        tx = UploadTransaction(self.settings, report, details, build=lambda: self._build(show_progress, progress))
        staged = tx.check(files)
        if not staged:
            return
        with self._build_lock:
            if not tx.stage(staged):
                return
            try:
                tx.commit()
            except Exception as e:  # noqa: BLE001 - whatever failed, the corpus goes back as it was
                log.warning("indexing the upload failed: %s", e, exc_info=True)
                tx.rollback(e)
            self.reload()  # after a failure the previous generation is still CURRENT

    def _build(self, show_progress: bool, progress: Any) -> BuildSummary:
        kwargs = {}
        if progress is not None and "progress" in inspect.signature(build_index).parameters:
            kwargs["progress"] = progress  # the build reports (done, total, stage) as it embeds
        return build_index(self.settings, show_progress=show_progress, **kwargs)

    # --- feedback ------------------------------------------------------------------------------
    def rate(self, conv: Conversation, turn_index: int, liked: bool | None, comment: str = "") -> int | None:
        """Store (or change, or with ``liked=None`` withdraw) the rating of one answer."""
        return rating.rate(self.feedback, conv, turn_index, liked, comment)

    def comment(self, conv: Conversation, comment: str) -> bool:
        """Attach a comment to the conversation's most recent rating."""
        return rating.comment(self.feedback, conv, comment)
