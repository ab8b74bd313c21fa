"""Questions outside the field (education and collaboration) are recognised, in-field ones are not.

Measured on two sets written by reviewers who never saw the word lists: ``evals/scope.jsonl``
(used while writing the rule) and ``evals/scope-holdout.jsonl`` (written afterwards, blind, with
many short questions about terms from the sources that hold no general education word).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.answer.abstain import field_verdict, in_domain
from assistant.answer.support import TermStats
from assistant.index import embed_text
from assistant.prompts import OUT_OF_SCOPE


@pytest.fixture(scope="module")
def stats(session_index) -> TermStats:
    return TermStats(embed_text(c) for c in session_index.chunks.values())


def _rows(repo_root: Path, name: str) -> list[dict]:
    return [json.loads(line) for line in (repo_root / "evals" / name).read_text(encoding="utf-8").splitlines()
            if line.strip()]


# (set, in-field questions judged outside at most, outside questions caught at least)
LIMITS = {"scope.jsonl": (0.02, 0.75), "scope-holdout.jsonl": (0.02, 0.7)}


@pytest.mark.parametrize("name", sorted(LIMITS))
def test_scope_sets(repo_root: Path, stats: TermStats, name: str) -> None:
    rows = _rows(repo_root, name)
    inside = [r for r in rows if r["in_domain"]]
    outside = [r for r in rows if not r["in_domain"]]
    assert len(inside) >= 50 and len(outside) >= 25
    refused = [r["question"] for r in inside if not in_domain(r["question"], stats)]
    caught = [r["question"] for r in outside if not in_domain(r["question"], stats)]
    max_refused, min_caught = LIMITS[name]
    assert len(refused) <= max_refused * len(inside), refused
    assert len(caught) >= min_caught * len(outside), sorted({r["question"] for r in outside} - set(caught))


def test_in_domain_examples(stats: TermStats) -> None:
    # a word of the field decides on its own, in Dutch compounds and in English
    for q in ("tips voor een lastig oudergesprek?", "Hoe werkt de MR bij een fusie?", "basisschool en bieb",
              "How do I involve parents?"):
        assert in_domain(q) and in_domain(q, stats), q
    # without one: the sources' own words count ...
    assert not in_domain("Wat zijn faalfactoren?") and in_domain("Wat zijn faalfactoren?", stats)
    assert in_domain("Wat is het verschil tussen exploratie en exploitatie?", stats)
    # ... a name they mention counts when capitalised mid-sentence
    assert in_domain("Wat zegt Wenger?", stats)
    # everyday questions are outside, also when one everyday word happens to occur in the sources,
    # or a word of the field hides inside another ("schouder", "apparent", "less", "what kind of")
    for q in ("Wat is de hoofdstad van Australië?", "Ik slaap slecht door de verbouwing thuis, tips?",
              "Geef me een samenvatting van De avonden van Gerard Reve voor mijn leesclub",
              "Recipe for a vegetarian lasagna?", "What is bitcoin?", "What kind of car should I buy?",
              "How can I eat less sugar?", "Ik heb pijn aan mijn schouder", "Is it apparent that prices rise?"):
        assert not in_domain(q, stats), q
    assert in_domain("Hoe praat ik met het kind over de overstap?", stats)
    assert in_domain("How do I build a shared vision?", stats)
    assert not in_domain("How do I organize my closet?", stats)
    assert field_verdict("Waarom niet?", stats) is None and not in_domain("Waarom niet?", stats)


def test_engine_refuses_questions_outside_the_field(corpus_settings, session_index, embeddings) -> None:
    from assistant.answer.chain import AnswerEngine

    engine = AnswerEngine(corpus_settings, session_index, embeddings)
    ans = engine.ask("Wat is de hoofdstad van Australië?")
    assert ans.abstained and not ans.citations and ans.text.startswith(OUT_OF_SCOPE["nl"])
    en = engine.ask("How do I fix a flat bicycle tyre?")
    assert en.abstained and en.text.startswith(OUT_OF_SCOPE["en"])
    # a short question in the sources' own words is answered
    ok = engine.ask("Wat zijn faalfactoren?")
    assert not ok.abstained and ok.citations
    # a follow-up inherits the field from the earlier turn
    history = [{"role": "user", "content": "Hoe bouw ik vertrouwen op met ouders?"},
               {"role": "assistant", "content": "Door open te communiceren. [1]"}]
    assert not engine.retrieve("En wat als hij niet wil?", history).evidence.out_of_scope
    # ... also a third turn, whose rewrite carries only the (field-less) second question
    history += [{"role": "user", "content": "En wat als hij niet wil?"},
                {"role": "assistant", "content": "Blijf in gesprek. [1]"}]
    third = engine.retrieve("Waarom niet?", history)
    assert third.query != "Waarom niet?" and not third.evidence.out_of_scope
    # a new question outside the field is still refused in the middle of a conversation, also a
    # short one that reads as a follow-up
    for q in ("Wat is de hoofdstad van Australië?", "Hoe repareer ik mijn fiets?", "What is bitcoin?",
              "Waarom slaap ik slecht?"):
        turn = engine.retrieve(q, history)
        assert turn.evidence.out_of_scope, q
        assert engine.ask(q, history).text.startswith(OUT_OF_SCOPE[turn.lang]), q
