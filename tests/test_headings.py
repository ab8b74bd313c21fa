"""Headings from the document's own structure (issue 20, point 3): Markdown ``#``, HTML h1-h6, Word
and ODF heading styles, a PDF's outline; only then a guess from the shape of a line, and a line that
is a command, a sentence or a list item is never a heading."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.ingest.chunk import chunk_document, parse_blocks
from assistant.ingest.load import CorpusFile, load_file
from assistant.units import same_text, units_of

BODY = ("De school maakt elke nacht een reservekopie van alle thuismappen op de server, zodat niemand "
        "zijn werk kwijtraakt als een schijf het begeeft. ")


def _load(path: Path):
    return load_file(CorpusFile(path, path.name, path.stat().st_size, "x"), {}, 50_000_000, [])


def _sections(doc) -> list[str]:
    out: list[str] = []
    for c in chunk_document(doc):
        if c.section not in out:
            out.append(c.section)
    return out


def test_a_command_a_sentence_or_a_list_item_is_never_a_heading() -> None:
    text = ("Reservekopie\n\n" + BODY + "\n\nLC_ALL=C apt full-upgrade -y\n\n" + BODY + "\n\n11.2 ls -l /home0\n\n"
            + BODY + "\n\nDit is een zin.\n\n" + BODY + "\n\nDoe het volgende:\n- Kort punt\n\n" + BODY)
    headings = [b.text for b in parse_blocks(text) if b.kind == "heading"]
    assert headings == ["Reservekopie"], headings


def test_a_document_that_marks_its_headings_gets_no_guessed_ones(tmp_path: Path) -> None:
    page = tmp_path / "pagina.html"
    page.write_text(f"<html><body><main><h1>Reservekopie</h1><p>{BODY}</p><p>Kort en krachtig</p><p>{BODY}</p>"
                    f"<h2>Terugzetten</h2><p>{BODY}</p></main></body></html>", encoding="utf-8")
    assert _sections(_load(page)) == ["Reservekopie", "Reservekopie › Terugzetten"]


def test_a_pdf_outline_gives_the_sections_even_when_the_lines_do_not_look_like_headings(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    pdf.add_page()
    for title, level in (("Hoofdstuk 3. Reservekopie maken van alle thuismappen op de server van de school, "
                          "elke nacht opnieuw", 0), ("3.1. een kleine letter en een punt.", 1)):
        pdf.start_section(title, level)
        pdf.multi_cell(80, 6, title, new_x="LMARGIN", new_y="NEXT")  # wrapped, as long headings are
        pdf.multi_cell(0, 6, BODY * 3, new_x="LMARGIN", new_y="NEXT")
    path = tmp_path / "handleiding.pdf"
    pdf.output(str(path))
    assert _sections(_load(path)) == [
        "Hoofdstuk 3. Reservekopie maken van alle thuismappen op de server van de school, elke nacht opnieuw",
        "Hoofdstuk 3. Reservekopie maken van alle thuismappen op de server van de school, elke nacht opnieuw"
        " › 3.1. een kleine letter en een punt."]


def _own_heading(html_doc, text: str) -> str | None:
    """The heading the HTML page itself puts above ``text`` (its innermost h1-h6)."""
    for c in chunk_document(html_doc):
        if same_text(text, text) and " ".join(text.split()) in " ".join(c.text.split()):
            return c.section.split(" › ")[-1]
    return None


@pytest.mark.slow
def test_libreoffice_copies_show_the_pages_own_headings(converted: Path, tmp_path: Path) -> None:
    """Every passage of the DOCX, ODT and PDF copies (the PDF through its bookmarks) is under the
    heading the original HTML page puts above that text."""
    agree, total, wrong = 0, 0, []
    for page in ("basic-defs", "kernel", "pkgtools"):
        html = _load(converted / f"{page}.html")
        for fmt in ("docx", "odt", "pdf"):
            for c in chunk_document(_load(converted / f"{page}.{fmt}")):
                first = next((u.text for u in units_of(c.text, 0) if len(u.text) > 40 and not u.is_code), None)
                own = _own_heading(html, first) if first else None
                if own is None:
                    continue  # text the page has outside its main content (LibreOffice keeps the navigation)
                total += 1
                shown = c.section.split(" › ")[-1]
                agree += shown == own
                if shown != own:
                    wrong.append((page, fmt, shown, own))
    assert total >= 60 and agree >= 0.95 * total, (agree, total, wrong[:5])


def test_a_hostile_outline_costs_no_scan_of_the_page_per_entry() -> None:
    """2,000 bookmarks against a page of 100,000 lines that all open their titles: a generous
    budget (a scan per entry took minutes), and the last match is the one marked."""
    import time

    from assistant.ingest.pdfoutline import mark_headings

    page = "\n".join(["a"] * 100_000)
    for title in ("a x", "a a", "b"):
        start = time.process_time()
        [text], found = mark_headings([page], [(0, 0, title)] * 2000)
        assert time.process_time() - start < 5.0, title
    assert found == 0 and text == page
    [text], found = mark_headings(["Inhoud\n3.1 Afspraken\n\nTekst\n3.1 Afspraken\nmaken\nMeer"], [(0, 1, "3.1 Afspraken maken")])
    assert found == 1 and text == "Inhoud\n3.1 Afspraken\n\nTekst\n## 3.1 Afspraken maken\nMeer"


def test_a_wrapped_heading_after_its_table_of_contents_line_is_the_one_marked() -> None:
    from assistant.ingest.pdfoutline import mark_headings

    page = ("Inhoudsopgave\n10.1. Kan ik een kernel compileren zonder afstellingen?\n10.2. Welke gereedschappen?\n"
            "10.1. Kan ik een kernel compileren\nzonder afstellingen?\nJa.\n10.2. Welke\ngereedschappen?\nmake")
    [text], found = mark_headings([page], [(0, 1, "10.1. Kan ik een kernel compileren zonder afstellingen?"),
                                           (0, 1, "10.2. Welke gereedschappen?")])
    assert found == 2 and text == ("Inhoudsopgave\n10.1. Kan ik een kernel compileren zonder afstellingen?\n"
                                   "10.2. Welke gereedschappen?\n## 10.1. Kan ik een kernel compileren zonder "
                                   "afstellingen?\nJa.\n## 10.2. Welke gereedschappen?\nmake")
