"""Retrieval evaluation: hit@k, recall@k, MRR@10 and nDCG@10 per retriever, in one run."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..records import ScoredChunk
from .dataset import EvalItem, resolve
from .metrics import hit_at_k, mrr_at_k, ndcg_at_k, recall_at_k

Search = Callable[[str, int, str], Sequence[ScoredChunk]]


@dataclass
class RetrievalRow:
    item_id: str
    kind: str
    doc: str
    ranked: list[str]
    gold: list[set[str]]
    seconds: float
    scores: dict[str, float] = field(default_factory=dict)


def evaluate_retrieval(items: Sequence[EvalItem], search: Search, chunks: Any, mode: str,
                       query_of: Callable[[EvalItem], str], depth: int = 10) -> list[RetrievalRow]:
    rows = []
    chunk_list = list(chunks)
    for it in items:
        if not it.answerable:
            continue
        gold, answering = resolve(it, chunk_list)
        t0 = time.perf_counter()
        res = search(query_of(it), depth, mode)
        dt = time.perf_counter() - t0
        ranked = [sc.chunk.id for sc in res]
        row = RetrievalRow(it.id, it.kind, it.evidence[0].doc if it.evidence else "", ranked, gold, dt)
        row.scores = {  # hit and MRR: any passage that answers; *_strict: only the marked evidence
            "hit@1": hit_at_k(ranked, answering, 1),
            "hit@5": hit_at_k(ranked, answering, 5),
            "recall@5": recall_at_k(ranked, gold, 5),
            "mrr@10": mrr_at_k(ranked, answering, 10),
            "ndcg@10": ndcg_at_k(ranked, gold, 10),
            "hit@5_strict": hit_at_k(ranked, gold, 5),
            "mrr@10_strict": mrr_at_k(ranked, gold, 10),
        }
        rows.append(row)
    return rows


def summarize(rows: Sequence[RetrievalRow]) -> dict[str, float]:
    if not rows:
        return {}
    out = {m: statistics.fmean(r.scores[m] for r in rows) for m in rows[0].scores}
    lat = sorted(r.seconds for r in rows)
    out["p50_ms"] = 1000 * lat[len(lat) // 2]
    out["p95_ms"] = 1000 * lat[min(len(lat) - 1, int(0.95 * len(lat)))]
    out["n"] = len(rows)
    return out
