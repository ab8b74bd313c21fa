"""The OpenAI response objects, from an :class:`~assistant.records.Answer`: ``chat.completion``,
``chat.completion.chunk`` and the server-sent event frames.

Extension fields (documented in the README), on the completion and on the stream's last chunk:
``citations`` (each as in ``assistant ask --jsonl``: n, chunk_id, source, title, section, page,
quote, spans), ``abstained``, ``reason`` (why it abstains, "" when it answers), ``query`` (what was
searched) and ``history_dropped`` (earlier messages left out of the history). When the verified
answer is not the text streamed so far (an LLM sentence dropped by verification, a fallback), the
last chunk also carries ``answer``: the verified text, which replaces what was streamed.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from ..records import Answer
from .errors import json_bytes
from .requests import MODEL

DONE = b"data: [DONE]\n\n"


def new_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


def extension(ans: Answer, dropped: int = 0) -> dict[str, Any]:
    return {"citations": [c.to_json() for c in ans.citations], "abstained": ans.abstained, "reason": ans.reason,
            "query": ans.query, "history_dropped": dropped}


def completion(ans: Answer, cid: str, created: int, dropped: int = 0) -> dict[str, Any]:
    return {
        "id": cid, "object": "chat.completion", "created": created, "model": MODEL, "system_fingerprint": None,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": ans.text, "refusal": None},
                     "finish_reason": "stop", "logprobs": None}],
        **extension(ans, dropped),
    }


def chunk(cid: str, created: int, delta: dict[str, Any], finish: str | None = None,
          extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"id": cid, "object": "chat.completion.chunk", "created": created, "model": MODEL,
            "system_fingerprint": None,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}], **(extra or {})}


def sse(obj: dict[str, Any]) -> bytes:
    return b"data: " + json_bytes(obj) + b"\n\n"


def models(settings: Any) -> dict[str, Any]:
    from ..prompts import MODEL_DESCRIPTION

    return {"object": "list", "data": [model_card(settings, MODEL_DESCRIPTION)]}


def model_card(settings: Any, description: str) -> dict[str, Any]:
    llm = settings.llm_model if settings.generator != "extractive" else ""
    return {"id": MODEL, "object": "model", "created": int(time.time()), "owned_by": "samenwerkwijzer",
            "description": description,
            "metadata": {"generator": settings.generator, "llm_model": llm or None,
                         "embedder": settings.embedder_id(), "retriever": settings.retriever}}
