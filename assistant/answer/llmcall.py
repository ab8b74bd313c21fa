"""One LLM call with a deadline: time to the first token, bounded retry, failure classification.

LangChain chat models stream on a worker thread; this side waits on a queue with deadlines, so a
server that accepts the connection and then says nothing (or trickles) cannot hold an answer
longer than the limits. Every failure becomes an :class:`LLMFailure` with a ``kind`` the caller
turns into a one-line notice (see :mod:`assistant.answer.fallback`).
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

# failure kinds worth a second try (before any token arrived)
RETRYABLE = {"rate_limit", "server", "unreachable"}
_DNS_HINTS = ("name or service not known", "nodename nor servname", "temporary failure in name resolution",
              "no address associated", "getaddrinfo failed", "name resolution")


@dataclass(frozen=True)
class Limits:
    first_token: float = 8.0  # seconds to the first token, retries included
    idle: float = 8.0  # seconds between two tokens
    total: float = 120.0  # seconds for the whole reply
    retries: int = 1  # extra attempts after a 429, 5xx or refused connection

    @classmethod
    def from_settings(cls, settings: Any) -> "Limits":
        first = settings.llm_first_token_timeout
        return cls(settings.llm_timeout if first is None else first, settings.llm_timeout, settings.llm_max_seconds,
                   settings.llm_retries)


class LLMFailure(Exception):
    """The LLM gave no usable reply. ``kind``: unreachable, dns, auth, model, rate_limit, server,
    timeout (no first token in time), stalled (silent mid-reply), too_long (the whole reply took
    longer than allowed while tokens kept coming), cut, malformed, empty, no_citations, language,
    declined / fewer (an answer the extractive one beats: see fallback.py), other."""

    def __init__(self, kind: str, detail: str = "", status: int | None = None, seconds: float = 0.0,
                 attempts: int = 1):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind, self.detail, self.status, self.seconds, self.attempts = kind, detail, status, seconds, attempts
        self.partial = ""  # the text that streamed before the failure
        self.retry_after = 0.0  # seconds the server asked to wait (Retry-After), when it said so


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in out and len(out) < 10:
        out.append(cur)
        cur = cur.__cause__ or cur.__context__
    return out


def classify(exc: BaseException) -> LLMFailure:
    """The failure kind of an exception raised by an OpenAI or Ollama client (or LangChain)."""
    if isinstance(exc, LLMFailure):
        return exc
    chain = _chain(exc)
    text = " | ".join(f"{type(e).__name__}: {e}" for e in chain)
    low = text.lower()
    if any(isinstance(e, socket.gaierror) for e in chain) or any(h in low for h in _DNS_HINTS):
        return LLMFailure("dns", text)
    for e in chain:
        status = getattr(e, "status_code", None)
        if isinstance(status, int) and status >= 400:
            kind = {401: "auth", 403: "auth", 404: "model", 429: "rate_limit"}.get(status)
            failure = LLMFailure(kind or ("server" if status >= 500 else "other"), str(e)[:300], status)
            failure.retry_after = _retry_after(e)
            return failure
    names = {type(e).__name__ for e in chain}
    if names & {"ReadTimeout", "ConnectTimeout", "TimeoutException", "APITimeoutError", "PoolTimeout"}:
        return LLMFailure("timeout", text)
    if names & {"RemoteProtocolError", "ReadError", "IncompleteRead", "ChunkedEncodingError"}:
        return LLMFailure("cut", text)
    if names & {"ConnectError", "APIConnectionError", "ConnectionRefusedError"} or "failed to connect" in low:
        return LLMFailure("unreachable", text)
    if names & {"JSONDecodeError", "ValidationError", "DecodingError"} or "expecting" in low:
        return LLMFailure("malformed", text)
    return LLMFailure("other", text[:300])


def _retry_after(e: BaseException) -> float:
    headers = getattr(getattr(e, "response", None), "headers", None) or {}
    try:
        return max(0.0, float(headers.get("retry-after", 0) or 0))
    except (TypeError, ValueError):  # an HTTP date: not worth parsing for a few seconds' budget
        return 0.0


def _finished(chunk: Any) -> bool | None:
    """Did the server mark this chunk as the end of the reply (OpenAI finish_reason, Ollama done)?
    None when the model reports no metadata at all (an in-process model has no end marker)."""
    meta = getattr(chunk, "response_metadata", None) or {}
    if not meta:
        return None
    return bool(meta.get("finish_reason") or meta.get("done") or meta.get("done_reason"))


def _finish_reason(chunk: Any) -> str:
    meta = getattr(chunk, "response_metadata", None) or {}
    return str(meta.get("finish_reason") or meta.get("done_reason") or "")


def _pump(chat_model: Any, messages: list[Any], out: queue.Queue, stop: threading.Event) -> None:
    finished, reported, reason = False, False, ""
    try:
        for chunk in chat_model.stream(messages):
            if stop.is_set():
                return
            end = _finished(chunk)
            reported = reported or end is not None
            finished = finished or bool(end)
            reason = _finish_reason(chunk) or reason
            text = getattr(chunk, "content", chunk)
            if isinstance(text, str) and text:
                out.put(("tok", text))
        out.put(("end", (finished or not reported, reason)))
    except BaseException as e:  # noqa: BLE001 - every failure is handed to the waiting side
        out.put(("err", e))


def _expired(got: bool, total_bound: bool) -> LLMFailure:
    """The failure for a deadline that passed: the whole reply's (``too_long``, however fast the
    tokens came), the first token's (``timeout``) or the gap between two tokens (``stalled``)."""
    if total_bound:
        return LLMFailure("too_long", "the whole reply took longer than allowed")
    return LLMFailure("stalled", "the reply stalled") if got else LLMFailure("timeout", "no first token")


def _attempt(chat_model: Any, messages: list[Any], limits: Limits, t0: float, info: dict[str, Any],
             heartbeat: float) -> Iterator[str]:
    """One streamed request; raises LLMFailure (``partial`` holds what streamed before it)."""
    out: queue.Queue = queue.Queue()
    stop = threading.Event()
    threading.Thread(target=_pump, args=(chat_model, messages, out, stop), daemon=True,
                     name="llm-stream").start()
    got: list[str] = []
    last = time.perf_counter()  # the last token (or the request's start)
    try:
        while True:
            now = time.perf_counter()
            total, other = t0 + limits.total, (t0 + limits.first_token) if not got else last + limits.idle
            limit = min(total, other)
            wait = max(0.0, limit - now)
            try:
                kind, value = out.get(timeout=min(wait, heartbeat) if heartbeat > 0 else wait)
            except queue.Empty:
                if time.perf_counter() < limit:
                    yield ""  # a heartbeat: the caller may show how long it has been waiting
                    continue
                raise _expired(bool(got), total <= other) from None
            if kind == "tok":
                last = time.perf_counter()
                info.setdefault("first_token", last - t0)
                got.append(value)
                yield value
            elif kind == "err":
                raise classify(value)
            else:
                done, info["finish_reason"] = value
                if not done:
                    raise LLMFailure("cut", "the reply ended without an end marker")
                return
    except LLMFailure as f:
        f.partial = "".join(got)
        raise
    finally:
        stop.set()


def guarded_stream(chat_model: Any, messages: list[Any], limits: Limits, info: dict[str, Any] | None = None,
                   heartbeat: float = 0.0) -> Iterator[str]:
    """The reply's text pieces, or :class:`LLMFailure`; never longer than ``limits`` allow.

    A 429, 5xx or refused connection before the first token is retried (``limits.retries`` times,
    after a short pause) as long as the first-token deadline leaves room. ``info`` receives
    ``first_token`` (seconds) and ``finish_reason`` ("length" when the server cut the reply at
    max_tokens); with ``heartbeat`` > 0 an empty piece comes at least that often while waiting."""
    info = {} if info is None else info
    t0 = time.perf_counter()
    attempt = 0
    while True:
        attempt += 1
        got_any = False
        try:
            for tok in _attempt(chat_model, messages, limits, t0, info, heartbeat):
                got_any = got_any or bool(tok)
                yield tok
            return
        except LLMFailure as f:
            f.seconds, f.attempts = time.perf_counter() - t0, attempt
            pause = max(0.25 * attempt, f.retry_after)  # the server's Retry-After, if the deadline allows it
            left = t0 + limits.first_token - time.perf_counter()
            if f.kind in RETRYABLE and not got_any and attempt <= limits.retries and left > pause + 0.5:
                log.info("LLM %s (%s); retrying in %.2f s", f.kind, f.detail[:120], pause)
                time.sleep(pause)
                continue
            raise
