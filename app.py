"""Samenwerkwijzer web app (Gradio): chat with cited sources, meeting preparation, source management.

UI only: the logic lives in :mod:`assistant.service`. Start it with ``assistant serve`` (or
``python app.py``); it listens on 127.0.0.1:7860 unless ``--host/--port`` or
``GRADIO_SERVER_NAME`` / ``GRADIO_SERVER_PORT`` say otherwise, never makes a share link and sends no
analytics. Set ``ASSISTANT_AUTH_USER`` and ``ASSISTANT_AUTH_PASSWORD`` to require a login.
"""

from __future__ import annotations

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before gradio is imported: no analytics calls

import logging  # noqa: E402
import sys  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import gradio as gr  # noqa: E402

from assistant.errors import AssistantError, ConfigError  # noqa: E402
from assistant.prompts import EXAMPLE_QUESTIONS, UI  # noqa: E402
from assistant.login_limit import AttemptLimiter, LoginRateLimitMiddleware, login_guard  # noqa: E402
from assistant.safe_text import clean_input  # noqa: E402
from assistant.service import (  # noqa: E402
    AssistantService,
    Conversation,
    DocumentDetails,
    answer_markdown,
    chat_markdown,
    render_sources,
    render_upload_report,
)
from assistant.settings import Settings  # noqa: E402
from assistant.uploads import UploadQueue, discard_received, prep_folder, status_text  # noqa: E402

log = logging.getLogger("assistant.app")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860

CSS = """
.sw-sources { font-size: 0.92rem; line-height: 1.45; max-height: 640px; overflow-y: auto; padding-right: 4px; }
.sw-sources h4 { margin: 0.2rem 0 0.4rem; font-size: 0.95rem; }
.sw-query { color: var(--body-text-color-subdued); font-size: 0.85rem; margin: 0 0 0.5rem; }
.sw-empty, .sw-none { color: var(--body-text-color-subdued); }
.sw-source { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 0.35rem 0.6rem;
             margin-bottom: 0.45rem; background: var(--background-fill-secondary); scroll-margin-top: 1rem;
             transition: box-shadow 0.3s; }
.sw-source summary { cursor: pointer; }
.sw-source[open] summary { margin-bottom: 0.35rem; }
.sw-n { font-weight: 700; color: var(--color-accent); }
.sw-where, .sw-file { color: var(--body-text-color-subdued); font-size: 0.82rem; }
.sw-passage { white-space: pre-wrap; }
.sw-passage mark, .sw-quoted mark { background: #fde68a; color: inherit; padding: 0 1px; border-radius: 2px; }
.sw-flash { box-shadow: 0 0 0 3px var(--color-accent); }
.sw-older > summary { cursor: pointer; color: var(--body-text-color-subdued); margin: 0.6rem 0 0.4rem; }
#sw-chat a[href*="#bron-"] { text-decoration: none; font-weight: 600; }
.sw-heading { margin: 0 0 0.6rem; font-size: 1.05rem; }
.sw-hint, .sw-hint p { color: var(--body-text-color-subdued); font-size: 0.88rem; }
"""

# A click on a citation [n] in the chat opens (and scrolls to) passage n in the sources panel.
JS = """
() => {
  document.addEventListener('click', (ev) => {
    const a = ev.target && ev.target.closest ? ev.target.closest('a[href*="#bron-"]') : null;
    if (!a) return;
    const id = a.getAttribute('href').split('#').pop();
    const el = document.getElementById(id);
    ev.preventDefault();
    ev.stopPropagation();
    if (!el) return;
    for (let p = el; p; p = p.parentElement) { if (p.tagName === 'DETAILS') p.open = true; }
    el.scrollIntoView({behavior: 'smooth', block: 'nearest'});
    el.classList.add('sw-flash');
    setTimeout(() => el.classList.remove('sw-flash'), 1600);
  }, true);
}
"""


def theme() -> Any:
    """Gradio's default look with the system's fonts: the browser fetches nothing from font CDNs."""
    return gr.themes.Default(primary_hue="orange", font=["ui-sans-serif", "system-ui", "Segoe UI", "Roboto",
                                                          "Helvetica", "Arial", "sans-serif"],
                             font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"])


@dataclass
class ChatState:
    """One browser session's chat: the conversation and what the chat window shows."""

    conv: Conversation = field(default_factory=Conversation)
    messages: list[dict[str, str]] = field(default_factory=list)
    answer_at: dict[int, int] = field(default_factory=dict)  # chat message index -> turn index


def _docs_info(service: AssistantService) -> str:
    return UI["docs_count"].format(docs=len(service.documents()), chunks=service.chunk_count())


class UploadFiles(gr.File):
    """gr.File without the empty temp file Gradio 6.31's File.preprocess opens (delete=False) for
    every received file and never uses or removes. A template: the page shows the usual File."""

    is_template = True

    def _process_single_file(self, f: Any) -> Any:
        from gradio.utils import NamedString

        if self.type != "filepath" or self.file_types:
            return super()._process_single_file(f)
        return NamedString(f.path)


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


def build_app(settings: Settings | None = None, service: AssistantService | None = None) -> gr.Blocks:
    """The whole interface; the engine is loaded once here and shared by every session."""
    settings = settings or Settings()
    service = service or AssistantService(settings)
    uploads = UploadQueue()

    # --- handlers ------------------------------------------------------------------------------
    def respond(question: str, state: ChatState):
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
            for text, ans in service.stream(state.conv, q):
                if ans is None:
                    state.messages[at] = {"role": "assistant", "content": chat_markdown(text)}
                    yield "", state.messages, gr.skip(), state, gr.skip()
                    continue
                state.messages[at] = {"role": "assistant", "content": answer_markdown(ans, turn_no)}
                state.answer_at[at] = len(state.conv.turns) - 1
                _trim(state, settings.max_turns)
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

    def new_chat():
        state = ChatState()
        return state, [], render_sources(state.conv), "", UI["feedback_hint"], None

    def clear_chat():  # the chat window's own bin button
        state = ChatState()
        return state, render_sources(state.conv), "", UI["feedback_hint"], None

    def on_like(state: ChatState, comment: str, data: gr.LikeData):
        idx = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        turn = state.answer_at.get(int(idx))
        if turn is None:
            return state, UI["feedback_not_answer"]
        liked = data.liked if isinstance(data.liked, bool) else None
        service.rate(state.conv, turn, liked, clean_input(comment))
        if liked is None:
            return state, UI["feedback_removed"]
        return state, UI["feedback_thanks_up"] if liked else UI["feedback_thanks_down"]

    def on_comment(state: ChatState, comment: str):
        comment = clean_input(comment)
        if not (comment or "").strip():
            return state, comment, UI["feedback_empty_comment"]
        if not service.comment(state.conv, comment):
            return state, comment, UI["feedback_rate_first"]
        return state, "", UI["feedback_comment_saved"]

    def on_prepare(topic: str, partners: str, goal: str):
        try:
            sheet = service.prepare(*(clean_input(x, multiline=False) for x in (topic, partners, goal)))
        except AssistantError as e:
            return chat_markdown(UI["error"].format(message=e)), gr.DownloadButton(visible=False)
        except Exception:  # noqa: BLE001
            log.exception("meeting preparation failed")
            return chat_markdown(UI["error"].format(message=UI["unexpected"])), gr.DownloadButton(visible=False)
        path = service.write_prep_file(sheet, prep_folder())
        files = getattr(demo, "upload_file_set", None)  # Gradio's delete_cache removes it after temp_max_age_s
        if files is not None:
            files.add(str(path))
        return sheet.to_markdown(), gr.DownloadButton(value=str(path), visible=True)

    def on_add(files: Any, title: str = "", author: str = "", year: str = ""):
        paths = [files] if isinstance(files, (str, Path)) else list(files or [])
        keep = gr.update()  # leaves a component as the user left it
        if not paths:
            yield UI["upload_none"], service.document_rows(), _docs_info(service), None, keep, keep, keep
            return
        try:
            details = DocumentDetails.parse(*(clean_input(x, multiline=False) for x in (title, author, year)))
        except AssistantError as e:  # nothing is added; the files and the typed details stay
            yield (chat_markdown(UI["error"].format(message=e)), service.document_rows(), _docs_info(service),
                   keep, keep, keep, keep)
            return
        named = [(clean_input(Path(p).name, multiline=False), Path(p)) for p in paths]

        def work(progress: Any) -> Any:
            try:
                return service.add_files(named, details=details, progress=progress)
            finally:
                discard_received(paths)  # ingested or refused: the received copies go

        ticket = uploads.submit(work)
        while not ticket.done.wait(0.5):  # other sessions' questions are answered meanwhile
            yield status_text(uploads, ticket), gr.skip(), gr.skip(), keep, keep, keep, keep
        if ticket.error is not None:
            log.error("upload failed: %s", ticket.error)
            yield (chat_markdown(UI["error"].format(message=UI["unexpected"])), service.document_rows(),
                   _docs_info(service), None, keep, keep, keep)
            return
        report = ticket.result
        if not report.added:  # nothing changed: let the user correct and try again
            yield render_upload_report(report), service.document_rows(), _docs_info(service), None, keep, keep, keep
            return
        yield render_upload_report(report), service.document_rows(), _docs_info(service), None, "", "", ""

    def refresh_docs():
        return service.document_rows(), _docs_info(service)

    # --- layout --------------------------------------------------------------------------------
    age = max(1, settings.temp_max_age_s)  # uploads and exports left in Gradio's cache: gone after this
    with gr.Blocks(title=UI["title"], analytics_enabled=False, delete_cache=(min(age, 300), age)) as demo:
        gr.Markdown(f"# {UI['title']}\n{UI['intro']}", elem_id="sw-intro")
        state = gr.State(ChatState())
        with gr.Tabs():
            with gr.Tab(UI["tab_chat"], id="chat", elem_id="sw-tab-chat"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        chatbot = gr.Chatbot(label=UI["chat_label"], height=480, elem_id="sw-chat",
                                             placeholder=UI["chat_placeholder"], feedback_options=("Like", "Dislike"),
                                             buttons=["copy"], sanitize_html=True, line_breaks=True,
                                             latex_delimiters=[])
                        with gr.Row(equal_height=True):
                            question = gr.Textbox(label=UI["question_label"], placeholder=UI["question_placeholder"],
                                                  scale=5, lines=1, max_lines=6, elem_id="sw-question")
                            with gr.Column(scale=1, min_width=140):
                                send = gr.Button(UI["send"], variant="primary", elem_id="sw-send")
                                new = gr.Button(UI["new_chat"], variant="secondary", size="sm", elem_id="sw-new")
                        gr.Examples(examples=[[q] for q in EXAMPLE_QUESTIONS], inputs=[question],
                                    label=UI["examples"], elem_id="sw-examples")
                        feedback_status = gr.Markdown(UI["feedback_hint"], elem_id="sw-feedback-status",
                                                      elem_classes=["sw-hint"])
                        with gr.Accordion(UI["comment_label"], open=False, elem_id="sw-feedback"):
                            comment = gr.Textbox(show_label=False, placeholder=UI["comment_placeholder"],
                                                 lines=2, elem_id="sw-comment")
                            comment_btn = gr.Button(UI["comment_send"], size="sm", elem_id="sw-comment-send")
                    with gr.Column(scale=2):
                        sources = gr.HTML(render_sources(Conversation()), elem_id="sw-sources")
                answer_json = gr.JSON(visible=False, label="antwoord (JSON)")

            with gr.Tab(UI["tab_prep"], id="prep", elem_id="sw-tab-prep"):
                gr.Markdown(UI["prep_intro"])
                with gr.Row():
                    topic = gr.Textbox(label=UI["prep_topic"], placeholder=UI["prep_topic_placeholder"],
                                       elem_id="sw-prep-topic")
                    partners = gr.Textbox(label=UI["prep_partners"], placeholder=UI["prep_partners_placeholder"],
                                          elem_id="sw-prep-partners")
                    goal = gr.Textbox(label=UI["prep_goal"], placeholder=UI["prep_goal_placeholder"],
                                      elem_id="sw-prep-goal")
                with gr.Row():
                    prep_btn = gr.Button(UI["prep_button"], variant="primary", elem_id="sw-prep-button")
                    prep_file = gr.DownloadButton(UI["prep_download"], visible=False, elem_id="sw-prep-download")
                prep_md = gr.Markdown(UI["prep_empty"], elem_id="sw-prep", line_breaks=True, latex_delimiters=[])

            with gr.Tab(UI["tab_sources"], id="sources", elem_id="sw-tab-sources"):
                gr.Markdown(UI["docs_intro"])
                docs_info = gr.Markdown(_docs_info(service), elem_id="sw-docs-info")
                docs = gr.Dataframe(value=service.document_rows(), headers=UI["docs_headers"], interactive=False,
                                    wrap=True, elem_id="sw-docs", datatype=["str", "str", "str", "number", "str"],
                                    column_widths=["36%", "30%", "8%", "9%", "17%"])
                upload = UploadFiles(label=UI["upload_label"].format(mb=settings.max_upload_mb), file_count="multiple",
                                 elem_id="sw-upload")
                with gr.Accordion(UI["details_label"], open=False, elem_id="sw-details"):
                    with gr.Row():
                        doc_title = gr.Textbox("", label=UI["details_title"], max_lines=1, scale=3,
                                               elem_id="sw-doc-title")
                        doc_author = gr.Textbox("", label=UI["details_author"], max_lines=1, scale=2,
                                                elem_id="sw-doc-author")
                        doc_year = gr.Textbox("", label=UI["details_year"], max_lines=1, scale=1, min_width=90,
                                              elem_id="sw-doc-year")
                    gr.Markdown(UI["details_hint"], elem_classes=["sw-hint"])
                add_btn = gr.Button(UI["upload_button"], variant="primary", elem_id="sw-add")
                upload_report = gr.Markdown("", elem_id="sw-upload-report", latex_delimiters=[])

        # --- events ----------------------------------------------------------------------------
        chat_io = dict(fn=respond, inputs=[question, state], outputs=[question, chatbot, sources, state, answer_json])
        send.click(**chat_io, api_name="ask")
        question.submit(**chat_io, api_name=False)
        new.click(new_chat, None, [state, chatbot, sources, comment, feedback_status, answer_json], api_name="new_chat")
        chatbot.clear(clear_chat, None, [state, sources, comment, feedback_status, answer_json], api_name=False)
        chatbot.like(on_like, [state, comment], [state, feedback_status], api_name=False)
        comment_btn.click(on_comment, [state, comment], [state, comment, feedback_status], api_name=False)
        prep_btn.click(on_prepare, [topic, partners, goal], [prep_md, prep_file], api_name="prepare")
        add_btn.click(on_add, [upload, doc_title, doc_author, doc_year],
                      [upload_report, docs, docs_info, upload, doc_title, doc_author, doc_year],
                      api_name="add_documents", concurrency_limit=8, concurrency_id="upload",
                      show_progress="hidden")  # one at a time in `uploads`, which shows its own progress
        demo.load(refresh_docs, None, [docs, docs_info], api_name=False)
    demo.service = service  # type: ignore[attr-defined] - for tests and embedding
    demo.uploads = uploads  # type: ignore[attr-defined]
    return demo


def launch_options(settings: Settings, host: str | None = None, port: int | None = None) -> dict[str, Any]:
    """Everything ``launch()`` gets: address, login, limits, styling; never a share link."""
    host = host or os.environ.get("GRADIO_SERVER_NAME") or DEFAULT_HOST
    port = int(port or os.environ.get("GRADIO_SERVER_PORT") or DEFAULT_PORT)
    from starlette.middleware import Middleware

    user, password = settings.auth_user, settings.auth_password
    limiter = AttemptLimiter(settings.login_max_failures, settings.login_window_s)
    if bool(user) != bool(password):
        raise ConfigError("Zet zowel ASSISTANT_AUTH_USER als ASSISTANT_AUTH_PASSWORD, of geen van beide.")
    return {
        "server_name": host,
        "server_port": port,
        "share": False,
        "run_history": False,  # no stored runs, no run-history routes (they can reach a Hugging Face bucket)
        # one user and password; failed logins limited per user name here and per client address
        # by the middleware below (Gradio's /login itself has no limit)
        "auth": login_guard(user, password, limiter) if user else None,
        "app_kwargs": {"middleware": [Middleware(LoginRateLimitMiddleware, limiter=limiter)]} if user else None,
        "auth_message": " ".join((UI["login_message"], UI["login_limit_note"].format(
            n=settings.login_max_failures, minutes=max(1, round(settings.login_window_s / 60))))) if user else None,
        # our own check reports too-large files by name; this only stops absurd uploads early
        "max_file_size": f"{max(int(settings.max_upload_mb * 5), 50)}mb",
        "theme": theme(),
        "css": CSS,
        "js": JS,
        "ssr_mode": False,
        "footer_links": ["api"],
        "show_error": False,
        "quiet": False,
    }


def main(settings: Settings | None = None, host: str | None = None, port: int | None = None) -> int:
    """Build the index if there is none, then serve the app (blocks until stopped)."""
    from assistant.index import build_index, current_generation

    settings = settings or Settings()
    options = launch_options(settings, host, port)
    if current_generation(settings.index_dir) is None:
        print(f"Geen index in {settings.index_dir}: de index wordt nu gebouwd…", file=sys.stderr)
        summary = build_index(settings, show_progress=True)
        print(f"Index gebouwd: {summary.files} bestanden, {summary.chunks} passages.", file=sys.stderr)
        for name, reason in summary.skipped:
            print(f"  overgeslagen: {name}: {reason}", file=sys.stderr)
    demo = build_app(settings)
    demo.queue(default_concurrency_limit=max(1, settings.concurrency_limit))
    print(f"Samenwerkwijzer draait op http://{options['server_name']}:{options['server_port']}", file=sys.stderr)
    demo.launch(**options)
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        sys.exit(main())
    except AssistantError as e:
        print(f"Fout: {e}", file=sys.stderr)
        sys.exit(e.exit_code)
