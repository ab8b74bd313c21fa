"""User feedback on answers (thumbs up/down, optional comment), stored in SQLite.

One file, ``settings.data_dir / "feedback.sqlite3"``, in WAL mode so readers never block the web
app's writers; every write opens its own short connection, so the store is safe to share between
threads and processes. Thumbs-down answers can be exported as candidate evaluation items in the
``evals/qa.jsonl`` schema (``assistant feedback export``).
"""

from __future__ import annotations

import json
import re
import sqlite3
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .errors import AssistantError
from .prompts import CLI, ERRORS, FEEDBACK_EXPORT_NOTE
from .settings import Settings
from .textutil import detect_language

FILENAME = "feedback.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    created   TEXT    NOT NULL,
    rating    INTEGER NOT NULL CHECK (rating IN (-1, 1)),
    question  TEXT    NOT NULL,
    answer    TEXT    NOT NULL,
    query     TEXT    NOT NULL DEFAULT '',
    citations TEXT    NOT NULL DEFAULT '[]',
    history   TEXT    NOT NULL DEFAULT '[]',
    comment   TEXT    NOT NULL DEFAULT '',
    abstained INTEGER NOT NULL DEFAULT 0,
    lang      TEXT    NOT NULL DEFAULT 'nl'
)
"""

_MAX_TEXT = 20000  # characters kept per text field (a question is at most a few thousand)


def _rating(value: Any) -> int:
    if value in (1, True, "up", "+1", "like", "Like"):
        return 1
    if value in (-1, False, "down", "-1", "dislike", "Dislike"):
        return -1
    raise ValueError(ERRORS["feedback_rating"].format(value=value))


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class FeedbackStore:
    """``add`` a rating, ``set_comment`` on it later, read ``all`` back, ``export`` thumbs-down items."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._lock = threading.Lock()  # one writer at a time within this process
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for attempt in range(100):
            try:
                mode = self._open_wal()
                break
            except sqlite3.OperationalError as e:
                # switching a new file to WAL needs it alone for a moment: another process opening
                # it at the same instant gets "database is locked" at once (no busy wait for this)
                if "locked" not in str(e) or attempt == 99:
                    raise
                time.sleep(0.05)
        if mode != "wal":
            raise AssistantError(ERRORS["feedback_wal"].format(path=self.path, mode=mode))

    def _open_wal(self) -> str:
        with self._connect() as con:
            mode = str(con.execute("PRAGMA journal_mode").fetchone()[0]).lower()
            if mode != "wal":
                mode = str(con.execute("PRAGMA journal_mode=WAL").fetchone()[0]).lower()
            con.execute(_SCHEMA)
        return mode

    @classmethod
    def for_settings(cls, settings: Settings) -> "FeedbackStore":
        return cls(settings.data_dir / FILENAME)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        con = sqlite3.connect(self.path, timeout=30)
        con.row_factory = sqlite3.Row
        try:
            con.execute("PRAGMA busy_timeout=30000")
            with con:  # commit on success, roll back on error
                yield con
        finally:
            con.close()

    def journal_mode(self) -> str:
        with self._connect() as con:
            return str(con.execute("PRAGMA journal_mode").fetchone()[0]).lower()

    def add(self, question: str, answer: str, rating: Any, comment: str = "",
            citations: Sequence[dict[str, Any]] = (), query: str = "",
            history: Sequence[dict[str, str]] = (), abstained: bool = False, lang: str = "") -> int:
        """Store one rating; returns its id."""
        r = _rating(rating)
        row = (
            _now(), r, str(question)[:_MAX_TEXT], str(answer)[:_MAX_TEXT], str(query or "")[:_MAX_TEXT],
            json.dumps(list(citations), ensure_ascii=False), json.dumps(list(history), ensure_ascii=False),
            str(comment or "").strip()[:_MAX_TEXT], int(bool(abstained)), lang or detect_language(str(question)),
        )
        with self._lock, self._connect() as con:
            cur = con.execute(
                "INSERT INTO feedback (created, rating, question, answer, query, citations, history, comment,"
                " abstained, lang) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
            return int(cur.lastrowid or 0)

    def set_comment(self, feedback_id: int, comment: str) -> bool:
        with self._lock, self._connect() as con:
            cur = con.execute("UPDATE feedback SET comment = ? WHERE id = ?",
                              (str(comment or "").strip()[:_MAX_TEXT], int(feedback_id)))
            return cur.rowcount == 1

    def set_rating(self, feedback_id: int, rating: Any) -> bool:
        with self._lock, self._connect() as con:
            cur = con.execute("UPDATE feedback SET rating = ? WHERE id = ?", (_rating(rating), int(feedback_id)))
            return cur.rowcount == 1

    def delete(self, feedback_id: int) -> bool:
        with self._lock, self._connect() as con:
            return con.execute("DELETE FROM feedback WHERE id = ?", (int(feedback_id),)).rowcount == 1

    def all(self) -> list[dict[str, Any]]:
        with self._connect() as con:
            rows = con.execute("SELECT * FROM feedback ORDER BY id").fetchall()
        out = []
        for row in rows:
            d = dict(row)
            d["citations"] = json.loads(d["citations"] or "[]")
            d["history"] = json.loads(d["history"] or "[]")
            d["abstained"] = bool(d["abstained"])
            d["rating"] = "up" if d["rating"] == 1 else "down"
            out.append(d)
        return out

    def export(self) -> list[dict[str, Any]]:
        """Thumbs-down answers as candidate evaluation items (``evals/qa.jsonl`` schema)."""
        return [to_eval_item(d) for d in self.all() if d["rating"] == "down"]


def _guess_kind(question: str, history: Sequence[Any]) -> str:
    if history:
        return "followup"
    q = question.lower()
    if re.search(r"\b(overleg|vergadering|bijeenkomst|gesprek met|meeting)\b", q):
        return "meeting"
    if re.match(r"\s*(hoe|wat kan ik|wat moet ik|how)\b", q):
        return "howto"
    return "factual"


def to_eval_item(d: dict[str, Any]) -> dict[str, Any]:
    """One stored thumbs-down as an evaluation item; what a reviewer must add is left empty."""
    history = [h for h in d.get("history") or [] if isinstance(h, dict)]
    return {
        "id": f"fb{int(d['id']):05d}",
        "question": d["question"],
        "history": history,
        "kind": _guess_kind(d["question"], history),
        "lang": d.get("lang") or "nl",
        "answerable": True,  # the user expected an answer; a reviewer decides
        "reference_answer": "",
        "evidence": [],
        "key_facts": [],
        "feedback": {
            "rating": d["rating"],
            "comment": d.get("comment", ""),
            "answer": d["answer"],
            "query": d.get("query", ""),
            "abstained": bool(d.get("abstained")),
            "citations": d.get("citations", []),
            "created": d["created"],
            "feedback_id": int(d["id"]),
            "note": FEEDBACK_EXPORT_NOTE,
        },
    }


def export_command(settings: Settings, args: Any) -> int:
    """``assistant feedback export [--out FILE]``: thumbs-down answers as JSONL (stdout by default)."""
    path = settings.data_dir / FILENAME
    items = FeedbackStore(path).export() if path.exists() else []
    lines = "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items)
    out = getattr(args, "out", None)
    if out:
        target = Path(out)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(lines, encoding="utf-8")
        print(CLI["feedback_written"].format(n=len(items), path=target), file=sys.stderr)
    else:
        sys.stdout.write(lines)
        sys.stdout.flush()
    return 0
