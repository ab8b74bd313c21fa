"""Choosing hard negatives among a question's ranked candidate units, and the training examples
(a unit in its context: section heading, previous unit, next unit). Pure functions; the ranking
itself is in ``negatives``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...units import same_text
from .overlap import content_words, jaccard
from .passages import Passage


@dataclass(frozen=True)
class Candidate:
    """A unit of an indexed passage, ranked for one question."""

    chunk_id: str
    pos: int  # 0-based position among the passage's units
    text: str
    heading: str
    prev: str
    next: str
    doc: str
    rank: int = 0  # 1-based rank among the question's candidates
    cosine: float | None = None  # e5 cosine with the question
    shared: int = 0  # content words shared with the question

    @property
    def key(self) -> str:
        return f"{self.chunk_id}#{self.pos}"


@dataclass(frozen=True)
class NegativeRules:
    min_negatives: int = 3
    max_negatives: int = 7
    near_duplicate: float = 0.8


def in_context(texts: list[str], i: int) -> tuple[str, str]:
    """The previous and next unit of unit ``i`` ("" at the passage's edges)."""
    return (texts[i - 1] if i > 0 else "", texts[i + 1] if i + 1 < len(texts) else "")


def passage_candidates(p: Passage) -> list[Candidate]:
    """The units of a written-for passage as candidates (in their order, unranked)."""
    texts = [u.text for u in p.units]
    return [Candidate(p.chunk_id, i, t, p.section, *in_context(texts, i), p.doc) for i, t in enumerate(texts)]


def is_answer_like(text: str, answers: list[str], near_duplicate: float) -> bool:
    """The same words as an answering unit, or nearly (an overlapping chunk repeats its sentences)."""
    words = content_words(text)
    return any(same_text(text, a) or jaccard(words, content_words(a)) >= near_duplicate for a in answers)


def pick_negatives(ranked: list[Candidate], answers: list[str], rules: NegativeRules,
                   fill: bool = False) -> list[Candidate]:
    """Up to ``max_negatives`` candidates, best ranked first, that share a content word with the
    question and are not (nearly) an answering unit; each text once. ``fill``: when fewer than
    ``min_negatives`` share a word, the next best of the others make up the minimum (for an
    uncovered question every unit of its passage is known not to answer)."""
    chosen: list[Candidate] = []

    def fits(c: Candidate) -> bool:
        return not is_answer_like(c.text, answers, rules.near_duplicate) \
            and not any(same_text(c.text, o.text) for o in chosen)

    for c in ranked:
        if len(chosen) == rules.max_negatives:
            break
        if c.shared > 0 and fits(c):
            chosen.append(c)
    if fill:
        for c in ranked:
            if len(chosen) >= rules.min_negatives:
                break
            if c not in chosen and fits(c):
                chosen.append(c)
    return chosen


def example(c: Candidate) -> dict[str, Any]:
    """A unit as the training line holds it: the text and its context, and where it was found."""
    return {"text": c.text, "heading": c.heading, "prev": c.prev, "next": c.next, "doc": c.doc,
            "chunk": c.chunk_id, "unit": c.pos + 1, "rank": c.rank or None,
            "cosine": None if c.cosine is None else round(c.cosine, 4), "shared": c.shared}
