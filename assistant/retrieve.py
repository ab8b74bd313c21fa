"""Hybrid retrieval: BM25 and dense results fused by weighted reciprocal rank fusion.

:class:`HybridSearcher` is plain Python; :class:`HybridRetriever` exposes it as a LangChain
``BaseRetriever``.
"""

from __future__ import annotations

import logging
import unicodedata
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from .errors import EmptyQuestionError, QuestionTooLongError, UnreadableQuestionError
from .index import Index
from .records import ScoredChunk

log = logging.getLogger(__name__)


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


class HybridSearcher:
    def __init__(self, index: Index, embeddings: Embeddings, mode: str = "hybrid", candidates: int = 30,
                 rrf_k: int = 60, bm25_weight: float = 1.0, dense_weight: float = 1.0,
                 max_query_chars: int = 4000):
        self.index = index
        self.max_query_chars = max_query_chars
        self.embeddings = embeddings
        self.mode = mode
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.weights = {"bm25": bm25_weight, "dense": dense_weight}

    @classmethod
    def from_settings(cls, index: Index, embeddings: Embeddings, settings: Any) -> "HybridSearcher":
        """The searcher as configured in :class:`~assistant.settings.Settings`."""
        return cls(index, embeddings, settings.retriever, settings.candidates, settings.rrf_k,
                   settings.bm25_weight, settings.dense_weight, settings.max_question_chars)

    def search(self, query: str, k: int = 5, mode: str | None = None, validate: bool = True) -> list[ScoredChunk]:
        """The ``k`` best chunks for ``query``. An empty, over-long or unreadable query raises a
        :class:`~assistant.errors.QuestionError` (``validate=False``: the caller has checked it)."""
        if validate:
            query = check_question(query, self.max_query_chars)
        mode = mode or self.mode
        n = max(self.candidates, k)
        bm25 = self.index.bm25.search(query, n) if mode in ("hybrid", "bm25") else []
        dense: list[tuple[str, float]] = []
        if mode in ("hybrid", "dense") and len(self.index):
            vec = self.embeddings.embed_query(query)
            dense = self.index.store.query(vec, min(n, len(self.index)))
        bm25_scores = dict(bm25)
        dense_scores = dict(dense)
        rankings = {"bm25": [c for c, _ in bm25], "dense": [c for c, _ in dense]}
        if mode == "bm25":
            fused = {c: s for c, s in bm25}
        elif mode == "dense":
            fused = {c: s for c, s in dense}
        else:
            fused = rrf(rankings, self.weights, self.rrf_k)
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
            ))
            if len(out) >= k:
                break
        return out


class HybridRetriever(BaseRetriever):
    """LangChain retriever over :class:`HybridSearcher`; documents carry the chunk metadata."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    searcher: Any
    k: int = 5

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[LCDocument]:
        return [to_lc_document(sc) for sc in self.searcher.search(query, self.k)]


def to_lc_document(sc: ScoredChunk) -> LCDocument:
    meta = sc.to_json()
    text = meta.pop("text")
    return LCDocument(page_content=text, metadata=meta, id=sc.chunk.id)
