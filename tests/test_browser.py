"""The real web app in headless Chromium: ask, follow a citation, follow up, rate, prepare, upload.

The app runs as ``assistant serve`` on 127.0.0.1 with copies of the corpus and of the session
index in a temporary folder, so nothing tracked in the repository changes: screenshots go to
``test-artifacts/`` (the README's, in ``docs/``, are made by ``scripts/screenshots.py``).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.settings import Settings
from helpers import LEESBRUG, LEESBRUG_QUESTION, fill_settled, stop_process, wait_for_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
REPO_ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO_ROOT / "test-artifacts"
TIMEOUT_MS = 90_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium (/usr/bin/chromium) is not installed"),
]



def start_app(tmp: Path, corpus_settings: Settings, corpus_dir: Path, port: int, cli_env, assistant_exe: Path,
              **env: str) -> tuple[subprocess.Popen[bytes], Path, Settings]:
    """``assistant serve`` on 127.0.0.1:port over copies of the corpus and the session index."""
    settings = Settings(corpus_dir=tmp / "corpus", index_dir=tmp / "index", data_dir=tmp / "data")
    shutil.copytree(corpus_dir, settings.corpus_dir)
    shutil.copytree(corpus_settings.index_dir, settings.index_dir, ignore=shutil.ignore_patterns(".lock"))
    (tmp / "gradio").mkdir()
    full_env = cli_env(
        ASSISTANT_CORPUS_DIR=str(settings.corpus_dir), ASSISTANT_INDEX_DIR=str(settings.index_dir),
        ASSISTANT_DATA_DIR=str(settings.data_dir), GRADIO_TEMP_DIR=str(tmp / "gradio"), HOME=str(tmp),
        PATH=os.environ.get("PATH") or os.defpath, **env)
    log = tmp / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(assistant_exe), "serve", "--host", "127.0.0.1", "--port", str(port)],
                                env=full_env, stdout=out, stderr=subprocess.STDOUT)
    wait_for_app(proc, log, f"http://127.0.0.1:{port}/")
    return proc, log, settings


stop_app = stop_process


@pytest.fixture
def running_app(tmp_path: Path, corpus_settings: Settings, corpus_dir: Path, free_port: int, cli_env,
                assistant_exe: Path) -> Iterator[tuple[str, Settings, Path]]:
    proc, log, settings = start_app(tmp_path, corpus_settings, corpus_dir, free_port, cli_env, assistant_exe)
    try:
        yield f"http://127.0.0.1:{free_port}/", settings, log
    finally:
        stop_app(proc)


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _norm(text: str) -> str:
    return " ".join(text.split())


def _wait_answer(page, turn: int) -> None:
    """Until the sources of answer ``turn`` are shown: the stream has finished and been verified."""
    page.wait_for_selector(f'#sw-sources details[id^="bron-{turn}-"], #sw-sources #beurt-{turn} .sw-none',
                           timeout=TIMEOUT_MS)


def _bot_messages(page):
    return page.locator('#sw-chat [data-testid="bot"]')


def _open_citation(page, turn: int, which: int = 0):
    """Click citation link number ``which`` of answer ``turn``; return its passage (details element)."""
    link = page.locator(f'#sw-chat a[href^="#bron-{turn}-"]').nth(which)
    target = link.get_attribute("href").split("#")[-1]
    details = page.locator(f"#{target}")
    assert details.get_attribute("open") is None, "passages start closed"
    link.click()
    page.wait_for_function(f"document.getElementById('{target}').open === true", timeout=10_000)
    page.wait_for_timeout(700)  # smooth scrolling
    box = details.bounding_box()
    assert box is not None and box["height"] > 40
    return details


def test_browser_journey(running_app, make_pdf, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    url, settings, log = running_app
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL", accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        requested: list[str] = []
        page.on("request", lambda r: requested.append(r.url))
        try:
            _journey(page, url, settings, make_pdf, tmp_path)
            # everything the page loaded came from the app itself: no CDN, font or analytics calls
            assert any(u.startswith(url) for u in requested)
            foreign = [u for u in requested if not u.startswith((url, "data:", "blob:"))]
            assert not foreign, foreign
        except Exception:
            _shot(page, "browser-failure")
            print(log.read_text(errors="replace")[-4000:])
            raise
        finally:
            context.close()
            browser.close()


def _journey(page, url: str, settings: Settings, make_pdf, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page.goto(url)
    question = page.locator("#sw-question textarea")
    question.wait_for()
    expect(page.locator("#sw-sources")).to_contain_text("Stel een vraag")

    # 1. an example question fills the box; the streamed answer arrives with linked citations
    first_q = "Hoe bouw ik vertrouwen op met ouders en jeugdzorg?"
    page.locator("#sw-examples").get_by_text(first_q).click()
    expect(question).to_have_value(first_q)
    page.click("#sw-send")
    _wait_answer(page, 1)
    answer1 = _norm(_bot_messages(page).last.inner_text())
    assert "Ik zoek in de bronnen" not in answer1 and len(answer1) > 100
    assert page.locator('#sw-chat a[href^="#bron-1-"]').count() >= 1
    _shot(page, "01-answer")

    # 2. clicking a citation opens that passage, and its highlighted sentence is what the answer quotes
    details = _open_citation(page, 1)
    marks = details.locator("mark")
    assert marks.count() >= 1
    marked = _norm(marks.first.inner_text())
    assert marked[:60] in answer1, (marked, answer1)
    n = details.get_attribute("data-n")
    assert f"[{n}]" in details.locator("summary").inner_text()
    _shot(page, "02-citation")

    # 3. a follow-up: answered in context, the rewritten query shown discreetly
    question.fill("En wat kan ik daarbij als eerste doen?")
    question.press("Enter")
    _wait_answer(page, 2)
    expect(_bot_messages(page)).to_have_count(2)
    expect(page.locator("#beurt-2 .sw-query")).to_contain_text("jeugdzorg")
    details2 = _open_citation(page, 2)
    assert details2.locator("mark").count() >= 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / "03-followup.png"))

    # 4. thumbs down on the follow-up answer, then a comment: both end up in SQLite
    bot2 = _bot_messages(page).nth(1)
    bot2.hover()
    page.locator('#sw-chat button[aria-label="Vind ik niet leuk"]').last.click()
    expect(page.locator("#sw-feedback-status")).to_contain_text("duim omlaag")
    page.locator("#sw-feedback").get_by_text("Toelichting bij je beoordeling").click()
    page.fill("#sw-comment textarea", "Ik miste een concreet voorbeeld.")
    page.click("#sw-comment-send")
    expect(page.locator("#sw-feedback-status")).to_contain_text("toelichting is opgeslagen")
    db = settings.data_dir / "feedback.sqlite3"
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT rating, question, answer, citations, comment FROM feedback").fetchall()
        assert con.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
    assert len(rows) == 1
    rating, q, a, cites, comment = rows[0]
    assert (rating, q, comment) == (-1, "En wat kan ik daarbij als eerste doen?", "Ik miste een concreet voorbeeld.")
    assert _norm(a)[:60].replace("[", "") in _norm(_bot_messages(page).nth(1).inner_text()).replace("[", "")
    assert '"chunk_id"' in cites
    _shot(page, "04-feedback")

    # 5. meeting preparation, shown and downloaded as Markdown
    page.get_by_role("tab", name="Overleg voorbereiden").click()
    page.fill("#sw-prep-topic textarea", "samenwerking met de jeugdzorg rond een leerling")
    page.fill("#sw-prep-partners textarea", "ouders, jeugdzorg, intern begeleider")
    page.fill("#sw-prep-goal textarea", "afspraken maken over wie wat doet")
    page.click("#sw-prep-button")
    download_button = page.locator("#sw-prep-download")
    download_button.wait_for(state="visible")
    expect(page.locator("#sw-prep")).to_contain_text("Voorbereiding overleg: samenwerking met de jeugdzorg")
    expect(page.locator("#sw-prep")).to_contain_text("Agendapunten")
    with page.expect_download() as dl:
        download_button.click()
    saved = tmp_path / "download.md"
    dl.value.save_as(saved)
    assert dl.value.suggested_filename.endswith(".md")
    sheet = saved.read_text(encoding="utf-8")
    assert sheet.startswith("# Voorbereiding overleg: samenwerking met de jeugdzorg rond een leerling\n")
    assert "Partners: ouders, jeugdzorg, intern begeleider" in sheet
    for heading in ("## Agendapunten", "## Valkuilen", "## Bronnen"):
        assert heading in sheet
    assert "[1]" in sheet
    _shot(page, "05-prepare")

    # 6. sources: the table, then an upload of a good PDF and a broken one
    page.get_by_role("tab", name="Bronnen").click()
    table = page.locator("#sw-docs")
    expect(table).to_contain_text("Samenwerken kent vele gezichten")
    expect(page.locator("#sw-docs-info")).to_contain_text("5 documenten")
    pdf = make_pdf(tmp_path / "upload" / "leesbrug.pdf", LEESBRUG)
    broken = tmp_path / "upload" / "kapot.pdf"
    broken.write_bytes(b"%PDF-1.4\nnot really a pdf\n")
    page.set_input_files("#sw-upload input[type=file]", [str(pdf), str(broken)])
    expect(page.locator("#sw-upload table tr")).to_have_count(2)  # both files received
    page.get_by_text("Gegevens voor de bronvermelding").click()
    author = page.locator("#sw-doc-author textarea, #sw-doc-author input").first
    fill_settled(author, "Bibliotheek Zuid")
    year = page.locator("#sw-doc-year textarea, #sw-doc-year input").first
    fill_settled(year, "vorig jaar")
    page.click("#sw-add")
    report = page.locator("#sw-upload-report")
    expect(report).to_contain_text("vorig jaar", timeout=TIMEOUT_MS)  # refused, naming the value
    expect(page.locator("#sw-upload table tr")).to_have_count(2)  # and the chosen files are still there
    expect(author).to_have_value("Bibliotheek Zuid")  # and the typed details
    assert not (settings.corpus_dir / "uploads").exists()
    fill_settled(year, "2024")
    page.click("#sw-add")
    expect(report).to_contain_text("Toegevoegd", timeout=TIMEOUT_MS)
    expect(report).to_contain_text("uploads/leesbrug.pdf")
    expect(report).to_contain_text("kapot.pdf")
    expect(page.locator("#sw-docs-info")).to_contain_text("6 documenten")
    expect(table).to_contain_text("uploads/leesbrug.pdf")
    row = table.get_by_role("row").filter(has_text="uploads/leesbrug.pdf")
    expect(row).to_contain_text("Bibliotheek Zuid")
    expect(row).to_contain_text("2024")
    expect(year).to_have_value("")  # the details were used, the form is empty for the next upload
    assert (settings.corpus_dir / "uploads" / "leesbrug.pdf").exists()
    assert not (settings.corpus_dir / "uploads" / "kapot.pdf").exists()
    _shot(page, "06-upload")

    # 7. a new conversation finds the uploaded fact and cites the PDF
    page.get_by_role("tab", name="Vraag & antwoord").click()
    page.click("#sw-new")
    expect(_bot_messages(page)).to_have_count(0)
    expect(page.locator("#sw-sources")).to_contain_text("Stel een vraag")
    question.fill(LEESBRUG_QUESTION)
    page.click("#sw-send")
    _wait_answer(page, 1)
    expect(page.locator("#beurt-1")).to_contain_text("uploads/leesbrug.pdf")
    links = page.locator('#sw-chat a[href^="#bron-1-"]')
    opened = None
    for i in range(links.count()):
        target = links.nth(i).get_attribute("href").split("#")[-1]
        if "uploads/leesbrug.pdf" in (page.locator(f"#{target} .sw-file").text_content() or ""):
            opened = _open_citation(page, 1, i)
            break
    assert opened is not None, "no citation points at the uploaded PDF"
    assert "donderdagmiddag" in " ".join(opened.locator("mark").all_inner_texts())
    assert "p. 1" in opened.locator("summary").inner_text()
    assert "donderdagmiddag" in _bot_messages(page).last.inner_text()
    _shot(page, "07-uploaded-answer")


def test_page_in_an_english_browser_is_dutch_and_fits_its_answers(running_app) -> None:
    """Issue 22, with Chromium set to English: Gradio's own labels are Dutch; the chat has no label
    and grows with its answer up to the viewport; the sources are headed by the answer, each
    document's title once (shortened, whole on hover); the documents table is not monospaced."""
    from playwright.sync_api import expect, sync_playwright

    url, _, log = running_app
    height = 900
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, "--lang=en-US"])
        context = browser.new_context(viewport={"width": 1280, "height": height}, locale="en-US")
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        try:
            page.goto(url)
            question = page.locator("#sw-question textarea")
            question.wait_for()
            assert page.evaluate("document.documentElement.lang") == "nl"
            started = log.read_text(errors="replace")
            assert "Samenwerkwijzer draait op" in started and "share=True" not in started  # no share-link hint
            footer = page.locator("footer")
            expect(footer).to_contain_text("Gebruik via API")
            assert "Use via API" not in footer.inner_text()

            chat = page.locator("#sw-chat")
            assert "Gesprek" not in chat.inner_text()
            empty = chat.bounding_box()["height"]
            question.fill("Hoe bouw ik vertrouwen op met ouders en jeugdzorg?")
            page.click("#sw-send")
            _wait_answer(page, 1)
            page.wait_for_timeout(500)
            grown = chat.bounding_box()["height"]
            assert empty < grown <= height, (empty, grown)  # grows with the answer, up to the viewport

            sources = page.locator("#sw-sources")
            turn = page.locator("#beurt-1 .sw-turn-q")
            expect(turn).to_have_text("Antwoord 1")
            assert turn.get_attribute("title") == "Hoe bouw ik vertrouwen op met ouders en jeugdzorg?"
            titles = page.locator("#beurt-1 .sw-doc-title")
            shown = titles.all_inner_texts()
            assert shown and len(shown) == len(set(shown)), shown  # each document named once
            for i, text in enumerate(shown):
                full = titles.nth(i).get_attribute("title")
                assert len(text) <= 61 and (text == full or (text.endswith("…") and full.startswith(text[:-1])))
            assert "Whitepaper Netwerkleiderschap" not in " ".join(
                s.inner_text() for s in sources.locator("#beurt-1 summary").all())  # not repeated per passage

            page.get_by_role("tab", name="Bronnen").click()
            upload = page.locator("#sw-upload")
            expect(upload).to_contain_text("Sleep een bestand hier")
            assert "Drop File Here" not in upload.inner_text() and "Click to Upload" not in upload.inner_text()
            cell = page.locator("#sw-docs .body-cell").first
            cell.wait_for()
            font = cell.evaluate("e => getComputedStyle(e).fontFamily + ' ' + getComputedStyle(e.querySelector('*') || e).fontFamily")
            assert "mono" not in font.lower(), font
        except Exception:
            _shot(page, "english-browser-failure")
            print(log.read_text(errors="replace")[-4000:])
            raise
        finally:
            context.close()
            browser.close()
