"""Lexical support and scoring helpers shared by the extractive answerer and citation checks."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

from ..bm25 import analyze
from ..textutil import split_sentences


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


# Sentences in a source that address the assistant instead of the reader (planted instructions, fake
# role messages, chat-template tokens). They are never evidence and never part of an answer.
_INSTRUCTION = [
    re.compile(r"\b(negeer|vergeet|ignore|disregard|forget|override)\s+(?:\S+\s+){0,3}?"
               r"(instructies?|prompts?|instructions?)\b", re.I),
    re.compile(r"\b(negeer|vergeet|ignore|disregard|forget|override)\s+(?:alle|al|all|eerdere|vorige|voorgaande|"
               r"bovenstaande|previous|prior|above|earlier)\s+(?:\S+\s+)?(regels|opdrachten|rules|directions)\b", re.I),
    re.compile(r"(?:^|[\s\"'(\[])(?:SYSTEM|SYSTEEM|ASSISTANT|DEVELOPER)\s*(?:PROMPT\s*)?:"),
    re.compile(r"^\W*(?:system|systeem)\s*(?:prompt|bericht|message)?\s*:", re.I),
    re.compile(r"<\|im_(?:start|end)\|>|\[/?INST\]|<</?SYS>>", re.I),
    re.compile(r"\b(je bent nu|jij bent nu|u bent nu|you are now|from now on,? you)\b", re.I),
    re.compile(r"\b(antwoord|answer|reply|respond)\s+(alleen|uitsluitend|only)\s+(met|with)\b", re.I),
]


def looks_like_instruction(sentence: str) -> bool:
    """Whether a sentence reads as an instruction to the assistant (prompt injection)."""
    return any(p.search(sentence) for p in _INSTRUCTION)


def evidence_text(passage: str) -> str:
    """The passage without sentences that look like planted instructions: what may support an answer."""
    if not looks_like_instruction(passage):
        return passage
    return " ".join(s for s in split_sentences(passage) if not looks_like_instruction(s))
