"""``assistant ask --jsonl``: one JSON object per stdin line in (``{"question", "history"}``), one
answer per stdout line out, in order. A bad line gets an ``error`` in its own output line and the
batch goes on."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from typing import Any

from .errors import AssistantError
from .prompts import CLI

log = logging.getLogger("assistant")  # the command line's logger: its warnings show on stderr


def _jsonl_error(message: str) -> dict[str, Any]:
    return {"answer": "", "abstained": True, "query": "", "citations": [], "contexts": [], "error": message}


def _stdin_lines() -> Iterator[tuple[int, str | None]]:
    """(line number, text or None when the line is not valid UTF-8) for every stdin line."""
    source = getattr(sys.stdin, "buffer", None)
    if source is None:  # a text stream (e.g. replaced in tests)
        yield from enumerate(sys.stdin, start=1)
        return
    for n, raw in enumerate(source, start=1):
        try:
            yield n, raw.decode("utf-8-sig" if n == 1 else "utf-8")
        except UnicodeDecodeError:
            yield n, None


def _check_history(history: Any) -> list[dict[str, str]]:
    if history is None:
        return []
    if not isinstance(history, list):
        raise ValueError(CLI["history_list"])
    for i, h in enumerate(history):
        if not (isinstance(h, dict) and h.get("role") in ("user", "assistant") and isinstance(h.get("content"), str)):
            raise ValueError(CLI["history_item"].format(i=i))
    return history


def ask_jsonl(engine: Any) -> int:
    """One JSON object per stdin line in, one per stdout line out, in order; models load once."""
    for n, line in _stdin_lines():
        if line is not None and not line.strip():
            continue
        try:
            if line is None:
                raise ValueError(CLI["not_utf8"])
            req = json.loads(line)
            if not isinstance(req, dict) or not isinstance(req.get("question"), str):
                raise ValueError(CLI["want_question"])
            history = _check_history(req.get("history"))
            out = engine.ask(req["question"], history).to_json()
        except json.JSONDecodeError as e:
            out = _jsonl_error(CLI["line_not_json"].format(n=n, msg=e.msg))
        except (ValueError, AssistantError) as e:
            out = _jsonl_error(CLI["line_error"].format(n=n, message=e))
        except Exception as e:  # noqa: BLE001 - one failing line must not end the batch
            log.debug("line %d failed", n, exc_info=True)
            out = _jsonl_error(CLI["line_unexpected"].format(n=n, kind=type(e).__name__, message=e))
        if "error" in out:
            log.warning(out["error"])
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    return 0
