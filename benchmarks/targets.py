"""The targets judged against a run's results: one row per target (met, missed or n/a)."""

from __future__ import annotations

from typing import Any

from .plan import QUALITY_METRICS, TARGETS


class _Rows(list):
    def add(self, name: str, target: str, measured: Any, ok: bool | None, note: str = "") -> None:
        self.append({"target": name, "threshold": target, "measured": measured,
                     "status": "n/a" if ok is None else ("met" if ok else "missed"), "note": note})


def _retrieval(rows: _Rows, res: dict[str, Any]) -> None:
    p95 = res["queries"]["ours"]["retrieval"]["p95_ms"]
    c = res["queries"]["ours"]["retrieval_components"]
    rows.add("retrieval p95 on the corpus", f"<= {TARGETS['retrieval_p95_ms_corpus']:.0f} ms", f"{p95:.1f} ms",
             p95 <= TARGETS["retrieval_p95_ms_corpus"],
             f"separately: query embedding p95 {c['embed_query']['p95_ms']:.1f} ms, BM25 + Chroma p95 "
             f"{c['index_only']['p95_ms']:.1f} ms")
    threshold = f"<= {TARGETS['retrieval_p95_ms_100k']:.0f} ms"
    big = [p for p in res["scale"].get("points", []) if p["store"] == "embedded" and p["n"] >= 100_000]
    if big:
        v = big[0]["serve"]["query"]["p95_ms"]
        cc = big[0]["serve"]["components"]
        rows.add("retrieval p95 at 100k chunks", threshold, f"{v:.1f} ms", v <= TARGETS["retrieval_p95_ms_100k"],
                 f"embedded Chroma + BM25, synthetic vectors; separately: query embedding p95 "
                 f"{cc['embed_query']['p95_ms']:.1f} ms, BM25 + Chroma p95 {cc['index_only']['p95_ms']:.1f} ms")
    else:
        largest = max((p["n"] for p in res["scale"].get("points", [])), default=0)
        rows.add("retrieval p95 at 100k chunks", threshold, f"not run (largest N = {largest})", None)
    a95 = res["queries"]["ours"]["answer"]["p95_ms"]
    rows.add("answer p95 (embedded default)", f"<= {TARGETS['answer_p95_ms']:.0f} ms", f"{a95:.1f} ms",
             a95 <= TARGETS["answer_p95_ms"])
    on = res["queries"]["ours"].get("answer_with_reader")
    if on:
        r = res["queries"]["ratios"]["answer_p95_reader_over_composer"]
        rows.add("answer p95 with the reader (ASSISTANT_READER=true)", f"<= {TARGETS['answer_p95_ms']:.0f} ms",
                 f"{on['p95_ms']:.1f} ms", on["p95_ms"] <= TARGETS["answer_p95_ms"], f"x{r:.2f} the composer's, same run")


def _cold_start(rows: _Rows, res: dict[str, Any]) -> None:
    threshold = f"<= {TARGETS['cold_start_s']:.0f} s"
    cli = res["cold_start"]["cli_ask"]
    if "median_s" in cli:
        rows.add("cold start to first answer (CLI)", threshold, f"{cli['median_s']:.2f} s",
                 cli["median_s"] <= TARGETS["cold_start_s"], "fresh `assistant ask` process, index present")
    else:
        rows.add("cold start to first answer (CLI)", threshold, "failed", False)
    app = res["cold_start"]["web_app"]
    if app.get("first_answer_s") is not None:
        rows.add("cold start to first answer (web app)", threshold, f"{app['first_answer_s']:.2f} s",
                 app["first_answer_s"] <= TARGETS["cold_start_s"])
    else:
        rows.add("cold start to first answer (web app)", threshold,
                 app.get("reason") or app.get("error", "not measured"), None)


def _indexing(rows: _Rows, res: dict[str, Any]) -> None:
    full = res["indexing"]["full"]["seconds"]
    rows.add("full corpus index", f"<= {TARGETS['full_index_s']:.0f} s", f"{full:.1f} s",
             full <= TARGETS["full_index_s"], f"{res['indexing']['full']['chunks']} chunks")
    nc = res["indexing"]["no_change"]["seconds"]
    rows.add("no-change re-index", f"<= {TARGETS['no_change_reindex_s']:.0f} s", f"{nc:.3f} s",
             nc <= TARGETS["no_change_reindex_s"])


def _baseline(rows: _Rows, res: dict[str, Any]) -> None:
    d = res["quality"]["delta"]
    worse = [m for m in QUALITY_METRICS if d[m] < 0]
    rows.add("quality >= baseline on every retrieval metric", "all deltas >= 0",
             ", ".join(f"{m} {d[m]:+.3f}" for m in QUALITY_METRICS), not worse)
    r = res["queries"]["ratios"]
    limit = TARGETS["latency_ratio_max"]
    rows.add("retrieval latency within 1.5x of the baseline", f"p95 ratio <= {limit}",
             f"p50 x{r['retrieval_p50']}, p95 x{r['retrieval_p95']}",
             r["retrieval_p95"] is not None and r["retrieval_p95"] <= limit, "same run, interleaved")
    rows.add("answer latency vs the baseline chain (informative)", f"p95 ratio <= {limit}",
             f"p50 x{r['answer_p50']}, p95 x{r['answer_p95']}",
             r["answer_p95"] is not None and r["answer_p95"] <= limit,
             "the baseline has no generator step (retrieval + prompt stuffing only)")


def _api(rows: _Rows, res: dict[str, Any]) -> None:
    api = res.get("api")
    threshold = f"<= {TARGETS['api_overhead_p95_ms']:.0f} ms"
    if not api or "error" in api:
        rows.add("API overhead p95 over the service's ask", threshold, (api or {}).get("error", "not run"), None)
        return
    p95 = api["overhead"]["p95_ms"]
    rows.add("API overhead p95 over the service's ask", threshold, f"{p95:.1f} ms", p95 <= TARGETS["api_overhead_p95_ms"],
             f"round trip minus the server's answer time; paired API - direct p95 "
             f"{api['paired_difference']['p95_ms']:.1f} ms")


def _memory(rows: _Rows, res: dict[str, Any]) -> None:
    pm = res.get("process_memory")
    checks = (("serve", "serve_rss_mb", "rss_mb", "`assistant serve` resident memory after {n} questions"),
              ("ask_jsonl", "ask_jsonl_rss_mb", "rss_mb", "`assistant ask --jsonl` resident memory after {n} questions"),
              ("index_rebuild", "index_rebuild_peak_mb", "peak_rss_mb", "`assistant index --rebuild` peak memory"))
    for key, target, field, name in checks:
        threshold = f"<= {TARGETS[target]:.0f} MB"
        part = (pm or {}).get(key, {})
        label = name.format(n=part.get("questions", "N"))
        if field not in part:
            rows.add(label, threshold, part.get("error", "not run"), None if pm is None else False)
        else:
            rows.add(label, threshold, f"{part[field]:.0f} MB", part[field] <= TARGETS[target], "its own process")


def _reader(rows: _Rows, res: dict[str, Any]) -> None:
    cost = res.get("reader_cost")
    if not cost:
        return
    cold, warm = cost["cold"], cost["warm"]
    rows.add("reader: resident memory added", "<= 150 MB", f"{warm['rss_added_mb']:.0f} MB",
             warm["rss_added_mb"] <= 150.0, f"cold (builds its ONNX model): {cold['rss_added_mb']:.0f} MB")
    rows.add("reader: start time", "<= 2 s", f"{warm['start_s']:.2f} s", warm["start_s"] <= 2.0,
             f"cold (builds its ONNX model once): {cold['start_s']:.2f} s")


def judge(res: dict[str, Any]) -> list[dict[str, Any]]:
    rows = _Rows()
    for part in (_retrieval, _cold_start, _indexing, _baseline, _api, _memory, _reader):
        part(rows, res)
    return list(rows)
