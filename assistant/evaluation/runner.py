"""``assistant eval``: retrieval for bm25/dense/hybrid side by side and answers with the configured
generator, in one run; a table on stdout and JSON + Markdown + self-contained HTML reports."""

from __future__ import annotations

import base64
import html
import io
import json
import statistics
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..answer.chain import AnswerEngine
from ..answer.condense import deterministic_condense
from ..prompts import REPORT
from ..settings import Settings
from .answers import AnswerRow, by_intent, run_answers, summarize_answers
from .dataset import EvalItem, load_items
from .retrieval import RetrievalRow, evaluate_retrieval, summarize
from .scope import run_scope

RETRIEVAL_METRICS = ["hit@1", "hit@5", "recall@5", "mrr@10", "ndcg@10", "hit@5_strict", "mrr@10_strict", "p50_ms",
                     "p95_ms"]
ANSWER_METRICS = ["key_facts", "facts@120", "noise_share", "median_words", "gold_cited", "gold_cited_strict", "faithfulness", "citation_precision", "citation_recall",
                  "abstention_accuracy", "false_abstention", "language_match", "latency_p50_ms", "latency_p95_ms"]


def run_eval(settings: Settings, qa_path: Path, retrievers: Sequence[str] = ("bm25", "dense", "hybrid"),
             kinds: Sequence[str] = (), k: int = 5, answers: bool = True,
             scope: Sequence[Path] = ()) -> dict[str, Any]:
    """The whole evaluation; ``scope``: scope sets (questions inside and outside the field) whose
    refusals are counted too when answers are evaluated."""
    items = load_items(qa_path)
    if kinds:
        items = [it for it in items if it.kind in kinds]
    engine = AnswerEngine(settings.model_copy(update={"context_k": k}))
    chunks = list(engine.index.chunks.values())
    engine.searcher.search("opwarmen", 5)

    def query_of(it: EvalItem) -> str:
        return deterministic_condense(it.question, list(it.history))

    result: dict[str, Any] = {"created": time.strftime("%Y-%m-%dT%H:%M:%S"), "items": len(items),
                              "generator": settings.generator, "k": k, "retrieval": {}, "per_item": {}}
    rows_by_mode: dict[str, list[RetrievalRow]] = {}
    for mode in retrievers:
        rows = evaluate_retrieval(items, lambda q, n, m: engine.searcher.search(q, n, m), chunks, mode, query_of)
        rows_by_mode[mode] = rows
        result["retrieval"][mode] = summarize(rows)
        result["retrieval"][mode]["by_kind"] = _group(rows, lambda r: r.kind, "hit@5")
        result["retrieval"][mode]["by_doc"] = _group(rows, lambda r: r.doc, "hit@5")
    if answers:
        arows = run_answers(items, engine)
        result["answers"] = summarize_answers(arows)
        result["answers"]["by_kind"] = {
            kind: summarize_answers([r for r in arows if r.item.kind == kind])
            for kind in sorted({r.item.kind for r in arows})
        }
        result["answers"]["by_intent"] = by_intent(arows)
        result["per_item"] = {r.item.id: {"question": r.item.question, "kind": r.item.kind, **r.scores,
                                          "answer": r.answer.text, "query": r.answer.query,
                                          "contexts": [sc.chunk.id for sc in r.answer.contexts]}
                              for r in arows}
        result["_rows"] = arows
        if scope:
            result["scope"] = {p.name: run_scope(engine, p) for p in scope}
    result["_retrieval_rows"] = rows_by_mode
    result["_items"] = items
    result["_chunks"] = {c.id: c for c in chunks}
    return result


def _group(rows: Sequence[RetrievalRow], key: Any, metric: str) -> dict[str, float]:
    groups: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        groups[key(r)].append(r.scores[metric])
    return {g: statistics.fmean(v) for g, v in sorted(groups.items())}


def table(result: dict[str, Any]) -> str:
    lines = ["| retriever | " + " | ".join(RETRIEVAL_METRICS) + " |",
             "|---|" + "---|" * len(RETRIEVAL_METRICS)]
    for mode, s in result["retrieval"].items():
        lines.append(f"| {mode} | " + " | ".join(_fmt(s.get(m)) for m in RETRIEVAL_METRICS) + " |")
    if "answers" in result:
        a = result["answers"]
        lines += ["", f"| answers ({result['generator']}) | value |", "|---|---|"]
        lines += [f"| {m} | {_fmt(a.get(m))} |" for m in ANSWER_METRICS if m in a]
        intents = a.get("by_intent") or {}
        if intents:
            cols = ["n", "facts@120", "key_facts", "noise_share", "median_words", "gold_cited", "false_abstention"]
            lines += ["", "| intent | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
            lines += [f"| {name} | " + " | ".join(_fmt(v.get(c)) for c in cols) + " |" for name, v in intents.items()]
    if result.get("scope"):
        lines += ["", "| scope set | field questions refused | outside questions refused |", "|---|---|---|"]
        lines += [f"| {name} | {_fmt(s['in_field_refused'])} ({s['in_field']}) | "
                  f"{_fmt(s['outside_refused'])} ({s['outside']}) |" for name, s in result["scope"].items()]
    if result.get("generators"):  # eval --generator a,b (and --judge): side by side
        from .judge import generators_table

        lines += ["", generators_table(result)]
    return "\n".join(lines)


def _fmt(v: Any) -> str:
    return "–" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))


def compare(result: dict[str, Any], old: dict[str, Any]) -> str:
    lines = ["| metric | before | after | change |", "|---|---|---|---|"]
    for mode, s in result["retrieval"].items():
        for m in RETRIEVAL_METRICS:
            b = old.get("retrieval", {}).get(mode, {}).get(m)
            if b is not None and s.get(m) is not None:
                lines.append(f"| {mode} {m} | {b:.3f} | {s[m]:.3f} | {s[m] - b:+.3f} |")
    for m in ANSWER_METRICS:
        b, a = old.get("answers", {}).get(m), result.get("answers", {}).get(m)
        if a is not None and b is not None:
            lines.append(f"| answers {m} | {b:.3f} | {a:.3f} | {a - b:+.3f} |")
    for name, sc in (result.get("scope") or {}).items():
        for m in ("in_field_refused", "outside_refused"):
            b, a = (old.get("scope") or {}).get(name, {}).get(m), sc.get(m)
            if a is not None and b is not None:
                lines.append(f"| scope {name} {m} | {b:.3f} | {a:.3f} | {a - b:+.3f} |")
    return "\n".join(lines)


def _plot_png(fn: Any) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = fn(plt)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _plots(result: dict[str, Any]) -> list[tuple[str, str]]:
    modes = list(result["retrieval"])
    metrics = ["hit@1", "hit@5", "recall@5", "mrr@10", "ndcg@10"]

    def side_by_side(plt: Any) -> Any:
        fig, ax = plt.subplots(figsize=(8, 3.6))
        w = 0.8 / max(1, len(modes))
        for i, mode in enumerate(modes):
            ax.bar([x + i * w for x in range(len(metrics))], [result["retrieval"][mode][m] for m in metrics], w, label=mode)
        ax.set_xticks([x + w * (len(modes) - 1) / 2 for x in range(len(metrics))], metrics)
        ax.set_ylim(0, 1)
        ax.set_title("Retrieval per retriever")
        ax.legend()
        return fig

    def by_group(field: str, title: str) -> Any:
        def draw(plt: Any) -> Any:
            groups = sorted({g for m in modes for g in result["retrieval"][m][field]})
            fig, ax = plt.subplots(figsize=(8, 3.6))
            w = 0.8 / max(1, len(modes))
            for i, mode in enumerate(modes):
                ax.bar([x + i * w for x in range(len(groups))],
                       [result["retrieval"][mode][field].get(g, 0) for g in groups], w, label=mode)
            ax.set_xticks([x + w * (len(modes) - 1) / 2 for x in range(len(groups))],
                          [g.replace(".txt", "")[:22] for g in groups], rotation=20, ha="right")
            ax.set_ylim(0, 1)
            ax.set_title(title)
            ax.legend()
            return fig
        return draw

    plots = [("Retrieval", _plot_png(side_by_side)),
             ("hit@5 per kind", _plot_png(by_group("by_kind", "hit@5 per question kind"))),
             ("hit@5 per document", _plot_png(by_group("by_doc", "hit@5 per document")))]
    if "answers" in result:
        bk = result["answers"]["by_kind"]

        def answers_by_kind(plt: Any) -> Any:
            kinds = list(bk)
            fig, ax = plt.subplots(figsize=(8, 3.6))
            ms = ["key_facts", "gold_cited", "abstention_accuracy"]
            w = 0.8 / len(ms)
            for i, m in enumerate(ms):
                ax.bar([x + i * w for x in range(len(kinds))], [bk[k].get(m, 0) for k in kinds], w, label=m)
            ax.set_xticks([x + w for x in range(len(kinds))], kinds)
            ax.set_ylim(0, 1)
            ax.set_title("Answers per question kind")
            ax.legend()
            return fig

        plots.append(("Answers per kind", _plot_png(answers_by_kind)))
    return plots


def worst_items(result: dict[str, Any], n: int = 10) -> list[AnswerRow]:
    rows: list[AnswerRow] = result.get("_rows", [])
    bad = [r for r in rows if r.item.answerable]
    bad.sort(key=lambda r: (r.scores.get("gold_cited", 0) + r.scores.get("key_facts", 0), r.item.id))
    wrong_abstain = [r for r in rows if not r.item.answerable and not r.answer.abstained]
    return (bad[: n - min(3, len(wrong_abstain))] + wrong_abstain[:3])[:n]


def write_reports(result: dict[str, Any], out_dir: Path) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    clean = {k: v for k, v in result.items() if not k.startswith("_")}
    paths = {"json": out_dir / f"eval-{stamp}.json", "md": out_dir / f"eval-{stamp}.md",
             "html": out_dir / f"eval-{stamp}.html"}
    paths["json"].write_text(json.dumps(clean, ensure_ascii=False, indent=1), encoding="utf-8")
    worst = worst_items(result)
    md = [REPORT["md_title"].format(created=result["created"]), "",
          REPORT["md_summary"].format(items=result["items"], generator=result["generator"], k=result["k"]), "",
          table(result), "", REPORT["md_worst"], ""]
    for r in worst:
        md.append(f"- **{r.item.id}** ({r.item.kind}) {r.item.question} — "
                  + ", ".join(f"{k}={v:.2f}" for k, v in r.scores.items() if k != "seconds"))
    paths["md"].write_text("\n".join(md) + "\n", encoding="utf-8")
    chunks = result.get("_chunks", {})
    parts = [f"<h1>{REPORT['title']}</h1><p>{html.escape(result['created'])} · {result['items']} items · "
             f"generator {html.escape(result['generator'])} · k={result['k']}</p>",
             "<h2>Metrics</h2>" + _md_table_html(table(result))]
    for title, png in _plots(result):
        parts.append(f"<h2>{html.escape(title)}</h2><img alt='{html.escape(title)}' src='data:image/png;base64,{png}'>")
    parts.append(f"<h2>{REPORT['worst']}</h2>")
    for r in worst:
        ctx = "".join(
            f"<li><b>{html.escape(chunks[c].title)}</b> — {html.escape(chunks[c].section)}"
            f"{' <span class=gold>(gold)</span>' if any(c in g for g in r.gold) else ''}"
            f"<br><small>{html.escape(chunks[c].text[:400])}…</small></li>"
            for c in [sc.chunk.id for sc in r.answer.contexts] if c in chunks)
        parts.append(
            f"<div class=item><h3>{html.escape(r.item.id)} ({html.escape(r.item.kind)})</h3>"
            f"<p><b>{REPORT['question']}</b> {html.escape(r.item.question)}</p>"
            f"<p><b>{REPORT['reference']}</b> {html.escape(r.item.reference_answer)}</p>"
            f"<pre>{html.escape(r.answer.text)}</pre><p>{REPORT['retrieved']}</p><ol>{ctx}</ol>"
            f"<p class=gold>Gold: {html.escape('; '.join(e.quote[:120] for e in r.item.evidence))}</p></div>")
    page = (f"<!doctype html><html lang=nl><meta charset=utf-8><title>{REPORT['title']}</title><style>"
            "body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;color:#222}"
            "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
            "img{max-width:100%}.item{border-top:1px solid #ddd;margin-top:1em}.gold{color:#0a6}"
            "pre{white-space:pre-wrap;background:#f6f6f6;padding:.5em}</style><body>" + "".join(parts) + "</body></html>")
    paths["html"].write_text(page, encoding="utf-8")
    return paths


def _md_table_html(md: str) -> str:
    out = []
    for block in md.split("\n\n"):
        rows = [ln for ln in block.splitlines() if ln.startswith("|") and not ln.startswith("|---")]
        if not rows:
            continue
        cells = [[c.strip() for c in r.strip("|").split("|")] for r in rows]
        out.append("<table><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in cells[0]) + "</tr>"
                   + "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in cells[1:])
                   + "</table><br>")
    return "".join(out)


def check_thresholds(result: dict[str, Any], thresholds: dict[str, Any]) -> list[str]:
    """Failures as readable lines: ``retrieval.hybrid.hit@5 0.61 < 0.60``. Thresholds on the scope
    sets are skipped when they were not run (``--no-scope``, ``--no-answers``)."""
    fails = []
    for kind, sign in (("min", "<"), ("max", ">")):
        for path, limit in thresholds.get(kind, {}).items():
            val = _lookup(result, path)
            if val is None and path.startswith("scope/") and not result.get("scope"):
                continue  # the scope sets were not run
            if val is None or (val < limit if kind == "min" else val > limit):
                fails.append(f"{path} = {val} {sign} {limit}")
    return fails


def _lookup(d: dict[str, Any], path: str) -> Any:
    cur: Any = d
    for part in path.split("/"):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur
