"""``assistant mcp``: Samenwerkwijzer's sources as tools for an assistant that speaks the Model
Context Protocol (the official ``mcp`` SDK, 2.x: ``MCPServer``), over stdio.

Three tools, described in Dutch (``assistant/prompts/api.py``): ``search_sources`` (passages with
title, section and page: ``assistant search --json``'s objects), ``ask`` (the answer with its
citations, or the abstention and its reason: ``assistant ask --json``'s fields) and
``prepare_meeting`` (the prep sheet as Markdown and as data). The engine loads once, on the first
call; a question the engine refuses comes back as a tool error with its Dutch message.
"""

from __future__ import annotations

import logging
import threading
from typing import Annotated, Any

from pydantic import Field

from ..errors import AssistantError
from ..prompts import MCP
from ..settings import Settings

log = logging.getLogger(__name__)


class _Engine:
    """The answer engine, opened on first use (a tool list needs no index)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._engine: Any = None
        self._lock = threading.Lock()

    def get(self) -> Any:
        with self._lock:
            if self._engine is None:
                from ..answer.chain import AnswerEngine

                self._engine = AnswerEngine(self.settings)
            return self._engine


def _answer_json(ans: Any) -> dict[str, Any]:
    out = ans.to_json()
    return {k: out[k] for k in ("answer", "abstained", "reason", "query", "citations", "language")}


def build_server(settings: Settings) -> Any:
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError

    engine = _Engine(settings)
    server = MCPServer(name="samenwerkwijzer", instructions=MCP["instructions"])

    def user_error(e: AssistantError) -> ToolError:
        return ToolError(str(e))

    @server.tool(name="search_sources", description=MCP["search"])
    def search_sources(query: Annotated[str, Field(description=MCP["search_query"])],
                       k: Annotated[int, Field(ge=1, le=20, description=MCP["search_k"])] = 5) -> dict[str, Any]:
        try:
            return {"passages": [r.to_json() for r in engine.get().searcher.search(query, k)]}
        except AssistantError as e:
            raise user_error(e) from e

    @server.tool(name="ask", description=MCP["ask"])
    def ask(question: Annotated[str, Field(description=MCP["ask_question"])],
            history: Annotated[list[dict[str, str]] | None, Field(description=MCP["ask_history"])] = None,
            ) -> dict[str, Any]:
        from .requests import no_surrogates

        turns = [{"role": h.get("role", ""), "content": no_surrogates(str(h.get("content", "")))}
                 for h in history or [] if h.get("role") in ("user", "assistant")]
        try:
            return _answer_json(engine.get().ask(question, turns[-2 * max(1, settings.max_turns):]))
        except AssistantError as e:
            raise user_error(e) from e

    @server.tool(name="prepare_meeting", description=MCP["prepare"])
    def prepare_meeting(topic: Annotated[str, Field(description=MCP["prepare_topic"])],
                        partners: Annotated[str, Field(description=MCP["prepare_partners"])] = "",
                        goal: Annotated[str, Field(description=MCP["prepare_goal"])] = "") -> dict[str, Any]:
        from ..prepare import prepare

        try:
            sheet = prepare(engine.get(), topic, partners, goal)
        except AssistantError as e:
            raise user_error(e) from e
        return {"markdown": sheet.to_markdown(), "sheet": sheet.to_json()}

    return server


def serve_stdio(settings: Settings) -> int:
    """Serve over stdin/stdout until the client closes them (logs go to stderr only)."""
    build_server(settings).run("stdio")
    return 0
