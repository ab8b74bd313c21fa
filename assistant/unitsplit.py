"""Repairs of unit splitting: a unit should be one sentence (or one list), not a heading, a
citation or a footnote glued onto one. Pure functions on one sentence from
:func:`assistant.textutil.split_sentences`; the opener words are data (``[split]`` in roles.toml).
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path

_DATA = Path(__file__).parent / "data" / "roles.toml"
_PUNCT = re.compile(r"[.,;:!?()\"“”]")
# a parenthesis closing a sentence; it is a citation or a statistic when it holds a number and a
# comma or "=" (checked on its content: a pattern for both would retry each comma to the end)
_CITE_END = re.compile(r"\(([^()]*)\)\s+(?=[A-ZÀ-Ý][a-zà-ÿ])")
_DIGIT = re.compile(r"\d")


@lru_cache(maxsize=1)
def sentence_openers() -> frozenset[str]:
    return frozenset(tomllib.loads(_DATA.read_text(encoding="utf-8"))["split"]["sentence_openers"])


def split_glued_heading(sentence: str) -> list[str]:
    """A heading without its own line, glued onto the sentence after it, becomes a unit of its own.

    >>> split_glued_heading("Samenwerken kent vele gezichten In Zorgprimair schetste zij het beeld.")
    ['Samenwerken kent vele gezichten', 'In Zorgprimair schetste zij het beeld.']
    >>> split_glued_heading("Working with parents The first meeting sets the tone.")
    ['Working with parents', 'The first meeting sets the tone.']
    >>> split_glued_heading("Volgens Marianne De Vries werkt het.")
    ['Volgens Marianne De Vries werkt het.']
    """
    words = sentence.split(" ")
    openers = sentence_openers()
    for i in range(1, min(len(words) - 2, 11)):
        prev, w = words[i - 1], words[i]
        if _PUNCT.search(prev):
            return [sentence]  # punctuation before: the head is running text, not a heading
        if w in openers and prev.isalpha() and prev[0].islower() and words[0][:1].isupper():
            return [" ".join(words[:i]), " ".join(words[i:])]
    return [sentence]


def split_after_citation(sentence: str) -> list[str]:
    """A citation or statistic in parentheses that ends a sentence the splitter missed.

    >>> split_after_citation("Het leidt tot diversiteit (Kaats & Ophey, 2005, p.30) Is dat een kunst?")
    ['Het leidt tot diversiteit (Kaats & Ophey, 2005, p.30)', 'Is dat een kunst?']
    >>> split_after_citation("Reliability was good (alpha=.88) The survey showed more.")
    ['Reliability was good (alpha=.88)', 'The survey showed more.']
    >>> split_after_citation("Volgens Wenger (2007) Communities of practice zijn groepen.")
    ['Volgens Wenger (2007) Communities of practice zijn groepen.']
    """
    out, start = [], 0
    for m in _CITE_END.finditer(sentence):
        inside = m.group(1)
        if not (("," in inside or "=" in inside) and _DIGIT.search(inside)):
            continue
        head = sentence[start:m.end()].strip()
        if len(head.split()) >= 4:
            out.append(head)
            start = m.end()
    tail = sentence[start:].strip()
    return out + [tail] if tail else out


@lru_cache(maxsize=1)
def _note_start() -> re.Pattern[str]:
    words = tomllib.loads(_DATA.read_text(encoding="utf-8"))["meta"]["footnote_openers"]
    alts = "|".join(re.escape(w.capitalize()) for w in words)
    return re.compile(rf"\s(?=\d{{1,3}}\s+(?:(?:{alts})\b|https?://|www\.))|(?<=[.!?”’\"])\s+(?=https?://|www\.)")


def split_notes(sentence: str) -> list[str]:
    """A footnote ("6 Zie ...") or a URL glued onto the end of a sentence starts a unit of its own.

    >>> split_notes("Zie de website.pdf 6 Zie artikel over netwerken:")
    ['Zie de website.pdf', '6 Zie artikel over netwerken:']
    >>> split_notes("That is the challenge.” https://example.org/podcast")
    ['That is the challenge.”', 'https://example.org/podcast']
    >>> split_notes("We spraken 6 keer af.")
    ['We spraken 6 keer af.']
    """
    parts = [p.strip() for p in _note_start().split(sentence)]
    return [p for p in parts if p]


def repair(sentence: str) -> list[str]:
    """All repairs of one sentence, in order."""
    return [p for part in split_glued_heading(sentence) for q in split_after_citation(part) for p in split_notes(q)]
