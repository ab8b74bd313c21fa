"""Questions inside and outside the field, answered by the whole engine: how many of each it refuses.

A scope set (``evals/scope*.jsonl``) has one JSON object per line with at least ``question`` and
``in_domain``; see ``evals/README.md`` ("Questions outside the field"). Every abstention rule counts
here, not only the field check: a question of the field refused for weak evidence is a refusal too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import CorpusError
from ..prompts import EVAL


def load_scope(path: Path) -> list[dict[str, Any]]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row["in_domain"], bool):
                raise ValueError(EVAL["in_domain"].format(value=row["in_domain"]))
            rows.append({"question": str(row["question"]), "in_domain": row["in_domain"],
                         "lang": row.get("lang", "nl"), "style": row.get("style", "")})
        except (ValueError, KeyError, TypeError) as e:
            raise CorpusError(EVAL["bad_item"].format(path=path, n=n, error=e)) from e
    return rows


def run_scope(engine: Any, path: Path) -> dict[str, Any]:
    """Share of the set's field questions and of its outside questions that the engine refuses."""
    rows = load_scope(path)
    refused = {True: [], False: []}  # type: dict[bool, list[str]]
    counts = {True: 0, False: 0}
    for r in rows:
        counts[r["in_domain"]] += 1
        if engine.ask(r["question"]).abstained:
            refused[r["in_domain"]].append(r["question"])
    return {  # a share is None when the set has no question of that side
        "in_field": counts[True],
        "in_field_refused": len(refused[True]) / counts[True] if counts[True] else None,
        "outside": counts[False],
        "outside_refused": len(refused[False]) / counts[False] if counts[False] else None,
        "in_field_refused_questions": refused[True],
        "outside_answered_questions": [r["question"] for r in rows
                                       if not r["in_domain"] and r["question"] not in refused[False]],
    }
