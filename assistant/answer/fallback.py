"""The LLM branch of the answer chain: stream, check the reply, and fall back when it fails.

Every failure (see :class:`~assistant.answer.llmcall.LLMFailure`) gives a one-line notice and the
extractive answer, marked as such. A reply that streamed partly before it broke off is kept only
as far as its sentences verify, before the notice.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from ..prompts import ABSTAIN, FALLBACK_NOTE, LLM_FAILURE
from ..records import Answer, Statement
from ..textutil import detect_language, words
from .llmcall import Limits, LLMFailure
from .support import markers, strip_markers
from .verify import citations_of, verify_reply

log = logging.getLogger(__name__)

_ABSTAINS = tuple(v.split(",")[0] for v in ABSTAIN.values()) + ("The sources do not cover",)


def normalize_markers(raw: str) -> str:
    """``[1, 2]`` or ``[1; 2]`` (a common model habit) -> ``[1][2]``, the form verification reads."""
    return re.sub(r"\[(\d+(?:\s*[,;]\s*\d+)+)\]",
                  lambda m: "".join(f"[{n}]" for n in re.findall(r"\d+", m.group(1))), raw)


def check_reply(raw: str, lang: str) -> None:
    """Raise :class:`LLMFailure` for a complete reply that cannot be an answer."""
    if not raw.strip():
        raise LLMFailure("empty")
    if not markers(raw):
        raise LLMFailure("no_citations")
    plain = strip_markers(raw)
    if len(words(plain)) >= 8 and detect_language(plain) != lang:
        raise LLMFailure("language", f"reply in {detect_language(plain)}, question in {lang}")


def notice(f: LLMFailure, lang: str, settings: Any) -> str:
    """The one line a user sees for ``f``."""
    texts = LLM_FAILURE.get(lang, LLM_FAILURE["nl"])
    url = settings.llm_base_url or ("http://127.0.0.1:11434" if settings.generator == "ollama" else "api.openai.com")
    host = urlsplit(url).netloc or url
    reason = texts.get(f.kind, texts["other"]).format(url=host, model=settings.llm_model, status=f.status or "",
                                                      seconds=settings.llm_timeout)
    return FALLBACK_NOTE.get(lang, FALLBACK_NOTE["nl"]).format(reason=reason)


def llm_generate(engine: Any, turn: Any) -> Iterator[str | Answer]:
    """Stream the LLM's reply token by token, then the verified Answer (or the fallback)."""
    from .llm import stream_answer

    pieces: list[str] = []
    try:
        failed = getattr(turn, "llm_failure", None)
        if failed is not None:  # the LLM already failed on this turn (condensing): do not wait twice
            raise failed
        for tok in stream_answer(engine.chat_model, turn.question, turn.contexts, turn.lang, turn.history,
                                 Limits.from_settings(engine.settings)):
            pieces.append(tok)
            yield tok
        raw = normalize_markers("".join(pieces))
        if raw.strip().startswith(_ABSTAINS):
            yield engine._abstain_answer(turn, "llm_declined")
            return
        check_reply(raw, turn.lang)
    except LLMFailure as f:
        f.partial = f.partial or "".join(pieces)
        log.warning("LLM reply unusable (%s: %s) after %.2f s; answering extractively", f.kind, f.detail[:200],
                    time.perf_counter() - turn.t0)
        yield fallback_answer(engine, turn, f)
        return
    yield engine._finish(turn, verify_reply(raw, turn.contexts, cosine=engine._cosine,
                                            min_cosine=engine.thresholds.support_min_cosine))


def fallback_answer(engine: Any, turn: Any, f: LLMFailure) -> Answer:
    """The extractive answer with the failure's notice (and a verified partial reply before it)."""
    ext: Answer | None = None
    for part in engine._generate(turn, use_llm=False):
        if isinstance(part, Answer):
            ext = part
    assert ext is not None
    line = notice(f, turn.lang, engine.settings)
    head: list[Statement] = []
    if f.kind in ("cut", "stalled", "malformed") and f.partial.strip():
        head = verify_reply(_complete_sentences(normalize_markers(f.partial)), turn.contexts, cosine=engine._cosine,
                            min_cosine=engine.thresholds.support_min_cosine).statements
    sts = (*head, Statement(line, "notice", form="notice"), *ext.statements)
    return replace(ext, statements=sts, citations=tuple(citations_of(sts, turn.contexts)), fallback=f.kind,
                   notice=line, seconds=time.perf_counter() - turn.t0)


def _complete_sentences(text: str) -> str:
    """The text up to its last finished sentence (a marker after the full stop belongs to it)."""
    m = list(re.finditer(r"[.!?](?:\s*\[\d+\])*(?=\s|$)", text))
    return text[: m[-1].end()] if m else ""
