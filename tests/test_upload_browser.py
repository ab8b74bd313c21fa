"""A large upload in the real browser: a 100-page PDF (about 250,000 characters of varied Dutch)
is queued, shows its progress in the upload panel and becomes searchable, while a second browser
session keeps getting answers and sees its own upload wait its turn.

Times are printed, not asserted: how long the indexing takes depends on the engine and the machine.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from helpers import varied_dutch_text
from test_browser import CHROMIUM, CHROMIUM_ARGS, running_app  # noqa: F401 - the fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium (/usr/bin/chromium) is not installed"),
]

PAGES = 100
FACT = ("Het project Zeilboot: elke dinsdagochtend varen de leerlingen van groep 8 samen met de "
        "waterscouts over het meer en leren zo samenwerken met een vereniging uit de wijk.")
QUESTION = "Wat doen de leerlingen van groep 8 elke dinsdagochtend in het project Zeilboot?"
OTHERS = ["Wat zijn de vijf dimensies van care?", "Hoe ga ik om met weerstand tegen een nieuwe samenwerking?",
          "Wat is een netwerkkaart en waarom helpt die?"]
INDEX_TIMEOUT_MS = 45 * 60_000


def _pages(corpus_dir: Path) -> list[str]:
    paras = varied_dutch_text(corpus_dir, 250_000, seed=16, latin1=True)
    cuts = [round(i * len(paras) / PAGES) for i in range(PAGES + 1)]
    pages = ["\n\n".join(paras[cuts[i]:cuts[i + 1]]) for i in range(PAGES)]
    # at the end of its page: the shuffled filler may start a sentence in lowercase, which no splitter
    # can tell from a continued one, so a fact in front of it would be glued to the filler after it
    pages[56] = pages[56] + "\n\n" + FACT
    return pages


def test_large_upload_is_queued_with_progress_and_others_keep_answers(running_app, make_pdf, corpus_dir: Path,
                                                                      tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, settings, log = running_app
    pages = _pages(corpus_dir)
    pdf = make_pdf(tmp_path / "upload" / "jaarverslag-samenwerking.pdf", pages)
    small = tmp_path / "upload" / "buurtsport.txt"
    small.write_text("De buurtsportcoach komt elke woensdag naar school voor een sportmiddag met de bovenbouw.\n",
                     encoding="utf-8")
    chars = sum(len(p) for p in pages)
    timings: list[str] = [f"PDF: {len(pages)} pages, {chars} characters, {pdf.stat().st_size} bytes"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        a, b = browser.new_context(), browser.new_context()  # two sessions
        page_a, page_b = a.new_page(), b.new_page()
        for page in (page_a, page_b):
            page.set_default_timeout(120_000)
            page.goto(url)
            page.get_by_role("tab", name="Bronnen").click()
        report_a, report_b = page_a.locator("#sw-upload-report"), page_b.locator("#sw-upload-report")
        try:
            # A: the large upload starts; its panel says it is being indexed
            page_a.set_input_files("#sw-upload input[type=file]", [str(pdf)])
            expect(page_a.locator("#sw-upload table tr")).to_have_count(1)
            t0 = time.perf_counter()
            page_a.click("#sw-add")
            expect(report_a).to_contain_text("indexeren")
            # B: a small upload waits its turn and says where it is in the queue
            page_b.set_input_files("#sw-upload input[type=file]", [str(small)])
            expect(page_b.locator("#sw-upload table tr")).to_have_count(1)
            a_busy = "Toegevoegd" not in report_a.inner_text()
            page_b.click("#sw-add")
            if a_busy:
                expect(report_b).to_contain_text("plaats 1")
            timings.append(f"queue position shown to B: {a_busy}")
            # B keeps getting answers while A's upload is indexed
            page_b.get_by_role("tab", name="Vraag & antwoord").click()
            question = page_b.locator("#sw-question textarea")
            for turn, q in enumerate(OTHERS, start=1):
                question.fill(q)
                t = time.perf_counter()
                page_b.click("#sw-send")
                page_b.wait_for_selector(f'#sw-sources details[id^="bron-{turn}-"], #sw-sources #beurt-{turn} .sw-none',
                                         timeout=300_000)
                busy = "Toegevoegd" not in report_a.inner_text()
                timings.append(f"B answer {turn}: {time.perf_counter() - t:.1f} s (A still indexing: {busy})")
            # A's panel shows progress until the upload is indexed
            statuses: list[str] = []
            deadline = time.monotonic() + INDEX_TIMEOUT_MS / 1000
            while time.monotonic() < deadline:
                text = report_a.inner_text()
                if text and (not statuses or statuses[-1] != text):
                    statuses.append(text)
                if "Toegevoegd" in text or "Niet toegevoegd" in text or "mislukt" in text:
                    break
                page_a.wait_for_timeout(1000)
            timings.append(f"A indexed in {time.perf_counter() - t0:.1f} s; statuses seen: {len(statuses)}; "
                           f"first {statuses[:2]}, last progress {[s for s in statuses if 'verwerkt' in s][-1:]}")
            assert "Toegevoegd" in statuses[-1], statuses[-3:]
            assert any("indexeren" in s for s in statuses[:-1]), statuses
            expect(report_a).to_contain_text("uploads/jaarverslag-samenwerking.pdf")
            expect(report_b).to_contain_text("uploads/buurtsport.txt", timeout=600_000)
            # the uploaded fact is found and cited
            page_a.get_by_role("tab", name="Vraag & antwoord").click()
            page_a.locator("#sw-question textarea").fill(QUESTION)
            page_a.click("#sw-send")
            page_a.wait_for_selector('#sw-sources details[id^="bron-1-"]', timeout=300_000)
            expect(page_a.locator("#beurt-1")).to_contain_text("uploads/jaarverslag-samenwerking.pdf")
            assert "waterscouts" in page_a.locator('#sw-chat [data-testid="bot"]').last.inner_text()
        except Exception:
            print(log.read_text(errors="replace")[-4000:])
            raise
        finally:
            print("\n" + "\n".join(timings))
            browser.close()
