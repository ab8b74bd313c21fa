"""Samenwerkwijzer benchmarks: ``assistant bench [--scale N ...] [--json out.json] [--quick]``.

One run measures, on this machine and in this order:

1. indexing of the real corpus (full build, no-change re-index, re-index after one file changed),
   chunks per second and peak RSS;
2. queries over the questions of ``evals/qa.jsonl``: retrieval latency (``HybridSearcher.search``),
   end-to-end answer latency (``AnswerEngine.ask``, extractive default) and cold start (a fresh
   ``assistant ask`` process; the web app when ``app.py`` exists);
3. the textbook LangChain baseline (RecursiveCharacterTextSplitter 1000/200, ``langchain_chroma``
   dense-only retrieval with the same embedder, top-4 "stuff" context) on the same questions,
   interleaved with ours so both see the same machine load: quality (hit@k, MRR, ...) and latency
   side by side, with ratios;
4. embedding throughput per backend and batch size, and synthetic corpora of N chunks (recombined
   real paragraphs; vectors derived from the real paragraphs' embeddings) in embedded Chroma + BM25
   and, for the largest N, a Chroma server: index time, disk, query latency, memory, a plot.

Everything heavy that must be measured in isolation (scale points, OpenMP probes) runs in a child
process (``python -m benchmarks worker CONFIG.json``, see :mod:`benchmarks.workers`), so its memory is
its own. ``python -m benchmarks profile`` profiles the hot paths with cProfile (see README.md here).

Modules: :mod:`~benchmarks.cli` (the run, ``main``), :mod:`~benchmarks.plan` (targets, full/quick plan),
:mod:`~benchmarks.measure` (timing, memory, machine, the result writer), :mod:`~benchmarks.corpus`,
:mod:`~benchmarks.indexing`, :mod:`~benchmarks.baseline`, :mod:`~benchmarks.queries`,
:mod:`~benchmarks.coldstart`, :mod:`~benchmarks.embedding`, :mod:`~benchmarks.scale`,
:mod:`~benchmarks.plot`, :mod:`~benchmarks.targets`, :mod:`~benchmarks.report`,
:mod:`~benchmarks.profiling`, :mod:`~benchmarks.workers`; :mod:`~benchmarks.engines` is
``assistant bench --engines``.
"""

from __future__ import annotations

from typing import Any


def main(settings: Any, args: Any) -> int:
    """``assistant bench`` (args.scale, args.json_out, args.quick); the modules load on use."""
    from .cli import main as run_main

    return run_main(settings, args)
