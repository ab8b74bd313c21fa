"""Word, OpenDocument and HTML files made by LibreOffice from Debian's Dutch FAQ, uploaded in the real
browser with hostile files beside them: the three are indexed and cited with their title and
section, each hostile file is refused by name, and the index keeps everything it had."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest
from test_browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, _wait_answer, running_app  # noqa: F401 - fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium (/usr/bin/chromium) is not installed"),
]


def _hostile(folder: Path) -> list[Path]:
    """A zip bomb as .docx, an XML external entity in an .odt, and a PDF named .docx."""
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b"<a>" + b"0" * 250_000_000 + b"</a>")
    xxe = io.BytesIO()
    with zipfile.ZipFile(xxe, "w") as z:
        z.writestr("content.xml", '<!DOCTYPE office:document-content [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
                                  '<office:document-content>&xxe;</office:document-content>')
    files = {"bom.docx": bomb.getvalue(), "entiteit.odt": xxe.getvalue(), "verslag.docx": b"%PDF-1.7\n1 0 obj<<>>endobj\n"}
    out = []
    for name, data in files.items():
        (folder / name).write_bytes(data)
        out.append(folder / name)
    return out


def test_office_and_web_files_uploaded_in_the_browser_are_cited(running_app, converted: Path,
                                                                tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, settings, _log = running_app
    up = tmp_path / "upload"
    up.mkdir()
    good = []
    for src, name in (("kernel.docx", "kernel.docx"), ("pkgtools.odt", "pkgtools.odt"),
                      ("basic-defs.html", "basic-defs.html")):
        shutil.copy(converted / src, up / name)
        good.append(up / name)
    bad = _hostile(up)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.set_default_timeout(120_000)
        page.goto(url)
        page.get_by_role("tab", name="Bronnen").click()
        expect(page.locator("#sw-docs-info")).to_contain_text("5 documenten")
        page.set_input_files("#sw-upload input[type=file]", [str(f) for f in good + bad])
        expect(page.locator("#sw-upload table tr")).to_have_count(len(good + bad))
        page.click("#sw-add")
        report = page.locator("#sw-upload-report")
        expect(report).to_contain_text("Toegevoegd", timeout=TIMEOUT_MS)
        for f in good:
            expect(report).to_contain_text(f"uploads/{f.name}")
        for f in bad:  # refused, each by its name
            expect(report).to_contain_text(f.name)
        expect(page.locator("#sw-docs-info")).to_contain_text("8 documenten")
        table = page.locator("#sw-docs")
        expect(table).to_contain_text("Samenwerken kent vele gezichten")  # nothing it had is lost
        expect(table).to_contain_text("Hoofdstuk 10. Debian en de kernel")

        page.get_by_role("tab", name="Vraag & antwoord").click()
        page.locator("#sw-question textarea").fill("Hoe verwijder ik een oud kernel-pakket veilig met dpkg?")
        page.click("#sw-send")
        _wait_answer(page, 1)
        sources = page.locator("#sw-sources")
        expect(sources).to_contain_text("Hoofdstuk 10. Debian en de kernel")
        expect(sources).to_contain_text("10.4")
        browser.close()
    stored = sorted(p.name for p in (settings.corpus_dir / "uploads").iterdir())
    assert stored == sorted(f.name for f in good)
