"""Answer evaluation: key facts, faithfulness, citations, abstention, language and latency."""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..answer.support import lexical_support
from ..records import Answer
from ..textutil import detect_language
from .dataset import EvalItem, resolve
from .metrics import citation_precision, citation_recall, faithfulness, gold_cited, key_fact_coverage


@dataclass
class AnswerRow:
    item: EvalItem
    answer: Answer
    gold: list[set[str]]
    scores: dict[str, float] = field(default_factory=dict)


NOISE_ROLES = frozenset({"question", "meta"})


def sentence_support(answer: Answer) -> list[bool]:
    """Per cited statement: does a cited passage support it (lexical support >= 0.6)?"""
    by_n = {i + 1: sc.chunk.text for i, sc in enumerate(answer.contexts)}
    return [any(lexical_support(st.text, by_n.get(n, "")) >= 0.6 for n in st.cites)
            for st in answer.statements if st.cites]


def answer_language(answer: Answer) -> str:
    """The language the assistant speaks in: its own lead or notice when it has one (quotes stay
    Dutch), else its first statement."""
    own = [st for st in answer.statements if not st.cites] or list(answer.statements[:1])
    return detect_language(own[0].text) if own else "nl"


def words_of(answer: Answer) -> list[str]:
    """The answer's words, markers left out."""
    return " ".join(st.text for st in answer.statements).split()


def noise_share(answer: Answer) -> float:
    """Share of the cited statements that do not help a reader: source questions and meta (method,
    references, fragments), and findings in an answer to a how-to question."""
    cited = [st for st in answer.statements if st.cites]
    if not cited:
        return 0.0
    noisy = [st for st in cited if st.role in NOISE_ROLES
             or (st.role == "finding" and answer.intent in ("howto", "meeting"))]
    return len(noisy) / len(cited)


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
            "facts@120": key_fact_coverage(" ".join(words_of(answer)[:120]), item.key_facts),
            "noise_share": noise_share(answer),
            "words": float(len(words_of(answer))),
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
    for m in ("key_facts", "facts@120", "gold_cited", "gold_cited_strict", "faithfulness", "citation_precision",
              "citation_recall", "false_abstention", "noise_share"):
        vals = [r.scores[m] for r in ans if m in r.scores]
        if m in ("faithfulness", "noise_share"):
            vals = [r.scores[m] for r in ans if m in r.scores and not r.answer.abstained]
        if vals:
            out[m] = statistics.fmean(vals)
    answered = [r.scores["words"] for r in ans if not r.answer.abstained]
    if answered:
        out["median_words"] = statistics.median(answered)
    if una:
        out["abstention_accuracy"] = statistics.fmean(r.scores["abstention_correct"] for r in una)
    out["language_match"] = statistics.fmean(r.scores["language_match"] for r in rows) if rows else 0.0
    lat = sorted(r.scores["seconds"] for r in rows)
    if lat:
        out["latency_p50_ms"] = 1000 * lat[len(lat) // 2]
        out["latency_p95_ms"] = 1000 * lat[min(len(lat) - 1, int(0.95 * len(lat)))]
    out["n"] = len(rows)
    return out


def by_intent(rows: Sequence[AnswerRow]) -> dict[str, dict[str, float]]:
    """The answer metrics per intent of the question (how-to, what-is, which, why, meeting)."""
    groups: dict[str, list[AnswerRow]] = {}
    for r in rows:
        groups.setdefault(r.answer.intent or "other", []).append(r)
    return {k: summarize_answers(v) for k, v in sorted(groups.items())}


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
