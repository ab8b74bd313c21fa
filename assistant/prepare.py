"""Meeting preparation: a structured, cited prep sheet for a partner meeting.

With the extractive default each section is filled by its own retrieval query and sentence
selection; every point carries the citation of the passage it comes from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .answer.extractive import Candidate, choose, score_units
from .profile import load as load_profile
from .prompts import PREP_EMPTY, PREP_GOAL, PREP_PARTNERS, PREP_SOURCES, PREP_TITLE
from .records import Citation
from .textutil import words
from .retrieve import check_question
from .safe_text import escape_markdown, escape_markdown_file


@dataclass(frozen=True)
class PrepPoint:
    text: str
    citations: tuple[Citation, ...]


@dataclass(frozen=True)
class PrepSection:
    key: str
    title: str
    points: tuple[PrepPoint, ...]


@dataclass(frozen=True)
class PrepSheet:
    topic: str
    partners: tuple[str, ...]
    goal: str
    sections: tuple[PrepSection, ...] = field(default_factory=tuple)

    def citations(self) -> list[Citation]:
        seen: dict[int, Citation] = {}
        for s in self.sections:
            for p in s.points:
                for c in p.citations:
                    seen.setdefault(c.n, c)
        return [seen[n] for n in sorted(seen)]

    def _where(self, c: Citation) -> str:
        return ", ".join(x for x in (c.section, f"p. {c.page}" if c.page else "") if x)

    def to_markdown(self, for_file: bool = False) -> str:
        """The sheet as Markdown: every text from the user or a source escaped, so it shows
        literally. In the app (:func:`~assistant.safe_text.escape_markdown`) or, ``for_file``, for a
        Markdown viewer, with only what could become markup escaped (``escape_markdown_file``)."""
        md = escape_markdown_file if for_file else escape_markdown
        lines = [f"# {PREP_TITLE.format(topic=md(self.topic))}"]
        if self.partners:
            lines += ["", PREP_PARTNERS.format(partners=", ".join(md(p) for p in self.partners))]
        if self.goal:
            lines += ["", PREP_GOAL.format(goal=md(self.goal))]
        for s in self.sections:
            lines += ["", f"## {s.title}", ""]
            if not s.points:
                lines.append(f"_{PREP_EMPTY}_")
            for p in s.points:
                marks = "".join(f" [{c.n}]" for c in p.citations)
                text = md(p.text).replace("\n", "\n  ")
                lines.append(f"- {text}{marks}")
        cites = self.citations()
        if cites:
            lines += ["", f"## {PREP_SOURCES}", ""]
            for c in cites:
                where = md(self._where(c))
                lines.append(f"{c.n}. **{md(c.title)}**" + (f" — {where}" if where else "") + f" ({md(c.source)})")
        return "\n".join(lines) + "\n"

    def to_text(self) -> str:
        """The sheet as plain text for a terminal: no Markdown, no escapes."""
        lines = [PREP_TITLE.format(topic=self.topic)]
        if self.partners:
            lines.append(PREP_PARTNERS.format(partners=", ".join(self.partners)))
        if self.goal:
            lines.append(PREP_GOAL.format(goal=self.goal))
        for s in self.sections:
            lines += ["", s.title]
            if not s.points:
                lines.append(f"  {PREP_EMPTY}")
            for p in s.points:
                marks = "".join(f" [{c.n}]" for c in p.citations)
                lines.append("  • " + p.text.replace("\n", "\n    ") + marks)
        cites = self.citations()
        if cites:
            lines += ["", PREP_SOURCES]
            for c in cites:
                where = self._where(c)
                lines.append(f"  [{c.n}] {c.title}" + (f" — {where}" if where else "") + f" ({c.source})")
        return "\n".join(lines) + "\n"

    def to_json(self) -> dict[str, Any]:
        return {
            "topic": self.topic, "partners": list(self.partners), "goal": self.goal,
            "sections": [{"key": s.key, "title": s.title,
                          "points": [{"text": p.text, "citations": [c.to_json() for c in p.citations]}
                                     for p in s.points]} for s in self.sections],
        }


# What a section shows unless its profile entry names roles (the questions to ask, for instance,
# are the sources' own questions)
_CONTENT = frozenset({"advice", "list", "definition", "background"})


def names_partner(text: str, partner: str) -> bool:
    """Whether a unit names the partner (a word of the partner's name, or a compound starting with
    it: "ouders" in "ouderbetrokkenheid")."""
    wanted = [w for w in words(partner) if len(w) >= 3]
    have = words(text)
    return any(h == w or (len(w) >= 4 and h.startswith(w[:max(4, len(w) - 1)])) for w in wanted for h in have)


def _pick(engine: Any, query: str, roles: frozenset[str], per: int, used: set[str],
          partner: str = "") -> tuple[list[Candidate], Any]:
    turn = engine.retrieve(query)
    cands = score_units(query, turn.contexts, engine.stats, "meeting", engine.unit_similarity(turn),
                        roles=roles or _CONTENT)
    if partner:
        cands = [c for c in cands if names_partner(c.unit.text, partner)]
    fresh = [c for c in choose(cands, "meeting", extra=per) if c.unit.text not in used]
    return [c for c in fresh if c.score > 0][:per], turn


def prepare(engine: Any, topic: str, partners: Sequence[str] | str, goal: str = "",
            points_per_section: int = 3) -> PrepSheet:
    """Fill each section of the prep sheet from the sources, citing every point. A partner's
    interests come only from passages that name that partner."""
    limit = engine.settings.max_question_chars
    topic = check_question(topic, limit)
    if isinstance(partners, str):
        partners = [p.strip() for p in partners.replace(";", ",").split(",") if p.strip()]
    partners = tuple(partners)
    goal = (goal or "").strip()[:limit]
    numbering: dict[str, int] = {}
    used: set[str] = set()
    sections = []
    for section in load_profile(engine.settings.profile).prep:
        query = section.query.format(topic=topic, partners=" ".join(partners), goal=goal)
        asks = [(query, "", points_per_section)]
        if section.partner_query:
            asks = [(section.partner_query.format(partner=p, topic=topic), p, 1) for p in partners[:5]]
        points: list[PrepPoint] = []
        for q, partner, per in asks:
            chosen, turn = _pick(engine, q, section.roles, per, used, partner)
            for c in chosen:
                chunk = turn.contexts[c.unit.ctx].chunk
                n = numbering.setdefault(chunk.id, len(numbering) + 1)
                spans = ((c.unit.start, c.unit.end),) if c.unit.start >= 0 else ()
                cite = Citation(n, chunk.id, chunk.doc_id, chunk.title, chunk.section, chunk.page, c.unit.text, spans)
                text = f"{partner}: {c.unit.text}" if partner else c.unit.text
                points.append(PrepPoint(text, (cite,)))
                used.add(c.unit.text)
        sections.append(PrepSection(section.key, section.title, tuple(points)))
    return PrepSheet(topic, partners, goal, tuple(sections))
