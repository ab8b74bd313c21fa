"""Measure the reader against today's word-based composer on question sets with known answers.

    python -m assistant.reader.evaluate --set evals/reader/lilypond-questions.jsonl \
        [--index-dir DIR] [--out FILE.json]

Both run in the same process on the same retrieval. Per set: precision@1 of the answer's lead unit
(it holds the answering quote), MRR of the answering unit among the candidate units, ROC AUC of the
best unit score for covered against uncovered questions, and the share of uncovered questions
refused and of covered questions falsely refused. A set's lines give the answer as ``answer_quote``
(``kind`` covered/uncovered/partial) or as ``best`` quotes (``covered`` yes/partly/no).
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from .train import roc_auc


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def quotes_of(item: dict[str, Any]) -> list[str]:
    if item.get("answer_quote"):
        return [item["answer_quote"]]
    return [b["quote"] for b in item.get("best", [])]


def kind_of(item: dict[str, Any]) -> str:
    if "kind" in item:
        return {"partial": "partial"}.get(item["kind"], item["kind"])
    return {"yes": "covered", "partly": "partial", "no": "uncovered"}[item["covered"]]


def answers(unit: str, quotes: list[str]) -> bool:
    u = _norm(unit)
    for q in map(_norm, quotes):
        if q[:80] in u or (len(u) >= 30 and u in q):
            return True
    return False


def rank_of(texts: list[str], quotes: list[str]) -> int:
    return next((r for r, t in enumerate(texts) if answers(t, quotes)), -1)


def _ranked(engine: Any, turn: Any, pool: list[Any]) -> list[Any]:
    from ..answer.extractive import score_units

    cands = score_units(turn.query, pool, engine.stats, turn.intent, engine.unit_similarity(turn),
                        keys=engine.key_similarity(turn))
    if turn.reading is None:
        return sorted(cands, key=lambda c: -c.score)
    return turn.reading.rank(cands, pool)


def _lead(ans: Any) -> str:
    return next((s.text for s in ans.statements if s.form not in ("notice", "lead")), "")


def measure(engine: Any, item: dict[str, Any]) -> dict[str, Any]:
    """One question through retrieval, the engine's ranking of the candidate units, and its answer."""
    q, quotes = item["question"], quotes_of(item)
    turn = engine.retrieve(q)
    pool = list(turn.reading.contexts) if turn.reading else list(turn.contexts)
    ranked = _ranked(engine, turn, pool)
    ans = engine._answer_turn(turn)
    best = turn.reading.best if turn.reading else (ranked[0].score if ranked else 0.0)
    probs = turn.reading.probs if turn.reading else {}
    cands = [[round(c.score, 4), probs.get((pool[c.unit.ctx].chunk.id, c.unit.pos)), answers(c.unit.text, quotes)]
             for c in ranked]
    return {"rank": rank_of([c.unit.text for c in ranked], quotes), "best": best,
            "lead_ok": answers(_lead(ans), quotes), "abstained": ans.abstained, "answer": ans.text,
            "candidates": cands}


def alone_mrr(cov: list[dict[str, Any]]) -> float | None:
    """MRR of the answering unit when the reader's probability alone orders the units it scored."""
    rr = []
    for c in cov:
        scored = sorted((x for x in c["candidates"] if x[1] is not None), key=lambda x: -x[1])
        rank = next((r for r, x in enumerate(scored) if x[2]), -1)
        rr.append(1 / (rank + 1) if rank >= 0 else 0.0)
    return float(np.mean(rr)) if rr else None


def summary(rows: list[dict[str, Any]], who: str) -> dict[str, Any]:
    cov = [r[who] for r in rows if r["kind"] == "covered"]
    unc = [r[who] for r in rows if r["kind"] == "uncovered"]
    return {"covered": len(cov), "uncovered": len(unc),
            "mrr_reader_alone": alone_mrr(cov) if who == "reader" else None,
            "lead_p1": float(np.mean([c["lead_ok"] for c in cov])) if cov else None,
            "mrr": float(np.mean([1 / (c["rank"] + 1) if c["rank"] >= 0 else 0.0 for c in cov])) if cov else None,
            "auc": roc_auc([(c["best"], True) for c in cov] + [(u["best"], False) for u in unc]),
            "refused_uncovered": float(np.mean([u["abstained"] for u in unc])) if unc else None,
            "false_refusals": float(np.mean([c["abstained"] for c in cov])) if cov else None}


def main(argv: list[str] | None = None) -> None:
    from ..answer.chain import AnswerEngine
    from ..settings import Settings

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--set", required=True)
    ap.add_argument("--index-dir", default=None)
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    settings = Settings(**({"index_dir": Path(args.index_dir)} if args.index_dir else {}))
    engine = AnswerEngine(settings)
    if engine.reader is None:
        raise SystemExit("the reader is not available: nothing to compare")
    composer = AnswerEngine(settings.model_copy(update={"reader": False}), index=engine.index,
                            embeddings=engine.embeddings)
    items = [json.loads(x) for x in Path(args.set).read_text(encoding="utf-8").split("\n") if x.strip()]
    rows = [{"id": it["id"], "kind": kind_of(it), "question": it["question"],
             "reader": measure(engine, it), "composer": measure(composer, it)} for it in items]
    result = {"set": args.set, "reader": summary(rows, "reader"), "composer": summary(rows, "composer"), "rows": rows}
    if args.out:
        Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    print(json.dumps({k: result[k] for k in ("set", "reader", "composer")}, indent=1))


if __name__ == "__main__":
    main()
