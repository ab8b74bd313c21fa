"""The question writers' lines, checked against the passages they were written for.

One JSON object per line: ``{"passage": "P…", "question": "…", "answers": [unit numbers],
"lang": "nl" | "en", "kind": "covered" | "uncovered"}``. A covered question names at least one
answering unit of its passage; an uncovered one names none. A line that breaks a rule is reported
with its file and line number and left out; the other lines still count.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ...records import content_hash
from .passages import Passage


@dataclass(frozen=True)
class Question:
    id: str  # content hash of passage id and question text
    passage: str
    text: str
    answers: tuple[int, ...]  # 1-based unit numbers in the passage
    lang: str
    kind: str
    origin: str  # "file:line"


@dataclass(frozen=True)
class Problem:
    origin: str
    reason: str


def read_passages(path: Path) -> dict[str, Passage]:
    with open(path, encoding="utf-8") as fh:
        rows = [json.loads(ln) for ln in fh if ln.strip()]
    return {r["id"]: Passage.from_json({k: v for k, v in r.items() if k != "batch"}) for r in rows}


def parse_line(raw: str, origin: str, passages: dict[str, Passage]) -> Question | Problem:
    """One line as a :class:`Question`, or the :class:`Problem` that keeps it out."""
    try:
        d = json.loads(raw)
    except json.JSONDecodeError as e:
        return Problem(origin, f"not JSON ({e.msg})")
    if not isinstance(d, dict):
        return Problem(origin, "not a JSON object")
    pid, text = d.get("passage"), d.get("question")
    answers, lang, kind = d.get("answers", []), d.get("lang"), d.get("kind")
    if pid not in passages:
        return Problem(origin, f"unknown passage {pid!r}")
    if not isinstance(text, str) or not text.strip():
        return Problem(origin, "empty question")
    if lang not in ("nl", "en"):
        return Problem(origin, f"lang must be 'nl' or 'en', not {lang!r}")
    if kind not in ("covered", "uncovered"):
        return Problem(origin, f"kind must be 'covered' or 'uncovered', not {kind!r}")
    if not isinstance(answers, list) or not all(isinstance(a, int) and not isinstance(a, bool) for a in answers):
        return Problem(origin, "answers must be a list of unit numbers")
    n_units = len(passages[pid].units)
    if any(not 1 <= a <= n_units for a in answers):
        return Problem(origin, f"answers {answers} outside units 1-{n_units} of {pid}")
    if kind == "covered" and not answers:
        return Problem(origin, "a covered question names no answering unit")
    if kind == "uncovered" and answers:
        return Problem(origin, "an uncovered question names answering units")
    text = " ".join(text.split())
    return Question(content_hash(f"{pid}\n{text}", 12), pid, text, tuple(sorted(set(answers))), lang, kind, origin)


def read_questions(paths: list[Path], passages: dict[str, Passage]) -> tuple[list[Question], list[Problem]]:
    """Every valid question of ``paths`` (a repeated one once) and the problems of the others."""
    questions: dict[str, Question] = {}
    problems: list[Problem] = []
    for path in paths:
        for i, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not raw.strip():
                continue
            got = parse_line(raw, f"{path.name}:{i}", passages)
            if isinstance(got, Problem):
                problems.append(got)
            elif got.id in questions:
                problems.append(Problem(got.origin, f"repeats {questions[got.id].origin}"))
            else:
                questions[got.id] = got
    return list(questions.values()), problems
