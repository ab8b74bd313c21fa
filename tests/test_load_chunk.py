"""Loading a corpus folder (good and broken files), chunking, and near-duplicate merging."""

from __future__ import annotations

import re
import tomllib
from datetime import datetime, timezone
from pathlib import Path

import pytest
from pypdf import PdfWriter

from assistant.errors import CorpusError
from assistant.ingest.chunk import chunk_document
from assistant.ingest.dedup import dedup_chunks, shingles
from assistant.ingest.load import load_corpus
from assistant.records import content_hash
from assistant.textutil import alnum_key
from helpers import EXCERPT, KUNDE, NETWERK, REAL_DOCS, THUIS


# Real corpus sentences (latin-1 safe, straight quotes) used as PDF page bodies.
PDF_BODIES = [
    "Samenwerken in het kader van opleiden in de school leert dat de kwaliteit van de relatie in "
    "samenwerking cruciaal is. Het ontwikkelen van een goede relatie behoeft tijd en de wil om in elkaar "
    "te investeren.",
    "Een klimaat creëren waarin ruimte is voor organisatieleren; voor continue verandering en aandacht "
    "voor een evenwicht tussen exploratie en exploitatie.",
    "Organiseren tussen organisaties is een vorm van organiseren waarbij autonome organisaties ertoe "
    "overgaan duurzame afspraken aan te gaan. Kwartiermakers spelen daarbij een rol.",
    "Communities of practice zijn een vorm waarin organisatieleren gerealiseerd kan worden. Er is ruimte "
    "voor informele en formele ontmoetingen.",
]


def _pdf_pages() -> list[str]:
    return [f"Samenwerkwijzer testrapport\n\n{body}\n\nPagina {i} van {len(PDF_BODIES)}"
            for i, body in enumerate(PDF_BODIES, start=1)]


# ================================================================================================
# loading a mixed corpus folder


@pytest.fixture(scope="module")
def mixed_corpus(tmp_path_factory: pytest.TempPathFactory, make_pdf, make_corpus) -> Path:
    d = tmp_path_factory.mktemp("mixed-corpus")
    good_pdf = make_pdf(d / "rapport.pdf", _pdf_pages())
    pdf_bytes = good_pdf.read_bytes()
    writer = PdfWriter(clone_from=str(good_pdf))
    writer.encrypt("secret")
    writer.write(str(d / "geheim.pdf"))
    make_corpus(d, {
        "goed.txt": "Vertrouwen in samenwerking\n\nHet ontwikkelen van een goede relatie behoeft tijd en de wil "
                    "om in elkaar te investeren.\n",
        "notities.md": "Inleiding voor het team\n\n# Samen leren in de regio\n\nRegionale samenwerking tussen "
                       "scholen en bedrijven vraagt om een gedeelde ambitie.\n\n## Vertrouwen opbouwen\n\n"
                       "Vertrouwen krijg je alleen als je elkaar goed kent en regelmatig ontmoet.\n",
        "zonder-metadata.txt": "Samenwerken met ouders\n\nOuders hebben daarbij de eerste verantwoordelijkheid en "
                               "de professionals sluiten daarop aan.\n",
        "mijn_notities.txt": "dit is een lange eerste regel zonder kop die veel meer dan honderd tekens telt, "
                             "zodat hij niet als titel kan dienen en de bestandsnaam het wint.\n",
        "oud.txt": ("Samenwerken met ouders\n\nOnderzoek naar de financiële belangen van scholen en ouders. "
                    "Het creëren van een klimaat voor organisatieleren is belangrijk.\n").encode("cp1252"),
        "binair.txt": bytes(range(256)) * 8,
        "leeg.pdf": b"",
        "kapot.pdf": pdf_bytes[: len(pdf_bytes) // 2],
        "nep.pdf": "Dit is gewoon tekst met de extensie .pdf, geen PDF-bestand.\n",
        "README.md": "# Over deze map\n\nDeze map bevat de bronnen.\n",
        ".verborgen.txt": "Verborgen bestand dat niet geladen wordt.\n",
        "sub/genest.txt": "Geneste bron\n\nOok bestanden in submappen worden geladen.\n",
        "metadata.toml": '["goed.txt"]\ntitle = "Een goede relatie (testbron)"\nauthor = "Test"\nyear = 2024\n',
    })
    return d


@pytest.fixture(scope="module")
def mixed(mixed_corpus: Path):
    return load_corpus(mixed_corpus)


GOOD_FILES = {"goed.txt", "notities.md", "zonder-metadata.txt", "mijn_notities.txt", "oud.txt", "rapport.pdf",
              "sub/genest.txt"}
BAD_FILES = {"binair.txt": ("binair", "binary"), "geheim.pdf": ("versleutelde", "encrypted"),
             "leeg.pdf": ("leeg", "empty"), "kapot.pdf": ("beschadigde", "broken"), "nep.pdf": ("not a PDF",)}


def test_good_files_load_and_bad_files_are_skipped(mixed) -> None:
    assert {d.id for d in mixed.documents} == GOOD_FILES
    assert {name for name, _ in mixed.skipped} == set(BAD_FILES)
    # README and hidden files are neither loaded nor reported
    every = {d.id for d in mixed.documents} | {n for n, _ in mixed.skipped}
    assert "README.md" not in every and ".verborgen.txt" not in every


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_skipped_file_has_a_reason(mixed, name: str) -> None:
    reasons = dict(mixed.skipped)
    assert name in reasons
    assert any(word in reasons[name] for word in BAD_FILES[name]), reasons[name]


def test_title_from_metadata(mixed) -> None:
    doc = next(d for d in mixed.documents if d.id == "goed.txt")
    assert doc.title == "Een goede relatie (testbron)"
    assert doc.meta["author"] == "Test" and doc.meta["year"] == 2024
    assert doc.source == "goed.txt"
    assert doc.pages[0].number is None


def test_title_from_markdown_heading(mixed) -> None:
    doc = next(d for d in mixed.documents if d.id == "notities.md")
    assert doc.title == "Samen leren in de regio"


def test_title_from_first_line_without_metadata(mixed) -> None:
    doc = next(d for d in mixed.documents if d.id == "zonder-metadata.txt")
    assert doc.title == "Samenwerken met ouders"
    assert doc.meta == {}


def test_title_from_file_name_when_first_line_is_unusable(mixed) -> None:
    doc = next(d for d in mixed.documents if d.id == "mijn_notities.txt")
    assert doc.title == "Mijn notities"


def test_nested_file_id_is_relative_path(mixed) -> None:
    doc = next(d for d in mixed.documents if d.id == "sub/genest.txt")
    assert doc.source == "genest.txt"
    assert "Ook bestanden in submappen worden geladen." in doc.text


def test_non_utf8_text_is_decoded_with_a_warning_naming_the_file(mixed) -> None:
    doc = next(d for d in mixed.documents if d.id == "oud.txt")
    assert "Samenwerken met ouders" in doc.text
    assert "van scholen en ouders." in doc.text and "is belangrijk." in doc.text
    assert "\ufffd" not in doc.text
    warnings = [w for w in mixed.warnings if "oud.txt" in w]
    assert len(warnings) == 1 and "UTF-8" in warnings[0]
    assert not [w for w in mixed.warnings if "goed.txt" in w]  # UTF-8 files load silently


def test_cp1252_dutch_accents_survive_decoding(tmp_path: Path, make_corpus) -> None:
    lines = {  # real corpus lines, saved the way a Windows editor would
        "kunde.txt": "(financiële) belangen om te gaan? Is het een kunst om elkaar scherp te houden en elkaar "
                     "te kunnen. Grenzen tussen ontstane vormen van samenwerken kunnen fluïde zijn.\n",
        "netwerk.txt": "Immers, naarmate je intern beter geëquipeerd bent om samen te werken, kun je complexiteit "
                       "en ambiguïteit tolereren.\n",
    }
    make_corpus(tmp_path, {k: v.encode("cp1252") for k, v in lines.items()})
    res = load_corpus(tmp_path)
    texts = {d.id: d.text for d in res.documents}
    assert "(financiële) belangen" in texts["kunde.txt"] and "fluïde" in texts["kunde.txt"]
    assert "geëquipeerd" in texts["netwerk.txt"] and "ambiguïteit" in texts["netwerk.txt"]


def test_pdf_pages_are_numbered_and_furniture_removed(mixed) -> None:
    doc = next(d for d in mixed.documents if d.id == "rapport.pdf")
    assert [p.number for p in doc.pages] == [1, 2, 3, 4]
    for page, body in zip(doc.pages, PDF_BODIES):
        assert re.sub(r"\s+", " ", page.text).strip() == body
        assert "Samenwerkwijzer testrapport" not in page.text and "Pagina" not in page.text
    assert "creëren" in doc.pages[1].text  # latin-1 accents come through the PDF


def test_pdf_chunks_keep_their_page_numbers(mixed) -> None:
    doc = next(d for d in mixed.documents if d.id == "rapport.pdf")
    chunks = chunk_document(doc)
    assert {c.page for c in chunks} == {1, 2, 3, 4}
    kwartier = [c for c in chunks if "Kwartiermakers" in c.text]
    assert len(kwartier) == 1 and kwartier[0].page == 3
    for c in chunks:
        page_text = doc.pages[c.page - 1].text
        assert alnum_key(c.text) in alnum_key(page_text)


def test_pdf_with_empty_user_password_still_loads(tmp_path: Path, make_pdf) -> None:
    src = make_pdf(tmp_path / "src" / "open.pdf", _pdf_pages())
    writer = PdfWriter(clone_from=str(src))
    writer.encrypt(user_password="", owner_password="secret")
    (tmp_path / "corpus").mkdir()
    writer.write(str(tmp_path / "corpus" / "beveiligd.pdf"))
    res = load_corpus(tmp_path / "corpus")
    assert res.skipped == []
    assert [p.number for p in res.documents[0].pages] == [1, 2, 3, 4]


def test_pdf_document_information_gives_title_author_and_year(tmp_path: Path, make_pdf, make_corpus) -> None:
    corpus = tmp_path / "corpus"
    make_pdf(corpus / "scan-0042.pdf", _pdf_pages(), title="Samen opleiden in de regio",
             author="Opleidingsschool West", created=datetime(2021, 3, 9, tzinfo=timezone.utc))
    make_pdf(corpus / "verslag.pdf", _pdf_pages(), title="Microsoft Word - verslag def.docx", author="user",
             created=datetime(2019, 1, 1, tzinfo=timezone.utc))
    make_pdf(corpus / "kaal.pdf", _pdf_pages())
    docs = {d.id: d for d in load_corpus(corpus).documents}
    assert docs["scan-0042.pdf"].title == "Samen opleiden in de regio"
    # the creation date is when the file was made, not when the text was written: no year from it
    assert docs["scan-0042.pdf"].meta == {"title": "Samen opleiden in de regio", "author": "Opleidingsschool West"}
    # what a word processor fills in by itself is not a title or an author (the pages' first lines
    # are too long to be one, so the file name is used)
    assert (docs["verslag.pdf"].title, docs["kaal.pdf"].title) == ("Verslag", "Kaal")
    assert docs["verslag.pdf"].meta == {} and docs["kaal.pdf"].meta == {}

    # metadata.toml wins field by field; what it leaves out still comes from the PDF
    make_corpus(corpus, {"metadata.toml": '["scan-0042.pdf"]\ntitle = "Regionaal opleiden (2021)"\nyear = 2020\n'})
    doc = next(d for d in load_corpus(corpus).documents if d.id == "scan-0042.pdf")
    assert doc.title == "Regionaal opleiden (2021)"
    assert doc.meta == {"title": "Regionaal opleiden (2021)", "author": "Opleidingsschool West", "year": 2020}


def test_metadata_entries_are_written_and_undone_one_by_one(tmp_path: Path, make_corpus) -> None:
    from assistant.ingest.load import list_corpus, read_metadata, set_metadata

    corpus = make_corpus(tmp_path / "c", {"a.txt": "Samenwerken met de bibliotheek.\n",
                                           "metadata.toml": '# onze bronnen\n["a.txt"]\ntitle = "A"\n'})
    undo = set_metadata(corpus, {"uploads/b.pdf": {"title": 'Titel met "aanhalingstekens" en \\', "year": 2024}})
    assert undo == {"uploads/b.pdf": None}
    # someone else adds an entry meanwhile; undoing ours keeps theirs and the comment
    set_metadata(corpus, {"c.md": {"author": "Gemeente Oost"}})
    assert read_metadata(corpus)["uploads/b.pdf"]["title"] == 'Titel met "aanhalingstekens" en \\'
    set_metadata(corpus, undo)
    text = (corpus / "metadata.toml").read_text(encoding="utf-8")
    assert text.startswith("# onze bronnen\n") and "uploads/b.pdf" not in text
    assert read_metadata(corpus) == {"a.txt": {"title": "A"}, "c.md": {"author": "Gemeente Oost"}}
    # replacing an entry hands back the old one; an empty entry comes back as empty
    assert set_metadata(corpus, {"a.txt": {"title": "B"}}) == {"a.txt": {"title": "A"}}
    undo_empty = set_metadata(corpus, {"c.md": {}})
    set_metadata(corpus, {"c.md": {"title": "X"}})
    set_metadata(corpus, {"c.md": {}})
    assert read_metadata(corpus)["c.md"] == {} and undo_empty == {"c.md": {"author": "Gemeente Oost"}}
    # undoing in a folder that had no metadata file leaves none
    bare = make_corpus(tmp_path / "bare", {"a.txt": "Samenwerken met de bibliotheek.\n"})
    set_metadata(bare, set_metadata(bare, {"a.txt": {"title": "A"}}))
    assert not (bare / "metadata.toml").exists()
    assert [f.rel for f in list_corpus(corpus)] == ["a.txt"]  # the lock file is no document
    # a broken file is reported, not overwritten
    (corpus / "metadata.toml").write_text('["a.txt"\ntitle = ', encoding="utf-8")
    with pytest.raises(CorpusError):
        set_metadata(corpus, {"a.txt": {"title": "C"}})
    assert (corpus / "metadata.toml").read_text(encoding="utf-8") == '["a.txt"\ntitle = '


def test_pdf_information_that_is_not_text_is_ignored(tmp_path: Path, make_pdf) -> None:
    from pypdf.generic import ArrayObject, ByteStringObject, NameObject, TextStringObject

    src = make_pdf(tmp_path / "src.pdf", _pdf_pages())
    writer = PdfWriter(clone_from=str(src))
    writer.add_metadata({"/Author": "Netwerk Oost"})
    info = writer._info.get_object()  # noqa: SLF001 - pypdf offers no public setter for non-text values
    info[NameObject("/Title")] = ArrayObject([TextStringObject("Een"), TextStringObject("Twee")])
    (tmp_path / "corpus").mkdir()
    writer.write(str(tmp_path / "corpus" / "lijst.pdf"))
    info[NameObject("/Title")] = ByteStringObject(b"\xff\x00abcdef")
    writer.write(str(tmp_path / "corpus" / "bytes.pdf"))
    docs = {d.id: d for d in load_corpus(tmp_path / "corpus").documents}
    for name, stem in (("lijst.pdf", "Lijst"), ("bytes.pdf", "Bytes")):
        assert docs[name].title == stem and docs[name].meta == {"author": "Netwerk Oost"}, name


def test_unusable_pdf_information_is_ignored(tmp_path: Path, make_pdf) -> None:
    src = make_pdf(tmp_path / "src.pdf", _pdf_pages())
    writer = PdfWriter(clone_from=str(src))
    writer.add_metadata({"/Title": "   ", "/Author": "\x00\x00", "/CreationDate": "gisteren"})
    (tmp_path / "corpus").mkdir()
    writer.write(str(tmp_path / "corpus" / "vreemd.pdf"))
    res = load_corpus(tmp_path / "corpus")
    assert res.skipped == [] and res.documents[0].meta == {} and res.documents[0].title == "Vreemd"


def test_too_large_file_is_skipped_with_size_in_reason(mixed_corpus: Path) -> None:
    res = load_corpus(mixed_corpus, max_file_mb=0.0001, only={"goed.txt", "rapport.pdf"})
    assert res.documents == []
    reasons = dict(res.skipped)
    assert set(reasons) == {"goed.txt", "rapport.pdf"}
    assert all("te groot" in r and "MB" in r for r in reasons.values())


def test_only_limits_loading(mixed_corpus: Path) -> None:
    res = load_corpus(mixed_corpus, only={"goed.txt", "leeg.pdf"})
    assert [d.id for d in res.documents] == ["goed.txt"]
    assert [n for n, _ in res.skipped] == ["leeg.pdf"]


def test_missing_corpus_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="bestaat niet"):
        load_corpus(tmp_path / "bestaat-niet")


def test_broken_metadata_is_a_clear_error(tmp_path: Path, make_corpus) -> None:
    make_corpus(tmp_path, {"a.txt": "Samenwerken\n\nTekst.\n", "metadata.toml": '["a.txt"\ntitle = \n'})
    with pytest.raises(CorpusError, match="metadata.toml"):
        load_corpus(tmp_path)


# ================================================================================================
# the real corpus


@pytest.fixture(scope="module")
def real(corpus_dir: Path):
    res = load_corpus(corpus_dir)
    return res


@pytest.fixture(scope="module")
def real_docs(real):
    return {d.id: d for d in real.documents}


@pytest.fixture(scope="module")
def settings():
    from assistant.settings import Settings

    return Settings()


@pytest.fixture(scope="module")
def real_chunks(real_docs, settings):
    """The real corpus chunked as the index chunks it (the configured size and overlap)."""
    return {doc_id: chunk_document(doc, settings.chunk_size, settings.chunk_overlap)
            for doc_id, doc in real_docs.items()}


def test_real_corpus_loads_completely_with_metadata_titles(real, corpus_dir: Path) -> None:
    meta = tomllib.loads((corpus_dir / "metadata.toml").read_text(encoding="utf-8"))
    assert real.skipped == [] and real.warnings == []
    assert {d.id for d in real.documents} == REAL_DOCS
    for doc in real.documents:
        assert doc.title == meta[doc.id]["title"]
        assert doc.meta["author"] == meta[doc.id]["author"]
        assert len(doc.file_hash) == 20
    assert {d.title for d in real.documents} >= {
        "Samenwerken kent vele gezichten",
        "Thuis in samenwerking: samenwerking tussen organisaties als (leer)proces",
    }


def test_chunk_fields(real_docs, real_chunks) -> None:
    total = 0
    for doc_id, chunks in real_chunks.items():
        assert chunks, doc_id
        for c in chunks:
            total += 1
            assert c.doc_id == doc_id
            assert c.title == real_docs[doc_id].title
            assert c.sources == (doc_id,)
            assert c.page is None  # text files have one unnumbered page
            assert 0 <= c.start < c.end <= len(real_docs[doc_id].pages[0].text)
            assert c.id == content_hash(f"{c.section}\n{c.text}")  # the embedded text: section + body
            assert len(c.text.strip()) >= 20
        assert len({c.id for c in chunks}) == len(chunks)
    assert total > 40


def test_chunk_span_points_at_its_text(real_docs, real_chunks) -> None:
    """The chunk's own text (its end, after any carried-over overlap) lies inside its span."""
    for doc_id, chunks in real_chunks.items():
        page = real_docs[doc_id].pages[0].text
        for c in chunks:
            assert alnum_key(c.text)[-80:] in alnum_key(page[c.start:c.end]), (doc_id, c.id)


def test_chunking_is_deterministic(corpus_dir: Path, real_chunks, settings) -> None:
    again = {d.id: chunk_document(d, settings.chunk_size, settings.chunk_overlap)
             for d in load_corpus(corpus_dir).documents}
    assert {k: [c.id for c in v] for k, v in again.items()} == {k: [c.id for c in v] for k, v in real_chunks.items()}
    assert again == real_chunks


def test_chunk_size_follows_settings(real_docs, real_chunks, settings) -> None:
    s = settings
    lengths = [len(c.text) for chunks in real_chunks.values() for c in chunks]
    assert max(lengths) <= 1.5 * s.chunk_size + s.chunk_overlap
    assert 0.4 * s.chunk_size <= sum(lengths) / len(lengths) <= s.chunk_size
    small = [c for d in real_docs.values() for c in chunk_document(d, 400, 80)]
    assert len(small) > 1.5 * len(lengths)
    assert sum(len(c.text) for c in small) / len(small) < sum(lengths) / len(lengths)


def test_small_chunk_size_is_respected(real_docs) -> None:
    for doc in real_docs.values():
        for c in chunk_document(doc, 400, 80):
            assert len(c.text) <= 1.5 * 400 + 80, (doc.id, len(c.text), c.text[:60])


def test_consecutive_chunks_overlap_by_whole_sentences(real_docs) -> None:
    norm = lambda s: re.sub(r"\s+", " ", s).strip()  # noqa: E731

    def carried(overlap: int) -> list[int]:
        out = []
        for doc in real_docs.values():
            chunks = chunk_document(doc, 900, overlap)
            for a, b in zip(chunks, chunks[1:]):
                head = b.text.split("\n\n")[0]
                if a.section == b.section and norm(head) != norm(b.text) and norm(a.text).endswith(norm(head)):
                    out.append(len(head))
        return out

    with_overlap = carried(150)
    assert len(with_overlap) >= 10 and max(with_overlap) <= 150
    assert carried(0) == []


def _chunks_with(chunks, *needles):
    return [c for c in chunks if all(n in c.text for n in needles)]


def _assert_list_not_split(chunks, items) -> list:
    """Some chunk holds every item; no chunk holds only part of the list (overlap may repeat it whole)."""
    whole = _chunks_with(chunks, *items)
    assert whole, "no chunk holds the whole list"
    for c in chunks:
        present = [i for i in items if i in c.text]
        assert not present or len(present) == len(items), (present, c.text[:80])
    return whole


def test_list_that_fits_stays_in_one_chunk_care_dimensions(real_chunks) -> None:
    dims = ("Het begrip care omvat 5 dimensies", "Wederzijds vertrouwen;", "Empathie;",
            "Bereid zijn om elkaar te helpen;", "Ruimte bieden (niet oordelen);", "Moed; moed om elkaar")
    whole = _assert_list_not_split(real_chunks[KUNDE], dims)
    first = whole[0]
    assert "\u2022 Wederzijds vertrouwen;\n\u2022 Empathie;" in first.text  # rendered as a bulleted list
    assert first.section.endswith("3. De samenwerkingsrelatie: care")


def test_list_that_fits_stays_in_one_chunk_bouwstenen(real_chunks) -> None:
    items = ("drie bouwstenen voor samenwerkingsvaardig organiseren", "Bouwsteen 1 \u2013", "Bouwsteen 2 \u2013",
             "Bouwsteen 3 \u2013")
    whole = _assert_list_not_split(real_chunks[NETWERK], items)
    assert whole[0].text.count("\u2022 Bouwsteen") == 3


def test_list_from_private_use_bullets_stays_in_one_chunk(real_chunks) -> None:
    whole = _assert_list_not_split(real_chunks[EXCERPT], ("onderscheid gemaakt tussen:", "expliciete kennis (know what",
                                                          "impliciete kennis (know how"))
    assert "\u2022 expliciete kennis (know what of explicit knowledge);" in whole[0].text


def test_all_caps_heading_becomes_section(real_chunks) -> None:
    hits = _chunks_with(real_chunks[THUIS], "Waar gaat samenwerking tussen organisaties dan op mis?")
    assert len(hits) == 1 and hits[0].section == "SOCIALE DIEREN"
    assert not any(c.text.startswith("SOCIALE DIEREN") for c in real_chunks[THUIS])  # heading is not body text


def test_numbered_heading_becomes_section(real_chunks) -> None:
    hits = _chunks_with(real_chunks[NETWERK], "Iedereen heeft belangen")
    assert len(hits) == 1
    assert hits[0].section == "Succesvol acteren in samenwerkingsprocessen \u203a 2 | Recht doen aan belangen"
    kiezen = _chunks_with(real_chunks[NETWERK], "Kiezen is verliezen")
    assert kiezen and kiezen[0].section.endswith("3 | Kiezen van de juiste partners")


def test_first_numbered_heading_after_intro_line_becomes_section(real_chunks) -> None:
    hits = _chunks_with(real_chunks[NETWERK], "Samenwerkingsvaardig organiseren begint met een realistisch zelfbeeld")
    assert hits and hits[0].section.endswith("1 | Kennen van de eigen positie in de samenwerking")


def test_markdown_headings_become_sections(mixed) -> None:
    doc = next(d for d in mixed.documents if d.id == "notities.md")
    chunks = chunk_document(doc)
    by_text = {c.text.split(".")[0]: c.section for c in chunks}
    assert by_text["Regionale samenwerking tussen scholen en bedrijven vraagt om een gedeelde ambitie"] == \
        "Samen leren in de regio"
    assert by_text["Vertrouwen krijg je alleen als je elkaar goed kent en regelmatig ontmoet"] == \
        "Samen leren in de regio \u203a Vertrouwen opbouwen"
    assert not any(c.text.lstrip().startswith("#") for c in chunks)


# ================================================================================================
# near-duplicate merging on the real corpus


@pytest.fixture(scope="module")
def deduped(real_chunks, settings):
    return dedup_chunks(real_chunks, threshold=settings.dedup_threshold)


def _containment(a: str, b: str) -> float:
    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa) if sa else 0.0


def test_excerpt_really_duplicates_the_kerndocument_before_dedup(real_chunks) -> None:
    kunde_text = "\n".join(c.text for c in real_chunks[KUNDE])
    for c in real_chunks[EXCERPT]:
        assert _containment(c.text, kunde_text) >= 0.8


def test_dedup_reduces_chunk_count(real_chunks, deduped) -> None:
    before = sum(len(v) for v in real_chunks.values())
    assert len(deduped.chunks) < before
    assert len(deduped.chunks) <= before - len(real_chunks[EXCERPT]) + 1
    assert not [c for c in deduped.chunks if c.doc_id == EXCERPT]  # the fuller document keeps the passages


def test_no_two_chunks_share_near_identical_text(deduped) -> None:
    chunks = deduped.chunks
    assert len({c.id for c in chunks}) == len(chunks)
    assert len({re.sub(r"\s+", " ", c.text).strip() for c in chunks}) == len(chunks)
    sh = [shingles(c.text) for c in chunks]
    for i, a in enumerate(chunks):
        for j, b in enumerate(chunks):
            if i != j and a.doc_id != b.doc_id and sh[i]:
                assert len(sh[i] & sh[j]) / len(sh[i]) < 0.8, (a.id, b.id)


def test_merged_chunks_list_both_sources(real_chunks, deduped) -> None:
    for c in real_chunks[EXCERPT]:
        best = max(deduped.chunks, key=lambda k: _containment(c.text, k.text))
        assert best.doc_id == KUNDE
        assert set(best.sources) == {KUNDE, EXCERPT}, c.text[:60]
    both = [c for c in deduped.chunks if EXCERPT in c.sources]
    assert all(c.sources[0] == c.doc_id == KUNDE for c in both)
    # chunks from elsewhere in the kerndocument are not attributed to the excerpt
    care = _chunks_with(deduped.chunks, "Het begrip care omvat 5 dimensies")
    assert care and care[0].sources == (KUNDE,)


def test_dedup_is_deterministic(real_chunks, deduped, settings) -> None:
    again = dedup_chunks({k: list(v) for k, v in reversed(list(real_chunks.items()))},
                         threshold=settings.dedup_threshold)
    assert [c.id for c in again.chunks] == [c.id for c in deduped.chunks]
    assert [c.sources for c in again.chunks] == [c.sources for c in deduped.chunks]


def test_renamed_heading_gives_new_chunk_ids() -> None:
    """The section heading is embedded with the text, so renaming it must not reuse the old vector."""
    from assistant.ingest.chunk import chunk_document
    from assistant.records import Document, Page

    body = "Vertrouwen ontstaat door elkaar regelmatig te ontmoeten en open te zijn over belangen."
    a = chunk_document(Document("d.md", "D", "d.md", (Page(None, f"# Oude kop\n\n{body}"),)))
    b = chunk_document(Document("d.md", "D", "d.md", (Page(None, f"# Nieuwe kop\n\n{body}"),)))
    assert [c.text for c in a] == [c.text for c in b]
    assert {c.id for c in a}.isdisjoint({c.id for c in b})
