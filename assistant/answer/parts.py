"""The parts of a question that asks several things, so the answer can say which part the sources
leave open. A part is a question sentence of its own, or one side of an "en"/"and"/"of"/"or"
between two clauses that each carry enough words to be asked alone."""

from __future__ import annotations

import re

from ..bm25 import analyze
from ..textutil import split_sentences

MIN_TERMS = 3  # content terms a clause needs to count as a question of its own
_JOIN = re.compile(r"\s*(?:,\s*)?\b(?:en|and|of|or|maar|but)\b\s+(?=(?:hoe|wat|wie|waar|wanneer|waarom|welke|"
                   r"moet|mag|kan|kun|is|zijn|how|what|who|where|when|why|which|should|can|is|are|do|does)\b)",
                   re.IGNORECASE)


def parts_of(question: str) -> list[str]:
    """The separately askable parts of ``question`` (one part: the question itself).

    >>> parts_of("Hoe betrek ik ouders bij de samenwerking? En wat kost een schoolopleider per jaar?")
    ['Hoe betrek ik ouders bij de samenwerking?', 'En wat kost een schoolopleider per jaar?']
    >>> parts_of("Hoe betrek ik ouders bij de samenwerking en wat kost een schoolopleider per jaar?")
    ['Hoe betrek ik ouders bij de samenwerking', 'wat kost een schoolopleider per jaar?']
    >>> parts_of("Hoe bouw ik vertrouwen op met ouders en jeugdzorg?")
    ['Hoe bouw ik vertrouwen op met ouders en jeugdzorg?']
    """
    out: list[str] = []
    for sentence in split_sentences(question.strip()):
        pieces = [p.strip() for p in _JOIN.split(sentence) if p.strip()]
        if len(pieces) > 1 and all(len(analyze(p)) >= MIN_TERMS for p in pieces):
            out += pieces
        elif sentence.strip():
            out.append(sentence.strip())
    asking = [p for p in out if len(analyze(p)) >= MIN_TERMS]
    return asking if len(asking) > 1 else [question.strip()]
