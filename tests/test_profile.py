"""The domain profile: the field's words, scope rules, intent cues and meeting-prep queries are data.

A second field (gardening, "tuinieren") written by the test works without a code change: its
questions are answered from its own two documents, a question about education is refused as
outside the field.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.answer.abstain import counted_terms, field_verdict, in_domain, out_of_scope
from assistant.errors import ConfigError
from assistant.profile import alternation, load, resolve
from assistant.prompts import OUT_OF_SCOPE
from assistant.settings import Settings

GARDEN_PROFILE = '''
name = "tuinieren"
[field]
words = ["tuin", "moestuin", "kas"]
parts = ["plant", "zaai", "compost", "tomat", "kweek", "snoei", "gazon"]
prefixes = ["bloem", "groente", "moes", "mest"]
[scope]
request_objects = ["script", "code", "gedicht"]
command_verbs = ["schrijf", "maak"]
request_end_verbs = ["schrijven", "maken"]
off_field = ["recept"]
off_field_unless = ["groente"]
[quantity]
nouns = ["datum"]
vague = ["tijd"]
number_words = ["twee", "drie", "maart", "mei"]
[[prep]]
key = "plan"
title = "Plan voor de tuin"
query = "zaaien planten plannen {topic} {goal}"
'''

GARDEN_DOCS = {
    "tomaten-kweken.txt": (
        "Tomaten kweken\n\n"
        "Tomaten hebben veel zon en warmte nodig. Zaai tomaten in maart binnen op een warme vensterbank. "
        "Zet de jonge tomatenplanten na half mei buiten, als het 's nachts niet meer vriest. Geef de "
        "planten regelmatig water aan de voet en niet over het blad, zo voorkom je schimmel. Verwijder "
        "de dieven tussen stengel en blad, zodat de plant zijn energie in de vruchten steekt.\n"
    ),
    "composteren.txt": (
        "Composteren in de tuin\n\n"
        "Een composthoop maak je van groen tuinafval zoals gras, bladeren en groenteresten. Wissel natte "
        "en droge lagen af en zet de hoop om de paar weken om, zodat er zuurstof bij komt. Na zes tot "
        "twaalf maanden is de compost rijp: donker, kruimelig en met de geur van bosgrond. Strooi de "
        "rijpe compost in het voorjaar over de moestuin.\n"
    ),
}


@pytest.fixture
def garden_toml(tmp_path: Path) -> Path:
    path = tmp_path / "tuinieren.toml"
    path.write_text(GARDEN_PROFILE, encoding="utf-8")
    return path


def test_bundled_profile_holds_the_field() -> None:
    p = load("education")
    assert p.name == "education" and p.path == resolve("education")
    assert p.names_field("basisschool") and p.names_field("oudergesprek") and not p.names_field("fiets")
    assert [s.key for s in p.prep] == ["purpose", "interests", "agenda", "questions", "pitfalls", "trust"]
    assert p.intents["cues"]["why"] and "kind" in p.not_in_english
    assert load(Settings().profile) is p  # the default, read once


def test_unknown_or_broken_profile_names_the_value(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="astronomie.*education"):
        load("astronomie")
    bad = tmp_path / "kapot.toml"
    bad.write_text("[field\nwords = 1", encoding="utf-8")
    with pytest.raises(ConfigError, match="kapot.toml"):
        load(str(bad))
    wrong = tmp_path / "verkeerd.toml"
    wrong.write_text("[field]\nwords = 'tuin'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="words"):
        load(str(wrong))


def test_alternation_matches_phrases_literally() -> None:
    import re

    pat = re.compile(r"\b" + alternation(("lesson plan", "c++")) + r"\b")
    assert pat.search("a lesson\n plan") and not pat.search("lessonplan") and not pat.search("c")
    assert not re.search(alternation(()), "anything")  # an empty list matches nothing


def test_another_field_judges_by_its_own_words(garden_toml: Path) -> None:
    garden, education = load(str(garden_toml)), load("education")
    assert garden.intents == education.intents  # no [intents]: the bundled cues
    school = "Hoe werk ik samen met ouders op school?"
    assert in_domain(school, profile=education) and not in_domain(school, profile=garden)
    tomato = "Wanneer zaai ik tomaten?"
    assert in_domain(tomato, profile=garden) and not in_domain(tomato, profile=education)
    assert out_of_scope("Schrijf een gedicht over mijn tuin", garden)
    assert not out_of_scope("Kun je een lesplan schrijven?", garden)  # not one of its request objects
    assert out_of_scope("Kun je een lesplan schrijven?", education)
    assert counted_terms("Welke datum is het beste?", garden) == ["datum"]
    assert counted_terms("Welke datum is het beste?", education) == ["datum"]
    assert counted_terms("Welk bedrag kost dat?", garden) == []
    assert field_verdict("Waarom niet?", profile=garden) is None


@pytest.mark.slow
def test_gardening_corpus_answers_gardening_and_refuses_education(
        tmp_path: Path, garden_toml: Path, make_corpus, embeddings, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.answer.chain import AnswerEngine
    from assistant.index import Index, build_index
    from assistant.prepare import prepare

    monkeypatch.setenv("ASSISTANT_PROFILE", str(garden_toml))
    corpus = make_corpus(tmp_path / "tuin", GARDEN_DOCS)
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", data_dir=tmp_path / "data")
    assert settings.profile == str(garden_toml)
    build_index(settings, show_progress=False)
    engine = AnswerEngine(settings, Index.open(settings), embeddings)

    ans = engine.ask("Wanneer zaai ik tomaten?")
    assert not ans.abstained and ans.citations, ans.text
    assert "maart" in ans.text and ans.citations[0].title.lower().startswith("tomaten")
    refused = engine.ask("Hoe bouw ik vertrouwen op met ouders op school?")
    assert refused.abstained and not refused.citations and refused.text.startswith(OUT_OF_SCOPE["nl"])
    sheet = prepare(engine, "de moestuin", "")
    assert [(s.key, s.title) for s in sheet.sections] == [("plan", "Plan voor de tuin")]
