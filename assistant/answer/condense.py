"""Make a follow-up question self-contained before retrieval.

Without an LLM a deterministic rewrite carries the previous user turn (its topic) along; the
chain also passes the previous turn's sources on as a weak extra ranking.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..textutil import words

_FOLLOWUP_START = re.compile(
    r"^(en|maar|dus|ook|of|en als|en wat|en hoe|wat als|hoe dan|waarom|kun je|kan je|kunt u|geldt dat|"
    r"welke daarvan|and|but|so|what about|how about|why|can you|could you)\b", re.I)
_ANAPHORA = {
    "die", "dat", "dit", "deze", "daarvan", "hiervan", "daarbij", "daarmee", "daar", "hier", "ze", "zij",
    "hun", "hem", "het", "zo'n", "zoiets", "dan", "daarin", "ervan", "erbij", "those", "that", "this", "it",
    "they", "them", "these", "there",
}


def is_followup(question: str, history: Sequence[dict[str, str]]) -> bool:
    if not any(h.get("role") == "user" for h in history):
        return False
    toks = words(question)
    if len(toks) <= 6 or _FOLLOWUP_START.match(question.strip()):
        return True
    return len(toks) <= 14 and any(t in _ANAPHORA for t in toks)


def deterministic_condense(question: str, history: Sequence[dict[str, str]]) -> str:
    """The question, preceded by the last user question when it is a follow-up."""
    if not is_followup(question, history):
        return question
    prev = [h["content"] for h in history if h.get("role") == "user" and h.get("content", "").strip()]
    return f"{prev[-1].strip()} {question.strip()}" if prev else question
