"""The feedback store (SQLite, WAL) and ``assistant feedback export``."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import threading
from pathlib import Path

import pytest

from assistant.evaluation.dataset import KINDS, EvalItem
from assistant.feedback import FILENAME, FeedbackStore, export_command
from assistant.settings import Settings

CITES = [{"n": 1, "chunk_id": "abc123", "source": "care.txt", "title": "Het begrip care", "section": "",
          "page": None, "quote": "Het begrip care omvat vijf dimensies."}]
HISTORY = [{"role": "user", "content": "Wat is care?"}, {"role": "assistant", "content": "Care is ... [1]"}]


def test_round_trip_and_wal(tmp_path: Path) -> None:
    path = tmp_path / "data" / FILENAME
    store = FeedbackStore(path)
    assert path.exists()
    assert store.journal_mode() == "wal"
    # WAL is a property of the file: a fresh connection that knows nothing of the store sees it too
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"

    up = store.add("Wat zijn de dimensies van care?", "Vijf dimensies [1]", "up", citations=CITES)
    down = store.add("En moed?", "De bronnen gaan hier niet over.", "down", comment="  Mist het stuk over moed ",
                     history=HISTORY, query="Wat zijn de dimensies van care? En moed?", abstained=True)
    assert down > up > 0
    rows = store.all()
    assert [r["id"] for r in rows] == [up, down]
    a, b = rows
    assert (a["rating"], a["question"], a["answer"], a["citations"], a["comment"]) == \
        ("up", "Wat zijn de dimensies van care?", "Vijf dimensies [1]", CITES, "")
    assert (b["rating"], b["comment"], b["history"], b["abstained"]) == ("down", "Mist het stuk over moed", HISTORY, True)
    assert b["query"] == "Wat zijn de dimensies van care? En moed?"
    assert a["lang"] == "nl"
    assert a["created"][:2] == "20" and "T" in a["created"]

    assert store.set_comment(up, "Precies wat ik zocht")
    assert store.set_rating(up, "down")
    assert not store.set_comment(9999, "bestaat niet")
    assert store.delete(down) and not store.delete(down)
    (only,) = store.all()
    assert (only["rating"], only["comment"]) == ("down", "Precies wat ik zocht")

    # reopening the same file keeps everything
    assert FeedbackStore(path).all() == store.all()
    with pytest.raises(ValueError):
        store.add("q", "a", "meh")


def test_concurrent_writers(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / FILENAME)
    errors: list[BaseException] = []

    def write(i: int) -> None:
        try:
            for j in range(10):
                store.add(f"vraag {i}-{j}", "antwoord", "up" if j % 2 else "down")
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    rows = store.all()
    assert len(rows) == 80 and len({r["id"] for r in rows}) == 80
    assert sum(r["rating"] == "down" for r in rows) == 40


def test_export_content(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / FILENAME)
    store.add("Hoe bouw ik vertrouwen op met ouders?", "Zo [1]", "up", citations=CITES)
    d1 = store.add("Hoe bouw ik vertrouwen op met ouders?", "Ongeveer zo [1]", "down", comment="te vaag",
                   citations=CITES, query="vertrouwen ouders")
    d2 = store.add("En met jeugdzorg?", "De bronnen gaan hier niet over.", "down", history=HISTORY, abstained=True)
    items = store.export()
    assert [it["feedback"]["feedback_id"] for it in items] == [d1, d2]  # thumbs-down only, in order
    first, second = items
    assert set(first) == {"id", "question", "history", "kind", "lang", "answerable", "reference_answer",
                          "evidence", "key_facts", "feedback"}
    assert first["id"] == f"fb{d1:05d}" and first["question"] == "Hoe bouw ik vertrouwen op met ouders?"
    assert (first["kind"], first["lang"], first["history"]) == ("howto", "nl", [])
    assert (first["reference_answer"], first["evidence"], first["key_facts"]) == ("", [], [])
    assert first["feedback"]["comment"] == "te vaag" and first["feedback"]["answer"] == "Ongeveer zo [1]"
    assert first["feedback"]["citations"] == CITES and first["feedback"]["query"] == "vertrouwen ouders"
    assert second["kind"] == "followup" and second["history"] == HISTORY and second["feedback"]["abstained"]
    for it in items:
        assert it["kind"] in KINDS
        EvalItem.from_json(it)  # loadable with the evaluation set's own reader


def test_export_command_writes_file_and_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index", data_dir=tmp_path / "data")
    import argparse

    # no feedback yet: an empty export, no error
    assert export_command(settings, argparse.Namespace(out=None)) == 0
    assert capsys.readouterr().out == ""
    store = FeedbackStore.for_settings(settings)
    store.add("Wat is een netwerkkaart?", "Een overzicht [1]", "down", comment="klopt niet")
    store.add("Wat is care?", "Vijf dimensies [1]", "up")
    out = tmp_path / "export" / "kandidaten.jsonl"
    assert export_command(settings, argparse.Namespace(out=str(out))) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["question"] == "Wat is een netwerkkaart?"
    assert export_command(settings, argparse.Namespace(out=None)) == 0
    assert [json.loads(x)["feedback"]["comment"] for x in capsys.readouterr().out.splitlines()] == ["klopt niet"]


def test_feedback_export_cli(tmp_path: Path, assistant_exe: Path, cli_env) -> None:
    data = tmp_path / "data"
    store = FeedbackStore(data / FILENAME)
    store.add("Hoe ga ik om met weerstand?", "Erken de zorg [1]", "down", comment="te kort")
    store.add("Wat is care?", "Vijf dimensies [1]", "up")
    env = cli_env(ASSISTANT_DATA_DIR=str(data), ASSISTANT_INDEX_DIR=str(tmp_path / "no-index"))
    proc = subprocess.run([str(assistant_exe), "feedback", "export"], env=env, capture_output=True, text=True,
                          encoding="utf-8", timeout=120)
    assert proc.returncode == 0, proc.stderr
    items = [json.loads(x) for x in proc.stdout.splitlines()]
    assert [(i["question"], i["feedback"]["comment"], i["feedback"]["rating"]) for i in items] == \
        [("Hoe ga ik om met weerstand?", "te kort", "down")]
    out = tmp_path / "fb.jsonl"
    proc = subprocess.run([str(assistant_exe), "feedback", "export", "--out", str(out)], env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()] == items
    assert "1" in proc.stderr and str(out) in proc.stderr


OPENER = """
import sys, time
from assistant.feedback import FeedbackStore
db, at = sys.argv[1], float(sys.argv[2])
while time.time() < at:
    pass
FeedbackStore(db).add("vraag", "antwoord", "up")
"""


@pytest.mark.slow  # starts 8 Python processes (about 10 s)
def test_processes_opening_a_new_store_at_the_same_moment_all_succeed(tmp_path: Path, cli_env) -> None:
    import sys
    import time

    env = cli_env()
    for n in range(4):  # four fresh files, six processes racing to create each
        db = tmp_path / f"race{n}" / FILENAME
        at = time.time() + 2.0
        procs = [subprocess.Popen([sys.executable, "-c", OPENER, str(db), str(at)], env=env,
                                  stderr=subprocess.PIPE, text=True) for _ in range(6)]
        errs = [p.communicate(timeout=60)[1] for p in procs]
        assert all(p.returncode == 0 for p in procs), "\n".join(errs)
        assert len(FeedbackStore(db).all()) == 6
