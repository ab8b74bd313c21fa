"""Request bodies read and checked: a JSON object within the size limit, and a chat request turned
into the question and history ``assistant ask --jsonl`` takes (``{"question", "history"}``).

A request is stateless: its messages are the whole conversation. ``system`` (and ``developer``)
messages are accepted and left out: the answer is grounded in the sources only. The history keeps
the last ``max_turns`` turns, as the web app does; more than ``api_max_messages`` is refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from ..prompts import API
from .errors import ApiError

MODEL = "samenwerkwijzer"
IGNORED_ROLES = frozenset({"system", "developer"})
# OpenAI parameters a grounded, single answer cannot honour: refused rather than silently dropped
REFUSED = ("tools", "tool_choice", "functions", "function_call", "parallel_tool_calls", "audio", "prediction")
_CHOICES = ("tool_choice", "function_call")  # "none"/"auto" without tools ask for nothing


async def read_json(request: Request, limit: int) -> dict[str, Any]:
    """The body as a JSON object; 413 past ``limit`` bytes (declared or received), 400 otherwise."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "request_too_large", API["too_large"].format(size=int(declared), limit=limit))
    body = bytearray()
    async for part in request.stream():
        body += part
        if len(body) > limit:
            raise ApiError(413, "request_too_large", API["too_large"].format(size=f"> {limit}", limit=limit))
    try:
        text = bytes(body).decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ApiError(400, "invalid_json", API["not_utf8"]) from e
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ApiError(400, "invalid_json", API["not_json"].format(msg=f"{e.msg}, {e.lineno}:{e.colno}")) from e
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", API["not_object"])
    return data


def no_surrogates(text: str) -> str:
    """Lone surrogates (``\\udxxx`` escapes in JSON) as U+FFFD, as the question gets them."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


@dataclass(frozen=True)
class ChatRequest:
    question: str  # as sent: the engine checks and cleans it (422 when it cannot be answered)
    history: tuple[dict[str, str], ...]
    stream: bool = False
    dropped: int = 0  # earlier messages left out of the history (beyond max_turns turns)


def check_model(model: Any) -> None:
    if model is None:
        return
    if not isinstance(model, str):
        raise ApiError(400, "invalid_model", API["field"].format(field="model", reason=type(model).__name__), "model")
    if model != MODEL:
        raise ApiError(404, "model_not_found", API["unknown_model"].format(model=model[:80]), "model")


def _refuse_unsupported(body: dict[str, Any]) -> None:
    for param in REFUSED:
        value = body.get(param)
        harmless = value in (None, [], {}) or (param in _CHOICES and value in ("none", "auto")) or (
            param == "parallel_tool_calls" and isinstance(value, bool))
        if not harmless:
            raise ApiError(400, "unsupported_parameter", API["unsupported"].format(param=param), param)
    n = body.get("n")
    if n is not None and n != 1:
        raise ApiError(400, "unsupported_parameter", API["n"], "n")
    fmt = body.get("response_format")
    if fmt is not None and not (isinstance(fmt, dict) and fmt.get("type") in (None, "text")):
        raise ApiError(400, "unsupported_parameter", API["unsupported"].format(param="response_format"),
                       "response_format")


def content_text(content: Any, i: int, role: str) -> str:
    """A message's text: a string, or OpenAI's list of ``{"type": "text", "text"}`` parts."""
    if isinstance(content, str):
        return content
    if content is None and role == "assistant":
        return ""
    if isinstance(content, list) and all(isinstance(p, dict) and p.get("type") == "text"
                                         and isinstance(p.get("text"), str) for p in content):
        return "\n".join(p["text"] for p in content)
    raise ApiError(400, "invalid_message", API["message_content"].format(i=i), f"messages[{i}].content")


def conversation(messages: Any, max_messages: int) -> list[dict[str, str]]:
    """The user and assistant messages, checked; system messages left out."""
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "invalid_messages", API["messages_missing"], "messages")
    if len(messages) > max_messages:
        raise ApiError(422, "too_many_messages", API["too_many_messages"].format(n=len(messages), limit=max_messages),
                       "messages")
    out = []
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or not isinstance(m.get("role"), str):
            raise ApiError(400, "invalid_message", API["message_item"].format(i=i), f"messages[{i}]")
        role = m["role"]
        if role in IGNORED_ROLES:
            continue
        if role not in ("user", "assistant"):
            raise ApiError(400, "invalid_role", API["message_role"].format(i=i, role=role[:40]), f"messages[{i}].role")
        out.append({"role": role, "content": content_text(m.get("content"), i, role)})
    if not out or out[-1]["role"] != "user":
        raise ApiError(400, "invalid_messages", API["last_not_user"], "messages")
    return out


def chat_request(body: dict[str, Any], max_messages: int, max_turns: int) -> ChatRequest:
    """The question and history of a ``/v1/chat/completions`` body (errors as :class:`ApiError`)."""
    check_model(body.get("model"))
    _refuse_unsupported(body)
    stream = body.get("stream", False)
    if not isinstance(stream, bool) and stream is not None:
        raise ApiError(400, "invalid_stream", API["field"].format(field="stream", reason=repr(stream)[:40]), "stream")
    msgs = conversation(body.get("messages"), max_messages)
    history = msgs[:-1]
    keep = 2 * max(1, max_turns)
    dropped = max(0, len(history) - keep)
    history = [{"role": h["role"], "content": no_surrogates(h["content"])} for h in history[dropped:]]
    return ChatRequest(msgs[-1]["content"], tuple(history), bool(stream), dropped)


def search_request(body: dict[str, Any], default_k: int, max_k: int = 50) -> tuple[str, int]:
    query, k = body.get("query"), body.get("k", default_k)
    if k is None:
        k = default_k
    if not isinstance(query, str) or isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= max_k:
        raise ApiError(400, "invalid_search", API["search_query"].format(max_k=max_k))
    return query, k
