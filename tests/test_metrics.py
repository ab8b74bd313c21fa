"""Evaluation metrics on hand-computed examples; the curated evaluation set against corpus and index."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from assistant.evaluation.dataset import EvalItem, load_items, resolve_answering, resolve_gold, validate
from assistant.evaluation.metrics import (
    citation_precision,
    citation_recall,
    faithfulness,
    gold_cited,
    hit_at_k,
    key_fact_coverage,
    mrr_at_k,
    ndcg_at_k,
    recall_at_k,
)
from assistant.textutil import alnum_key

# One ranking used throughout: gold quote 1 is held by "c" (rank 3), quote 2 by "e" (rank 5) or by
# "x" (not retrieved), quote 3 by "z" (not retrieved).
RANKED = ["a", "b", "c", "d", "e"]
GOLD = [{"c"}, {"e", "x"}, {"z"}]


@pytest.mark.parametrize("k,expected", [(1, 0.0), (2, 0.0), (3, 1.0), (5, 1.0), (10, 1.0)])
def test_hit_at_k(k: int, expected: float) -> None:
    assert hit_at_k(RANKED, GOLD, k) == expected


@pytest.mark.parametrize("k,expected", [(2, 0.0), (3, 1 / 3), (4, 1 / 3), (5, 2 / 3)])
def test_recall_at_k(k: int, expected: float) -> None:
    assert recall_at_k(RANKED, GOLD, k) == pytest.approx(expected)


def test_mrr_at_k() -> None:
    assert mrr_at_k(RANKED, GOLD, 10) == pytest.approx(1 / 3)  # first gold chunk at rank 3
    assert mrr_at_k(RANKED, GOLD, 2) == 0.0  # ... which is outside the top 2
    assert mrr_at_k(["e", "c"], GOLD, 10) == 1.0


def test_ndcg_at_k_hand_computed() -> None:
    # DCG = 1/log2(3+1) + 1/log2(5+1) = 0.5 + 0.386853 = 0.886853
    # IDCG (three quotes at ranks 1..3) = 1 + 0.630930 + 0.5 = 2.130930
    assert ndcg_at_k(RANKED, GOLD, 10) == pytest.approx(0.886853 / 2.130930, abs=1e-6)
    assert ndcg_at_k(RANKED, GOLD, 10) == pytest.approx(0.416181, abs=1e-6)
    # cut at k=4: only "c" counts; IDCG for min(3, 4) quotes is unchanged
    assert ndcg_at_k(RANKED, GOLD, 4) == pytest.approx(0.5 / 2.130930, abs=1e-6)
    # two quotes, one found at rank 2: (1/log2 3) / (1 + 1/log2 3) = 0.630930 / 1.630930
    assert ndcg_at_k(["a", "c"], [{"c"}, {"e"}], 10) == pytest.approx(0.386853, abs=1e-6)


def test_ndcg_perfect_and_counts_each_quote_once() -> None:
    assert ndcg_at_k(["c", "e"], [{"c"}, {"e"}], 10) == pytest.approx(1.0)
    # two chunks holding the same single quote: the second adds nothing
    assert ndcg_at_k(["c", "c2"], [{"c", "c2"}], 10) == pytest.approx(1.0)
    assert ndcg_at_k(["a", "c", "c2"], [{"c", "c2"}], 10) == pytest.approx(0.630930, abs=1e-6)


def test_ndcg_best_possible_ranking_scores_one() -> None:
    # one chunk holding both quotes, ranked first, is the best possible ranking
    assert ndcg_at_k(["c"], [{"c"}, {"c"}], 10) == pytest.approx(1.0)
    assert ndcg_at_k(["c", "e"], [{"c"}, {"c", "e"}], 10) == pytest.approx(1.0)
    # the same two chunks the other way round: DCG = 1 (e covers quote 2) + 1/log2 3 (c covers quote 1)
    # = 1.630930; the ideal puts c first, covering both quotes: IDCG = 2 / log2 2 = 2
    assert ndcg_at_k(["e", "c"], [{"c"}, {"c", "e"}], 10) == pytest.approx(1.630930 / 2, abs=1e-6)


def test_retrieval_metrics_without_gold_or_results() -> None:
    for fn in (recall_at_k, ndcg_at_k, hit_at_k, mrr_at_k):
        assert fn(RANKED, [], 5) == 0.0
        assert fn([], GOLD, 5) == 0.0


def test_key_fact_coverage() -> None:
    answer = "Het begrip care omvat 5 dimensies, waaronder wederzijds vertrouwen en empathie."
    facts = [["vijf dimensies", "5 dimensies"], ["Empathie"], ["sensemaking"]]
    assert key_fact_coverage(answer, facts) == pytest.approx(2 / 3)
    # accents, case and punctuation do not matter
    assert key_fact_coverage("Met verschillende financiele belangen omgaan.", [["(financiële) belangen"]]) == 1.0
    # an empty alternative never counts as found
    assert key_fact_coverage(answer, [[""], ["empathie"]]) == 0.5
    assert key_fact_coverage(answer, []) == 1.0


def test_citation_metrics() -> None:
    assert gold_cited(["x", "c"], [{"c"}]) == 1.0
    assert gold_cited(["x"], [{"c"}]) == 0.0
    assert gold_cited([], [{"c"}]) == 0.0
    assert citation_recall(["c", "y"], [{"c"}, {"e"}]) == 0.5
    assert citation_recall(["c", "e"], [{"c"}, {"e", "f"}]) == 1.0
    assert citation_recall(["c"], []) == 0.0
    # relevant when the chunk holds gold evidence or supports its sentence: c (gold) and y (supported)
    assert citation_precision(["c", "y", "z"], [{"c"}], [False, True, False]) == pytest.approx(2 / 3)
    assert citation_precision([], [{"c"}], []) == 0.0


def test_faithfulness() -> None:
    assert faithfulness([True, False, True, True]) == 0.75
    assert faithfulness([True]) == 1.0
    assert faithfulness([]) == 0.0


# ================================================================================================
# the evaluation set


@pytest.fixture(scope="module")
def items(repo_root: Path) -> list[EvalItem]:
    return load_items(repo_root / "evals" / "qa.jsonl")


@pytest.fixture(scope="module")
def corpus_texts(corpus_dir: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(corpus_dir.glob("*.txt"))}


def test_eval_set_shape(items: list[EvalItem]) -> None:
    assert len(items) >= 50
    assert len({it.id for it in items}) == len(items)
    assert {it.kind for it in items} == {"howto", "meeting", "factual", "followup", "unanswerable"}
    unanswerable = [it for it in items if not it.answerable]
    assert unanswerable and all(not it.evidence for it in unanswerable)
    assert any(it.history for it in items if it.kind == "followup")


def test_eval_set_validates_against_the_corpus(items, corpus_texts) -> None:
    report = validate(items, corpus_texts)
    assert report.ok, report.errors[:5]
    assert report.errors == []
    assert sum(1 for it in items if it.also) >= 20  # the audited alternative answering passages are loaded


def test_holdout_set_validates_against_the_corpus(repo_root: Path, corpus_texts) -> None:
    holdout = load_items(repo_root / "evals" / "holdout.jsonl")
    assert len(holdout) == 45 and sum(1 for it in holdout if not it.answerable) == 15
    report = validate(holdout, corpus_texts)
    assert report.errors == []


def test_validate_checks_also_passages(items, corpus_texts) -> None:
    item = next(it for it in items if it.also)
    bad = dataclasses.replace(item, also=(dataclasses.replace(item.also[0], quote="Dit staat nergens."),))
    assert any("niet gevonden" in e for e in validate([bad], corpus_texts).errors)
    una = next(it for it in items if not it.answerable)
    assert validate([dataclasses.replace(una, also=item.also)], corpus_texts).errors


def test_validate_rejects_a_quote_that_is_not_in_the_corpus(items, corpus_texts) -> None:
    item = next(it for it in items if it.answerable)
    ev = item.evidence[0]
    bad = dataclasses.replace(item, evidence=(dataclasses.replace(ev, quote="Samenwerken is altijd eenvoudig en "
                                                                            "vraagt nooit om vertrouwen."),))
    assert alnum_key(ev.quote) in alnum_key(corpus_texts[ev.doc])  # the original is fine
    report = validate([bad], corpus_texts)
    assert not report.ok
    assert len(report.errors) == 1
    assert report.errors[0].startswith(f"{item.id}:") and "citaat niet gevonden" in report.errors[0]
    assert ev.doc in report.errors[0]


def test_validate_reports_inconsistent_items(corpus_texts) -> None:
    def item(**kw) -> EvalItem:
        base = {"id": "t1", "question": "Wat is care?", "kind": "factual", "answerable": True,
                "evidence": [{"doc": "samenwerken-kunst-of-kunde.txt", "quote": "Het begrip care omvat 5 dimensies"}]}
        return EvalItem.from_json({**base, **kw})

    assert validate([item()], corpus_texts).ok
    cases = {
        "dubbele id": [item(), item()],
        "onbekende kind": [item(kind="smalltalk")],
        "zonder bewijs": [item(evidence=[])],
        "onbeantwoordbaar maar met bewijs": [item(answerable=False, kind="unanswerable")],
        "bestaat niet in het corpus": [item(evidence=[{"doc": "onbekend.txt", "quote": "care"}])],
        "leeg kernfeit": [item(key_facts=[[]])],
    }
    for expected, its in cases.items():
        errors = validate(its, corpus_texts).errors
        assert len(errors) == 1 and expected in errors[0], (expected, errors)


def test_validate_matches_quotes_across_line_breaks_and_hyphenation(corpus_texts) -> None:
    # in the raw file: "samenwerkingsver-\n\nbanden met verschillende regionale partners"
    quote = "Hoe kun je het leren in samenwerkingsverbanden met verschillende regionale partners bevorderen"
    assert quote not in corpus_texts["thuis-in-samenwerking.txt"]
    it = EvalItem.from_json({"id": "t2", "question": "q", "kind": "howto", "answerable": True,
                             "evidence": [{"doc": "thuis-in-samenwerking.txt", "quote": quote}]})
    assert validate([it], corpus_texts).ok


def test_load_items_names_file_and_line_of_a_bad_item(tmp_path: Path, repo_root: Path) -> None:
    good = (repo_root / "evals" / "qa.jsonl").read_text(encoding="utf-8").splitlines()[0]
    path = tmp_path / "qa.jsonl"
    path.write_text(good + "\n\n" + json.dumps({"question": "zonder id"}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"qa\.jsonl:3"):
        load_items(path)


@pytest.mark.slow
def test_resolve_gold_finds_chunks_for_every_answerable_item(items, session_index) -> None:
    chunks = list(session_index.chunks.values())
    answerable = [it for it in items if it.answerable]
    assert answerable
    for it in answerable:
        groups = resolve_gold(it, chunks)
        assert len(groups) == len(it.evidence), it.id
        for ev, ids in zip(it.evidence, groups):
            assert ids, f"{it.id}: no chunk holds {ev.quote[:60]!r}"
            q = alnum_key(ev.quote)
            for cid in ids:
                c = session_index.chunks[cid]
                assert ev.doc in (c.sources or (c.doc_id,))
                key = alnum_key(c.text)
                assert q in key or q[:60] in key or q[-60:] in key
    assert all(resolve_gold(it, chunks) == [] for it in items if not it.answerable)


@pytest.mark.slow
def test_also_passages_count_for_hits_but_not_for_strict_gold(items, session_index) -> None:
    chunks = list(session_index.chunks.values())
    widened = 0
    for it in (it for it in items if it.also):
        strict = set().union(*resolve_gold(it, chunks))
        answering = resolve_answering(it, chunks)
        assert len(answering) == 1 and strict <= answering[0], it.id
        widened += bool(answering[0] - strict)
    assert widened >= 10  # most audited passages sit in other chunks than the marked evidence
