"""The reader in the answer: score the candidate units, re-rank the passages, compose from the scores.

Candidates are the showable units of the best ``reader_passages`` passages, cut to the
``reader_units`` best by the word-based score (so the cost per answer is bounded). The reader gives
each a probability; a unit then counts its word-based score plus ``weight`` x that probability, a
passage as much as its best unit, and the composer chooses among the scored units. When no unit's
probability reaches the calibrated threshold the question is not covered.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..reader.features import Candidate as Pair
from ..records import ScoredChunk
from ..units import units_of
from .extractive import Candidate, score_units
from .parts import parts_of


@dataclass(frozen=True)
class Reading:
    """What the reader made of one question: the passages in its order, and per (chunk id, unit
    position) the probability that the unit answers."""

    contexts: tuple[ScoredChunk, ...]
    probs: dict[tuple[str, int], float]
    pairs: tuple[Pair, ...] = ()  # what the reader scored, best first: asked again about a part of the question
    weight: float = 1.0  # what the probability adds to a unit's word-based score

    @property
    def best(self) -> float:
        return max(self.probs.values(), default=0.0)

    def rank(self, cands: Sequence[Candidate], contexts: Sequence[ScoredChunk]) -> list[Candidate]:
        """The units in the reader's order: the scored ones by word-based score + weight x
        probability, then the others by their word-based score."""
        def key(c: Candidate) -> tuple[int, float]:
            p = self.probs.get((contexts[c.unit.ctx].chunk.id, c.unit.pos))
            return (0, -(c.score + self.weight * p)) if p is not None else (1, -c.score)

        return sorted(cands, key=key)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def pairs_for(cands: Sequence[Candidate], contexts: Sequence[ScoredChunk]) -> list[Pair]:
    """Each candidate unit with its heading and the units before and after it in its passage."""
    texts: dict[int, list[str]] = {}
    out = []
    for c in cands:
        u = c.unit
        if u.ctx not in texts:
            texts[u.ctx] = [x.text for x in units_of(contexts[u.ctx].chunk.text, u.ctx)]
        around = texts[u.ctx]
        prev = around[u.pos - 1] if 0 < u.pos <= len(around) else ""
        nxt = around[u.pos + 1] if u.pos + 1 < len(around) else ""
        out.append(Pair(u.text, contexts[u.ctx].chunk.section, prev, nxt))
    return out


def read(reader: Any, question: str, pool: Sequence[ScoredChunk], stats: Any, intent: str,
         semantic: dict[str, float] | None, keys: dict[str, float] | None, units: int, weight: float) -> Reading:
    """Score the ``units`` best units of ``pool`` by the word-based score with the reader, and order
    the passages by their best unit (word-based score + ``weight`` x the reader's probability)."""
    cands = sorted(score_units(question, pool, stats, intent, semantic, keys=keys), key=lambda c: -c.score)[:units]
    pairs = pairs_for(cands, pool)
    logits = reader.score(question, pairs) if cands else []
    probs = {(pool[c.unit.ctx].chunk.id, c.unit.pos): _sigmoid(float(s)) for c, s in zip(cands, logits)}
    best: dict[str, float] = {}
    for c in cands:
        cid = pool[c.unit.ctx].chunk.id
        best[cid] = max(best.get(cid, float("-inf")), c.score + weight * probs[(cid, c.unit.pos)])
    order = sorted(range(len(pool)), key=lambda i: (-best.get(pool[i].chunk.id, float("-inf")), i))
    by_prob = sorted(range(len(pairs)), key=lambda i: -float(logits[i]))
    return Reading(tuple(pool[i] for i in order), probs, tuple(pairs[i] for i in by_prob), weight)


def rescored(cands: Sequence[Candidate], contexts: Sequence[ScoredChunk], reading: Reading) -> list[Candidate]:
    """The candidates the reader scored, their score raised by the reading's weight x its probability."""
    out = []
    for c in cands:
        p = reading.probs.get((contexts[c.unit.ctx].chunk.id, c.unit.pos))
        if p is not None:
            out.append(replace(c, score=c.score + reading.weight * p))
    return out


def compose_read(question: str, contexts: Sequence[ScoredChunk], stats: Any, intent: str, reading: Reading,
                 semantic: dict[str, float] | None = None, keys: dict[str, float] | None = None) -> list[Any]:
    """The extractive answer's statements, chosen among the units the reader scored by the word-based
    score plus the reading's weight x the reader's probability."""
    from .extractive import choose, statements

    cands = rescored(score_units(question, contexts, stats, intent, semantic, keys=keys), contexts, reading)
    return statements(choose(cands, intent), intent, contexts)


PART_UNITS = 10  # a part is asked of the units best for the whole question: a bounded second cost


def open_parts(reader: Any, question: str, reading: Reading, floor: float) -> list[str]:
    """The parts of a question of several parts (assistant.answer.parts) that none of the
    ``PART_UNITS`` best candidate units answers with at least ``floor`` probability; [] for a
    question of one part."""
    parts = parts_of(question)
    if len(parts) < 2 or not reading.pairs:
        return []
    pairs = list(reading.pairs[:PART_UNITS])
    return [p for p in parts if _sigmoid(float(max(reader.score(p, pairs)))) < floor]
