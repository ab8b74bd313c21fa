"""Lexical support and scoring helpers shared by the extractive answerer and citation checks."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

from ..bm25 import analyze


class TermStats:
    """Document frequencies over the indexed chunks, for IDF-weighted overlap."""

    def __init__(self, texts: Iterable[str]):
        df: Counter[str] = Counter()
        n = 0
        for t in texts:
            n += 1
            df.update(set(analyze(t)))
        self.n = max(n, 1)
        self.df = df

    def idf(self, term: str) -> float:
        return math.log(1 + (self.n - self.df.get(term, 0) + 0.5) / (self.df.get(term, 0) + 0.5))

    def coverage(self, query_terms: set[str], text_terms: set[str]) -> float:
        """IDF-weighted share of the query's terms found in the text (0..1)."""
        total = sum(self.idf(t) for t in query_terms)
        if total <= 0:
            return 0.0
        return sum(self.idf(t) for t in query_terms & text_terms) / total


def lexical_support(sentence: str, passage: str) -> float:
    """Share of the sentence's content terms that occur in the passage (1.0 for a verbatim quote)."""
    s = set(analyze(strip_markers(sentence)))
    if not s:
        return 1.0
    p = set(analyze(passage))
    return len(s & p) / len(s)


_MARKER = re.compile(r"\s*\[(\d+)\]")


def strip_markers(text: str) -> str:
    return _MARKER.sub("", text).strip()


def markers(text: str) -> list[int]:
    return [int(m) for m in _MARKER.findall(text)]
