"""Decide when the sources do not cover a question (or it is out of scope).

Two evidence signals, both calibrated on the evaluation set's unanswerable questions (see
``evals/README.md``): the best dense cosine similarity among the retrieved passages and the best
IDF-weighted share of the question's terms that one passage contains.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..bm25 import analyze
from ..records import ScoredChunk
from .support import TermStats

_OUT_OF_SCOPE = re.compile(
    r"\b(schrijf|programmeer|maak|genereer|write|generate|code)\b.{0,40}\b(script|programma|code|functie|"
    r"python|javascript|sql|html|program|function)\b|\b(vertaal|translate)\b|\b(recept|recipe|gedicht|poem|"
    r"grap|joke|weerbericht|weather)\b",
    re.I,
)


@dataclass(frozen=True)
class Evidence:
    dense: float  # best cosine similarity of a retrieved passage
    coverage: float  # best IDF-weighted term coverage of a retrieved passage
    out_of_scope: bool = False

    def weak(self, min_dense: float, min_coverage: float) -> bool:
        return self.out_of_scope or self.dense < min_dense or self.coverage < min_coverage


def out_of_scope(question: str) -> bool:
    return bool(_OUT_OF_SCOPE.search(question))


def assess(question: str, contexts: Sequence[ScoredChunk], stats: TermStats, top: int = 3) -> Evidence:
    q_terms = set(analyze(question))
    dense = max((sc.dense_score for sc in contexts if sc.dense_score is not None), default=0.0)
    cov = max((stats.coverage(q_terms, set(analyze(f"{sc.chunk.section} {sc.chunk.text}")))
               for sc in contexts[:top]), default=0.0)
    return Evidence(dense=dense, coverage=cov, out_of_scope=out_of_scope(question))


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
