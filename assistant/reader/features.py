"""The reader's input: a question and one candidate unit in its context, as token ids.

Training and serving build it with the same function, so the model never sees a layout at serving
time that it was not trained on. The layout is XLM-R's pair form, which e5 was pretrained with::

    <s> query: QUESTION </s></s> passage: HEADING | PREV [[ UNIT ]] NEXT </s>

Each part has a token budget (``Budget``): the unit keeps its start, the previous unit its end, the
next unit its start, so the words next to the unit survive a cut.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Budget:
    question: int = 40
    heading: int = 12
    prev: int = 16
    unit: int = 72
    next: int = 16


@dataclass(frozen=True)
class Candidate:
    """One unit to score: its text and what surrounds it where the index shows it."""

    text: str
    heading: str = ""
    prev: str = ""
    next: str = ""


BUDGET = Budget()
OPEN, CLOSE = " [[ ", " ]] "


def pair_ids(tokenizer: Any, question: str, cands: list[Candidate], budget: Budget = BUDGET) -> list[list[int]]:
    """Token ids (with ``<s>``/``</s>``) of ``question`` paired with each candidate."""
    q = tokenizer.encode_batch(["query: " + question])[0][:budget.question]
    texts: list[str] = []
    for c in cands:
        texts += ["passage: " + c.heading, c.prev, OPEN + c.text, CLOSE + c.next]
    enc = tokenizer.encode_batch(texts)
    bos, eos = tokenizer.bos, tokenizer.eos
    rows = []
    for i in range(len(cands)):
        head, prev, unit, nxt = enc[4 * i:4 * i + 4]
        head = head[:budget.heading + 2]  # "passage:" is two pieces
        prev = prev[-budget.prev:] if budget.prev else []
        body = head + prev + unit[:budget.unit] + nxt[:budget.next]
        rows.append([bos, *q, eos, eos, *body, eos])
    return rows
