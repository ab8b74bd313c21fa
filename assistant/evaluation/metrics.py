"""Evaluation metrics: small pure functions, one score per item (averaged by the runner)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def _first_gold_rank(ranked: Sequence[str], gold: Sequence[set[str]], k: int) -> int | None:
    allgold = set().union(*gold) if gold else set()
    for i, cid in enumerate(ranked[:k], start=1):
        if cid in allgold:
            return i
    return None


def hit_at_k(ranked: Sequence[str], gold: Sequence[set[str]], k: int) -> float:
    """1 if any chunk holding any gold quote is in the top k."""
    return 1.0 if _first_gold_rank(ranked, gold, k) else 0.0


def recall_at_k(ranked: Sequence[str], gold: Sequence[set[str]], k: int) -> float:
    """Share of gold quotes with at least one holding chunk in the top k."""
    if not gold:
        return 0.0
    top = set(ranked[:k])
    return sum(1 for g in gold if g & top) / len(gold)


def mrr_at_k(ranked: Sequence[str], gold: Sequence[set[str]], k: int = 10) -> float:
    r = _first_gold_rank(ranked, gold, k)
    return 1.0 / r if r else 0.0


def ndcg_at_k(ranked: Sequence[str], gold: Sequence[set[str]], k: int = 10) -> float:
    """Gain at a rank = the gold quotes first covered there (a chunk may hold several); the ideal
    ranking is built greedily from the chunks holding gold quotes."""
    if not gold:
        return 0.0

    def dcg(order: Sequence[str]) -> float:
        covered: set[int] = set()
        total = 0.0
        for i, cid in enumerate(order[:k], start=1):
            new = {gi for gi, g in enumerate(gold) if gi not in covered and cid in g}
            covered |= new
            total += len(new) / math.log2(i + 1)
        return total

    ideal: list[str] = []
    left = set(range(len(gold)))
    candidates = set().union(*gold)
    while left and candidates:
        best = max(sorted(candidates), key=lambda c: sum(1 for gi in left if c in gold[gi]))
        gain = {gi for gi in left if best in gold[gi]}
        if not gain:
            break
        ideal.append(best)
        left -= gain
        candidates.discard(best)
    best_dcg = dcg(ideal)
    return dcg(ranked) / best_dcg if best_dcg else 0.0


def key_fact_coverage(answer: str, key_facts: Sequence[Sequence[str]]) -> float:
    """Share of key facts of which at least one alternative occurs in the answer (letters/digits only)."""
    from ..textutil import alnum_key

    if not key_facts:
        return 1.0
    a = alnum_key(answer)
    return sum(1 for alts in key_facts if any(alnum_key(x) and alnum_key(x) in a for x in alts)) / len(key_facts)


def gold_cited(cited: Sequence[str], gold: Sequence[set[str]]) -> float:
    """1 if any cited chunk holds a gold quote."""
    allgold = set().union(*gold) if gold else set()
    return 1.0 if allgold & set(cited) else 0.0


def citation_recall(cited: Sequence[str], gold: Sequence[set[str]]) -> float:
    """ALCE-style recall, approximated with gold evidence: share of gold quotes whose chunk is cited."""
    if not gold:
        return 0.0
    c = set(cited)
    return sum(1 for g in gold if g & c) / len(gold)


def citation_precision(cited: Sequence[str], gold: Sequence[set[str]], supported: Sequence[bool]) -> float:
    """Share of citations that are relevant: the chunk holds gold evidence or supports its sentence."""
    if not cited:
        return 0.0
    allgold = set().union(*gold) if gold else set()
    return sum(1 for cid, ok in zip(cited, supported) if cid in allgold or ok) / len(cited)


def faithfulness(sentence_support: Sequence[bool]) -> float:
    """Share of answer sentences supported by the passage they cite."""
    return sum(sentence_support) / len(sentence_support) if sentence_support else 0.0
