"""The LLM prompt's sources within a token budget: the best units of the passages, in context.

Five whole passages are 1,700-2,200 tokens; on 2 cores a small model reads ~95 tokens/s before it
writes anything. The units the extractive answerer would rank highest (assistant/answer/extractive.py)
are taken with the sentence before and after each, best first, until the budget is spent; each
passage keeps its number, so the model's ``[n]`` still points into the turn's contexts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..prompts import EXCERPT_GAP
from ..records import ScoredChunk
from ..units import Unit, units_of
from .extractive import score_units
from .support import TermStats, looks_like_instruction

# Dutch prose in a small open model's tokenizer: Gemma 3 gives 3.66 characters per token on the
# corpus (llama-cpp-python's /extras/tokenize, 20,000 characters); 3.5 errs on the long side
CHARS_PER_TOKEN = 3.5
HEADER_TOKENS = 20  # a passage's "[n] title — section" line


@dataclass(frozen=True)
class Excerpt:
    """What the prompt gives of passage ``n`` (1-based, the turn's numbering)."""

    n: int
    text: str


def tokens(text: str) -> int:
    """An estimate of ``text``'s length in tokens.

    >>> tokens("x" * 35)
    10
    """
    return round(len(text) / CHARS_PER_TOKEN)


def _join(units: Sequence[Unit]) -> str:
    """Units of one passage in their order; a gap where units between them were left out."""
    out = ""
    for prev, u in zip([None, *units], units):
        if prev is None:
            sep = ""
        elif u.pos != prev.pos + 1:
            sep = EXCERPT_GAP
        else:
            sep = "\n" if u.is_list or prev.is_list else " "
        out += sep + u.text
    return out


def excerpts(question: str, contexts: Sequence[ScoredChunk], stats: TermStats, intent: str, budget: int,
             semantic: dict[str, float] | None = None, reading: Any = None) -> list[Excerpt]:
    """The passages as the prompt gives them: whole when ``budget`` is 0 or they fit, else the
    best-scoring units with their neighbours, best first, until ``budget`` tokens are spent (the
    best unit always goes in). Passages none of whose units made it are left out. ``reading``
    (assistant.answer.reading.Reading): the reader's order of the units comes first."""
    whole = [Excerpt(i + 1, sc.chunk.text) for i, sc in enumerate(contexts)]
    if budget <= 0 or sum(tokens(e.text) + HEADER_TOKENS for e in whole) <= budget:
        return whole
    units = {(u.ctx, u.pos): u for i, sc in enumerate(contexts) for u in units_of(sc.chunk.text, i)}
    ranked = sorted(score_units(question, contexts, stats, intent, semantic), key=lambda c: -c.score)
    if reading is not None:
        ranked = reading.rank(ranked, contexts)
    chosen: dict[tuple[int, int], Unit] = {}
    spent = 0
    for c in ranked:
        around = [units.get((c.unit.ctx, c.unit.pos + d)) for d in (0, -1, 1)]
        new = [u for u in around if u is not None and (u.ctx, u.pos) not in chosen
               and not looks_like_instruction(u.text)]
        opens = not any(ctx == c.unit.ctx for ctx, _ in chosen)  # the passage's first unit: its header too
        cost = sum(tokens(u.text) + 1 for u in new) + (HEADER_TOKENS if opens and new else 0)  # +1: the gap
        if chosen and spent + cost > budget:
            continue  # a smaller unit further down may still fit
        for u in new:
            chosen[(u.ctx, u.pos)] = u
        spent += cost
    out = []
    for i in range(len(contexts)):
        mine = sorted((u for (ctx, _), u in chosen.items() if ctx == i), key=lambda u: u.pos)
        if mine:
            out.append(Excerpt(i + 1, _join(mine)))
    return out
