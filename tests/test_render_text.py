"""Text for a terminal and for a Markdown file: no escapes in the terminal, a file a viewer shows as
the text it holds, quotes cut at a word (issue 22)."""

from __future__ import annotations

from assistant.prepare import PrepPoint, PrepSection, PrepSheet
from assistant.records import Citation
from assistant.render import citation_lines, clip
from helpers import render_markdown

HOSTILE_TOPIC = "eerste overleg met een mbo-instelling [klik](http://127.0.0.1:9/x) ![p](http://127.0.0.1:9/p.png)"


def test_clip_ends_at_a_word_with_an_ellipsis() -> None:
    text = "Kinderen leren door samen te spelen perfect"
    assert clip(text, 100) == text
    assert clip(text, 37) == "Kinderen leren door samen te spelen…"  # not "… spelen p"
    assert clip(text, 36) == "Kinderen leren door samen te spelen…"  # the space after a whole word
    assert clip("een\n  regel\tverder", 50) == "een regel verder"  # one line
    assert clip("a" * 20, 10) == "a" * 9 + "…"  # one word longer than the limit is cut
    assert clip("ouders, school en jeugdzorg", 16) == "ouders, school…"  # no dangling comma
    for n in range(2, 45):
        assert len(clip(text, n)) <= n


def _citation(n: int, quote: str, title: str = "Titel") -> Citation:
    return Citation(n, f"c{n}", "doc.txt", title, "Sectie", 3, quote, ())


def test_citation_lines_cut_a_long_quote_at_a_word() -> None:
    quote = ("Samenwerken vraagt om tijd, vertrouwen en duidelijke afspraken tussen alle partners. " * 6).strip()
    line = citation_lines([_citation(1, quote)])[0]
    assert line.startswith("[1] Titel — Sectie, p. 3\n    “")
    shown = line.split("“", 1)[1].rstrip("”")
    assert shown.endswith("…") and len(shown) <= 300
    assert quote.startswith(shown[:-1].rstrip(" ,")) and quote[len(shown[:-1].rstrip(" ,"))] in " ,."


def _sheet() -> PrepSheet:
    c1 = _citation(1, "x", "Samenwerken (kerndocument): een kunst of een kunde?")
    point = PrepPoint("mbo: Een *gedeelde* ambitie - samenwerkingsverband. Zie www.example.org.", (c1,))
    return PrepSheet(HOSTILE_TOPIC, ("mbo", "<b>ouders</b>"), "afspraken maken: wie doet wat?",
                     (PrepSection("purpose", "Doel en gedeelde ambitie", (point,)),
                      PrepSection("pitfalls", "Valkuilen", ())))


def test_prep_sheet_as_terminal_text_has_no_markdown_escapes() -> None:
    text = _sheet().to_text()
    assert "\\" not in text and "**" not in text and "# " not in text
    assert text.startswith(f"Voorbereiding overleg: {HOSTILE_TOPIC}\n")
    assert "  • mbo: Een *gedeelde* ambitie - samenwerkingsverband. Zie www.example.org. [1]" in text
    assert "\nBronnen\n  [1] Samenwerken (kerndocument): een kunst of een kunde? — Sectie, p. 3 (doc.txt)" in text


def test_prep_sheet_file_reads_cleanly_in_a_markdown_viewer() -> None:
    sheet = _sheet()
    md = sheet.to_markdown(for_file=True)
    assert "samenwerkingsverband." in md and "mbo-instelling" in md and "(kerndocument):" in md
    tags, shown = render_markdown(md)
    assert tags <= {"h1", "h2", "p", "ul", "ol", "li", "strong", "em"}, tags  # no a, img or HTML
    assert HOSTILE_TOPIC in shown and "<b>ouders</b>" in shown
    assert "Een *gedeelde* ambitie - samenwerkingsverband. Zie www.example.org. [1]" in shown
    assert "\\" not in shown
    # the app's own view keeps its stricter escaping
    assert "mbo\\-instelling" in sheet.to_markdown()


WHITEPAPER = "Whitepaper Netwerkleiderschap in het Onderwijs: de samenwerkingsvaardige onderwijsorganisatie"


def test_short_title_keeps_the_title_before_a_long_subtitle_or_cuts_at_a_word() -> None:
    from assistant.webrender import short_title

    assert short_title("Samenwerken kent vele gezichten") == "Samenwerken kent vele gezichten"
    assert short_title(WHITEPAPER) == "Whitepaper Netwerkleiderschap in het Onderwijs…"
    long_plain = "Een heel lange titel zonder dubbele punt die maar doorgaat over samenwerken met ouders"
    assert short_title(long_plain).endswith("…") and len(short_title(long_plain)) <= 60
    assert long_plain.startswith(short_title(long_plain)[:-1])


def test_sources_panel_names_the_answer_and_each_document_once() -> None:
    from assistant.conversation import Conversation, TurnRecord
    from assistant.webrender import render_sources

    def cite(n: int, source: str, title: str, section: str) -> dict:
        return {"n": n, "chunk_id": f"c{n}", "source": source, "title": title, "section": section, "page": None,
                "quote": "zin", "text": "Een zin. zin", "spans": [[9, 12]]}

    question = "Hoe bouw ik vertrouwen op met ouders en de jeugdzorg?"
    conv = Conversation([TurnRecord(
        question=question, answer="a [1] [2] [3]", query=question, abstained=False, lang="nl", history=[],
        citations=[cite(1, "w.txt", WHITEPAPER, "Deel › 2 | Cultuur"), cite(2, "g.txt", "Gezichten", "PARTNERS"),
                   cite(3, "w.txt", WHITEPAPER, "Deel › 3 | Structuur")])])
    html = render_sources(conv)
    assert '<h4 class="sw-turn-q" title="Hoe bouw ik vertrouwen op met ouders en de jeugdzorg?">Antwoord 1</h4>' in html
    assert html.count("Whitepaper Netwerkleiderschap") == 2  # once shown, once in the title attribute
    assert f'title="{WHITEPAPER}">Whitepaper Netwerkleiderschap in het Onderwijs…</p>' in html
    # the whitepaper's two passages under its one title, in citation order; the other document after
    assert html.index('id="bron-1-1"') < html.index('id="bron-1-3"') < html.index('id="bron-1-2"')
    assert '<span class="sw-where">3 | Structuur</span>' in html and 'title="Deel › 3 | Structuur"' in html
