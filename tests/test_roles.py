"""Unit roles (assistant.roles), the unit-splitting repairs (assistant.unitsplit, ingest.clean) and
the role metrics (assistant.evaluation.roles). Examples in Dutch and English, many not from the
corpus, to show the rules are about form, not about this corpus's words."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.evaluation.roles import macro_f1, match, report, score
from assistant.ingest.clean import drop_footnote_markers, move_footnotes
from assistant.roles import ROLES, is_fragment, role_of, roles_of
from assistant.units import UnitVectors, split_units, units_of
from assistant.unitsplit import split_after_citation, split_glued_heading, split_notes


@pytest.mark.parametrize("text", [
    "Hoe betrek je ouders bij het schoolplan?",
    "What makes a partnership last?",
    "Een belangrijke vraag voor de start van een project is: wie doet wat?",
    "Governance: who decides, and how?",
    "“Waarom zou ik hieraan meedoen?”",
])
def test_question_by_question_mark(text: str) -> None:
    assert role_of(text) == "question"


def test_indirect_question_in_a_series_of_questions() -> None:
    texts = ["Welke partners zijn nodig?", "Hoe de gemeente het project kan steunen.", "Wie betaalt wat?"]
    assert roles_of(texts)[1] == "question"
    # the same sentence alone, or a long statement opening with "Wat", is not a question
    assert role_of("Hoe de gemeente het project kan steunen.") != "question"
    assert role_of("Wat daarbij vaak over het hoofd wordt gezien is dat samenwerken veel tijd en energie vraagt "
                   "van iedereen die meedoet, ook van de leiding.", "Wie betaalt wat?") != "question"


def test_statement_that_ends_in_a_question_is_content() -> None:
    text = ("Wil je samen leren in de regio, dan zul je dus veel tijd moeten investeren in het leren kennen "
            "van elkaar en van de uitdagingen: wat bedoelen we precies?")
    assert role_of(text) == "advice"


def test_list_of_questions_and_list_of_steps() -> None:
    assert role_of("Vragen voor het eerste overleg:\n• Wie is de trekker?\n• Wat is het budget?", is_list=True) == "question"
    assert role_of("Before the first meeting:\n• Agree on a goal;\n• Share the agenda;", is_list=True) == "advice"
    assert role_of("Het model kent drie fasen:\n• verkennen;\n• bouwen;\n• borgen.", is_list=True) == "list"


@pytest.mark.parametrize("text", [
    "Mail voor vragen naar info@voorbeeldschool.nl.",
    "Meer informatie: https://www.example.org/handreiking",
    "We hebben dat in hoofdstuk 3 besproken.",
    "In this chapter we describe the pilot.",
    "Daarna staan we kort stil bij de evaluatie.",
    "2 Zie https://www.example.org/bron",
    "Wenger, E. (1998). Communities of practice.",
    "Smith, J., & Jones, K. (2019). Working together.",
    "et al, 2009) beschrijft de competenties.",
    "20).",
    "3.",
    "Deventer: Kluwer.",
    "Reliability of the scale was high (alpha = .88).",
    "De samenhang was significant (r = .42, p < .01).",
    "247 respondenten hebben de vragenlijst ingevuld.",
    "In 2015 we interviewed 30 participants about their networks.",
    "Samenwerken met ouders",
    "Een voorbeeld van de directeur:",
    "(Zie ook de handreiking van de PO-Raad, 2018)",
])
def test_meta(text: str) -> None:
    assert role_of(text) == "meta", text


def test_reference_entry_split_into_sentences_stays_meta() -> None:
    texts = ["Kaats, E. & Opheij, W. (2012).", "Leren samenwerken tussen organisaties.", "Deventer: Kluwer.",
             "Samenwerken vraagt tijd en aandacht van alle partners, ook van het bestuur en van de ouders."]
    assert roles_of(texts) == ["meta", "meta", "meta", "background"]


def test_finding_is_not_meta() -> None:
    assert role_of("Uit het onderzoek bleek dat vertrouwen de belangrijkste factor was.") == "finding"
    assert role_of("The survey showed that 60% of the respondents worked with parents weekly.") == "finding"
    assert role_of("De ongeveer 160 respondenten gaven aan dat er veel wordt samengewerkt.") == "finding"


@pytest.mark.parametrize("text,role", [
    ("Zorg dat iedereen de afspraken kent.", "advice"),
    ("Make sure every partner knows the goal.", "advice"),
    ("Het is belangrijk om de verwachtingen vooraf uit te spreken.", "advice"),
    ("Onder een netwerk verstaan we een groep organisaties die samen een doel nastreven.", "definition"),
    ("A community of practice is a group of people who share a concern.", "definition"),
    ("De school ligt in een krimpregio.", "background"),
])
def test_content_roles(text: str, role: str) -> None:
    assert role_of(text) == role


def test_fragment_but_list_item_may_start_lowercase() -> None:
    assert is_fragment("beschikken over de juiste vaardigheden.")
    assert not is_fragment("• een gezamenlijk doel dienen;")
    assert not is_fragment("iPad-klassen werken goed.")


def test_roles_are_deterministic_and_known() -> None:
    text = "Wat is samenwerken?\n\nZorg dat je elkaar kent. Zie https://example.org voor meer.\n\n• een;\n• twee."
    a, b = units_of(text, 0), split_units(text, 0)  # the cached split and a fresh one
    assert [u.role for u in a] == [u.role for u in b] and all(u.role in ROLES for u in a)
    assert a[0].role == "question"


# -- splitting repairs -------------------------------------------------------------------------

def test_drop_footnote_markers() -> None:
    notes = "\n\n3  See https://example.org\n6  Zie Klaster (2019)\n9  Zie Dimensies 26"
    assert drop_footnote_markers("zoals Klaster6, adviseur, zegt.9 Daarna" + notes) == \
        "zoals Klaster, adviseur, zegt. Daarna" + notes
    assert drop_footnote_markers("the partnership3 was formed." + notes) == "the partnership was formed." + notes
    kept = "groep 8, CO2, H2O, p.30, Web 2.0" + notes
    assert drop_footnote_markers(kept) == kept
    # without its footnote in the document a number glued to a word is part of the word
    assert drop_footnote_markers("the partnership3 was formed.") == "the partnership3 was formed."


def test_move_footnotes_out_of_running_text() -> None:
    text = ("you know which way\n\n4  See https://example.org/report\nhttps://example.org/more\n"
            "you want to go.\n\nNext paragraph.")
    out = move_footnotes(text)
    assert out.startswith("you know which way\nyou want to go.\n\nNext paragraph.")
    assert out.endswith("4  See https://example.org/report\nhttps://example.org/more")
    assert move_footnotes("1  Inleiding over samenwerken\n\nTekst.") == "1  Inleiding over samenwerken\n\nTekst."


def test_split_glued_heading() -> None:
    assert split_glued_heading("Samen leren in de regio De school werkt met drie partners.") == [
        "Samen leren in de regio", "De school werkt met drie partners."]
    assert split_glued_heading("Volgens Anna De Wit werkt het.") == ["Volgens Anna De Wit werkt het."]
    assert split_glued_heading("Het werkt, zegt De Wit.") == ["Het werkt, zegt De Wit."]


def test_split_after_citation_and_notes() -> None:
    assert split_after_citation("Dit vraagt tijd (Jansen, 2010, p. 4) Daarom plannen we ruim.") == [
        "Dit vraagt tijd (Jansen, 2010, p. 4)", "Daarom plannen we ruim."]
    assert split_notes("Dat werkte goed.” https://example.org/x") == ["Dat werkte goed.”", "https://example.org/x"]
    assert split_notes("Read the report.pdf 7 See chapter two.") == ["Read the report.pdf", "7 See chapter two."]


def test_units_of_applies_the_repairs() -> None:
    units = units_of("Werken met ouders In de praktijk lukt dat goed (Jansen, 2010, p. 4) Wat werkt?", 0)
    assert [u.text for u in units] == ["Werken met ouders", "In de praktijk lukt dat goed (Jansen, 2010, p. 4)",
                                       "Wat werkt?"]
    assert [u.role for u in units] == ["meta", "background", "question"]


# -- metrics -------------------------------------------------------------------------------------

def test_role_metrics_on_a_handmade_set() -> None:
    gold = ["question", "question", "meta", "advice", "list", "background"]
    pred = ["question", "meta", "meta", "list", "list", "background"]
    q = score(gold, pred, {"question"}, "question")
    assert (q.precision, q.recall, q.support, q.predicted) == (1.0, 0.5, 2, 1)
    m = score(gold, pred, {"meta"}, "meta")
    assert m.precision == 0.5 and m.recall == 1.0 and m.f1 == pytest.approx(2 / 3)
    rows = {s.label: s for s in report(gold, pred)}
    assert rows["[showable]"].precision == 1.0 and rows["[showable]"].recall == 1.0  # advice<->list stays showable
    assert rows["definition"].support == 0 and rows["definition"].f1 == 0.0
    # macro-F1 over the roles present in gold: question 2/3, meta 2/3, advice 0, list 2/3, background 1
    assert macro_f1(gold, pred) == pytest.approx((2 / 3 + 2 / 3 + 0 + 2 / 3 + 1) / 5)
    with pytest.raises(ValueError):
        report(gold, pred[:-1])


def test_match_labels_to_units() -> None:
    units = [("Zorg dat je elkaar kent.", "advice"), ("Wat werkt?", "question")]
    assert match("Zorg  dat je\nelkaar kent.", units) == ("advice", "same text")
    assert match("Wat werkt", units) == ("question", "overlap")
    assert match("Zorg dat", [("Zorg dat je elkaar kent en elkaar vaak ziet.", "advice")]) == ("advice", "contained")
    assert match("Iets heel anders over begrotingen.", units) is None


# -- stored with the index --------------------------------------------------------------------------

@pytest.mark.slow
def test_roles_survive_index_build_and_reload(tmp_path: Path, make_corpus) -> None:
    from assistant.index import Index, build_index
    from assistant.settings import Settings

    text = ("Samenwerken met ouders\n\nHoe betrek je ouders bij de school? Zorg dat je ouders vroeg uitnodigt. "
            "Neem contact op via info@voorbeeldschool.nl.\n\nWenger, E. (1998). Communities of practice.")
    corpus = make_corpus(tmp_path / "corpus", {"ouders.txt": text})
    s = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", data_dir=tmp_path / "data")
    build_index(s, show_progress=False)
    index = Index.open(s)
    units = index.units
    assert units is not None
    seen = set()
    for c in index.chunks.values():
        expected = [u.role for u in units_of(c.text, 0)]
        assert units.roles_of(c.id) == expected and len(expected) == len(units.of(c.id)[0])
        seen |= set(expected)
    assert {"question", "advice", "meta"} <= seen
    # a generation written before roles were stored still loads; its units count as background
    import numpy as np

    gen = next(p for p in (tmp_path / "index").iterdir() if (p / UnitVectors.FILE).exists())
    with np.load(gen / UnitVectors.FILE) as z:
        np.savez(tmp_path / UnitVectors.FILE, chunk_ids=z["chunk_ids"], offsets=z["offsets"], keys=z["keys"])
    (tmp_path / UnitVectors.VECTORS_FILE).write_bytes((gen / UnitVectors.VECTORS_FILE).read_bytes())
    legacy = UnitVectors.load(tmp_path)
    assert legacy is not None and set(legacy.roles) == {"background"} and len(legacy.roles) == len(units.keys)


def test_docstring_examples_hold() -> None:
    import doctest

    import assistant.ingest.clean
    import assistant.roles
    import assistant.units
    import assistant.unitsplit

    for mod in (assistant.roles, assistant.unitsplit, assistant.units, assistant.ingest.clean):
        res = doctest.testmod(mod)
        assert res.attempted > 0 and res.failed == 0, mod.__name__


def test_move_footnotes_takes_url_lines_broken_over_two_lines() -> None:
    text = ("met een directeur van buiten met\n\n8  See Smith, J. (2012).\n\nhttps://example.org/2019/02/\n"
            "report-on-networks.pdf\n\naffinity with schools.")
    out = move_footnotes(text)
    assert out.startswith("met een directeur van buiten met\n\naffinity with schools.")
    assert out.endswith("https://example.org/2019/02/\nreport-on-networks.pdf")


def test_units_of_caches_without_sharing_its_list() -> None:
    text = "Zorg dat je elkaar kent. Spreek af wie wat doet.\n\n• een;\n• twee."
    first = units_of(text, 0)
    first.clear()  # a caller that changes its list changes no one else's
    assert units_of(text, 0) == split_units(text, 0) and len(split_units(text, 0)) >= 2
