"""A chat's state: its answered turns, the history follow-ups are read with, and what the sources
panel and the ratings need later."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .records import Answer


@dataclass
class TurnRecord:
    """One answered question, with what the UI needs to show and rate it later."""

    question: str
    answer: str
    query: str
    abstained: bool
    lang: str
    citations: list[dict[str, Any]]  # Citation.to_json() plus "text": the whole cited passage
    history: list[dict[str, str]]  # the conversation before this question
    seconds: float = 0.0
    feedback_id: int | None = None

    @property
    def rewritten(self) -> bool:
        return bool(self.query) and self.query.strip() != self.question.strip()


@dataclass
class Conversation:
    """A chat's state: its turns (history for follow-ups, prior citation ids, feedback ids)."""

    turns: list[TurnRecord] = field(default_factory=list)
    last_feedback: int | None = None  # the rating a later comment belongs to
    dropped: int = 0  # turns taken out by trim(); turn numbers (bron-<turn>-<n>) go on from there

    def trim(self, max_turns: int) -> int:
        """Keep the last ``max_turns`` turns (a bounded history and page); returns how many went."""
        extra = max(0, len(self.turns) - max(1, max_turns))
        if extra:
            del self.turns[:extra]
            self.dropped += extra
        return extra

    def history(self) -> list[dict[str, str]]:
        out: list[dict[str, str]] = []
        for t in self.turns:
            out += [{"role": "user", "content": t.question}, {"role": "assistant", "content": t.answer}]
        return out

    def prior_ids(self) -> list[str]:
        return [c["chunk_id"] for c in self.turns[-1].citations] if self.turns else []


def record_turn(engine: Any, question: str, ans: Answer, history: list[dict[str, str]]) -> TurnRecord:
    """The turn to keep for an answer; each citation carries its whole passage for the sources panel."""
    cites = []
    for c in ans.citations:
        d = c.to_json()
        chunk = engine.index.chunks.get(c.chunk_id)
        d["text"] = chunk.text if chunk is not None else c.quote
        cites.append(d)
    return TurnRecord(question.strip(), ans.text, ans.query, ans.abstained, ans.language, cites, history,
                      ans.seconds)
