"""The reader's training-data pipeline (assistant/reader/data): HTML and manual pages to text, the
package list's rules, the writers' question lines, the overlap filter and the hard negatives.

The fast tests use inline samples and a tiny corpus; the slow ones download a real Debian package
(skipped, saying why, when apt-get cannot) or build a real index."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from assistant.reader.data.hardneg import Candidate, NegativeRules, pick_negatives
from assistant.reader.data.htmltext import DropRules, html_to_text
from assistant.reader.data.mantext import man_to_text
from assistant.reader.data.negatives import Limits, split_by_overlap, training_line
from assistant.reader.data.passages import Passage, package_chunks, passage_of
from assistant.reader.data.questions import Problem, Question, parse_line, read_questions
from assistant.reader.data.sources import PACKAGES_FILE, load_config, text_stats
from assistant.settings import Settings

PAGE = """<html><head><title>Pakketten beheren</title><style>p {color: red}</style></head><body>
<div class="navheader"><a href="prev.html">Terug</a> | <a href="next.html">Volgende</a></div>
<div class="toc"><p>Inhoudsopgave</p><ul><li>1. Installeren</li></ul></div>
<h2>1. Installeren</h2>
<p>Met <b>apt</b> installeert u een pakket
   uit de pakketbron.</p>
<ul><li><p>Werk eerst de lijst bij.</p></li><li>Installeer dan het pakket.</li></ul>
<pre>apt update
apt install hello</pre>
<table><tr><th>Optie</th><th>Betekenis</th></tr><tr><td>-y</td><td>Zegt overal ja op.</td></tr></table>
<div class="navfooter"><p>Volgende pagina</p></div>
</body></html>"""


def rules() -> DropRules:
    cfg = load_config()
    return cfg.drop


# ---------------------------------------------------------------------------------------------
# documents to text


def test_html_keeps_headings_lists_code_and_rows_and_drops_navigation():
    text = html_to_text(PAGE, rules())
    assert text.endswith("\n") and text.rstrip("\n").split("\n\n") == [
        "## 1. Installeren",
        "Met apt installeert u een pakket uit de pakketbron.",
        "- Werk eerst de lijst bij.\n- Installeer dan het pakket.",
        "```\napt update\napt install hello\n```",
        "- -y: Zegt overal ja op.",
    ]
    for gone in ("Terug", "Inhoudsopgave", "Volgende", "color"):
        assert gone not in text


def test_html_page_without_a_heading_starts_with_its_title():
    text = html_to_text("<title>Over GIMP</title><p>GIMP bewerkt afbeeldingen.</p>", rules())
    assert text == "# Over GIMP\n\nGIMP bewerkt afbeeldingen.\n"


def test_html_without_drop_rules_keeps_the_navigation():
    assert "Terug" in html_to_text(PAGE, DropRules())  # the rules, not the parser, drop it


def test_manual_page_sections_become_headings_and_options_items():
    rendered = ("LS(1)        Gebruikerscommando's        LS(1)\n\nNAAM\n       ls - toon de inhoud van een map\n\n"
                "BESCHRIJVING\n       Toont informatie over de BESTANDen, standaard\n       in de huidige map.\n\n"
                "       -a, --all\n              verborgen bestanden ook tonen\n\n"
                "GNU coreutils 9.1        september 2022        LS(1)\n")
    assert man_to_text(rendered) == (
        "## NAAM\n\nls - toon de inhoud van een map\n\n## BESCHRIJVING\n\n"
        "Toont informatie over de BESTANDen, standaard in de huidige map.\n\n"
        "- -a, --all: verborgen bestanden ook tonen\n")


def test_language_share_tells_dutch_from_english():
    cfg = load_config()
    nl = text_stats("# T\n\nDit is een zin over het pakket dat u wilt installeren op de computer.", cfg)
    en = text_stats("# T\n\nThis is a sentence about the package that you want to install on the computer.", cfg)
    assert nl.dutch_share > cfg.min_dutch_share > en.dutch_share
    assert nl.sentences == 1 and nl.prose == 1


def test_reserved_packages_are_refused_in_the_package_list(tmp_path: Path):
    text = PACKAGES_FILE.read_text(encoding="utf-8")
    assert "[packages.debian-edu-doc-nl]" not in text
    bad = tmp_path / "packages.toml"
    bad.write_text(text + '\n[packages.debian-edu-doc-nl]\nrole = "train"\nformat = "html"\nroot = "x"\n'
                   'include = ["*.html"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="debian-edu-doc-nl is reserved"):
        load_config(bad)


def test_package_list_has_one_heldout_package_and_three_or_more_training_ones():
    cfg = load_config()
    assert len(cfg.names("heldout")) == 1 and len(cfg.names("train")) >= 3
    assert not set(cfg.names()) & cfg.reserved
    assert all(cfg.package(n).batches == 0 for n in cfg.names("heldout"))


# ---------------------------------------------------------------------------------------------
# passages, questions, overlap, negatives (a tiny corpus in tmp_path, no index)

DOCS = {
    "pakket.md": (
        "# Pakketten\n\n## Verwijderen\n\n"
        "Een pakket verwijdert u met dpkg --remove gevolgd door de naam van het pakket. "
        "De configuratiebestanden blijven dan op het systeem staan. "
        "Wilt u ook die kwijt, gebruik dan dpkg --purge. "
        "Na het verwijderen kunt u met dpkg --list controleren of het pakket weg is.\n"),
    "bron.md": (
        "# Pakketbronnen\n\n## Bijwerken\n\n"
        "De lijst met pakketbronnen staat in het bestand sources.list. "
        "Na een wijziging haalt apt update de nieuwe pakketlijsten op. "
        "Een pakket dat niet in een bron staat, kan apt niet installeren.\n"),
}


@pytest.fixture
def tiny_passages(tmp_path: Path) -> dict[str, Passage]:
    pkg = tmp_path / "docs" / "tiny-nl"
    pkg.mkdir(parents=True)
    for name, text in DOCS.items():
        (pkg / name).write_text(text, encoding="utf-8")
    ps = [passage_of("tiny-nl", c) for c in package_chunks(tmp_path / "docs", "tiny-nl", Settings())]
    return {p.id: p for p in ps}


def by_doc(passages: dict[str, Passage], doc: str) -> Passage:
    return next(p for p in passages.values() if p.doc == f"tiny-nl/{doc}")


def test_passages_are_the_projects_chunks_and_units(tiny_passages):
    p = by_doc(tiny_passages, "pakket.md")
    assert p.section.endswith("Verwijderen") and p.id.startswith("P")
    assert [u.n for u in p.units] == [1, 2, 3, 4]
    assert p.units[2].text == "Wilt u ook die kwijt, gebruik dan dpkg --purge."
    assert p.text[p.units[2].start:p.units[2].end] == p.units[2].text


def line(pid: str, question: str, answers: list, kind: str = "covered", lang: str = "nl") -> str:
    return json.dumps({"passage": pid, "question": question, "answers": answers, "lang": lang, "kind": kind})


def test_bad_question_lines_are_named_and_left_out(tiny_passages, tmp_path: Path):
    pid = by_doc(tiny_passages, "pakket.md").id
    rows = [
        line(pid, "Hoe raak ik ook de instellingen van een programma kwijt?", [3]),
        line(pid, "Hoe raak ik ook de instellingen van een programma kwijt?", [3]),  # repeated
        line("Pnope", "Waar staat dit?", [1]),
        line(pid, "Hoe werkt het?", [9]),
        line(pid, "Hoe werkt het?", [], kind="covered"),
        line(pid, "Wat kost Debian?", [2], kind="uncovered"),
        line(pid, "How do I remove a program?", [1], lang="de"),
        "{not json",
        line(pid, "Wat kost een abonnement op Debian?", [], kind="uncovered"),
    ]
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    questions, problems = read_questions([path], tiny_passages)
    assert [q.origin for q in questions] == ["q.jsonl:1", "q.jsonl:9"]
    reasons = {p.origin: p.reason for p in problems}
    assert reasons["q.jsonl:2"] == "repeats q.jsonl:1"
    assert "unknown passage" in reasons["q.jsonl:3"] and "outside units 1-4" in reasons["q.jsonl:4"]
    assert "names no answering unit" in reasons["q.jsonl:5"] and "names answering units" in reasons["q.jsonl:6"]
    assert "lang" in reasons["q.jsonl:7"] and "not JSON" in reasons["q.jsonl:8"]


def test_questions_that_repeat_their_answer_are_rejected_and_reported(tiny_passages):
    p = by_doc(tiny_passages, "pakket.md")
    echo = parse_line(line(p.id, "Blijven de configuratiebestanden op het systeem staan?", [2]), "q:1", tiny_passages)
    own = parse_line(line(p.id, "Raak ik mijn instellingen ook kwijt als ik een programma weghaal?", [2, 3]),
                     "q:2", tiny_passages)
    none = parse_line(line(p.id, "Wat kost Debian?", [], kind="uncovered"), "q:3", tiny_passages)
    assert not isinstance(echo, Problem) and not isinstance(own, Problem) and not isinstance(none, Problem)
    kept, rejected, report = split_by_overlap([echo, own, none], tiny_passages, 0.6)
    assert rejected == [echo] and kept == [own, none]
    assert report["before"]["n"] == 2 and report["after"]["n"] == 1 and report["uncovered"] == 1
    assert report["before"]["histogram"]["0.9-1.0"] == 1 and report["before"]["above_limit"] == 1
    assert report["after"]["above_limit"] == 0


def cand(text: str, rank: int, shared: int = 1, pos: int = 0) -> Candidate:
    return Candidate(f"c{rank}", pos, text, "Sectie", "", "", "tiny-nl/x.md", rank=rank, shared=shared)


def test_negatives_skip_answers_near_copies_and_units_sharing_no_word():
    answer = "Wilt u ook die kwijt, gebruik dan dpkg --purge."
    ranked = [
        cand(answer, 1),  # the answer itself, found in the overlapping next chunk
        cand("Wilt u ook die kwijt, gebruik dan dpkg --purge!", 2),  # nearly the answer
        cand("Een pakket verwijdert u met dpkg --remove.", 3),
        cand("Het weer is mooi vandaag.", 4, shared=0),
        cand("Een pakket verwijdert u met dpkg --remove.", 5),  # the same text again
        *[cand(f"Met dpkg --list ziet u pakket {i}.", 6 + i) for i in range(10)],
    ]
    chosen = pick_negatives(ranked, [answer], NegativeRules(3, 7, 0.8))
    assert [c.rank for c in chosen] == [3, 6, 7, 8, 9, 10, 11]


def test_too_few_negatives_sharing_words_are_filled_only_when_asked():
    ranked = [cand("Een pakket verwijdert u met dpkg --remove.", 1),
              cand("Het weer is mooi vandaag.", 2, shared=0), cand("De zon schijnt.", 3, shared=0),
              cand("Het regent morgen.", 4, shared=0)]
    rules = NegativeRules(3, 7, 0.8)
    assert [c.rank for c in pick_negatives(ranked, [], rules)] == [1]
    assert [c.rank for c in pick_negatives(ranked, [], rules, fill=True)] == [1, 2, 3]


def test_an_uncovered_question_takes_negatives_from_its_own_passage(tiny_passages):
    p = by_doc(tiny_passages, "pakket.md")
    q = Question("q1", p.id, "Hoeveel kost het om een pakket te verwijderen met dpkg?", (), "nl", "uncovered", "q:1")
    out = training_line(q, p, [], Limits(), {})
    assert out["positives"] == [] and out["overlap"] is None
    assert {n["chunk"] for n in out["negatives"]} == {p.chunk_id}
    # unit 4 shares "verwijder", "dpkg" and "pakket"; unit 1 shares two of them ("verwijdert" stems apart)
    assert [n["unit"] for n in out["negatives"]] == [4, 1, 3]
    assert [n["shared"] for n in out["negatives"]] == [3, 2, 1]
    fourth = out["negatives"][0]
    assert fourth["prev"] == p.units[2].text and fourth["next"] == "" and fourth["heading"] == p.section


# ---------------------------------------------------------------------------------------------
# slow: a real package, a real index


@pytest.mark.slow
def test_extract_debian_faq_nl(tmp_path: Path):
    from assistant.reader.data.extract import extract

    if not shutil.which("apt-get") or not shutil.which("dpkg-deb"):
        pytest.skip("apt-get or dpkg-deb is not installed")
    debs = tmp_path / "debs"
    debs.mkdir()
    got = subprocess.run(["apt-get", "download", "debian-faq-nl"], cwd=debs, capture_output=True, text=True,
                         timeout=600, check=False)
    if not list(debs.glob("debian-faq-nl_*.deb")):
        reason = f"apt-get cannot download debian-faq-nl: {got.stderr.strip()[-200:]}"
        print(reason)
        pytest.skip(reason)
    counts = extract(load_config(), debs, tmp_path / "docs", ["debian-faq-nl"])
    assert counts[0]["documents"] >= 10 and counts[0]["sentences"] >= 1000
    rows = [json.loads(ln) for ln in (tmp_path / "docs" / "provenance.jsonl").read_text().splitlines()]
    assert {r["package"] for r in rows} == {"debian-faq-nl"} and rows[0]["licence"].startswith("Debian FAQ")
    doc = tmp_path / "docs" / rows[0]["path"]
    text = doc.read_text(encoding="utf-8")
    assert text.startswith("# ") and "Volgende" not in text.split("\n")[0]
    import hashlib

    assert hashlib.sha256(text.encode()).hexdigest() == rows[0]["sha256"]


@pytest.mark.slow
def test_negatives_from_a_real_index_of_a_tiny_corpus(tiny_passages, tmp_path: Path):
    from assistant.reader.data.negatives import build

    p = by_doc(tiny_passages, "pakket.md")
    rows = [line(p.id, "Hoe raak ik ook de instellingen van een pakket kwijt?", [3]),
            line(p.id, "Blijven de configuratiebestanden op het systeem staan?", [2]),  # repeats its answer
            line(p.id, "How do I check that a package is gone?", [4], lang="en"),
            line(p.id, "Hoeveel kost een pakket uit Debian?", [], kind="uncovered")]
    qpath, ppath = tmp_path / "q.jsonl", tmp_path / "passages.jsonl"
    qpath.write_text("\n".join(rows) + "\n", encoding="utf-8")
    ppath.write_text("".join(json.dumps(x.to_json()) + "\n" for x in tiny_passages.values()), encoding="utf-8")
    settings = Settings(corpus_dir=tmp_path / "docs" / "tiny-nl", index_dir=tmp_path / "index")
    lines, report = build([qpath], ppath, tmp_path / "docs", tmp_path / "work", settings,
                          Limits(rules=NegativeRules(1, 7, 0.8)))
    assert report["before"]["n"] == 3 and len(report["rejected"]) == 1 and len(lines) == 3
    first = lines[0]
    assert first["positives"][0]["text"] == p.units[2].text
    assert first["positives"][0]["prev"] == p.units[1].text and first["positives"][0]["next"] == p.units[3].text
    assert len(first["negatives"]) >= 3, "units sharing 'pakket' with the question are hard negatives"
    assert all(n["text"] != p.units[2].text and n["shared"] >= 1 for n in first["negatives"])
    ranks = [n["rank"] for n in first["negatives"]]
    assert ranks == sorted(ranks) and ranks[0] >= 1 and all(-1 <= n["cosine"] <= 1 for n in first["negatives"])
    assert {n["doc"] for n in first["negatives"]} == {"pakket.md", "bron.md"}  # both documents of the index
    assert lines[1]["lang"] == "en" and lines[1]["positives"][0]["text"] == p.units[3].text
    uncovered = lines[2]["negatives"]  # its own passage's units, ranked with their e5 cosine from the index
    assert lines[2]["positives"] == [] and {n["chunk"] for n in uncovered} == {p.chunk_id}
    assert all(n["cosine"] is not None for n in uncovered) and uncovered[0]["shared"] >= 1
