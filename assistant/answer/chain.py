"""The answer chain (LCEL): question + history -> condense -> retrieve -> abstain | generate -> verify.

:class:`AnswerEngine` loads the index and models once and is safe to share between threads
(retrieval is read-only; the embedder serialises its own calls).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from langchain_core.runnables import RunnableLambda

from ..embeddings import make_embeddings
from ..index import Index, embed_text
from ..profile import load as load_profile
from ..prompts import ABSTAIN, ABSTAIN_TOPICS, LEAD, OPEN_PARTS, OUT_OF_SCOPE, UNSUPPORTED_NOTE
from ..records import Answer, Progress, ScoredChunk, Statement
from ..render import plain_text
from ..retrieve import HybridSearcher, check_question, rrf
from ..settings import Settings
from ..textutil import detect_language
from ..thresholds import for_settings
from .abstain import Evidence, assess, decide, nearest_topics
from .condense import deterministic_condense, is_followup
from .extractive import compose
from .fallback import llm_generate
from .intent import intent_of
from .llm import chat_model_for, condense_with_llm
from .llmcall import Limits, LLMFailure
from .reading import Reading, compose_read, open_parts, read
from .support import TermStats
from .verify import Verified, verify_reply, verify_statements

log = logging.getLogger(__name__)


@dataclass
class Turn:
    """State passed between the chain's steps."""

    question: str
    history: list[dict[str, str]]
    prior_ids: list[str] = field(default_factory=list)
    lang: str = "nl"
    intent: str = ""  # what the question asks for (assistant.answer.intent)
    query: str = ""
    contexts: list[ScoredChunk] = field(default_factory=list)
    evidence: Evidence | None = None
    query_vector: list[float] | None = None
    t0: float = 0.0
    llm_failure: Any = None  # an LLMFailure met while condensing: generation falls back at once
    reading: Reading | None = None  # the reader's scores (None without a reader)


def clean_history(history: Any) -> list[dict[str, str]]:
    """Only well-formed {role, content} turns with role user/assistant are kept."""
    out = []
    for h in history or []:
        if isinstance(h, dict) and h.get("role") in ("user", "assistant") and isinstance(h.get("content"), str):
            out.append({"role": h["role"], "content": h["content"][:8000]})
    return out


class AnswerEngine:
    def __init__(self, settings: Settings, index: Index | None = None, embeddings: Any = None,
                 chat_model: Any = None):
        self.settings = settings
        self.thresholds = for_settings(settings)
        self.index = index or Index.open(settings)
        self.embeddings = embeddings or make_embeddings(settings)
        self.searcher = HybridSearcher.from_settings(self.index, self.embeddings, settings)
        if chat_model is None and settings.generator != "extractive":
            chat_model = chat_model_for(settings)
        self.chat_model = chat_model
        # LCEL: question + history -> self-contained query -> passages (+ evidence) -> verified Answer
        self.retrieval_chain = (RunnableLambda(self._condense) | RunnableLambda(self._retrieve)).with_config(
            run_name="samenwerkwijzer-retrieval")
        self.chain = (self.retrieval_chain | RunnableLambda(self._answer_turn)).with_config(
            run_name="samenwerkwijzer-answer")

    @cached_property
    def reader(self) -> Any:
        """The trained reader (assistant.reader), or None after one warning when it cannot be loaded."""
        if not self.settings.reader:
            return None
        from ..reader.load import load_reader

        try:
            e5 = getattr(self.embeddings, "engine", None)
            if e5 is None:
                from ..e5.convert import load_or_convert

                e5 = load_or_convert(self.settings.model_cache)
            return load_reader(self.settings.model_cache, e5, self.settings.embed_threads, self._reader_dir)
        except Exception as e:  # noqa: BLE001 - without a reader the word-based composer answers
            log.warning("the reader is unavailable (%s); answers are composed without it", e)
            return None

    @property
    def _reader_dir(self) -> Any:
        from ..reader.load import MODEL_DIR

        return self.settings.reader_dir or MODEL_DIR

    @cached_property
    def reader_threshold(self) -> float:
        """The least probability of the best unit for an answer (calibrated with the model)."""
        from ..reader.load import read_manifest

        given = self.settings.reader_min_prob
        return given if given is not None else float(read_manifest(self._reader_dir).get("threshold", 0.5))

    @cached_property
    def reader_weight(self) -> float:
        """How much the reader's probability adds to a unit's word-based score (chosen with the model)."""
        from ..reader.load import read_manifest

        given = self.settings.reader_weight
        return given if given is not None else float(read_manifest(self._reader_dir).get("weight", 1.0))

    @cached_property
    def stats(self) -> TermStats:
        return TermStats(embed_text(c) for c in self.index.chunks.values())

    # --- steps -------------------------------------------------------------------------------
    def _condense(self, turn: Turn) -> Turn:
        turn.lang = detect_language(turn.question)
        turn.intent = intent_of(turn.question)
        if not turn.history:
            turn.query = turn.question
        elif self.chat_model is not None and is_followup(turn.question, turn.history):
            try:
                turn.query = condense_with_llm(self.chat_model, turn.question, turn.history,
                                               Limits.from_settings(self.settings))
            except Exception as e:  # noqa: BLE001 - a failing LLM must not lose the question
                log.warning("LLM condense failed (%s); using the deterministic rewrite", e)
                turn.llm_failure = e if isinstance(e, LLMFailure) else None
                turn.query = deterministic_condense(turn.question, turn.history)
        else:
            turn.query = deterministic_condense(turn.question, turn.history)
        limit = self.settings.max_question_chars
        if len(turn.query) > limit:  # a long earlier turn (or LLM rewrite): keep the end, where the question is
            tail = turn.query[-limit:]
            turn.query = tail.split(" ", 1)[1] if " " in tail.strip() else tail
        return turn

    def _retrieve(self, turn: Turn) -> Turn:
        k = self.settings.context_k
        turn.query_vector = self.embeddings.embed_query(turn.query)
        results = self.searcher.search(turn.query, max(k, self.settings.candidates), validate=False,
                                       query_vector=turn.query_vector)
        if turn.prior_ids and turn.query != turn.question:
            # a follow-up: the previous turn's sources count as one more (weaker) ranking
            ranks = {"now": [r.chunk.id for r in results], "before": list(turn.prior_ids)}
            fused = rrf(ranks, {"now": 1.0, "before": 0.5}, self.settings.rrf_k)
            by_id = {r.chunk.id: r for r in results}
            for cid in turn.prior_ids:
                if cid not in by_id and cid in self.index.chunks:
                    by_id[cid] = ScoredChunk(self.index.chunks[cid], 0.0, {"history": 1})
            results = sorted(by_id.values(), key=lambda r: -fused.get(r.chunk.id, 0.0))
        turn.contexts = results[:k]
        if self.reader is not None:
            turn.contexts = results[:max(k, self.settings.reader_passages)]
            turn.reading = read(self.reader, turn.query, turn.contexts, self.stats, turn.intent,
                                self.unit_similarity(turn), self.key_similarity(turn), self.settings.reader_units,
                                self.reader_weight)
            turn.contexts = list(turn.reading.contexts[:k])
        field = turn.query
        if turn.query != turn.question:  # a follow-up stays in the field its conversation is in
            field = " ".join([*(h["content"] for h in turn.history if h.get("role") == "user"), turn.query])
        turn.evidence = assess(turn.query, turn.contexts, self.stats, asked=turn.question, field=field,
                               profile=load_profile(self.settings.profile))
        return turn

    def _cosine(self, sentence: str, sc: ScoredChunk) -> float:
        vec = self.index.store.vectors([sc.chunk.id]).get(sc.chunk.id)
        if vec is None:
            return 0.0
        return float(np.dot(np.asarray(self.embeddings.embed_query(sentence)), np.asarray(vec)))

    def unit_similarity(self, turn: Turn) -> dict[str, float]:
        """Cosine of each unit of the retrieved passages with the query, keyed by the unit's content
        hash (empty when the index has no unit vectors)."""
        units = self.index.units
        if units is None or turn.query_vector is None:
            return {}
        out: dict[str, float] = {}
        for keys, sims in units.similarities([sc.chunk.id for sc in turn.contexts], turn.query_vector).values():
            out.update(zip(keys, sims.tolist()))
        return out

    def key_similarity(self, turn: Turn) -> dict[str, float]:
        """Per passage, the cosine of its best search key with the query (empty without keys)."""
        keys = self.index.keys
        return keys.best(turn.query_vector) if keys is not None and turn.query_vector is not None else {}

    # --- public ------------------------------------------------------------------------------
    def _turn(self, question: str, history: Sequence[dict[str, str]], prior_ids: Sequence[str]) -> Turn:
        q = check_question(question, self.settings.max_question_chars)
        return Turn(q, clean_history(history), list(prior_ids), t0=time.perf_counter())

    def retrieve(self, question: str, history: Sequence[dict[str, str]] = (),
                 prior_ids: Sequence[str] = ()) -> Turn:
        return self.retrieval_chain.invoke(self._turn(question, history, prior_ids))

    def abstain_reason(self, turn: Turn) -> str:
        """Why this turn gets no answer from the sources ("" when it gets one): see :func:`decide`."""
        reason = decide(turn.evidence, turn.contexts, self.thresholds.abstain_min_dense,
                        self.settings.abstain_min_coverage)
        if turn.reading is not None and not reason and turn.reading.best < self.reader_threshold:
            return "unanswered"  # no unit answers, though the passages are about the field
        return reason

    def abstains(self, turn: Turn) -> bool:
        return bool(self.abstain_reason(turn))

    def _abstain_answer(self, turn: Turn, reason: str) -> Answer:
        text = (OUT_OF_SCOPE if reason in ("request", "out_of_scope") else ABSTAIN)[turn.lang]
        topics = nearest_topics(turn.contexts)
        if topics:
            text += " " + ABSTAIN_TOPICS[turn.lang].format(topics="; ".join(topics))
        return Answer((Statement(text, "notice", form="notice"),), (), tuple(turn.contexts), turn.query, True,
                      turn.lang, seconds=time.perf_counter() - turn.t0, reason=reason,
                      intent=turn.intent, reader=turn.reading is not None)

    def _finish(self, turn: Turn, v: Verified, lead: Statement | None = None) -> Answer:
        """The verified statements as the turn's answer (an abstention when none is left)."""
        if not v.citations:
            return self._abstain_answer(turn, "nothing_supported")
        sts = ([lead] if lead else []) + v.statements
        if turn.reading is not None and self.reader is not None:
            missing = open_parts(self.reader, turn.question, turn.reading, self.reader_threshold)
            if missing:
                sts.append(Statement(OPEN_PARTS[turn.lang].format(parts=" · ".join(missing)), "notice",
                                     form="notice"))
        if v.unsupported:
            sts.append(Statement(UNSUPPORTED_NOTE[turn.lang].format(n=len(v.unsupported)), "notice", form="notice"))
        return Answer(tuple(sts), tuple(v.citations), tuple(turn.contexts), turn.query, False, turn.lang,
                      tuple(v.unsupported), time.perf_counter() - turn.t0, intent=turn.intent,
                      reader=turn.reading is not None)

    def stream(self, question: str, history: Sequence[dict[str, str]] = (),
               prior_ids: Sequence[str] = ()) -> Iterator[str | Progress | Answer]:
        """Verified text pieces as they are produced (an LLM's only after verification, with
        :class:`Progress` before the first), then the final verified :class:`Answer`."""
        yield from self._generate(self.retrieve(question, history, prior_ids))

    def _answer_turn(self, turn: Turn) -> Answer:
        final: Answer | None = None
        for part in self._generate(turn):
            if isinstance(part, Answer):
                final = part
        assert final is not None
        return final

    def _generate(self, turn: Turn, use_llm: bool = True) -> Iterator[str | Progress | Answer]:
        reason = self.abstain_reason(turn)
        if reason:
            ans = self._abstain_answer(turn, reason)
            yield ans.text
            yield ans
            return
        if self.chat_model is None or not use_llm:
            yield from self._extractive(turn)
            return
        yield from llm_generate(self, turn)  # streams; on any LLM failure: a notice + the extractive answer

    def _extractive(self, turn: Turn) -> Iterator[str | Answer]:
        intent = turn.intent
        if turn.reading is not None:
            sts = compose_read(turn.query, turn.contexts, self.stats, intent, turn.reading,
                               self.unit_similarity(turn), self.key_similarity(turn))
        else:
            sts = compose(turn.query, turn.contexts, self.stats, intent, semantic=self.unit_similarity(turn),
                          keys=self.key_similarity(turn))
        v = verify_statements(sts, turn.contexts)
        # the sources are Dutch: an English reader is told before the quotes
        lead = Statement(LEAD["en"].get(intent, LEAD["en"]["howto"]), "notice", form="lead") if turn.lang == "en" else None
        shown: list[Statement] = [lead] if lead else []
        for st in v.statements:  # streamed line by line (a list item by item)
            yield from plain_text([*shown, st])[len(plain_text(shown)):].splitlines(keepends=True)
            shown.append(st)
        yield self._finish(turn, v, lead)

    def ask(self, question: str, history: Sequence[dict[str, str]] = (), prior_ids: Sequence[str] = ()) -> Answer:
        """The whole LCEL chain: question + history -> :class:`Answer`."""
        return self.chain.invoke(self._turn(question, history, prior_ids))
