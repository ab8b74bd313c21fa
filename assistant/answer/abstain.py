"""Decide when the sources do not cover a question (or it is out of scope).

Evidence signals, calibrated on the evaluation set's unanswerable questions (see
``evals/README.md``): the best dense cosine similarity among the retrieved passages, the best
IDF-weighted share of the question's terms that one passage contains, and for how-many questions
whether the top passages hold a number about the thing asked. Requests for other work (code,
translations, recipes, lesson plans) are out of scope.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..bm25 import analyze
from ..records import ScoredChunk
from ..textutil import detect_language, fold
from ..units import units_of
from .support import TermStats

_OUT_OF_SCOPE = re.compile(
    r"\b(schrijf|programmeer|maak|genereer|write|generate|code)\b.{0,40}\b(script|programma|code|functie|"
    r"python|javascript|sql|html|program|function)\b|\b(vertaal|vertalen|translate)\b|\b(recept|recipe|gedicht|poem|"
    r"grap|joke|weerbericht|weather)\b"
    # writing or making things that are not advice on collaboration
    r"|\b(schrijf|write|compose|draft|maak|create|make)\b.{0,30}\b(lesplan|lesson plans?|verhaal|story|essay|"
    r"liedje|song|mop)\b"
    r"|\b(lesplan|verhaal|essay|liedje)\b.{0,30}\b(schrijven|maken|opstellen)\b",
    re.I,
)

# A how-many / how-long / which-article question asks for a fact that only a number in the sources
# can answer. The counted thing is the first content word after the cue (or the cue's own noun).
_QUANTITY = re.compile(
    r"\b(?:hoeveel|hoe lang|hoe vaak|welke? (artikel|bedrag|percentage|salarisschaal|schaal|datum)|maximale?|"
    r"minimale?)\b(.*)", re.I)
_NUMBER = re.compile(r"\d|\b(twee|drie|vier|vijf|zes|zeven|acht|negen|tien|elf|twaalf|twintig|dertig|veertig|"
                     r"vijftig|honderd|duizend|miljoen|procent|helft|kwart)\b", re.I)
_NOT_COUNTED = {"mogen", "moet", "moeten", "krijg", "krijgt", "krijgen", "kom", "komt", "per", "zitten", "zit",
                "deden", "doen", "zijn", "is", "heeft", "hebben", "duurt", "gaat"}


@dataclass(frozen=True)
class Evidence:
    dense: float  # best cosine similarity of a retrieved passage
    coverage: float  # best IDF-weighted term coverage of a retrieved passage
    out_of_scope: bool = False
    missing_number: bool = False  # a how-many question without a number about it in the top passages

    def weak(self, min_dense: float, min_coverage: float) -> bool:
        return self.out_of_scope or self.missing_number or self.dense < min_dense or self.coverage < min_coverage


def out_of_scope(question: str) -> bool:
    return bool(_OUT_OF_SCOPE.search(question))


def counted_terms(question: str) -> list[str]:
    """What a how-many / how-long / which-article question counts (folded words), else []."""
    m = _QUANTITY.search(question)
    if not m:
        return []
    terms = [fold(m.group(1))] if m.group(1) else []
    terms += [w for w in analyze(m.group(2), stem=False) if w not in _NOT_COUNTED]
    return terms[:2]


def missing_number(question: str, contexts: Sequence[ScoredChunk], top: int = 3) -> bool:
    """A quantity question (Dutch: the words are matched literally) none of whose counted terms
    appears in a sentence with a number in the top passages."""
    terms = counted_terms(question)
    if not terms or detect_language(question) != "nl":
        return False
    prefixes = [t[:6] for t in terms]
    for sc in contexts[:top]:
        for u in units_of(sc.chunk.text, 0):
            if _NUMBER.search(u.text):
                words = analyze(u.text, stem=False, stop=False)
                if any(w.startswith(p) for p in prefixes for w in words):
                    return False
    return True


def assess(question: str, contexts: Sequence[ScoredChunk], stats: TermStats, top: int = 3) -> Evidence:
    q_terms = set(analyze(question))
    dense = max((sc.dense_score for sc in contexts if sc.dense_score is not None), default=0.0)
    cov = max((stats.coverage(q_terms, set(analyze(f"{sc.chunk.section} {sc.chunk.text}")))
               for sc in contexts[:top]), default=0.0)
    return Evidence(dense=dense, coverage=cov, out_of_scope=out_of_scope(question),
                    missing_number=missing_number(question, contexts, top))


def nearest_topics(contexts: Sequence[ScoredChunk], n: int = 3) -> list[str]:
    """Distinct section (or title) names of the retrieved passages: what the sources do cover."""
    topics: list[str] = []
    for sc in contexts:
        name = sc.chunk.section.split(" › ")[-1] if sc.chunk.section else sc.chunk.title
        name = re.sub(r"^\d+(\.\d+)*\s*[.|]\s*", "", name).strip()
        if name.isupper():
            name = name.capitalize()
        if name and name.lower() not in {t.lower() for t in topics}:
            topics.append(name)
        if len(topics) >= n:
            break
    return topics
