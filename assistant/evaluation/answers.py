"""Answer evaluation: key facts, faithfulness, citations, abstention, language and latency."""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..answer.support import lexical_support, markers, strip_markers
from ..records import Answer
from ..textutil import detect_language, split_sentences
from .dataset import EvalItem, resolve
from .metrics import citation_precision, citation_recall, faithfulness, gold_cited, key_fact_coverage


@dataclass
class AnswerRow:
    item: EvalItem
    answer: Answer
    gold: list[set[str]]
    scores: dict[str, float] = field(default_factory=dict)


def sentence_support(answer: Answer) -> list[bool]:
    """Per cited answer sentence: does a cited passage support it (lexical support >= 0.6)?"""
    by_n = {i + 1: sc.chunk.text for i, sc in enumerate(answer.contexts)}
    out = []
    for block in answer.text.split("\n\n"):
        sents = [block] if "\n• " in block else split_sentences(re.sub(r"\s*\[(\d+)\]", r" [\1]", block))
        for s in sents:
            ns = markers(s)
            if not ns:
                continue
            out.append(any(lexical_support(strip_markers(s), by_n.get(n, "")) >= 0.6 for n in ns))
    return out


def answer_language(answer: Answer) -> str:
    """The language the assistant speaks in: its own lead/abstention paragraph (quotes stay Dutch)."""
    first = answer.text.split("\n\n")[0]
    return detect_language(first)


def score_answer(item: EvalItem, answer: Answer, chunks: Any) -> AnswerRow:
    gold, answering = resolve(item, chunks) if item.answerable else ([], [])
    cited = [c.chunk_id for c in answer.citations]
    row = AnswerRow(item, answer, gold)
    s: dict[str, float] = {"abstained": float(answer.abstained), "seconds": answer.seconds,
                           "language_match": float(answer_language(answer) == item.lang)}
    if item.answerable:
        support = sentence_support(answer)
        by_chunk = {c.chunk_id: any(lexical_support(c.quote, sc.chunk.text) >= 0.6 for sc in answer.contexts
                                    if sc.chunk.id == c.chunk_id) for c in answer.citations}
        s.update({
            "key_facts": key_fact_coverage(answer.text, item.key_facts),
            "gold_cited": gold_cited(cited, answering),
            "gold_cited_strict": gold_cited(cited, gold),
            "faithfulness": faithfulness(support) if not answer.abstained else 0.0,
            "citation_precision": citation_precision(cited, answering, [by_chunk[c] for c in cited]),
            "citation_recall": citation_recall(cited, gold),
            "false_abstention": float(answer.abstained),
        })
    else:
        s["abstention_correct"] = float(answer.abstained)
    row.scores = s
    return row


def summarize_answers(rows: Sequence[AnswerRow]) -> dict[str, float]:
    ans = [r for r in rows if r.item.answerable]
    una = [r for r in rows if not r.item.answerable]
    out: dict[str, float] = {}
    for m in ("key_facts", "gold_cited", "gold_cited_strict", "faithfulness", "citation_precision", "citation_recall", "false_abstention"):
        vals = [r.scores[m] for r in ans if m in r.scores]
        if m == "faithfulness":
            vals = [r.scores[m] for r in ans if not r.answer.abstained]
        if vals:
            out[m] = statistics.fmean(vals)
    if una:
        out["abstention_accuracy"] = statistics.fmean(r.scores["abstention_correct"] for r in una)
    out["language_match"] = statistics.fmean(r.scores["language_match"] for r in rows) if rows else 0.0
    lat = sorted(r.scores["seconds"] for r in rows)
    if lat:
        out["latency_p50_ms"] = 1000 * lat[len(lat) // 2]
        out["latency_p95_ms"] = 1000 * lat[min(len(lat) - 1, int(0.95 * len(lat)))]
    out["n"] = len(rows)
    return out


def run_answers(items: Sequence[EvalItem], engine: Any) -> list[AnswerRow]:
    """Ask every item (history included) after one warm-up question."""
    engine.ask("Hoe werk je goed samen?")
    rows = []
    chunks = list(engine.index.chunks.values())
    for it in items:
        t0 = time.perf_counter()
        ans = engine.ask(it.question, list(it.history))
        if not ans.seconds:
            ans = Answer(**{**ans.__dict__, "seconds": time.perf_counter() - t0})
        rows.append(score_answer(it, ans, chunks))
    return rows
