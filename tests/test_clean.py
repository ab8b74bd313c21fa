"""The text repairs of ``assistant.ingest.clean`` on real lines copied from the corpus.

Every snippet below is copied verbatim from a corpus file (``test_snippets_are_real`` checks that),
so the repairs are tested on the damage PDF extraction really left behind.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from assistant.ingest.clean import (
    clean_text,
    collapse_whitespace,
    dedupe_urls,
    dehyphenate,
    drop_footnote_numbers,
    drop_running_headers,
    fix_bullets,
    fix_mojibake,
    is_running_header,
    normalize_unicode,
    strip_page_furniture,
)

KUNDE = "samenwerken-kunst-of-kunde.txt"
EXCERPT = "gezamenlijke-kennisontwikkeling.txt"
NETWERK = "netwerkleiderschap-in-het-onderwijs.txt"
THUIS = "thuis-in-samenwerking.txt"
GEZICHTEN = "samenwerken-kent-vele-gezichten.txt"

# --- real snippets (file, text) -----------------------------------------------------------------
CAPS_TITLE = (THUIS, " THUIS IN SAMEN- \nWERKING")
SAMEN_WERKING = (THUIS, "verschillende rollen betrokken zijn bij samen-\n\nwerkingsverbanden of netwerken. Met daarbij ")
SUCCES_EN = (THUIS, "beschikbaar is over randvoorwaarden, succes- \n\nen faalfactoren voor samenwerking, is de ")
WELZIJNS = (THUIS, "en netwerken: praktijkervaringen uit de zorg- en welzijns-\n"
                   "sector. Publicatie nr. 2011/14 SWVG-Rapport 23 Leuven: ")
URL_BROKEN = (THUIS, "10  Zie bijvoorbeeld http://pietermoerman.nl/blog/lerende- \n"
                     "governance-in-het-beroepsonderwijs.html#more-106.")
RIF = (THUIS, "voorbeeld komt van John van der Vegt: \u201cRIF- \n\naanvragen omschrijven tot in detail de te realiseren  ")
NOORD_EN = (THUIS, "Han van Helmond, projectleider Techniekketen  \n\nNoord- en Midden Limburg: \u201cHet lijkt misschien  ")
OPLEIDINGS_EN = (KUNDE, "gezamenlijke ambitie en deze levend te houden? Is het een kunst om samen vanuit diversiteit te "
                        "komen tot \n\nvernieuwing in het opleidings- en primair/secundair  onderwijs? Is het een kunst "
                        "om met verschillende ")
PUA_BULLETS = (EXCERPT, "\uf0b7 expliciete kennis (know what of explicit knowledge); \n\n"
                        "\uf0b7 impliciete kennis (know how of tacit knowledge).\n2")
FFFD_TITLE = (GEZICHTEN, " Samenwerken kent  \nvele gezichten J" + "\ufffd" * 9 + " " + "\ufffd" * 3 + " " + "\ufffd" * 4)
QUOTES_LINE = (KUNDE, "samenwerken \u201ceigen\u201d aan de mens? Werkt de mens niet al vanaf het ontstaan van de wereld "
                      "samen? Is \n\nsamenwerking of zoals Stephen Covey (2011) schrijft interdependancy "
                      "onlosmakelijk met ons mens- zijn ")
FINANCIELE = (KUNDE, "(financi\u00eble) belangen om te gaan? Is het een kunst om elkaar scherp te houden en elkaar te kunnen ")
FOOTNOTE = (EXCERPT, "elkaar verbonden zijn.\n1\n  Organisaties leren of vernieuwen, omdat de omgeving dit van hen "
                     "vraagt; omdat ze \n\nzich aanpassen aan ontwikkelingen in de omgeving of omdat ze vooruitlopen "
                     "op te verwachten ")
WHITEPAPER_HEADER = (NETWERK, "van positioneel gezag, complexiteit en ambigu\u00efteit kunnen tolereren, aandacht schenken aan \n"
                              "vertrouwensontwikkeling, zelf geen machtspositie wensen in te nemen en ook niet op de voor- "
                              "grond willen \n\n\n\n \n \n\nWhitepaper | Netwerkleiderschap in het Onderwijs | sSprong 2018 "
                              "10 \n\ntreden.  In modern leiderschap gaat het niet zozeer om het managen van processen en "
                              "verandering, maar \nom het faciliteren ervan. Het gaat niet zozeer om het kennen van "
                              "antwoorden en het geven van instructies, ")
ECBO_HEADER = (THUIS, "8  Kaats, E. & Opheij, W. (2012). Leren samenwerken \ntussen organisaties. Deventer: Kluwer.\n\n"
                      "https://commoneye.nl/wp-content/uploads/2019/02/\nBestuurswetenschappen-artikel-Esther-Klaster.pdf\n"
                      "https://commoneye.nl/wp-content/uploads/2019/02/\nBestuurswetenschappen-artikel-Esther-Klaster.pdf\n"
                      "\n\n11ECBO DIMENSIES\n\naffiniteit bij het onderwijs. Bij de aanvragen \n")
URL_FIRST = (THUIS, "2  Zie https://www.canonberoepsonderwijs.nl/Regionale-samenwerking")
URL_REPEAT = (THUIS, "https://www.canonberoepsonderwijs.nl/Regionale-samenwerking\n"
                     "https://ecbo.nl/25102016/wp-content/uploads/2016/12/Ecbo-Dimensies-26.pdf")
URL_TWICE = (THUIS, "http://www.jaapboonstra.nl/wp-content/uploads/2013/01/Stoeien-met-paradoxen-boek.pdf\n"
                    "http://www.jaapboonstra.nl/wp-content/uploads/2013/01/Stoeien-met-paradoxen-boek.pdf")
NUMBERED_LIST = (KUNDE, "1. Organisatiekundige inzichten over samenwerken \n\n2. De samenwerkingsrelatie \n\n"
                        "3. De samenwerkingsrelatie: care  \n\n4. Gezamenlijke kennisontwikkeling en "
                        "grensoverschrijdend samenwerken \n\n \n")

ALL_SNIPPETS = [CAPS_TITLE, SAMEN_WERKING, SUCCES_EN, WELZIJNS, URL_BROKEN, RIF, NOORD_EN, OPLEIDINGS_EN,
                PUA_BULLETS, FFFD_TITLE, QUOTES_LINE, FINANCIELE, FOOTNOTE, WHITEPAPER_HEADER, ECBO_HEADER,
                URL_FIRST, URL_REPEAT, URL_TWICE, NUMBERED_LIST]


@pytest.fixture(scope="module")
def raw(corpus_dir: Path):
    cache: dict[str, str] = {}

    def read(name: str) -> str:
        if name not in cache:
            cache[name] = (corpus_dir / name).read_text(encoding="utf-8")
        return cache[name]

    return read


@pytest.mark.parametrize("doc,snippet", ALL_SNIPPETS, ids=lambda v: v[:30] if isinstance(v, str) else v)
def test_snippets_are_real(raw, doc: str, snippet: str) -> None:
    assert snippet in raw(doc), f"snippet no longer occurs verbatim in {doc}"


# --- hyphenation --------------------------------------------------------------------------------


def test_dehyphenate_joins_word_split_over_blank_line() -> None:
    out = dehyphenate(SAMEN_WERKING[1])
    assert out == "verschillende rollen betrokken zijn bij samenwerkingsverbanden of netwerken. Met daarbij "


def test_dehyphenate_joins_all_caps_title() -> None:
    assert dehyphenate(CAPS_TITLE[1]) == " THUIS IN SAMENWERKING"


def test_dehyphenate_keeps_elliptical_hyphen_before_conjunction() -> None:
    # "succes- en faalfactoren": the hyphen stands for "-factoren" and must stay
    assert dehyphenate(SUCCES_EN[1]) == "beschikbaar is over randvoorwaarden, succes- en faalfactoren voor samenwerking, is de "


def test_dehyphenate_leaves_elliptical_hyphen_within_a_line_alone() -> None:
    assert dehyphenate(OPLEIDINGS_EN[1]) == OPLEIDINGS_EN[1]
    assert dehyphenate(NOORD_EN[1]) == NOORD_EN[1]
    # and the whole cleaning keeps it, with the double space collapsed
    assert "vernieuwing in het opleidings- en primair/secundair onderwijs?" in clean_text(OPLEIDINGS_EN[1])


def test_dehyphenate_mixed_elliptical_and_split_word() -> None:
    out = dehyphenate(WELZIJNS[1])
    assert out.startswith("en netwerken: praktijkervaringen uit de zorg- en welzijnssector. Publicatie nr.")
    assert "SWVG-Rapport" in out  # a hyphen inside a line is not touched


def test_dehyphenate_url_broken_at_its_own_hyphen_keeps_it() -> None:
    out = dehyphenate(URL_BROKEN[1])
    assert out == "10  Zie bijvoorbeeld http://pietermoerman.nl/blog/lerende-governance-in-het-beroepsonderwijs.html#more-106."


def test_dehyphenate_all_real_line_breaks_in_corpus(raw) -> None:
    """Every 'word-<newline>word' in the corpus is joined (no hyphen+newline left), and the
    elliptical 'succes- en' keeps its hyphen."""
    text = dehyphenate(raw(THUIS))
    assert not re.search(r"[a-zà-ÿ]-[ \t]*\n\s*[a-zà-ÿ]", text)
    assert "samenwerkingsverbanden" in text
    assert "succes- en faalfactoren" in text
    assert "THUIS IN SAMENWERKING" in text


def test_dehyphenate_keeps_hyphen_after_acronym() -> None:
    assert "\u201cRIF-aanvragen omschrijven" in dehyphenate(RIF[1])


# --- private-use bullets ------------------------------------------------------------------------


def test_fix_bullets_turns_private_use_glyph_into_bullet() -> None:
    out = fix_bullets(PUA_BULLETS[1])
    assert out == ("\u2022 expliciete kennis (know what of explicit knowledge); \n\n"
                   "\u2022 impliciete kennis (know how of tacit knowledge).\n2")


def test_fix_bullets_drops_private_use_char_inside_a_line() -> None:
    assert fix_bullets("expliciete kennis\uf0b7 en impliciete kennis") == "expliciete kennis en impliciete kennis"


def test_clean_text_excerpt_has_real_bullets(raw) -> None:
    cleaned = clean_text(raw(EXCERPT))
    assert "\u2022 expliciete kennis (know what of explicit knowledge);" in cleaned.split("\n")
    assert "\u2022 impliciete kennis (know how of tacit knowledge)." in cleaned.split("\n")
    assert "\uf0b7" not in cleaned


# --- replacement characters and mojibake --------------------------------------------------------


def test_fix_mojibake_drops_replacement_character_runs() -> None:
    out = fix_mojibake(FFFD_TITLE[1] + "\n")
    assert out == " Samenwerken kent\nvele gezichten\n"


def test_clean_text_title_lines_of_samenwerken_kent_vele_gezichten(raw) -> None:
    cleaned = clean_text(raw(GEZICHTEN))
    assert cleaned.startswith("Samenwerken kent\nvele gezichten\n\nIn Zorgprimair schetste Marianne den Otter")
    assert "\ufffd" not in cleaned


def _as_cp1252_mojibake(text: str) -> str:
    """UTF-8 bytes read back as cp1252 (bytes cp1252 leaves undefined pass through as latin-1)."""
    out = []
    for b in text.encode("utf-8"):
        try:
            out.append(bytes([b]).decode("cp1252"))
        except UnicodeDecodeError:
            out.append(chr(b))
    return "".join(out)


@pytest.mark.parametrize("snippet", [QUOTES_LINE, FINANCIELE, WHITEPAPER_HEADER], ids=["quotes", "e-trema", "i-trema"])
def test_fix_mojibake_repairs_utf8_read_as_cp1252(snippet) -> None:
    original = snippet[1]
    broken = _as_cp1252_mojibake(original)
    assert broken != original and ("\u00e2\u20ac" in broken or "\u00c3" in broken)
    repaired = fix_mojibake(broken)
    assert repaired == fix_mojibake(original)
    assert "\u00e2\u20ac" not in repaired and "\u00c3" not in repaired


def test_fix_mojibake_repairs_apostrophe_sequence() -> None:
    # "thema’s" as it appears in the kerndocument, broken the classic way
    assert fix_mojibake("wetenschappers zich over thema\u00e2\u20ac\u2122s als") == "wetenschappers zich over thema\u2019s als"


@pytest.mark.parametrize("doc", [KUNDE, EXCERPT, NETWERK, THUIS])
def test_fix_mojibake_leaves_correct_text_alone(raw, doc: str) -> None:
    text = raw(doc)
    assert fix_mojibake(text) == re.sub(r"[ \t]+\n", "\n", text)


# --- footnote numbers ---------------------------------------------------------------------------


def test_drop_footnote_numbers_removes_number_alone_on_a_line() -> None:
    out = drop_footnote_numbers(FOOTNOTE[1])
    assert out.startswith("elkaar verbonden zijn.\n  Organisaties leren of vernieuwen")
    assert "\n1\n" not in out


def test_drop_footnote_numbers_in_kerndocument(raw) -> None:
    text = raw(KUNDE)
    lone = [ln for ln in text.split("\n") if re.fullmatch(r"\s*\d{1,3}\s*", ln)]
    assert len(lone) >= 3  # the file really has footnote markers on their own lines
    out = drop_footnote_numbers(text)
    assert not [ln for ln in out.split("\n") if re.fullmatch(r"\s*\d{1,3}\s*", ln)]
    # numbers inside running text and numbered list lines survive
    assert "het belang van relatie in de samenwerking. 247" in out
    assert "1. Organisatiekundige inzichten over samenwerken" in out


# --- running headers ----------------------------------------------------------------------------


@pytest.mark.parametrize("line", ["Whitepaper | Netwerkleiderschap in het Onderwijs | sSprong 2018 10 ", "11ECBO DIMENSIES"])
def test_is_running_header_recognises_real_headers(line: str) -> None:
    assert is_running_header(line)


@pytest.mark.parametrize("line", [
    "SOCIALE DIEREN",
    "2 | Recht doen aan belangen",
    "1 | Kennen van de eigen positie in de samenwerking",
    "\u2022 Bouwsteen 1 \u2013 Een heldere samenwerkingsstrategie: wat willen we bereiken, welke rol vervult",
    "Het begrip care omvat 5 dimensies: ",
    "2  Zie https://www.canonberoepsonderwijs.nl/Regionale-samenwerking",
])
def test_is_running_header_leaves_real_content(line: str) -> None:
    assert not is_running_header(line)


def test_drop_running_headers_whitepaper_footer() -> None:
    out = drop_running_headers(WHITEPAPER_HEADER[1])
    assert "Whitepaper |" not in out
    assert "ook niet op de voor- grond willen" in out and "treden.  In modern leiderschap" in out
    cleaned = clean_text(WHITEPAPER_HEADER[1])
    assert "Whitepaper" not in cleaned and "sSprong" not in cleaned
    # the sentence interrupted by the page break reads on after one blank line
    assert cleaned.split("\n")[-4:] == [
        "vertrouwensontwikkeling, zelf geen machtspositie wensen in te nemen en ook niet op de voor- grond willen",
        "",
        "treden. In modern leiderschap gaat het niet zozeer om het managen van processen en verandering, maar",
        "om het faciliteren ervan. Het gaat niet zozeer om het kennen van antwoorden en het geven van instructies,",
    ]


def test_drop_running_headers_ecbo_page_number() -> None:
    out = drop_running_headers(ECBO_HEADER[1])
    assert "ECBO DIMENSIES" not in out
    assert "affiniteit bij het onderwijs. Bij de aanvragen " in out
    assert "8  Kaats, E. & Opheij, W. (2012). Leren samenwerken " in out


def test_drop_running_headers_removes_line_repeated_three_times_but_keeps_bullets() -> None:
    text = ("Samenwerkwijzer rapport 2019\nEerste alinea.\nSamenwerkwijzer rapport 2020\nTweede alinea.\n"
            "Samenwerkwijzer rapport 2021\n\u2022 Moed;\n\u2022 Moed;\n\u2022 Moed;\n")
    out = drop_running_headers(text)
    assert "Samenwerkwijzer rapport" not in out
    assert out.count("\u2022 Moed;") == 3
    assert "Eerste alinea." in out and "Tweede alinea." in out


# --- repeated URLs ------------------------------------------------------------------------------


def test_dedupe_urls_removes_url_only_lines_already_seen() -> None:
    text = "\n".join([URL_FIRST[1], "Tekst over regionale samenwerking.", URL_REPEAT[1], URL_TWICE[1]])
    out = dedupe_urls(text).split("\n")
    assert out == [
        "2  Zie https://www.canonberoepsonderwijs.nl/Regionale-samenwerking",
        "Tekst over regionale samenwerking.",
        "https://ecbo.nl/25102016/wp-content/uploads/2016/12/Ecbo-Dimensies-26.pdf",
        "http://www.jaapboonstra.nl/wp-content/uploads/2013/01/Stoeien-met-paradoxen-boek.pdf",
    ]


def test_dedupe_urls_keeps_a_repeat_inside_running_text_whole() -> None:
    # a URL in a sentence is text the reader may copy: never shortened to its host
    text = URL_FIRST[1] + "\nZie ook https://www.canonberoepsonderwijs.nl/Regionale-samenwerking voor de canon."
    out = dedupe_urls(text).split("\n")
    assert out[0] == URL_FIRST[1]
    assert out[1] == "Zie ook https://www.canonberoepsonderwijs.nl/Regionale-samenwerking voor de canon."


def test_clean_text_thuis_in_samenwerking_url_repeats(raw) -> None:
    text = raw(THUIS)
    cleaned = clean_text(text)
    for url in ("https://www.canonberoepsonderwijs.nl/Regionale-samenwerking",
                "http://www.jaapboonstra.nl/wp-content/uploads/2013/01/Stoeien-met-paradoxen-boek.pdf"):
        assert text.count(url) >= 2  # repeated in the raw file
        assert cleaned.count(url) == 1, url
    # footnote 10 is moved to the end of the text, after a URL-only line with its URL: the footnote
    # keeps the URL whole (it used to be shortened to "pietermoerman.nl"), the repeated lines go
    moerman = "http://pietermoerman.nl/blog/lerende-governance-in-het-beroepsonderwijs.html#more-106"
    assert text.count(moerman) == 2 and cleaned.count(moerman) == 2  # once more broken over two lines
    assert cleaned.endswith(f"10 Zie bijvoorbeeld {moerman}.")
    # the footnote that introduces the canon URL keeps it
    assert "2 Zie https://www.canonberoepsonderwijs.nl/Regionale-samenwerking" in cleaned


# --- whitespace ---------------------------------------------------------------------------------


def test_collapse_whitespace_on_real_lines() -> None:
    text = NUMBERED_LIST[1] + OPLEIDINGS_EN[1]
    out = collapse_whitespace(text)
    assert out.split("\n")[:7] == [
        "1. Organisatiekundige inzichten over samenwerken", "",
        "2. De samenwerkingsrelatie", "",
        "3. De samenwerkingsrelatie: care", "",
        "4. Gezamenlijke kennisontwikkeling en grensoverschrijdend samenwerken",
    ]
    assert "  " not in out and "\n\n\n" not in out
    assert out == out.strip()
    assert "opleidings- en primair/secundair onderwijs?" in out


def test_normalize_unicode_separators_and_invisible_chars() -> None:
    text = "samen\u00adwerking\u200b met\u00a0ouders\r\nen\u2028school\fpagina\ufeff"
    assert normalize_unicode(text) == "samenwerking met ouders\nen\nschool\npagina"
    assert normalize_unicode("cre\u0065\u0308ren") == "cre\u00ebren"  # NFC


# --- page furniture across pages ----------------------------------------------------------------


@pytest.fixture(scope="module")
def netwerk_pages(raw) -> list[str]:
    """Four PDF-like pages cut from the whitepaper, each with a running header and a page footer."""
    paras = [p for p in clean_text(raw(NETWERK)).split("\n\n") if len(p) > 200][:8]
    assert len(paras) == 8
    pages = []
    for i in range(4):
        body = "\n\n".join(paras[2 * i:2 * i + 2])
        pages.append(f"Netwerkleiderschap in het Onderwijs\n{body}\nsSprong 2018 | pagina {i + 1}")
    return pages


def test_strip_page_furniture_removes_running_header_and_footer(netwerk_pages: list[str]) -> None:
    out = strip_page_furniture(netwerk_pages)
    assert len(out) == 4
    for before, after in zip(netwerk_pages, out):
        assert "Netwerkleiderschap in het Onderwijs" not in after
        assert "pagina" not in after
        body = before.split("\n", 1)[1].rsplit("\n", 1)[0]
        assert after.strip() == body.strip()  # body untouched, first and last body lines included


def test_strip_page_furniture_needs_three_pages(netwerk_pages: list[str]) -> None:
    assert strip_page_furniture(netwerk_pages[:2]) == netwerk_pages[:2]


def test_strip_page_furniture_keeps_pages_without_furniture(raw) -> None:
    lines = [ln for ln in clean_text(raw(KUNDE)).split("\n") if ln.strip()]
    pages = ["\n".join(lines[i * 12:(i + 1) * 12]) for i in range(4)]
    assert all(len(p) > 300 for p in pages)
    assert strip_page_furniture(pages) == pages


# --- whole files --------------------------------------------------------------------------------


@pytest.mark.parametrize("doc", [KUNDE, EXCERPT, NETWERK, THUIS, GEZICHTEN])
def test_clean_text_whole_corpus_file(raw, doc: str) -> None:
    text = raw(doc)
    cleaned = clean_text(text)
    assert "\ufffd" not in cleaned
    assert not any(0xE000 <= ord(c) <= 0xF8FF for c in cleaned)
    assert not any(is_running_header(line) for line in cleaned.split("\n"))
    assert "Whitepaper |" not in cleaned and "ECBO DIMENSIES" not in cleaned
    assert "\n\n\n" not in cleaned and "  " not in cleaned
    assert not [ln for ln in cleaned.split("\n") if re.fullmatch(r"\d{1,3}", ln)]
    assert unicodedata.is_normalized("NFC", cleaned)
    # nothing substantial is lost: almost all letters survive
    letters = lambda s: sum(c.isalpha() for c in s)  # noqa: E731
    assert letters(cleaned) >= 0.95 * letters(text)
    assert clean_text(cleaned) == cleaned  # idempotent: cleaning twice changes nothing


def test_numbered_caps_heading_is_not_a_running_header() -> None:
    from assistant.ingest.clean import is_running_header

    assert is_running_header("11ECBO DIMENSIES")  # page number glued to the running title
    assert not is_running_header("3 CONCLUSIE EN DISCUSSIE")  # a numbered section heading stays
