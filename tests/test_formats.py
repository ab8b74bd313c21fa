"""Word, OpenDocument and web pages (issue 20, point 4): read with their structure, made by the tools
schools use (LibreOffice converts real Dutch pages of Debian's documentation), and hostile files
refused by name without losing anything else."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from assistant.errors import DocumentError
from assistant.ingest.html import read_html
from assistant.ingest.load import CorpusFile, load_file
from assistant.ingest.office import read_docx

from helpers import FAQ_PAGES

W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _docx(body: str, styles: str = "", extra: dict[str, bytes] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", f'<w:document {W_NS}><w:body>{body}</w:body></w:document>')
        if styles:
            z.writestr("word/styles.xml", f"<w:styles {W_NS}>{styles}</w:styles>")
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return buf.getvalue()


def _p(text: str, style: str = "") -> str:
    ppr = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
    return f"<w:p>{ppr}<w:r><w:t xml:space=\"preserve\">{text}</w:t></w:r></w:p>"


def _load(tmp_path: Path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return load_file(CorpusFile(path, name, len(data), "x"), {}, 50_000_000, [])


def test_docx_headings_lists_tables_tracked_changes_comments_and_footnotes(tmp_path: Path) -> None:
    styles = ('<w:style w:styleId="Kop1"><w:name w:val="heading 1"/></w:style>'
              '<w:style w:styleId="Code"><w:name w:val="Source Code"/></w:style>')
    body = (_p("Afspraken met de jeugdzorg", "Kop1")
            + '<w:p><w:r><w:t>Wij spreken </w:t></w:r><w:del><w:r><w:delText>nooit </w:delText></w:r></w:del>'
              '<w:ins><w:r><w:t>elke maand </w:t></w:r></w:ins><w:commentRangeStart w:id="1"/>'
              '<w:r><w:t>af.</w:t></w:r><w:r><w:footnoteReference w:id="2"/></w:r></w:p>'
            + '<w:p><w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr></w:pPr>'
              '<w:r><w:t>een vast aanspreekpunt</w:t></w:r></w:p>'
            + _p("  ssh leraar@server", "Code") + _p("    ls -l /home0", "Code")
            + '<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Partner</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Rol</w:t>'
              '</w:r></w:p></w:tc></w:tr><w:tr><w:tc><w:p><w:r><w:t>Ouders</w:t></w:r></w:p></w:tc><w:tc><w:p>'
              '<w:r><w:t>meedenken</w:t></w:r></w:p></w:tc></w:tr></w:tbl>')
    notes = (f'<w:footnotes {W_NS}><w:footnote w:id="0"><w:p><w:r><w:t>-</w:t></w:r></w:p></w:footnote>'
             '<w:footnote w:id="2"><w:p><w:r><w:t>Zie het convenant van 2024.</w:t></w:r></w:p></w:footnote>'
             '</w:footnotes>')
    comments = (f'<w:comments {W_NS}><w:comment w:id="1"><w:p><w:r><w:t>GEHEIM COMMENTAAR</w:t></w:r></w:p>'
                '</w:comment></w:comments>')
    core = ('<cp:coreProperties xmlns:cp="x" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            '<dc:title>Samenwerkingsafspraken</dc:title><dc:creator>OBS De Linde</dc:creator></cp:coreProperties>')
    data = _docx(body, styles, {"word/footnotes.xml": notes.encode(), "word/comments.xml": comments.encode(),
                                "docProps/core.xml": core.encode()})
    text, meta = read_docx(Path("afspraken.docx"), data)
    assert meta == {"title": "Samenwerkingsafspraken", "author": "OBS De Linde"}
    assert text.startswith("# Afspraken met de jeugdzorg\n\nWij spreken elke maand af.\n\n- een vast aanspreekpunt")
    assert "nooit" not in text and "GEHEIM" not in text
    assert "```\n  ssh leraar@server\n    ls -l /home0\n```" in text  # one block, indentation and digits kept
    assert "- Partner | Rol\n- Partner: Ouders | Rol: meedenken" in text
    assert text.rstrip().endswith("Zie het convenant van 2024.")  # the footnote at the end of its section
    doc = _load(tmp_path, "afspraken.docx", data)
    assert doc.title == "Samenwerkingsafspraken" and doc.meta["author"] == "OBS De Linde"


def test_html_main_content_without_navigation_scripts_or_frames() -> None:
    page = """<html><head><title>Ouderbetrokkenheid</title><meta name="author" content="Stichting Wijs">
    <script>fetch("http://evil.test/")</script><style>p{}</style></head><body>
    <nav><a href="/">Home</a> | <a href="/over">Over ons</a></nav>
    <div class="navheader"><table><tr><td>Vorige</td><td>Volgende</td></tr></table></div>
    <main><h1>Ouders betrekken</h1><p>Een goed gesprek begint met <b>luisteren</b>.</p>
    <ul><li>Plan het gesprek</li><li>Vraag door</li></ul>
    <pre>  stap 1
    stap 2</pre>
    <table><tr><th>Wie</th><th>Wat</th></tr><tr><td>Mentor</td><td>belt</td></tr></table>
    <iframe src="http://evil.test/frame"></iframe><img src="http://evil.test/pixel.gif" alt="pixel"></main>
    <footer>© 2024 — cookies</footer></body></html>"""
    text, meta = read_html(page)
    assert meta == {"title": "Ouderbetrokkenheid", "author": "Stichting Wijs"}
    assert text == ("# Ouders betrekken\n\nEen goed gesprek begint met luisteren.\n\n- Plan het gesprek\n"
                    "- Vraag door\n\n```\n  stap 1\n    stap 2\n```\n\n- Wie | Wat\n- Wie: Mentor | Wat: belt\n")


@pytest.mark.parametrize("name", ["bom.docx", "bom.odt"])
def test_a_zip_bomb_is_refused_by_name(tmp_path: Path, name: str) -> None:
    buf = io.BytesIO()
    inner = "word/document.xml" if name.endswith("docx") else "content.xml"
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(inner, b"<a>" + b"0" * 250_000_000 + b"</a>")
    with pytest.raises(DocumentError) as e:
        _load(tmp_path, name, buf.getvalue())
    assert "zip bomb" in str(e.value) and name in str(e.value)


@pytest.mark.parametrize("doctype", [
    '<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    '<!DOCTYPE w:document [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'])
def test_xml_entities_are_refused_not_expanded(tmp_path: Path, doctype: str) -> None:
    xml = f'{doctype}<w:document {W_NS}><w:body>{_p("&xxe; &b;")}</w:body></w:document>'
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/document.xml", xml)
    with pytest.raises(DocumentError) as e:
        _load(tmp_path, "entiteit.docx", buf.getvalue())
    assert "XML-entiteiten" in str(e.value) and "root:" not in str(e.value)


def test_a_docx_that_is_really_a_pdf_or_junk_is_refused(tmp_path: Path) -> None:
    for name, data in (("verslag.docx", b"%PDF-1.7\n1 0 obj<<>>endobj\n"), ("notities.odt", b"not a zip")):
        with pytest.raises(DocumentError) as e:
            _load(tmp_path, name, data)
        assert name in str(e.value) and "geen geldig" in str(e.value)


def test_legacy_word_files_are_refused_saying_what_to_save_as(tmp_path: Path) -> None:
    from assistant.settings import Settings
    from assistant.upload_transaction import DocumentDetails, UploadReport, UploadTransaction

    (tmp_path / "corpus").mkdir()
    oud = tmp_path / "oud.doc"
    oud.write_bytes(b"\xd0\xcf\x11\xe0 old word")
    tx = UploadTransaction(Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index"), UploadReport(),
                           DocumentDetails(), build=lambda: pytest.fail("no build"))
    assert tx.check([("oud.doc", oud)]) == []
    [(name, reason)] = tx.report.rejected
    assert name == "oud.doc" and ".docx" in reason and "sla het op" in reason


# --- real documents, converted by LibreOffice ----------------------------------------------------------


def _sentences(text: str) -> list[str]:
    """Sentences of a converted text's prose, whitespace normalised (headings' markers and bullets off;
    a list item's second paragraph may be part of the item or a paragraph of its own)."""
    out = []
    for line in text.splitlines():
        line = re.sub(r"^(#+|-)\s+", "", line).strip()
        for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z])", line):
            if len(sentence.split()) >= 6 and not sentence.startswith("```"):
                out.append(" ".join(sentence.split()))
    return out


@pytest.mark.slow
def test_libreoffice_copies_keep_the_html_text_and_headings(converted: Path, tmp_path: Path) -> None:
    for page in FAQ_PAGES:
        html = _load(tmp_path, f"{page}.html", (converted / f"{page}.html").read_bytes())
        docx = _load(tmp_path, f"{page}.docx", (converted / f"{page}.docx").read_bytes())
        odt = _load(tmp_path, f"{page}.odt", (converted / f"{page}.odt").read_bytes())
        pdf = _load(tmp_path, f"{page}.pdf", (converted / f"{page}.pdf").read_bytes())
        source = _sentences(html.text)
        assert len(source) > 10, page
        for copy in (docx, odt):
            flat = " ".join(re.sub(r"(?m)^\s*(#+|-)\s+", "", copy.text).split())  # list structure may differ
            missing = [s for s in source if s not in flat]
            assert len(missing) <= len(source) * 0.02, (page, copy.source, missing[:5])
            headings = [line for line in html.text.splitlines() if line.startswith("#")]
            assert [h for h in headings if h in copy.text.splitlines()] == headings, (page, copy.source)
        assert html.title == docx.title == odt.title and html.title.startswith("Hoofdstuk")
        words = set(" ".join(" ".join(p.text for p in pdf.pages).split()).split())
        source_words = [w for s in source for w in s.split()]
        assert sum(w in words for w in source_words) >= 0.9 * len(source_words), page
        for code in re.findall(r"```\n(.*?)\n```", html.text, re.S):  # commands come out as blocks, digits kept
            assert f"```\n{code}\n```" in docx.text and f"```\n{code}\n```" in odt.text, (page, code)


@pytest.mark.slow
def test_uploaded_office_and_web_files_are_indexed_and_cited(converted: Path, corpus_settings, corpus_dir: Path,
                                                            embeddings, tmp_path: Path) -> None:
    from assistant.answer.chain import AnswerEngine
    from assistant.service import AssistantService
    from assistant.settings import Settings

    shutil.copytree(corpus_dir, tmp_path / "corpus")
    shutil.copytree(corpus_settings.index_dir, tmp_path / "index", ignore=shutil.ignore_patterns(".lock"))
    app_settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index", data_dir=tmp_path / "data")

    service = AssistantService(app_settings, AnswerEngine(app_settings, embeddings=embeddings))
    files = [(f"kernel.{ext}", converted / f"kernel.{ext}") for ext in ("docx",)]
    files += [("pkgtools.odt", converted / "pkgtools.odt"), ("basic-defs.html", converted / "basic-defs.html")]
    report = service.add_files(files)
    assert report.added == ["uploads/basic-defs.html", "uploads/kernel.docx", "uploads/pkgtools.odt"], report
    titles = {d["title"] for d in service.documents()}
    assert {"Hoofdstuk 10. Debian en de kernel", "Hoofdstuk 1. Definities en overzicht"} <= titles
    from assistant.service import Conversation

    answer = service.ask(Conversation(), "Hoe verwijder ik een oud kernel-pakket veilig met dpkg?")
    cited = {(c.title, c.section) for c in answer.citations}
    assert any(t == "Hoofdstuk 10. Debian en de kernel" and "10.4" in sec for t, sec in cited), cited
    answer = service.ask(Conversation(), "Welk commando vertelt uit welk pakket een bestand komt?")
    assert any(c.title.startswith("Hoofdstuk 8.") for c in answer.citations), answer.citations
