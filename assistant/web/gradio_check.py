"""Gradio's own routes, checked before Gradio reads them: an event for a function that does not
exist, without a session or with the wrong number of inputs is a client's mistake (400, one log
line), not a server error with a traceback in the log."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from ..prompts import UI
from .guard import Receive, Scope, Send, read_body, refusal, replayed

log = logging.getLogger("assistant.web.guard")

_SESSION = re.compile(r"[A-Za-z0-9_-]{1,100}")
_JOIN = "/gradio_api/queue/join"
_BY_NAME = re.compile(r"^/gradio_api/(?:call/v2|call|run|api)/([^/]+)/?$")


def _known(fn: Any, inputs: dict[int, int]) -> bool:
    return isinstance(fn, int) and not isinstance(fn, bool) and fn in inputs


def _has_session_cookie(scope: Scope) -> bool:
    """Whether the request carries Gradio's login cookie (whether it is valid, Gradio decides)."""
    cookies = b"".join(v for k, v in scope.get("headers") or () if k.lower() == b"cookie")
    return b"access-token" in cookies


class GradioRequestCheck:
    """Checks the event requests of ``demo`` (the mounted Gradio app) against its functions."""

    def __init__(self, app: Any, demo: Any):
        self.app = app
        self.inputs = {int(i): len(f.inputs) for i, f in demo.fns.items()}  # function id -> input count
        self.by_name = {f.api_name: len(f.inputs) for f in demo.fns.values() if f.api_name}
        self.login = bool(getattr(demo, "auth", None))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        named = _BY_NAME.match(path)
        if scope["type"] != "http" or scope.get("method") != "POST" or not (path == _JOIN or named) \
                or (self.login and not _has_session_cookie(scope)):  # Gradio's login check answers first
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        problem = self._problem(path, named.group(1) if named else "", body)
        if problem:
            log.warning("refused POST %s: %s", path, problem)
            for m in refusal(400, UI["request_malformed"], path):
                await send(m)
            return
        await self.app(scope, replayed(body), send)

    def _problem(self, path: str, api_name: str, body: bytes) -> str:
        try:
            payload = json.loads(body or b"null")
        except ValueError:
            return "not JSON"
        if not isinstance(payload, dict):
            return "not a JSON object"
        data = payload.get("data", [])
        if path == _JOIN:
            fn = payload.get("fn_index")
            if not _known(fn, self.inputs):
                return f"unknown fn_index {str(fn)[:20]!r}"
            if not isinstance(payload.get("session_hash"), str) or not _SESSION.fullmatch(payload["session_hash"]):
                return "no valid session_hash"
            expected = self.inputs[fn]
        elif api_name in self.by_name:
            expected = self.by_name[api_name]
        elif _known(payload.get("fn_index"), self.inputs):  # /run/predict with the function's index (examples)
            expected = self.inputs[payload["fn_index"]]
        else:
            return f"unknown endpoint {api_name[:40]!r}"
        if not isinstance(data, list) or len(data) != expected:
            return f"data must be a list of {expected} values"
        return ""
