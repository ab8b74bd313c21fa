"""Hybrid retrieval: BM25 and dense results fused, by default on normalised scores.

Score fusion (the default): the candidates are the union of the BM25 and the dense top lists and
the passages of the best-matching search keys (:mod:`assistant.keys`); each gets its BM25 score, its
passage cosine, the cosine of its best unit (sentence or list, see :mod:`assistant.units`) and of
its best search key, each z-normalised over the candidates, and the weighted sum ranks them. Rank
fusion throws the score gaps away; ``fusion="rrf"`` keeps it as an option. The measurements behind
this are in docs/decisions.md ("Retrieval"). :class:`HybridSearcher` is plain Python;
:class:`HybridRetriever` exposes it as a LangChain ``BaseRetriever``.
"""

from __future__ import annotations

import logging
import math
import unicodedata
from collections.abc import Mapping
from typing import Any, TypeVar

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from .errors import EmptyQuestionError, QuestionTooLongError, UnreadableQuestionError
from .index import Index
from .records import ScoredChunk
from .settings import Settings

log = logging.getLogger(__name__)

K = TypeVar("K")


def check_question(question: str, limit: int) -> str:
    """The question stripped, or a clear error for empty, over-long and unreadable questions.

    Lone surrogates (undecodable bytes on the command line, ``\\udxxx`` escapes in JSON) become
    U+FFFD, so nothing downstream fails on encoding. A question without a single letter or digit
    (emoji, punctuation, zero-width characters) or that is mostly replacement and control characters
    (binary data) is refused: searching it would return arbitrary passages.
    """
    if not isinstance(question, str) or not question.strip():
        raise EmptyQuestionError()
    q = question.encode("utf-8", "surrogatepass").decode("utf-8", "replace").strip()
    if len(q) > limit:
        raise QuestionTooLongError(len(q), limit)
    if not any(ch.isalnum() for ch in q):
        raise UnreadableQuestionError()
    visible = [ch for ch in q if not ch.isspace()]
    junk = sum(1 for ch in visible if ch == "\ufffd" or unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn"))
    if junk > 0.2 * len(visible):
        raise UnreadableQuestionError()
    return q


def rrf(rankings: dict[str, list[str]], weights: dict[str, float], k: int = 60) -> dict[str, float]:
    """Weighted reciprocal rank fusion: sum of w / (k + rank) over the rankings holding an id."""
    fused: dict[str, float] = {}
    for name, ids in rankings.items():
        w = weights.get(name, 1.0)
        for rank, cid in enumerate(ids, start=1):
            fused[cid] = fused.get(cid, 0.0) + w / (k + rank)
    return fused


def zscores(values: Mapping[K, float]) -> dict[K, float]:
    """Each value minus the mean, over the standard deviation (all 0 when they are equal; a value
    that is not a finite number counts as average)."""
    finite = [v for v in values.values() if math.isfinite(v)]
    if not finite:
        return dict.fromkeys(values, 0.0)
    mean = sum(finite) / len(finite)
    sd = (sum((v - mean) ** 2 for v in finite) / len(finite)) ** 0.5
    return {c: (v - mean) / sd if sd > 1e-9 and math.isfinite(v) else 0.0 for c, v in values.items()}


class HybridSearcher:
    def __init__(self, index: Index, embeddings: Embeddings, settings: Settings | None = None, **overrides: Any):
        """``settings`` (default: ``Settings()``) gives the retrieval parameters; ``overrides`` change
        fields for this searcher only (``fusion="rrf"``)."""
        s = settings or Settings()
        unknown = set(overrides) - set(Settings.model_fields)
        if unknown:
            raise TypeError(f"not a setting: {', '.join(sorted(unknown))}")
        if overrides:
            s = s.model_copy(update=overrides)
        self.index = index
        self.embeddings = embeddings
        self.max_query_chars = s.max_question_chars
        self.mode = s.retriever
        self.candidates = s.candidates
        self.rrf_k = s.rrf_k
        self.fusion = s.fusion
        self.weights = {"bm25": s.bm25_weight, "dense": s.dense_weight, "unit": s.unit_weight, "key": s.key_weight}

    @classmethod
    def from_settings(cls, index: Index, embeddings: Embeddings, settings: Settings) -> "HybridSearcher":
        """The searcher as configured in :class:`~assistant.settings.Settings`."""
        return cls(index, embeddings, settings)

    def search(self, query: str, k: int = 5, mode: str | None = None, validate: bool = True,
               query_vector: list[float] | None = None) -> list[ScoredChunk]:
        """The ``k`` best chunks for ``query``. An empty, over-long or unreadable query raises a
        :class:`~assistant.errors.QuestionError` (``validate=False``: the caller has checked it).
        ``query_vector``: the query's embedding when the caller already has it."""
        if validate:
            query = check_question(query, self.max_query_chars)
        mode = mode or self.mode
        n = max(self.candidates, k)
        bm25 = self.index.bm25.search(query, n) if mode in ("hybrid", "bm25") else []
        dense: list[tuple[str, float]] = []
        vec = query_vector
        if mode in ("hybrid", "dense") and len(self.index):
            if vec is None:
                vec = self.embeddings.embed_query(query)
            dense = self.index.store.query(vec, min(n, len(self.index)))
        bm25_scores = dict(bm25)
        dense_scores = dict(dense)
        unit_scores: dict[str, float] = {}
        rankings = {"bm25": [c for c, _ in bm25], "dense": [c for c, _ in dense]}
        if mode == "bm25":
            fused = dict(bm25_scores)
        elif mode == "dense":
            fused = dict(dense_scores)
        elif self.fusion == "rrf":
            fused = rrf(rankings, self.weights, self.rrf_k)
        else:
            fused, unit_scores = self._score_fusion(vec, bm25_scores, dense_scores)
        ranks = {name: {cid: r for r, cid in enumerate(ids, start=1)} for name, ids in rankings.items()}
        order = sorted(fused, key=lambda c: (-fused[c], c))
        out: list[ScoredChunk] = []
        if k <= 0:
            return out
        for cid in order:
            chunk = self.index.chunks.get(cid)
            if chunk is None:
                continue
            out.append(ScoredChunk(
                chunk=chunk,
                score=fused[cid],
                ranks={name: r[cid] for name, r in ranks.items() if cid in r},
                dense_score=dense_scores.get(cid),
                bm25_score=bm25_scores.get(cid),
                unit_score=unit_scores.get(cid),
            ))
            if len(out) >= k:
                break
        return out

    def _score_fusion(self, vec: list[float] | None, bm25: dict[str, float],
                      dense: dict[str, float]) -> tuple[dict[str, float], dict[str, float]]:
        """Weighted sum of z-normalised BM25, passage cosine and best-unit cosine over the union of
        both candidate lists. A BM25-only candidate's cosine is computed from its stored vector
        (``dense`` is completed in place); a dense-only candidate has BM25 score 0 (below the cut)."""
        keyed = self.index.keys.best(vec) if vec is not None and self.index.keys is not None \
            and self.weights.get("key") else {}
        # the passages of the best-matching keys are candidates too, whatever their own words
        cands = list(dict.fromkeys([*dense, *bm25, *sorted(keyed, key=lambda c: -keyed[c])[:5]]))
        if vec is None or not cands:
            return {c: bm25.get(c, 0.0) for c in cands}, {}
        missing = [c for c in cands if c not in dense]
        if missing:
            got = self.index.store.vectors(missing)
            if got:
                q = np.asarray(vec, dtype=np.float32)
                mat = np.asarray(list(got.values()), dtype=np.float32)
                dense.update(zip(got, (mat @ q).tolist()))
        units = self.index.units.best(cands, vec) if self.index.units is not None else {}
        signals = {
            "bm25": {c: bm25.get(c, 0.0) for c in cands},
            "dense": {c: dense.get(c, 0.0) for c in cands},
        }
        if units:
            signals["unit"] = {c: units.get(c, dense.get(c, 0.0)) for c in cands}
        if keyed:
            # a passage without keys (an uploaded document) counts as an average key match: neutral
            have = [keyed[c] for c in cands if c in keyed]
            neutral = sum(have) / len(have) if have else 0.0
            signals["key"] = {c: keyed.get(c, neutral) for c in cands}
        fused = dict.fromkeys(cands, 0.0)
        for name, values in signals.items():
            w = self.weights.get(name, 1.0)
            for c, zv in zscores(values).items():
                fused[c] += w * zv
        return fused, units


class HybridRetriever(BaseRetriever):
    """LangChain retriever over :class:`HybridSearcher`; documents carry the chunk metadata."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    searcher: Any
    k: int = 5

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun,
                                k: int | None = None) -> list[LCDocument]:
        """The ``k`` best passages (``retriever.invoke(q, k=1)`` overrides the retriever's own k)."""
        return [to_lc_document(sc) for sc in self.searcher.search(query, self.k if k is None else k)]


def to_lc_document(sc: ScoredChunk) -> LCDocument:
    meta = sc.to_json()
    text = meta.pop("text")
    return LCDocument(page_content=text, metadata=meta, id=sc.chunk.id)
