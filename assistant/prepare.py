"""Meeting preparation: a structured, cited prep sheet for a partner meeting.

With the extractive default each section is filled by its own retrieval query and sentence
selection; every point carries the citation of the passage it comes from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .answer.extractive import select_units
from .prompts import PREP_EMPTY, PREP_GOAL, PREP_PARTNERS, PREP_SECTIONS, PREP_TITLE
from .records import Citation
from .retrieve import check_question
from .safe_text import escape_markdown


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

    def to_markdown(self) -> str:
        """The sheet as Markdown (shown in the app and downloaded): every text from the user or a
        source is escaped, so it shows literally wherever the file is opened."""
        md = escape_markdown
        lines = [f"# {PREP_TITLE.format(topic=md(self.topic))}", ""]
        if self.partners:
            lines.append(PREP_PARTNERS.format(partners=", ".join(md(p) for p in self.partners)))
        if self.goal:
            lines.append(PREP_GOAL.format(goal=md(self.goal)))
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
            lines += ["", "## Bronnen", ""]
            for c in cites:
                where = ", ".join(md(x) for x in (c.section, f"p. {c.page}" if c.page else "") if x)
                lines.append(f"{c.n}. **{md(c.title)}**" + (f" — {where}" if where else "") + f" ({md(c.source)})")
        return "\n".join(lines) + "\n"

    def to_json(self) -> dict[str, Any]:
        return {
            "topic": self.topic, "partners": list(self.partners), "goal": self.goal,
            "sections": [{"key": s.key, "title": s.title,
                          "points": [{"text": p.text, "citations": [c.to_json() for c in p.citations]}
                                     for p in s.points]} for s in self.sections],
        }


def prepare(engine: Any, topic: str, partners: Sequence[str] | str, goal: str = "",
            points_per_section: int = 3) -> PrepSheet:
    """Fill each section of the prep sheet from the sources, citing every point."""
    limit = engine.settings.max_question_chars
    topic = check_question(topic, limit)
    if isinstance(partners, str):
        partners = [p.strip() for p in partners.replace(";", ",").split(",") if p.strip()]
    partners = tuple(partners)
    goal = (goal or "").strip()[:limit]
    numbering: dict[str, int] = {}
    used: set[str] = set()
    sections = []
    for key, title, template in PREP_SECTIONS:
        query = template.format(topic=topic, partners=" ".join(partners), goal=goal)
        per = points_per_section
        queries = [query]
        if key == "interests" and partners:
            queries = [f"belangen van {p} in de samenwerking {topic}" for p in partners[:5]]
            per = 1
        points: list[PrepPoint] = []
        for q in queries:
            turn = engine.retrieve(q)
            sel = select_units(q, turn.contexts, engine.stats, max_chars=700, max_units=per + 2,
                               semantic=engine.unit_similarity(turn))
            taken = 0
            for u in sel.units:
                if u.text in used or taken >= per:
                    continue
                chunk = turn.contexts[u.ctx].chunk
                n = numbering.setdefault(chunk.id, len(numbering) + 1)
                cite = Citation(n, chunk.id, chunk.doc_id, chunk.title, chunk.section, chunk.page, u.text)
                text = u.text
                if key == "interests" and len(queries) > 1:
                    text = f"{partners[queries.index(q)]}: {u.text}"
                points.append(PrepPoint(text, (cite,)))
                used.add(u.text)
                taken += 1
        sections.append(PrepSection(key, title, tuple(points)))
    return PrepSheet(topic, partners, goal, tuple(sections))
