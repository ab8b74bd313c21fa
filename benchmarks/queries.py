"""2. Queries, answers and the baseline side by side, over the questions of ``evals/qa.jsonl``:
retrieval interleaved with the baseline (alternating who goes first), where our retrieval time goes,
and end-to-end answers."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .baseline import Baseline, quality
from .measure import lat, ratio, say
from .plan import QUALITY_METRICS, Plan

Rows = list[tuple[list[str], list[set[str]]]]
BASELINE_PIPELINE = ("RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200) on the raw files -> "
                     "langchain_chroma.Chroma (embedded, dense only, the same embedder as ours) -> retriever k=4 -> "
                     "'stuff' prompt (no LLM configured: end-to-end = retrieval + prompt stuffing)")
GOLD_NOTE = ("same condensed queries for both; depth 10; gold = chunks holding the gold quote "
             "(alnum key substring, else its first/last 60 alnum chars)")


def turns(n: int, first: int = 0) -> tuple[int, int]:
    """Who goes first in pair ``n``: (0, 1) (ours first) and (1, 0) alternate."""
    return (0, 1) if (n + first) % 2 == 0 else (1, 0)


def time_components(queries: Sequence[str], emb: Any, bm25: Any, store: Any, n_bm25: int, n_vec: int,
                    vector_key: str) -> dict[str, list[float]]:
    """Seconds per query for the query embedding, BM25 and the vector query (named ``vector_key``),
    and the two index parts together (``index_only``)."""
    comp: dict[str, list[float]] = {"embed_query": [], "bm25": [], vector_key: []}
    for q in queries:
        t = time.perf_counter()
        vec = emb.embed_query(q)
        comp["embed_query"].append(time.perf_counter() - t)
        t = time.perf_counter()
        bm25.search(q, n_bm25)
        comp["bm25"].append(time.perf_counter() - t)
        t = time.perf_counter()
        store.query(vec, n_vec)
        comp[vector_key].append(time.perf_counter() - t)
    comp["index_only"] = [b + v for b, v in zip(comp["bm25"], comp[vector_key])]
    return comp


def _retrieval(plan: Plan, items: Sequence[Any], queries: list[str], engine: Any,
               base: Baseline) -> tuple[list[float], list[float], Rows, Rows]:
    from assistant.evaluation.dataset import resolve_gold

    say(f"queries: retrieval, ours vs baseline interleaved, {plan.rounds} x {len(queries)}")
    chunks = list(engine.index.chunks.values())
    ours_t: list[float] = []
    base_t: list[float] = []
    ours_rows: Rows = []
    base_rows: Rows = []
    for r in range(plan.rounds):
        for i, (it, q) in enumerate(zip(items, queries)):
            for who in turns(i, r):
                if who == 0:
                    t = time.perf_counter()
                    res = engine.searcher.search(q, 10)
                    ours_t.append(time.perf_counter() - t)
                    if r == 0 and it.answerable:
                        ours_rows.append(([sc.chunk.id for sc in res], resolve_gold(it, chunks)))
                else:
                    t = time.perf_counter()
                    ids = base.search(q, 10)
                    base_t.append(time.perf_counter() - t)
                    if r == 0 and it.answerable:
                        base_rows.append((ids, base.gold(it)))
    return ours_t, base_t, ours_rows, base_rows


def _answers(items: Sequence[Any], engine: Any, base: Baseline, other: Any = None) -> dict[str, Any]:
    """``other``: the same engine with the reader switched the other way, timed on the same questions in turn."""
    say(f"answers: AnswerEngine.ask vs baseline chain, {len(items)} questions")
    out: dict[str, Any] = {"ours": [], "retrieval_part": [], "baseline": [], "abstained": 0, "switched": []}
    for i, it in enumerate(items):
        for who in turns(i):
            if who == 0:
                t = time.perf_counter()
                a = engine.ask(it.question, list(it.history))
                out["ours"].append(time.perf_counter() - t)
                out["abstained"] += int(a.abstained)
            else:
                t = time.perf_counter()
                base.answer(it.question)
                out["baseline"].append(time.perf_counter() - t)
        t = time.perf_counter()
        engine.retrieve(it.question, list(it.history))
        out["retrieval_part"].append(time.perf_counter() - t)
        if other is not None:
            t = time.perf_counter()
            other.ask(it.question, list(it.history))
            out["switched"].append(time.perf_counter() - t)
    return out


def ratios(ours: dict[str, Any], baseline: dict[str, Any]) -> dict[str, float | None]:
    """Ours / baseline for the retrieval and answer latency percentiles."""
    ro, rb, ao, ab = ours["retrieval"], baseline["retrieval"], ours["answer"], baseline["answer"]
    return {
        "retrieval_p50": ratio(ro["p50_ms"], rb["p50_ms"]), "retrieval_p95": ratio(ro["p95_ms"], rb["p95_ms"]),
        "retrieval_p99": ratio(ro["p99_ms"], rb["p99_ms"]),
        "answer_p50": ratio(ao["p50_ms"], ab["p50_ms"]), "answer_p95": ratio(ao["p95_ms"], ab["p95_ms"]),
    }


def compare_quality(ours_q: dict[str, float], base_q: dict[str, float]) -> dict[str, Any]:
    return {"items": ours_q["items"], "ours": ours_q, "baseline": base_q,
            "delta": {m: round(ours_q[m] - base_q[m], 4) for m in QUALITY_METRICS}, "note": GOLD_NOTE}


def bench_queries(plan: Plan, settings: Any, items: Sequence[Any], emb: Any, work: Path) -> dict[str, Any]:
    from assistant.answer.chain import AnswerEngine
    from assistant.answer.condense import deterministic_condense

    say("baseline: split + embed + store (LangChain textbook pipeline)")
    base = Baseline(settings.corpus_dir, emb, work / "baseline-chroma")
    base_build = base.build()
    engine = AnswerEngine(settings, embeddings=emb)
    index = engine.index
    queries = [deterministic_condense(it.question, list(it.history)) for it in items]
    say(f"queries: warm-up ({plan.warmup})")
    for q in queries[:plan.warmup]:
        engine.ask(q)
        base.answer(q)
        engine.searcher.search(q, 10)
        base.search(q, 10)
    ours_t, base_t, ours_rows, base_rows = _retrieval(plan, items, queries, engine, base)
    say("queries: where retrieval time goes (embed / BM25 / Chroma)")
    n_cand = max(settings.candidates, 10)
    comp = time_components(queries, emb, index.bm25, index.store, n_cand, min(n_cand, len(index)), "chroma_query")
    other = AnswerEngine(settings.model_copy(update={"reader": not settings.reader}), index=index, embeddings=emb)
    with_reader = engine if settings.reader else other
    ans = _answers(items, engine, base, other if with_reader.reader is not None else None)
    out = {
        "questions": len(items), "rounds": plan.rounds,
        "ours": {"retrieval": lat(ours_t), "retrieval_components": {k: lat(v) for k, v in comp.items()},
                 "answer": lat(ans["ours"]), "answer_retrieval_part": lat(ans["retrieval_part"]),
                 "abstained": ans["abstained"], "chunks": len(index), "reader": engine.reader is not None,
                 # the same questions answered with the reader switched the other way
                 "answer_reader_switched": lat(ans["switched"]) if ans["switched"] else None},
        "baseline": {"retrieval": lat(base_t), "answer": lat(ans["baseline"]), "chunks": base_build["chunks"]},
    }
    out["ratios"] = ratios(out["ours"], out["baseline"])
    if ans["switched"]:  # what the reader costs, in the same run
        sw, own = out["ours"]["answer_reader_switched"], out["ours"]["answer"]
        on, off = (own, sw) if settings.reader else (sw, own)
        out["ours"]["answer_with_reader"] = on
        out["ratios"]["answer_p95_reader_over_composer"] = ratio(on["p95_ms"], off["p95_ms"])
        out["ratios"]["answer_p50_reader_over_composer"] = ratio(on["p50_ms"], off["p50_ms"])
    base_q = quality(base_rows)
    engine.index.store.close()
    return {"queries": out, "baseline": {"pipeline": BASELINE_PIPELINE, "build": base_build, "quality": base_q},
            "quality": compare_quality(quality(ours_rows), base_q)}
