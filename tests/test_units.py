"""Unit (sentence) vectors, score fusion and the abstention checks that came with them, on the
real index and the real bundled embedder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.answer.abstain import counted_terms, missing_number, out_of_scope
from assistant.answer import extractive
from assistant.answer.extractive import score_units
from assistant.answer.support import TermStats
from assistant.index import Index, build_index, embed_text
from assistant.records import content_hash
from assistant.retrieve import HybridSearcher, zscores
from assistant.settings import Settings
from assistant.units import UnitVectors, units_of

pytestmark = pytest.mark.slow


def test_zscores() -> None:
    z = zscores({"a": 1.0, "b": 2.0, "c": 3.0})
    assert z["b"] == 0.0 and z["a"] == pytest.approx(-z["c"]) and z["c"] == pytest.approx(1.2247, abs=1e-3)
    assert zscores({"a": 5.0, "b": 5.0}) == {"a": 0.0, "b": 0.0}  # no spread: no signal
    assert zscores({}) == {}


def test_searcher_takes_its_parameters_from_settings() -> None:
    index, emb = object(), object()  # the constructor only keeps them
    s = Settings(candidates=7, fusion="rrf", bm25_weight=2.0)
    searcher = HybridSearcher(index, emb, s, retriever="bm25")  # type: ignore[arg-type]
    assert (searcher.candidates, searcher.fusion, searcher.weights["bm25"], searcher.mode) == (7, "rrf", 2.0, "bm25")
    assert HybridSearcher(index, emb).candidates == Settings().candidates  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not a setting"):
        HybridSearcher(index, emb, kandidaten=3)  # type: ignore[arg-type]


def test_every_chunk_has_its_units_embedded(session_index: Index, embeddings) -> None:
    units = session_index.units
    assert units is not None
    for c in session_index.chunks.values():
        keys, vecs = units.of(c.id)
        expected = [content_hash(u.text) for u in units_of(c.text, 0)]
        assert keys == expected and vecs.shape == (len(keys), 384), c.id
    # the stored (float16) vector is the embedder's passage vector of that sentence
    c = next(iter(session_index.chunks.values()))
    text = units_of(c.text, 0)[0].text
    _, vecs = units.of(c.id)
    ref = np.asarray(embeddings.embed_documents([text])[0])
    assert float(vecs[0] @ ref) > 0.99


def test_units_are_reused_by_content_and_only_new_ones_embedded(
        tmp_path: Path, tiny_corpus: Path, tiny_texts: dict[str, str], make_corpus) -> None:
    s = Settings(corpus_dir=tiny_corpus, index_dir=tmp_path / "index", data_dir=tmp_path / "data")
    first = build_index(s, show_progress=False)
    n_units = len(Index.open(s).units)
    assert first.units_embedded == n_units > 3  # several sentences per chunk
    extra = " Beschrijf feitelijk en zonder beschuldiging wat de ander doet."
    make_corpus(tiny_corpus, {"weerstand.txt": tiny_texts["weerstand.txt"].rstrip("\n") + extra + "\n"})
    changed = build_index(s, show_progress=False)
    assert changed.embedded == 1 and changed.units_embedded == 1  # just the new sentence
    idx = Index.open(s)
    assert len(idx.units) == n_units + 1
    hit = HybridSearcher(idx, _emb(s)).search("feitelijk zonder beschuldiging beschrijven", 1)[0]
    assert hit.chunk.doc_id == "weerstand.txt" and hit.unit_score is not None and hit.unit_score > 0.8

    # switching sentence vectors off (or on) takes effect on the next build, without --rebuild
    off = build_index(s.model_copy(update={"unit_vectors": False}), show_progress=False)
    assert not off.up_to_date and off.embedded == 0 and off.units_embedded == 0
    assert Index.open(s).units is None
    res = HybridSearcher(Index.open(s), _emb(s)).search("feitelijk zonder beschuldiging", 1)
    assert res and res[0].unit_score is None  # searching still works without unit vectors
    assert build_index(s.model_copy(update={"unit_vectors": False}), show_progress=False).up_to_date
    on = build_index(s, show_progress=False)
    assert not on.up_to_date and on.embedded == 0 and on.units_embedded == n_units + 1
    assert len(Index.open(s).units) == n_units + 1


def _emb(s: Settings):
    from assistant.embeddings import make_embeddings

    return make_embeddings(s)


def test_unit_vectors_file_round_trip(tmp_path: Path, session_index: Index) -> None:
    import numpy as np

    u = session_index.units
    assert isinstance(u.vectors, np.memmap)  # the live index maps the matrix, it does not read it whole
    u.save(tmp_path)
    back = UnitVectors.load(tmp_path)
    assert back is not None and back.keys == u.keys and back.rows == u.rows
    assert isinstance(back.vectors, np.memmap) and np.array_equal(back.vectors, u.vectors)
    cid = next(iter(u.rows))
    q = np.asarray(u.of(cid)[1][0], dtype=np.float32)
    assert back.best([cid], q) == u.best([cid], q)
    assert UnitVectors.load(tmp_path / "nowhere") is None

    # a generation written before the matrix had a file of its own still loads
    old = tmp_path / "old"
    old.mkdir()
    with np.load(tmp_path / UnitVectors.FILE) as z:
        np.savez(old / UnitVectors.FILE, chunk_ids=z["chunk_ids"], offsets=z["offsets"], keys=z["keys"],
                 vectors=np.asarray(u.vectors))
    legacy = UnitVectors.load(old)
    assert legacy is not None and legacy.keys == u.keys and np.array_equal(legacy.vectors, u.vectors)


def test_score_fusion_scores_every_candidate_on_all_signals(searcher: HybridSearcher) -> None:
    question = "Hoe ga ik om met weerstand van collega's tegen de samenwerking?"
    res = searcher.search(question, 10)
    assert len(res) == 10
    assert all(r.dense_score is not None and r.unit_score is not None for r in res)
    assert [r.score for r in res] == sorted((r.score for r in res), reverse=True)
    # the fusion itself: every candidate of either list is scored; a passage found only by BM25
    # gets its exact cosine from its stored vector
    q = searcher.embeddings.embed_query(question)
    bm25 = dict(searcher.index.bm25.search(question, 15))
    dense = dict(searcher.index.store.query(q, 15))
    bm25_only = set(bm25) - set(dense)
    assert bm25_only
    fused, units = searcher._score_fusion(q, bm25, dense)
    assert set(fused) == set(bm25) | set(dense) == set(units)
    vecs = searcher.index.store.vectors(sorted(bm25_only))
    for cid in bm25_only:
        assert dense[cid] == pytest.approx(float(np.dot(vecs[cid], q)), abs=1e-4)


def test_rrf_fusion_is_still_available(session_index, embeddings) -> None:
    rrf = HybridSearcher(session_index, embeddings, fusion="rrf")
    score = HybridSearcher(session_index, embeddings, fusion="score")
    q = "Wat zijn de vijf dimensies van care?"
    a, b = rrf.search(q, 5), score.search(q, 5)
    assert a[0].score < 0.05 and all(r.unit_score is None for r in a)  # RRF scores are 1/(k+rank) sums
    assert "dimensies" in a[0].chunk.text.lower() and "dimensies" in b[0].chunk.text.lower()


def _scores(cands) -> dict[str, float]:
    return {c.unit.text: c.score for c in cands}


def test_semantic_unit_scores_steer_sentence_selection(searcher: HybridSearcher, session_index: Index) -> None:
    question = "Hoe bouw ik vertrouwen op met ouders?"
    contexts = searcher.search(question, 3)
    stats = TermStats(embed_text(c) for c in session_index.chunks.values())
    plain = _scores(score_units(question, contexts, stats, "howto"))
    # pretend one sentence of the third passage that ranks low is by far the closest in meaning
    target = min((t for t in plain if len(t) > 60), key=plain.get)
    semantic = {content_hash(u.text): 0.80 for c in contexts for u in units_of(c.chunk.text, 0)}
    semantic[content_hash(target)] = 0.99
    steered = _scores(score_units(question, contexts, stats, "howto", semantic=semantic))
    assert steered[target] > plain[target] + 0.2
    assert sorted(steered, key=steered.get) != sorted(plain, key=plain.get)
    assert _scores(score_units(question, contexts, stats, "howto", semantic={})) == plain


def test_quantity_questions_need_a_number_about_the_counted_thing(searcher: HybridSearcher) -> None:
    assert counted_terms("Hoeveel uur facilitering krijgt een mentor?") == ["uur"]
    assert counted_terms("Hoeveel budget per leerling?") == ["budget"]
    assert counted_terms("In welke salarisschaal kom ik?") == ["salarisschaal"]
    for vague in ("Hoe bouw ik vertrouwen op?", "Hoeveel tijd kost een goede start?", "Hoeveel is genoeg?",
                  "Hoe lang duurt het voordat een samenwerking loopt?", "How many partners do we need?"):
        assert counted_terms(vague) == [], vague
    q_no = "Hoeveel uur facilitering krijgt een mentor volgens de cao per student?"
    q_yes = "Met hoeveel leerlingen krimpt het voortgezet onderwijs tot 2030?"
    assert missing_number(q_no, searcher.search(q_no, 5))
    assert not missing_number(q_yes, searcher.search(q_yes, 5))


def test_a_follow_up_is_not_judged_by_the_earlier_quantity_question(corpus_settings, session_index, embeddings) -> None:
    from assistant.answer.chain import AnswerEngine

    engine = AnswerEngine(corpus_settings, session_index, embeddings)
    history = [{"role": "user", "content": "Hoeveel uur facilitering krijgt een mentor volgens de cao?"},
               {"role": "assistant", "content": "De bronnen gaan hier niet over."}]
    turn = engine.retrieve("En wat kan de opleiding doen om mentoren te ondersteunen?", history)
    assert "facilitering" in turn.query  # the earlier question is carried along for retrieval ...
    assert not turn.evidence.missing_number  # ... but only this turn's question is checked for a number
    assert engine.retrieve(history[0]["content"]).evidence.missing_number


@pytest.mark.parametrize("q", ["Kun je een lesplan schrijven over de watercyclus?", "Write me a lesson plan on fractions",
                               "Vertaal deze brief naar het Frans", "Schrijf een gedicht voor de conciërge",
                               "Can you write a Python program that sorts our timetable?",
                               "Kun je deze mail naar het Engels vertalen?"])
def test_requests_for_other_work_are_out_of_scope(q: str) -> None:
    assert out_of_scope(q)


@pytest.mark.parametrize("q", ["Maak een agenda voor ons eerste overleg met het mbo",
                               "Hoe schrijf ik een samenwerkingsovereenkomst met de opleiding?",
                               "Hoe vertalen we onze visie naar concrete afspraken?",
                               "Hoe kunnen we samen met het mbo een lesplan maken?",
                               "Hoe maak ik mijn verhaal duidelijk aan ouders?",
                               "Wat is het recept voor een goede samenwerking?",
                               "Maak een programma voor de studiedag met onze partners"])
def test_advice_requests_are_in_scope(q: str) -> None:
    assert not out_of_scope(q)


def test_the_sentence_after_a_relevant_one_gets_a_bonus(monkeypatch) -> None:
    from assistant.records import Chunk, ScoredChunk

    a = "Vertrouwen tussen school en ouders groeit door regelmatig en open contact."
    b = "Dat vraagt dat je luistert voordat je uitlegt wat de school van plan is."
    c = "Ook tussen scholen onderling speelt vertrouwen een rol bij de samenwerking."
    text = f"{a} {b}\n\nEen heel andere alinea over roosters en lokalen op maandag.\n\n{c}"
    ctx = [ScoredChunk(Chunk("x1", "doc.txt", "Doc", "", None, 0, len(text), text), 1.0)]
    stats = TermStats([text, "roosters en lokalen", "iets anders over toetsen"])
    q = "Hoe bouw ik vertrouwen op met ouders?"
    monkeypatch.setattr(extractive, "FOLLOW_WEIGHT", 2.0)
    pulled = _scores(score_units(q, ctx, stats, "howto"))
    assert pulled[b] > pulled[c]  # b shares no word with the question, but it carries a's point on
    monkeypatch.setattr(extractive, "FOLLOW_WEIGHT", 0.0)
    plain = _scores(score_units(q, ctx, stats, "howto"))
    assert plain[b] < plain[c] and plain[a] == pulled[a]
