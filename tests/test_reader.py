"""The trained reader (assistant/reader): it loads and verifies, it is the one answering, it ranks the
answering unit first, it refuses what the sources do not cover, and a damaged copy falls back."""

from __future__ import annotations

import json
import logging
import shutil
from itertools import pairwise
from pathlib import Path

import pytest

from assistant.answer.chain import AnswerEngine
from assistant.reader.features import BUDGET, Candidate, pair_ids
from assistant.reader.load import (
    MODEL_DIR,
    ReaderUnavailable,
    load_reader,
    read_manifest,
)


@pytest.fixture(scope="module")
def engine(corpus_settings, session_index, embeddings) -> AnswerEngine:
    return AnswerEngine(corpus_settings.model_copy(update={"reader": True}), session_index, embeddings)


@pytest.fixture(scope="module")
def reader(engine):
    assert engine.reader is not None, "the committed reader did not load: answers would come from the old composer"
    return engine.reader


def test_the_committed_reader_is_small_and_hashed():
    manifest = read_manifest()
    assert (MODEL_DIR / "reader.npz").stat().st_size <= 30 * 1024 * 1024
    assert len(manifest["files"]["reader.npz"]) == 64
    assert 0.0 < manifest["threshold"] < 1.0
    assert len(manifest["probes"]) >= 3


def test_the_reader_is_off_by_default_and_answers_when_switched_on(engine, corpus_settings, session_index,
                                                                   embeddings):
    assert AnswerEngine(corpus_settings, session_index, embeddings).reader is None
    _the_reader_answers(engine)


def _the_reader_answers(engine):
    ans = engine.ask("Hoe bouw ik vertrouwen op met ouders en jeugdzorg?")
    assert ans.reader, "the answer was composed without the reader"
    assert not ans.abstained
    assert ans.to_json()["reader"] is True


def test_the_answering_unit_outranks_one_that_shares_the_words(reader):
    question = "Hoe bouw ik als leerkracht vertrouwen op met ouders en de jeugdzorg?"
    answer = Candidate("Vertrouwen ontstaat door persoonlijke ontmoetingen, door openheid van zaken en interesse "
                       "in elkaar, door samen ervaringen op te doen en door samen knelpunten te benoemen en aan te "
                       "pakken.", "Samenwerken is mensenwerk")
    lookalike = Candidate("Van leerkrachten verwachten we echter dat zij dat wel kunnen, zeker in het contact met "
                          "ouders en jeugdzorg.", "De leerkracht")
    good, bad = reader.score(question, [answer, lookalike])
    assert good > bad


def test_a_question_the_sources_do_not_cover_scores_below_covered_ones(engine):
    """The reader's best probability separates them (the calibrated threshold, from Debian's
    development split, still lets this one through: docs/decisions.md, "The reader")."""
    uncovered = engine.retrieve("Wat is de cao-loonschaal voor leraren in 2026?").reading.best
    for q in ("Hoe bouw ik vertrouwen op met ouders en jeugdzorg?", "Wat doet een netwerkleider?"):
        assert engine.retrieve(q).reading.best > 3 * uncovered, q


def test_a_damaged_reader_falls_back_with_one_warning(tmp_path, corpus_settings, session_index, embeddings, caplog):
    broken = tmp_path / "reader"
    shutil.copytree(MODEL_DIR, broken)
    data = bytearray((broken / "reader.npz").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (broken / "reader.npz").write_bytes(bytes(data))
    settings = corpus_settings.model_copy(update={"reader": True, "reader_dir": broken,
                                                  "models_dir": tmp_path / "models"})
    eng = AnswerEngine(settings, session_index, embeddings)
    with caplog.at_level(logging.WARNING):
        ans = eng.ask("Hoe bouw ik vertrouwen op met ouders en jeugdzorg?")
        eng.ask("Wat doet een netwerkleider?")
    assert not ans.reader and ans.statements
    warnings = [r for r in caplog.records if "reader is unavailable" in r.getMessage()]
    assert len(warnings) == 1 and "reader.npz" in warnings[0].getMessage()


def test_a_probe_that_scores_differently_refuses_the_reader(tmp_path, engine):
    changed = tmp_path / "reader"
    shutil.copytree(MODEL_DIR, changed)
    manifest = json.loads((changed / "manifest.json").read_text(encoding="utf-8"))
    manifest["probes"][0]["score"] += 1.0
    (changed / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ReaderUnavailable, match="probe"):
        load_reader(tmp_path / "models", engine.embeddings.engine, model_dir=changed)


def test_pairs_keep_the_unit_and_cut_its_neighbours(engine):
    tok = engine.embeddings.engine.tokenizer
    long = " ".join(["woord"] * 400)
    (row,) = pair_ids(tok, "Wat is dit?", [Candidate("Dit is de eenheid.", "Kop", long, long)])
    assert row[0] == tok.bos and row[-1] == tok.eos
    assert len(row) <= 4 + sum(vars(BUDGET).values()) + 2
    unit = tok.encode_batch([" [[ Dit is de eenheid."])[0]
    assert any(row[i:i + len(unit)] == unit for i in range(len(row)))


def test_the_reader_reranks_the_passages(engine):
    turn = engine.retrieve("Hoe ontstaat vertrouwen tussen samenwerkingspartners?")
    reading = turn.reading
    assert reading is not None and reading.probs
    assert len(reading.contexts) == engine.settings.reader_passages > len(turn.contexts)
    assert turn.contexts[0].chunk.id in {cid for cid, _ in reading.probs}
    assert [sc.chunk.id for sc in turn.contexts] == [sc.chunk.id for sc in reading.contexts[:len(turn.contexts)]]


def test_the_rules_examples_hold():
    import doctest

    import assistant.answer.broken
    import assistant.answer.parts

    for mod in (assistant.answer.broken, assistant.answer.parts):
        res = doctest.testmod(mod)
        assert res.attempted > 0 and res.failed == 0, mod.__name__


def _questions(path: Path) -> list[str]:
    return [json.loads(x)["question"] for x in path.read_text(encoding="utf-8").split("\n") if x.strip()]


def test_no_answer_of_an_evaluation_set_shows_a_broken_unit(engine, repo_root):
    """Every answer to every question of the bundled evaluation sets: no statement is a question that
    runs on, starts inside a citation, ends in a colon without its list, or leans on a sentence not shown."""
    from assistant.answer.broken import (
        dangling_lead_in,
        question_then_more,
        starts_inside_a_citation,
    )
    from assistant.answer.intent import leans_back
    from assistant.textutil import split_sentences

    bad = []
    for name in ("usefulness.jsonl", "holdout.jsonl"):
        for q in _questions(repo_root / "evals" / name):
            ans = engine.ask(q)
            assert ans.reader
            for st in ans.statements:
                if st.form in ("notice", "lead"):
                    continue
                is_list = st.form == "list"
                # a statement may join a sentence with the one it leans on: each sentence is checked
                parts = [st.text] if is_list else split_sentences(st.text)
                if any(question_then_more(p) or starts_inside_a_citation(p) for p in parts) \
                        or dangling_lead_in(st.text, is_list) or (not is_list and leans_back(st.text)):
                    bad.append((name, q, st.text[:160]))
    assert not bad, "\n".join(map(str, bad))


def test_the_cached_tokenizer_gives_the_tokenizers_pieces_and_stays_bounded(engine):
    from assistant.reader.engine import CachedTokenizer

    tok = engine.embeddings.engine.tokenizer
    cached = CachedTokenizer(tok, size=3)
    texts = ["Ouders en school.", " [[ Ouders en school.", "passage: Kop", "Ouders en school.", "Nog een zin."]
    assert cached.encode_batch(texts) == tok.encode_batch(texts)
    assert cached.encode_batch(texts[::-1]) == tok.encode_batch(texts[::-1])
    assert len(cached._seen) <= 4  # never more than its size and one batch


def test_a_part_the_sources_do_not_cover_is_named(engine):
    from assistant.answer.reading import PART_UNITS

    uncovered = "wat is de cao-loonschaal voor leraren in 2026?"
    ans = engine.ask(f"Hoe bouw ik vertrouwen op met ouders en jeugdzorg, en {uncovered}")
    question = "Hoe bouw ik vertrouwen op met ouders en jeugdzorg?"
    pairs = engine.retrieve(question).reading.pairs  # best first: a part is asked of the first PART_UNITS
    scores = engine.reader.score(question, list(pairs))
    assert len(pairs) > PART_UNITS and all(a >= b - 1e-3 for a, b in pairwise(scores))
    notices = [s.text for s in ans.statements if s.form == "notice"]
    assert any("cao-loonschaal" in n for n in notices), notices
    assert not any("vertrouwen op" in n for n in notices), notices
