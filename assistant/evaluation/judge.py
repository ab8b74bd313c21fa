"""``assistant eval --generator a,b --judge``: generators side by side, and an LLM judge.

The judge gets the brief of ../shared/JUDGING.md (copied into :data:`assistant.prompts.JUDGE_BRIEF`),
the question, the answer and the passages it was given, and replies with one JSON verdict:
usefulness 1–5, coverage, best points, noise sentences and per-statement faithfulness. A verdict
that is not valid JSON in that shape counts as unjudged, never as a score. The prompt, the model
and every raw verdict are saved beside the report.
"""

from __future__ import annotations

import json
import logging
import re
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..prompts import EVAL, JUDGE_BRIEF, JUDGE_FORMAT, JUDGE_ITEM
from ..settings import Settings
from .answers import AnswerRow, run_answers, summarize_answers

log = logging.getLogger(__name__)

GENERATORS = ("extractive", "openai", "ollama")
JUDGE_METRICS = ["usefulness", "usefulness_le2", "noise_sentences", "faithfulness_judged", "judged", "unjudged"]


def parse_generators(value: str | None, default: str) -> list[str]:
    gens = [g.strip() for g in (value or default).split(",") if g.strip()]
    bad = [g for g in gens if g not in GENERATORS]
    if bad or not gens:
        raise ConfigError(EVAL["generators"].format(value=value, choices=", ".join(GENERATORS)))
    return list(dict.fromkeys(gens))


def add_generators(settings: Settings, result: dict[str, Any], gens: Sequence[str], k: int) -> None:
    """Answer the same items with every further generator; ``result['generators']`` holds each summary."""
    from ..answer.chain import AnswerEngine

    rows_by = {gens[0]: result.get("_rows", [])}
    for g in gens[1:]:
        engine = AnswerEngine(settings.model_copy(update={"generator": g, "context_k": k}))
        rows_by[g] = run_answers(result["_items"], engine)
    result["_rows_by_generator"] = rows_by
    result["generators"] = {g: {**summarize_answers(rows), **_fallbacks(rows)} for g, rows in rows_by.items()}
    for g, rows in rows_by.items():
        for r in rows:
            result["per_item"].setdefault(r.item.id, {})[f"answer:{g}"] = r.answer.text


def extend_eval(settings: Settings, result: dict[str, Any], gens: Sequence[str], k: int, judge: bool) -> None:
    """Further generators side by side (``--generator a,b``) and the LLM judge (``--judge``)."""
    if len(gens) > 1 or judge:
        add_generators(settings, result, gens, k)
    if judge:
        run_judge(settings, result, gens)


def _fallbacks(rows: Sequence[AnswerRow]) -> dict[str, Any]:
    reasons = [r.answer.fallback for r in rows if getattr(r.answer, "fallback", None)]
    return {"fallbacks": len(reasons), "fallback_reasons": {k: reasons.count(k) for k in sorted(set(reasons))}}


def generators_table(result: dict[str, Any]) -> str:
    gens = result.get("generators") or {}
    if not gens:
        return ""
    judge = (result.get("judge") or {}).get("by_generator", {})
    metrics = ["key_facts", "gold_cited", "faithfulness", "abstention_accuracy", "language_match", "latency_p50_ms",
               "fallbacks"]
    lines = ["| answers | " + " | ".join(gens) + " |", "|---|" + "---|" * len(gens)]
    for m in metrics:
        lines.append(f"| {m} | " + " | ".join(_fmt(gens[g].get(m)) for g in gens) + " |")
    for m in JUDGE_METRICS if judge else []:
        lines.append(f"| judge {m} | " + " | ".join(_fmt(judge.get(g, {}).get(m)) for g in gens) + " |")
    return "\n".join(lines)


def _fmt(v: Any) -> str:
    return "–" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))


# --- the judge ---------------------------------------------------------------------------------

def judge_settings(settings: Settings, gens: Sequence[str]) -> Settings:
    """The LLM that judges: ASSISTANT_JUDGE_GENERATOR/_MODEL, else the LLM generator being evaluated."""
    gen = settings.judge_generator or next((g for g in gens if g != "extractive"), "") or (
        settings.generator if settings.generator != "extractive" else "")
    if not gen:
        raise ConfigError(EVAL["judge_needs_llm"])
    return settings.model_copy(update={"generator": gen, "llm_model": settings.judge_model or settings.llm_model,
                                       "llm_max_seconds": max(settings.llm_max_seconds, 180.0)})


def judge_messages(row: AnswerRow) -> list[Any]:
    from langchain_core.messages import HumanMessage, SystemMessage

    sources = "\n\n".join(f"[{i}] {sc.chunk.doc_id} — {sc.chunk.section}\n{sc.chunk.text}"
                          for i, sc in enumerate(row.answer.contexts, start=1))
    item = JUDGE_ITEM.format(sources=sources, question=row.item.question, answer=row.answer.text)
    return [SystemMessage(content=f"{JUDGE_BRIEF}\n\n{JUDGE_FORMAT}"), HumanMessage(content=item)]


def parse_verdict(raw: str) -> dict[str, Any] | None:
    """The verdict when ``raw`` holds one JSON object of the asked shape, else None (unjudged)."""
    text = re.sub(r"^```(?:json)?\s*|\s*```$", "", (raw or "").strip())
    try:
        v = json.loads(text)  # the whole reply is JSON: it must be the object itself
    except ValueError:
        m = re.search(r"\{.*\}", text, re.S)  # else one object inside prose or a code fence
        try:
            v = json.loads(m.group(0)) if m else None
        except ValueError:
            return None
    if not isinstance(v, dict):
        return None
    use, pts, stm = v.get("usefulness"), v.get("best_points"), v.get("statements")
    ok = (isinstance(use, int) and not isinstance(use, bool) and 1 <= use <= 5
          and v.get("covered") in ("yes", "partly", "no")
          and isinstance(pts, dict) and all(isinstance(pts.get(x), int) and pts[x] >= 0 for x in ("k", "n"))
          and pts["k"] <= max(pts["n"], 0)
          and isinstance(v.get("noise_sentences"), int) and v["noise_sentences"] >= 0
          and isinstance(stm, list)
          and all(isinstance(s, dict) and isinstance(s.get("supported"), bool) for s in stm))
    return v if ok else None


JUDGE_MAX_TOKENS = 1500


def run_judge(settings: Settings, result: dict[str, Any], gens: Sequence[str]) -> None:
    """Judge every answer of every generator; summaries in ``result['judge']``, raw records in
    ``result['_judge_records']``."""
    from ..answer.llm import chat_model_for
    from ..answer.llmcall import Limits, LLMFailure, guarded_stream

    js = judge_settings(settings, gens)
    # a verdict lists every statement: more room than an answer's ASSISTANT_LLM_MAX_TOKENS
    model = chat_model_for(js.model_copy(update={"llm_max_tokens": max(js.llm_max_tokens, JUDGE_MAX_TOKENS)}))
    limits = Limits.from_settings(js)
    rows_by = result.get("_rows_by_generator") or {gens[0]: result.get("_rows", [])}
    records = []
    for g, rows in rows_by.items():
        for r in rows:
            raw, error = "", ""
            try:
                raw = "".join(guarded_stream(model, judge_messages(r), limits))
            except LLMFailure as f:
                error = f"{f.kind}: {f.detail[:200]}"
            verdict = parse_verdict(raw)
            records.append({"generator": g, "item": r.item.id, "kind": r.item.kind, "question": r.item.question,
                            "answer": r.answer.text, "raw": raw, "error": error, "verdict": verdict,
                            "judged": verdict is not None})
    result["_judge_records"] = records
    result["judge"] = {"generator": js.generator, "model": js.llm_model, "base_url": js.llm_base_url,
                       "by_generator": {g: summarize_verdicts([x for x in records if x["generator"] == g])
                                        for g in rows_by}}


def summarize_verdicts(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    judged = [r["verdict"] for r in records if r["verdict"] is not None]
    out: dict[str, Any] = {"judged": len(judged), "unjudged": len(records) - len(judged)}
    if judged:
        use = [v["usefulness"] for v in judged]
        out["usefulness"] = statistics.fmean(use)
        out["usefulness_le2"] = sum(u <= 2 for u in use)
        out["noise_sentences"] = statistics.fmean(v["noise_sentences"] for v in judged)
        stm = [s["supported"] for v in judged for s in v["statements"]]
        out["faithfulness_judged"] = statistics.fmean(stm) if stm else None
        out["covered"] = {c: sum(v["covered"] == c for v in judged) for c in ("yes", "partly", "no")}
        kinds = sorted({r["kind"] for r in records if r["verdict"] is not None})
        out["usefulness_by_kind"] = {k: statistics.fmean(r["verdict"]["usefulness"] for r in records
                                                         if r["kind"] == k and r["verdict"] is not None) for k in kinds}
    return out


def write_judge_files(result: dict[str, Any], report_json: Path) -> dict[str, Path]:
    """The judge's prompt, model and raw verdicts beside the report (same name, -judge suffixes)."""
    stem = report_json.with_suffix("")
    paths = {"verdicts": Path(f"{stem}-judge.jsonl"), "prompt": Path(f"{stem}-judge-prompt.txt")}
    with open(paths["verdicts"], "w", encoding="utf-8") as f:
        for rec in result.get("_judge_records", []):
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    j = result.get("judge", {})
    paths["prompt"].write_text(
        f"judge: {j.get('generator')} model {j.get('model')!r} at {j.get('base_url') or '(default)'}\n\n"
        f"--- system ---\n{JUDGE_BRIEF}\n\n{JUDGE_FORMAT}\n\n--- user (per answer) ---\n{JUDGE_ITEM}\n",
        encoding="utf-8")
    return paths
