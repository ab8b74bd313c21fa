"""What a question asks for (how-to, what-is, which, why, meeting), from the cues of the domain
profile (``assistant/profile.py``; the education profile uses ``assistant/data/intents.toml``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..profile import Profile, active
from ..textutil import fold

INTENTS = ("howto", "whatis", "which", "why", "meeting")


@dataclass(frozen=True)
class IntentTable:
    default: str
    cues: dict[str, tuple[str, ...]]
    finding_cues: tuple[str, ...]
    role_weight: dict[str, dict[str, float]]
    max_words: int
    max_statements: dict[str, int]
    openers: tuple[str, ...] = ()

    @classmethod
    def from_toml(cls, data: dict[str, Any]) -> "IntentTable":
        shape = dict(data.get("shape", {}))
        return cls(
            default=data.get("default", "howto"),
            cues={k: tuple(v) for k, v in data.get("cues", {}).items()},
            finding_cues=tuple(data.get("findings", {}).get("cues", ())),
            role_weight={k: dict(v) for k, v in data.get("role_weight", {}).items()},
            max_words=int(shape.pop("max_words", 120)),
            max_statements={k: int(v) for k, v in shape.items()},
            openers=tuple(data.get("coherence", {}).get("openers", ())),
        )


@lru_cache(maxsize=8)
def _table_of(p: Profile) -> IntentTable:
    return IntentTable.from_toml(p.intents)


def table() -> IntentTable:
    """The intent table of the active domain profile (``[intents]`` or the file it names)."""
    return _table_of(active())


def _find(cue: str, text: str) -> int:
    m = re.search(r"(?<!\w)" + re.escape(fold(cue)) + r"(?!\w)", text)
    return m.start() if m else -1


def intent_of(question: str, t: IntentTable | None = None) -> str:
    """The intent whose cue occurs earliest in the question (the longest cue at the same place).

    >>> intent_of("Wat is een netwerkkaart en waarom helpt die?")
    'whatis'
    """
    t = t or table()
    q = fold(question)
    best: tuple[int, int, str] | None = None
    for name, cues in t.cues.items():
        for cue in cues:
            at = _find(cue, q)
            if at >= 0 and (best is None or (at, -len(cue)) < (best[0], best[1])):
                best = (at, -len(cue), name)
    return best[2] if best else t.default


def wants_findings(question: str, t: IntentTable | None = None) -> bool:
    """Whether the question asks for research results ("Wat blijkt uit onderzoek …?")."""
    t = t or table()
    q = fold(question)
    return any(_find(c, q) >= 0 for c in t.finding_cues)


def leans_back(sentence: str, t: IntentTable | None = None) -> bool:
    """Whether a sentence opens with a word that refers to the sentence before it.

    >>> leans_back("Dat vraagt dat je eerst luistert."), leans_back("Vertrouwen groeit langzaam.")
    (True, False)
    """
    t = t or table()
    head = fold(sentence.lstrip("“\"‘'(•- ")[:40])
    return any(_find(o, head) == 0 for o in t.openers)
