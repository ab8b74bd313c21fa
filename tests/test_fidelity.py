"""Fidelity as an invariant (issue 20, point 1): every unit the product can show is made of spans of
the text its document's reader extracted. Allowed: the documented normalisations and deletions
backed by evidence (assistant.ingest.fidelity). Anything else fails, showing the unit and the diff."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.ingest.chunk import chunk_document
from assistant.ingest.fidelity import Source, code_kept, extracted_text, shown_units
from assistant.ingest.load import list_corpus, load_file, read_metadata
from assistant.units import same_text, units_of


# --- the checker: it must see what it is there to see ---------------------------------------------


def test_a_verbatim_unit_passes_whatever_the_whitespace_and_line_end_hyphens() -> None:
    src = Source("De reservekopie van /skole/tjener/home0 staat op\nde samen-\nwerkings   server.\n")
    check = src.check("De reservekopie van /skole/tjener/home0 staat op de samenwerkings server.")
    assert check.altered == 0 and check.position == 0, check.diff()
    assert {e.reason for e in check.edits} <= {"hyphenation", "whitespace"}


@pytest.mark.parametrize(("unit", "gone"), [
    ("De reservekopie van /skole/tjener/home staat klaar.", "0"),  # digits dropped by the shape of a word
    ("Installeer krb6 en python3 op de server.", "5"),  # a substitution inside kept text
    ("Zie https://ecbo.nl voor het verslag.", "/2016/12/verslag.pdf"),  # a URL shortened to its host
    ("Installeer en python3 op de server.", "krb5"),  # a word deleted
])
def test_a_substitution_or_a_deletion_without_evidence_is_altered(unit: str, gone: str) -> None:
    src = Source("De reservekopie van /skole/tjener/home0 staat klaar.\nInstalleer krb5 en python3 op de server.\n"
                 "Zie https://ecbo.nl/2016/12/verslag.pdf voor het verslag.\n")
    check = src.check(unit)
    assert check.altered >= 1, check.diff()
    assert any(gone in e.removed for e in check.edits if e.reason == "altered"), check.diff()


def test_deletions_backed_by_evidence_are_recorded_with_their_position() -> None:
    text = ("Samenwerken kun je leren1 en oefenen.\n\nWhitepaper | Samen | ECBO 2018 3\n"
            "Het netwerk groeit\nWhitepaper | Samen | ECBO 2018 4\nmet elke\n\n1  Zie Dimensies 26.\n\n"
            "ontmoeting.\nWhitepaper | Samen | ECBO 2018 5\n")
    src = Source(text)
    check = src.check("Samenwerken kun je leren en oefenen.")
    assert check.altered == 0 and [(e.reason, e.removed) for e in check.edits] == [("footnote marker", "1")]
    assert text[check.edits[0].position] == "1"
    check = src.check("Het netwerk groeit met elke ontmoeting.")
    assert check.altered == 0, check.diff()
    assert {e.reason for e in check.edits} == {"page furniture", "footnote block"}


def test_a_unit_not_in_the_source_at_all_is_altered_whole() -> None:
    check = Source("Een tekst over ouders.\n").check("Iets heel anders dat niemand schreef.")
    assert check.altered == len(check.unit) and "unit at -1" in check.diff()


# --- every unit of every corpus in the tests ----------------------------------------------------------


def _documents(folder: Path):
    meta = read_metadata(folder)
    for cf in list_corpus(folder):
        yield cf.path, load_file(cf, meta.get(cf.rel, {}), 50_000_000, [])


def _assert_faithful(path: Path, doc) -> int:
    source = Source(extracted_text(path))
    units = shown_units(doc)
    bad = [c for c in map(source.check, units) if c.altered]
    assert not bad, f"{path.name}: {len(bad)} units differ from the source\n" + "\n".join(c.diff() for c in bad[:5])
    for chunk in chunk_document(doc):  # and each unit's span in its passage is exact (a statement's span)
        for u in units_of(chunk.text, 0):
            assert 0 <= u.start < u.end and same_text(chunk.text[u.start:u.end], u.text), (path.name, u)
    return len(units)


def test_every_unit_of_the_bundled_corpus_is_made_of_its_source(corpus_dir: Path) -> None:
    n = sum(_assert_faithful(path, doc) for path, doc in _documents(corpus_dir))
    assert n > 500


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["html", "docx", "odt", "pdf"])
def test_every_unit_of_real_documents_made_by_libreoffice_is_made_of_its_source(converted: Path, fmt: str,
                                                                                 tmp_path: Path) -> None:
    for page in ("basic-defs", "kernel", "pkgtools"):
        (tmp_path / f"{page}.{fmt}").write_bytes((converted / f"{page}.{fmt}").read_bytes())
    docs = list(_documents(tmp_path))
    assert len(docs) == 3
    assert sum(_assert_faithful(path, doc) for path, doc in docs) > 200
    # every code block of the original page comes out whole, with its line breaks and indentation,
    # in one unit (in the PDF: the lines LibreOffice set in a monospaced font)
    kept = [code_kept(path, shown_units(doc), converted / f"{path.stem}.html") for path, doc in docs]
    assert sum(t for _, t in kept) >= 15 and all(k == t for k, t in kept), kept
