"""How much of a question repeats its answer: the share of the question's content words (the
project's BM25 analysis: accent-folded, stop words out, Dutch stems) found in the answering units.
A question that mostly repeats its answer teaches matching words, not reading (issue 19)."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence

from ...bm25 import analyze


def content_words(text: str) -> frozenset[str]:
    """The stemmed content words of ``text``.

    >>> sorted(content_words("Hoe verwijder ik een pakket?"))
    ['pakket', 'verwijder']
    """
    return frozenset(analyze(text, stem=True, stop=True))


def overlap_share(question: str, answers: Iterable[str]) -> float:
    """The share of the question's content words that occur in the answer texts (0 when the
    question has none).

    >>> overlap_share("Hoe verwijder ik een pakket?", ["Met dpkg --remove verwijdert u een pakket."])
    0.5
    """
    q = content_words(question)
    if not q:
        return 0.0
    a = frozenset().union(*(content_words(t) for t in answers))
    return len(q & a) / len(q)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


BINS = tuple(i / 10 for i in range(11))


def distribution(shares: Sequence[float], limit: float) -> dict:
    """Count, mean, median, how many exceed ``limit``, and a histogram in steps of 0.1."""
    hist = {f"{lo:.1f}-{lo + 0.1:.1f}": 0 for lo in BINS[:-1]}
    for s in shares:
        lo = min(int(s * 10), 9) / 10
        hist[f"{lo:.1f}-{lo + 0.1:.1f}"] += 1
    return {"n": len(shares), "mean": round(statistics.fmean(shares), 3) if shares else None,
            "median": round(statistics.median(shares), 3) if shares else None,
            "above_limit": sum(s > limit for s in shares), "histogram": hist}
