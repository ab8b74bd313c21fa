"""What each event of the web app does, apart from the layout: one :class:`Handlers` per app,
its methods wired to the components in :mod:`assistant.web.tabs`. Every text typed in goes through
:func:`~assistant.safe_text.clean_input` first; no traceback reaches the page."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr

from ..errors import AssistantError
from ..prompts import LLM_PROGRESS, UI
from ..records import Progress
from ..safe_text import clean_input
from ..service import AssistantService, Conversation, DocumentDetails, answer_markdown, chat_markdown
from ..service import render_sources, render_upload_report
from ..settings import Settings
from ..upload_transaction import UploadReport
from ..uploads import QueueFull, QueueLimits, UploadQueue, discard_received, prep_folder, status_text
from .origins import client_address

log = logging.getLogger("assistant.app")


@dataclass
class ChatState:
    """One browser session's chat: the conversation and what the chat window shows."""

    conv: Conversation = field(default_factory=Conversation)
    messages: list[dict[str, str]] = field(default_factory=list)
    answer_at: dict[int, int] = field(default_factory=dict)  # chat message index -> turn index


def _file_sha(path: Path) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return ""  # not received: the upload's own check names it


def _size(path: Path) -> int:
    try:
        return Path(path).stat().st_size
    except OSError:
        return 0


def _trim(state: ChatState, max_turns: int) -> None:
    """Keep the last ``max_turns`` turns in the conversation and the chat window, and say so."""
    extra = state.conv.trim(max_turns)
    if not extra:
        return
    kept = [i for i, t in state.answer_at.items() if t >= extra]  # answers of the turns that stay
    cut = min(kept) - 1 if kept else max(0, len(state.messages) - 2)  # from that answer's question on
    notice = {"role": "assistant", "content": chat_markdown(UI["turns_dropped"].format(n=max_turns))}
    state.messages = [notice] + state.messages[cut:]
    state.answer_at = {i - cut + 1: t - extra for i, t in state.answer_at.items() if i >= cut and t >= extra}


def _progress_line(p: Progress) -> str:
    return LLM_PROGRESS.get(p.language, LLM_PROGRESS["nl"]).format(seconds=p.seconds)


class Handlers:
    """The app's event handlers around one shared service (``demo`` is set once the page is built)."""

    def __init__(self, settings: Settings, service: AssistantService):
        self.settings = settings
        self.service = service
        self.uploads = UploadQueue(limits=QueueLimits(settings.max_queued_uploads_session,
                                                      settings.max_queued_uploads_address,
                                                      int(settings.max_pending_upload_mb * 1e6)))
        self.holding: Counter[str] = Counter()  # received files of queued uploads (a path may be shared)
        self._inflight: dict[str, int] = {}  # content hash -> uploads queued or running with that file
        self._lock = threading.Lock()
        self.demo: Any = None

    def docs_info(self) -> str:
        return UI["docs_count"].format(docs=len(self.service.documents()), chunks=self.service.chunk_count())

    def respond(self, question: str, state: ChatState):
        q = clean_input(question).strip()  # the boundary: nothing later can fail on what was typed
        if not q:
            yield question, state.messages, render_sources(state.conv), state, None
            return
        turn_no = state.conv.dropped + len(state.conv.turns) + 1
        state.messages = state.messages + [{"role": "user", "content": chat_markdown(q)},
                                           {"role": "assistant", "content": chat_markdown(UI["thinking"])}]
        at = len(state.messages) - 1
        yield "", state.messages, gr.skip(), state, gr.skip()
        try:
            for text, ans in self.service.stream(state.conv, q):
                if ans is None or isinstance(ans, Progress):  # only verified text, or how long it has been
                    shown = text if text or ans is None else _progress_line(ans)
                    state.messages[at] = {"role": "assistant", "content": chat_markdown(shown)}
                    yield "", state.messages, gr.skip(), state, gr.skip()
                    continue
                state.messages[at] = {"role": "assistant", "content": answer_markdown(ans, turn_no)}
                state.answer_at[at] = len(state.conv.turns) - 1
                _trim(state, self.settings.max_turns)
                result = ans.to_json()
                result.pop("contexts", None)
                yield "", state.messages, render_sources(state.conv), state, result
        except AssistantError as e:
            state.messages[at] = {"role": "assistant", "content": chat_markdown(UI["error"].format(message=e))}
            yield q, state.messages, render_sources(state.conv), state, {"error": str(e)}
        except Exception as e:  # noqa: BLE001 - never a traceback in the chat; the log has the details
            log.exception("answering failed")
            message = UI["error"].format(message=UI["unexpected"])
            state.messages[at] = {"role": "assistant", "content": chat_markdown(message)}
            yield q, state.messages, render_sources(state.conv), state, {"error": f"{type(e).__name__}: {e}"}

    def new_chat(self):
        state = ChatState()
        return state, [], render_sources(state.conv), "", UI["feedback_hint"], None

    def clear_chat(self):  # the chat window's own bin button
        state = ChatState()
        return state, render_sources(state.conv), "", UI["feedback_hint"], None

    def on_like(self, state: ChatState, comment: str, data: gr.LikeData):
        idx = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        turn = state.answer_at.get(int(idx))
        if turn is None:
            return state, UI["feedback_not_answer"]
        liked = data.liked if isinstance(data.liked, bool) else None
        self.service.rate(state.conv, turn, liked, clean_input(comment))
        if liked is None:
            return state, UI["feedback_removed"]
        return state, UI["feedback_thanks_up"] if liked else UI["feedback_thanks_down"]

    def on_comment(self, state: ChatState, comment: str):
        comment = clean_input(comment)
        if not (comment or "").strip():
            return state, comment, UI["feedback_empty_comment"]
        if not self.service.comment(state.conv, comment):
            return state, comment, UI["feedback_rate_first"]
        return state, "", UI["feedback_comment_saved"]

    def on_prepare(self, topic: str, partners: str, goal: str):
        try:
            sheet = self.service.prepare(*(clean_input(x, multiline=False) for x in (topic, partners, goal)))
        except AssistantError as e:
            return chat_markdown(UI["error"].format(message=e)), gr.DownloadButton(visible=False)
        except Exception:  # noqa: BLE001
            log.exception("meeting preparation failed")
            return chat_markdown(UI["error"].format(message=UI["unexpected"])), gr.DownloadButton(visible=False)
        path = self.service.write_prep_file(sheet, prep_folder())
        files = getattr(self.demo, "upload_file_set", None)  # Gradio's delete_cache removes it after temp_max_age_s
        if files is not None:
            files.add(str(path))
        return sheet.to_markdown(), gr.DownloadButton(value=str(path), visible=True)

    def on_add(self, files: Any, title: str = "", author: str = "", year: str = "",
               request: gr.Request | None = None):
        paths = [files] if isinstance(files, (str, Path)) else list(files or [])
        keep = gr.update()  # leaves a component as the user left it
        if not paths:
            yield UI["upload_none"], self.service.document_rows(), self.docs_info(), None, keep, keep, keep
            return
        try:
            details = DocumentDetails.parse(*(clean_input(x, multiline=False) for x in (title, author, year)))
        except AssistantError as e:  # nothing is added; the files and the typed details stay
            yield (chat_markdown(UI["error"].format(message=e)), self.service.document_rows(), self.docs_info(),
                   keep, keep, keep, keep)
            return
        named = [(clean_input(Path(p).name, multiline=False), Path(p)) for p in paths]
        busy, named, shas = self._claim(named)
        if not named:  # every file is being added by another upload already
            yield render_upload_report(UploadReport(rejected=busy)), gr.skip(), gr.skip(), None, keep, keep, keep
            return

        def work(progress: Any) -> Any:
            try:
                report = self.service.add_files(named, details=details, progress=progress)
                report.rejected[:0] = busy
                return report
            finally:
                self._release(paths, shas)

        try:
            ticket = self.uploads.submit(work, *self._client(request), size=sum(_size(p) for _, p in named))
        except QueueFull as e:
            self._release(paths, shas)
            message = UI[f"upload_busy_{e.kind}"].format(n=e.n, mb=e.n)
            yield chat_markdown(UI["error"].format(message=message)), gr.skip(), gr.skip(), keep, keep, keep, keep
            return
        while not ticket.done.wait(0.5):  # other sessions' questions are answered meanwhile
            yield status_text(self.uploads, ticket), gr.skip(), gr.skip(), keep, keep, keep, keep
        if ticket.error is not None:
            log.error("upload failed: %s", ticket.error)
            yield (chat_markdown(UI["error"].format(message=UI["unexpected"])), self.service.document_rows(),
                   self.docs_info(), None, keep, keep, keep)
            return
        report = ticket.result
        if not report.added:  # nothing changed: let the user correct and try again
            yield render_upload_report(report), self.service.document_rows(), self.docs_info(), None, keep, keep, keep
            return
        yield render_upload_report(report), self.service.document_rows(), self.docs_info(), None, "", "", ""

    def _claim(self, named: list[tuple[str, Path]]) -> tuple[list[tuple[str, str]], list[tuple[str, Path]], list[str]]:
        """Files another queued upload is adding already (name, reason); the others, held until
        their upload is done (the received file may be shared); and the content hashes claimed."""
        busy, free, shas = [], [], []
        with self._lock:
            for name, path in named:
                sha = _file_sha(path)
                if sha and self._inflight.get(sha):
                    busy.append((name, UI["reason_in_progress"]))
                    continue
                if sha:
                    self._inflight[sha] = self._inflight.get(sha, 0) + 1
                    shas.append(sha)
                self.holding[str(path)] += 1
                free.append((name, path))
        return busy, free, shas

    def _release(self, paths: list[Any], shas: list[str]) -> None:
        """Done with an upload: its hashes are free again; received files nobody holds are removed."""
        gone = []
        with self._lock:
            for sha in shas:
                self._inflight[sha] -= 1
                if not self._inflight[sha]:
                    del self._inflight[sha]
            for p in paths:
                key = str(p)
                if self.holding.get(key):
                    self.holding[key] -= 1
                    if self.holding[key] <= 0:
                        del self.holding[key]
                if not self.holding.get(key):
                    gone.append(p)
        discard_received(gone)  # ingested or refused: the received copies go

    def _client(self, request: gr.Request | None) -> tuple[str, str]:
        """(browser session, network address) of the request, for the queue's fairness and caps."""
        if request is None:
            return "", ""
        peer = getattr(getattr(request, "client", None), "host", "") or ""
        forwarded = (getattr(request, "headers", None) or {}).get("x-forwarded-for", "")
        return str(getattr(request, "session_hash", "") or peer), client_address(peer, forwarded,
                                                                                self.settings.trusted_proxies)

    def refresh_docs(self):
        return self.service.document_rows(), self.docs_info()
