"""Preformatted text kept (issue 20, point 2): a code block stays one block with its line breaks and
indentation through cleaning and chunking, is never split into sentences, travels with the lead-in
that introduces it, and is shown as code in the terminal and in the web app, inert and unescaped."""

from __future__ import annotations

from pathlib import Path

from assistant.ingest.chunk import chunk_document
from assistant.ingest.load import CorpusFile, load_file
from assistant.records import Statement
from assistant.render import markdown, plain_text
from assistant.units import units_of
from assistant.webrender import highlight
from helpers import render_markdown

SCRIPT = "#!/bin/bash\n# reservekopie van de thuismappen\nfor d in /skole/tjener/home0/*; do\n" \
         "    rsync -a \"$d\" /backup/   # krb5 en ext4 blijven staan\n\ndone\n"


def _doc(tmp_path: Path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_file(CorpusFile(path, name, path.stat().st_size, "x"), {}, 50_000_000, [])


def _code_units(doc) -> list:
    return [u for c in chunk_document(doc) for u in units_of(c.text, 0) if u.is_code]


def test_a_fenced_script_is_one_unit_with_its_lead_in_line_breaks_and_indentation(tmp_path: Path) -> None:
    prose = "De school maakt elke nacht een reservekopie van alle thuismappen op de server. " * 3
    doc = _doc(tmp_path, "handleiding.md", f"# Reservekopie\n\n{prose}\n\nGebruik daarvoor dit script:\n\n"
                                           f"```bash\n{SCRIPT}```\n\nDaarna staat alles op de schijf.\n")
    [unit] = _code_units(doc)
    assert unit.text == f"Gebruik daarvoor dit script:\n```bash\n{SCRIPT}```", unit.text
    sentences = [u.text for c in chunk_document(doc) for u in units_of(c.text, 0) if not u.is_code]
    assert not any("rsync" in s or "done" in s for s in sentences)  # never read as prose


def test_indented_markdown_code_and_shell_prompt_lines_are_code_blocks(tmp_path: Path) -> None:
    md = _doc(tmp_path, "les.md", "Werk eerst de pakketlijsten bij:\n\n    apt update\n    apt full-upgrade -y\n\n"
                                  "Dan is de server weer bij.\n")
    [unit] = _code_units(md)
    assert unit.text == "Werk eerst de pakketlijsten bij:\n```\napt update\napt full-upgrade -y\n```"
    txt = _doc(tmp_path, "sessie.txt", "Zo ziet het er op de server uit:\n\nleraar@tjener:~$ df -h /home0\n"
                                       "root@tjener:/# ls  -l /etc/krb5.conf\n\nKlaar.\n")
    [unit] = _code_units(txt)
    assert unit.text == ("Zo ziet het er op de server uit:\n```\nleraar@tjener:~$ df -h /home0\n"
                         "root@tjener:/# ls  -l /etc/krb5.conf\n```")
    headings = {c.section for c in chunk_document(txt)}
    assert not any("df -h" in h or "ls" in h for h in headings)  # a command is never a heading


def test_a_long_script_is_split_at_line_ends_into_fenced_blocks(tmp_path: Path) -> None:
    lines = [f"echo \"stap {i}: kopieer /home{i % 10}\"" for i in range(200)]
    doc = _doc(tmp_path, "lang.md", "```\n" + "\n".join(lines) + "\n```\n")
    units = _code_units(doc)
    assert len(units) > 1
    shown = [ln for u in units for ln in u.text.split("\n") if ln != "```"]
    assert shown == lines  # every line whole, in order, once


def test_html_pre_is_one_code_unit(tmp_path: Path) -> None:
    doc = _doc(tmp_path, "pagina.html", "<html><body><main><h1>Kernel</h1><p>Verwijder het oude pakket met:</p>"
                                        "<pre>dpkg --purge linux-image-NNN\n  # en dan\nupdate-grub</pre>"
                                        "<p>Klaar.</p></main></body></html>")
    [unit] = _code_units(doc)
    assert unit.text == "Verwijder het oude pakket met:\n```\ndpkg --purge linux-image-NNN\n  # en dan\nupdate-grub\n```"


HOSTILE = "cat <<EOF\n<img src=http://127.0.0.1:9/p.png> [x](http://127.0.0.1:9/) $x$ *niet schuin*\n````\nEOF"


def _answer() -> tuple[Statement, ...]:
    return (Statement("Zo maak je een reservekopie.", cites=(1,)),
            Statement(f"Typ dit:\n```\n{HOSTILE}\n```", cites=(2,), form="list"),
            Statement("Daarna is het klaar.", cites=(1,)))


def test_the_terminal_shows_code_as_an_indented_block_without_fences_or_escapes() -> None:
    text = plain_text(_answer())
    assert "Typ dit: [2]\n\n" + "\n".join("    " + ln for ln in HOSTILE.split("\n")) + "\n\nDaarna" in text
    assert "\\" not in text


def test_the_web_app_shows_code_as_a_code_block_literally_and_inert() -> None:
    md = markdown(_answer(), link=lambda n: f"#bron-1-{n}")
    tags, shown = render_markdown(md)
    assert "pre" in tags and "code" in tags and "img" not in tags
    assert " ".join(HOSTILE.split()) in shown  # every character of the code as it is, no backslashes
    from markdown_it import MarkdownIt

    html = MarkdownIt("commonmark").render(md)
    assert html.count("<a href=") == 3  # only the citation markers are links


def test_a_passage_shows_its_code_block_as_pre_with_the_quoted_part_marked() -> None:
    passage = "Typ dit:\n```\n  make <b>deb-pkg</b>\n```\nKlaar."
    at = passage.index("make")
    html, marked = highlight(passage, [(at, at + 4)])
    assert marked and "```" not in html
    assert '<pre class="sw-code"><code>  <mark>make</mark> &lt;b&gt;deb-pkg&lt;/b&gt;</code></pre>' in html


def test_monospaced_lines_of_a_pdf_are_one_code_block(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    pdf.multi_cell(0, 6, "De school maakt elke nacht een reservekopie van de thuismappen. Start de kopie "
                         "met de volgende opdrachten:", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("courier", size=10)
    for line in ("sudo rsync -a /skole/tjener/home0/ /backup/", "    --exclude=.cache  # krb5 blijft", "df -h"):
        pdf.cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", size=11)
    pdf.multi_cell(0, 6, "Daarna staat alles veilig op de schijf van de server.", new_x="LMARGIN", new_y="NEXT")
    path = tmp_path / "kopie.pdf"
    pdf.output(str(path))
    doc = load_file(CorpusFile(path, path.name, path.stat().st_size, "x"), {}, 50_000_000, [])
    [unit] = _code_units(doc)
    assert unit.text.endswith("Start de kopie met de volgende opdrachten:\n```\n"
                              "sudo rsync -a /skole/tjener/home0/ /backup/\n    --exclude=.cache  # krb5 blijft\n"
                              "df -h\n```"), unit.text
