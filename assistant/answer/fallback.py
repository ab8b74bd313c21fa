"""The LLM branch of the answer chain: stream verified sentences, check the reply, fall back.

Only verified text reaches a reader: the reply is read sentence by sentence as it streams, and a
sentence is passed on once it is complete (the next one has begun, or the reply ended) and
supported by a passage the prompt gave, with only those passages' numbers. Until the first one, a
:class:`~assistant.records.Progress` says how long it has been. Every failure (see
:class:`~assistant.answer.llmcall.LLMFailure`) gives a one-line notice and the extractive answer,
after the sentences already shown. The answer is never worse than the extractive one: a reply
that declines or has fewer verified statements than the extractive answer would show gets the
extractive answer after it, with a notice.
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
from ..records import Answer, Progress, Statement
from ..render import plain_text
from ..textutil import detect_language, words
from .context import Excerpt, excerpts
from .llmcall import Limits, LLMFailure
from .support import markers, strip_markers
from .verify import Verified, citations_of, verify_reply

log = logging.getLogger(__name__)

_ABSTAINS = tuple(v.split(",")[0] for v in ABSTAIN.values()) + ("The sources do not cover",)
PROGRESS_EVERY = 0.5  # seconds between two progress updates while no sentence can be shown
# a sentence is complete once the next one has begun: its end (after a word or a closing bracket or
# quote, so not "1." of a numbered line), its markers, then a capital, digit, bullet or quote; or a
# line that ended with more text after it
_SETTLED = re.compile(r"(?:(?<=[^\W\d_])|(?<=[)\]\"'”’]))[.!?]+(?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])*"
                      r"(?=\s+[A-ZÀ-Þ0-9•*\-–\"'“‘(])|\n(?=\s*\S)")


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
                                                      seconds=settings.llm_timeout, total=settings.llm_max_seconds,
                                                      max_tokens=settings.llm_max_tokens)
    return FALLBACK_NOTE.get(lang, FALLBACK_NOTE["nl"]).format(reason=reason)


def settled(text: str) -> int:
    """How much of a reply that is still streaming in is complete sentences (or lines), with
    their markers: a sentence counts as complete once the next one has begun.

    >>> settled("Eerste zin [1]. Tweede")
    15
    >>> settled("Eerste zin. [1")
    0
    >>> settled("• punt een [1]\\n• punt")
    15
    """
    ends = [m.end() for m in _SETTLED.finditer(text)]
    return ends[-1] if ends else 0


def prompt_sources(engine: Any, turn: Any) -> list[Excerpt]:
    """What the prompt gives of the turn's passages, within the context budget."""
    return excerpts(turn.query, turn.contexts, engine.stats, turn.intent, engine.settings.llm_context_tokens,
                    engine.unit_similarity(turn), getattr(turn, "reading", None))


class _Screen:
    """The verified statements passed on so far, and the sentences that did not verify."""

    def __init__(self, engine: Any, turn: Any, given: list[Excerpt]):
        self.engine, self.turn = engine, turn
        self.numbers = {e.n for e in given}
        self.shown: list[Statement] = []
        self.unsupported: list[str] = []

    def add(self, text: str) -> Iterator[str]:
        """Verify the complete sentences in ``text``; yield the rendered text of each that holds."""
        if not text.strip():
            return
        e = self.engine
        v = verify_reply(normalize_markers(text), self.turn.contexts, cosine=e._cosine,
                         min_cosine=e.thresholds.support_min_cosine, given=self.numbers)
        self.unsupported += v.unsupported
        for st in v.statements:
            if any(st.text == old.text for old in self.shown):
                continue  # a model repeating itself
            before = plain_text(self.shown)
            self.shown.append(st)
            yield plain_text(self.shown)[len(before):]


def llm_generate(engine: Any, turn: Any) -> Iterator[str | Progress | Answer]:
    """Verified sentences of the LLM's reply as they complete (progress before the first), then
    the Answer (or the fallback)."""
    from .llm import stream_answer

    given = prompt_sources(engine, turn)
    screen = _Screen(engine, turn, given)
    pieces: list[str] = []
    info: dict[str, Any] = {}
    read, beat = 0, 0.0
    s = engine.settings
    try:
        failed = getattr(turn, "llm_failure", None)
        if failed is not None:  # the LLM already failed on this turn (condensing): do not wait twice
            raise failed
        for tok in stream_answer(engine.chat_model, turn.question, turn.contexts, turn.lang, turn.history,
                                 Limits.from_settings(s), given, s.llm_system_in_user, info, PROGRESS_EVERY):
            pieces.append(tok)
            text = "".join(pieces)
            end = settled(text)
            if end > read:
                yield from screen.add(text[read:end])
                read = end
            now = time.perf_counter() - turn.t0
            if not screen.shown and now - beat >= PROGRESS_EVERY:
                beat = now
                yield Progress(now, turn.lang)
        text = "".join(pieces)
        cut = info.get("finish_reason") == "length"  # stopped at max_tokens: the last sentence is unfinished
        yield from screen.add(_complete_sentences(text[read:]) if cut else text[read:])
        raw = normalize_markers(text)
        if not screen.shown and raw.strip().startswith(_ABSTAINS):
            yield _declined(engine, turn)
            return
        if cut and not screen.shown:
            raise LLMFailure("length", f"stopped at max_tokens={s.llm_max_tokens}")
        check_reply(raw, turn.lang)
    except LLMFailure as f:
        f.partial = f.partial or "".join(pieces)
        if f.kind in ("cut", "stalled", "malformed", "too_long"):  # what completed before it broke off
            yield from screen.add(_complete_sentences(normalize_markers(f.partial[read:])))
        log.warning("LLM reply unusable (%s: %s) after %.2f s; answering extractively", f.kind, f.detail[:200],
                    time.perf_counter() - turn.t0)
        yield fallback_answer(engine, turn, f, screen.shown, unsupported=screen.unsupported)
        return
    yield _final(engine, turn, screen)


def _extractive(engine: Any, turn: Any) -> Answer:
    ext: Answer | None = None
    for part in engine._generate(turn, use_llm=False):
        if isinstance(part, Answer):
            ext = part
    assert ext is not None
    return ext


def _cited(ans: Answer) -> int:
    """How many statements with a source an answer shows (0 when it abstains)."""
    return 0 if ans.abstained else sum(1 for st in ans.statements if st.cites)


def _declined(engine: Any, turn: Any) -> Answer:
    """The model says the sources do not cover it: the extractive answer with a notice when the
    sources do answer (retrieval did not abstain and the extractive side finds cited statements),
    else the abstention ``llm_declined``."""
    ext = _extractive(engine, turn)
    if _cited(ext):
        log.warning("LLM declined a question the extractive answer covers; answering extractively")
        return fallback_answer(engine, turn, LLMFailure("declined"), (), ext)
    return engine._abstain_answer(turn, "llm_declined")


def _final(engine: Any, turn: Any, screen: _Screen) -> Answer:
    """The verified reply, unless the extractive answer would show more cited statements: then
    those follow it, with a notice."""
    ext = _extractive(engine, turn)
    if len(screen.shown) < _cited(ext):
        log.info("LLM gave %d verified statements, the extractive answer %d", len(screen.shown), _cited(ext))
        return fallback_answer(engine, turn, LLMFailure("fewer"), screen.shown, ext, screen.unsupported)
    v = Verified(screen.shown, citations_of(screen.shown, turn.contexts), screen.unsupported)
    return engine._finish(turn, v)


def fallback_answer(engine: Any, turn: Any, f: LLMFailure, head: list[Statement] | tuple[Statement, ...] = (),
                    ext: Answer | None = None, unsupported: list[str] | tuple[str, ...] = ()) -> Answer:
    """The extractive answer with the failure's notice, after the verified sentences already shown
    (``unsupported``: the reply's sentences that did not verify, kept for the record)."""
    ext = ext or _extractive(engine, turn)
    line = notice(f, turn.lang, engine.settings)
    sts = (*head, Statement(line, "notice", form="notice"), *ext.statements)
    return replace(ext, statements=sts, citations=tuple(citations_of(sts, turn.contexts)), fallback=f.kind,
                   notice=line, seconds=time.perf_counter() - turn.t0, unsupported=tuple(unsupported))


def _complete_sentences(text: str) -> str:
    """The text up to its last finished sentence (a marker after the full stop belongs to it)."""
    m = list(re.finditer(r"[.!?](?:\s*\[\d+\])*(?=\s|$)", text))
    return text[: m[-1].end()] if m else ""
