"""What each event of the web app does, apart from the layout: one :class:`Handlers` per app,
its methods wired to the components in :mod:`assistant.web.tabs`. Every text typed in goes through
:func:`~assistant.safe_text.clean_input` first; no traceback reaches the page."""

from __future__ import annotations

import logging
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
from ..uploads import UploadQueue, discard_received, prep_folder, status_text

log = logging.getLogger("assistant.app")


@dataclass
class ChatState:
    """One browser session's chat: the conversation and what the chat window shows."""

    conv: Conversation = field(default_factory=Conversation)
    messages: list[dict[str, str]] = field(default_factory=list)
    answer_at: dict[int, int] = field(default_factory=dict)  # chat message index -> turn index


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
        self.uploads = UploadQueue()
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

    def on_add(self, files: Any, title: str = "", author: str = "", year: str = ""):
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

        def work(progress: Any) -> Any:
            try:
                return self.service.add_files(named, details=details, progress=progress)
            finally:
                discard_received(paths)  # ingested or refused: the received copies go

        ticket = self.uploads.submit(work)
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

    def refresh_docs(self):
        return self.service.document_rows(), self.docs_info()
