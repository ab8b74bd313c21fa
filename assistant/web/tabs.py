"""The web app's layout: one function per tab, each making its components and wiring their events
to :class:`~assistant.web.handlers.Handlers`; :func:`build_app` puts the tabs together."""

from __future__ import annotations

from typing import Any

import gradio as gr

from ..prompts import EXAMPLE_QUESTIONS, UI
from ..service import AssistantService, Conversation, render_sources
from ..settings import Settings
from .handlers import ChatState, Handlers


class UploadFiles(gr.File):
    """gr.File without the empty temp file Gradio 6.31's File.preprocess opens (delete=False) for
    every received file and never uses or removes. A template: the page shows the usual File."""

    is_template = True

    def _process_single_file(self, f: Any) -> Any:
        from gradio.utils import NamedString

        if self.type != "filepath" or self.file_types:
            return super()._process_single_file(f)
        return NamedString(f.path)


def _chat_column(h: Handlers) -> dict[str, Any]:
    # no label over the chat (it covered the first line); it grows with its answers up to the viewport
    chatbot = gr.Chatbot(label=UI["chat_label"], show_label=False, height=None, min_height=260,
                         max_height="calc(100vh - 140px)", elem_id="sw-chat",
                         placeholder=UI["chat_placeholder"], feedback_options=("Like", "Dislike"),
                         buttons=["copy"], sanitize_html=True, line_breaks=True, latex_delimiters=[])
    with gr.Row(equal_height=True, elem_id="sw-ask"):
        question = gr.Textbox(label=UI["question_label"], placeholder=UI["question_placeholder"],
                              scale=5, lines=1, max_lines=6, elem_id="sw-question")
        with gr.Column(scale=1, min_width=140):
            send = gr.Button(UI["send"], variant="primary", elem_id="sw-send")
            new = gr.Button(UI["new_chat"], variant="secondary", size="sm", elem_id="sw-new")
    gr.Examples(examples=[[q] for q in EXAMPLE_QUESTIONS], inputs=[question], label=UI["examples"],
                elem_id="sw-examples")
    feedback_status = gr.Markdown(UI["feedback_hint"], elem_id="sw-feedback-status", elem_classes=["sw-hint"])
    with gr.Accordion(UI["comment_label"], open=False, elem_id="sw-feedback"):
        comment = gr.Textbox(show_label=False, placeholder=UI["comment_placeholder"], lines=2, elem_id="sw-comment")
        comment_btn = gr.Button(UI["comment_send"], size="sm", elem_id="sw-comment-send")
    return dict(chatbot=chatbot, question=question, send=send, new=new, feedback_status=feedback_status,
                comment=comment, comment_btn=comment_btn)


def chat_tab(h: Handlers, state: gr.State) -> None:
    """Questions and answers, the sources panel beside them, ratings and comments."""
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            c = _chat_column(h)
        with gr.Column(scale=2):
            sources = gr.HTML(render_sources(Conversation()), elem_id="sw-sources")
    answer_json = gr.JSON(visible=False, label=UI["answer_json"])
    chatbot, question, comment, status = c["chatbot"], c["question"], c["comment"], c["feedback_status"]
    chat_io = dict(fn=h.respond, inputs=[question, state], outputs=[question, chatbot, sources, state, answer_json])
    c["send"].click(**chat_io, api_name="ask")
    question.submit(**chat_io, api_name=False)
    c["new"].click(h.new_chat, None, [state, chatbot, sources, comment, status, answer_json], api_name="new_chat")
    chatbot.clear(h.clear_chat, None, [state, sources, comment, status, answer_json], api_name=False)
    chatbot.like(h.on_like, [state, comment], [state, status], api_name=False)
    c["comment_btn"].click(h.on_comment, [state, comment], [state, comment, status], api_name=False)


def prep_tab(h: Handlers) -> None:
    """Meeting preparation: topic, partners and goal in, a cited prep sheet (and its file) out."""
    gr.Markdown(UI["prep_intro"])
    with gr.Row():
        topic = gr.Textbox(label=UI["prep_topic"], placeholder=UI["prep_topic_placeholder"], elem_id="sw-prep-topic")
        partners = gr.Textbox(label=UI["prep_partners"], placeholder=UI["prep_partners_placeholder"],
                              elem_id="sw-prep-partners")
        goal = gr.Textbox(label=UI["prep_goal"], placeholder=UI["prep_goal_placeholder"], elem_id="sw-prep-goal")
    with gr.Row():
        prep_btn = gr.Button(UI["prep_button"], variant="primary", elem_id="sw-prep-button")
        prep_file = gr.DownloadButton(UI["prep_download"], visible=False, elem_id="sw-prep-download")
    prep_md = gr.Markdown(UI["prep_empty"], elem_id="sw-prep", line_breaks=True, latex_delimiters=[])
    prep_btn.click(h.on_prepare, [topic, partners, goal], [prep_md, prep_file], api_name="prepare")


def _details() -> list[gr.Textbox]:
    with gr.Accordion(UI["details_label"], open=False, elem_id="sw-details"):
        with gr.Row():
            title = gr.Textbox("", label=UI["details_title"], max_lines=1, scale=3, elem_id="sw-doc-title")
            author = gr.Textbox("", label=UI["details_author"], max_lines=1, scale=2, elem_id="sw-doc-author")
            year = gr.Textbox("", label=UI["details_year"], max_lines=1, scale=1, min_width=90,
                              elem_id="sw-doc-year")
        gr.Markdown(UI["details_hint"], elem_classes=["sw-hint"])
    return [title, author, year]


def sources_tab(h: Handlers, demo: gr.Blocks) -> None:
    """The indexed documents, and uploading new ones with the details for their citations."""
    gr.Markdown(UI["docs_intro"])
    docs_info = gr.Markdown(h.docs_info(), elem_id="sw-docs-info")
    docs = gr.Dataframe(value=h.service.document_rows(), headers=UI["docs_headers"], interactive=False,
                        wrap=True, elem_id="sw-docs", datatype=["str", "str", "str", "number", "str"],
                        column_widths=["36%", "30%", "8%", "9%", "17%"])
    upload = UploadFiles(label=UI["upload_label"].format(mb=h.settings.max_upload_mb), file_count="multiple",
                         elem_id="sw-upload")
    upload.keep_in_cache = h.holding  # received files waiting in the upload queue outlive the cache clean-up
    details = _details()
    add_btn = gr.Button(UI["upload_button"], variant="primary", elem_id="sw-add")
    upload_report = gr.Markdown("", elem_id="sw-upload-report", latex_delimiters=[])
    add_btn.click(h.on_add, [upload, *details], [upload_report, docs, docs_info, upload, *details],
                  api_name="add_documents", concurrency_limit=8, concurrency_id="upload",
                  show_progress="hidden")  # one at a time in `uploads`, which shows its own progress
    demo.load(h.refresh_docs, None, [docs, docs_info], api_name=False)


def build_app(settings: Settings | None = None, service: AssistantService | None = None) -> gr.Blocks:
    """The whole interface; the engine is loaded once here and shared by every session."""
    settings = settings or Settings()
    h = Handlers(settings, service or AssistantService(settings))
    age = max(1, settings.temp_max_age_s)  # uploads and exports left in Gradio's cache: gone after this
    with gr.Blocks(title=UI["title"], analytics_enabled=False, delete_cache=(min(age, 60), age)) as demo:
        gr.Markdown(f"# {UI['title']}\n{UI['intro']}", elem_id="sw-intro")
        state = gr.State(ChatState())
        with gr.Tabs():
            with gr.Tab(UI["tab_chat"], id="chat", elem_id="sw-tab-chat"):
                chat_tab(h, state)
            with gr.Tab(UI["tab_prep"], id="prep", elem_id="sw-tab-prep"):
                prep_tab(h)
            with gr.Tab(UI["tab_sources"], id="sources", elem_id="sw-tab-sources"):
                sources_tab(h, demo)
    h.demo = demo
    demo.service = h.service  # type: ignore[attr-defined] - for tests and embedding
    demo.uploads = h.uploads  # type: ignore[attr-defined]
    demo.handlers = h  # type: ignore[attr-defined]
    return demo
