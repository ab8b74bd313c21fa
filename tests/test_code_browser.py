"""A code block in the real browser (issue 20, point 2): an answer that quotes a script shows it as
a code block with its lines and indentation, without escapes, and the cited passage shows it as
preformatted text too. A screenshot goes to the test artifacts (docs/screenshot-code.png is one)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import stop_process, wait_for_app
from test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium (/usr/bin/chromium) is not installed"),
]

SCRIPT = ("for map in /skole/tjener/home0/*; do\n"
          "    rsync -a --delete \"$map\" /backup/thuismappen/   # krb5 en ext4 blijven staan\n"
          "done")
MANUAL = ("# Reservekopie van de thuismappen\n\n"
          "De school maakt elke nacht een reservekopie van alle thuismappen van leerlingen en leraren, zodat "
          "niemand zijn werk kwijtraakt als een schijf van de server het begeeft.\n\n"
          f"Maak de reservekopie van de thuismappen met dit script:\n\n```bash\n{SCRIPT}\n```\n\n"
          "Controleer daarna of de kopie op de schijf van de back-upserver staat.\n")
QUESTION = "Hoe maak ik een reservekopie van de thuismappen?"


def test_an_answer_shows_a_script_as_a_code_block(tmp_path: Path, tiny_texts: dict[str, str], make_corpus, cli_env,
                                                  assistant_exe: Path, free_port: int) -> None:
    from playwright.sync_api import sync_playwright

    corpus = make_corpus(tmp_path / "corpus", {**tiny_texts, "reservekopie.md": MANUAL})
    (tmp_path / "gradio").mkdir()
    env = cli_env(ASSISTANT_CORPUS_DIR=str(corpus), ASSISTANT_INDEX_DIR=str(tmp_path / "index"),
                  ASSISTANT_DATA_DIR=str(tmp_path / "data"), GRADIO_TEMP_DIR=str(tmp_path / "gradio"),
                  HOME=str(tmp_path), PATH=os.environ.get("PATH") or os.defpath)
    subprocess.run([str(assistant_exe), "index"], env=env, check=True, capture_output=True, timeout=600)
    log, url = tmp_path / "serve.log", f"http://127.0.0.1:{free_port}/"
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(assistant_exe), "serve", "--host", "127.0.0.1", "--port", str(free_port)],
                                env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_app(proc, log, url)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(120_000)
            page.goto(url)
            page.locator("#sw-question textarea").fill(QUESTION)
            page.click("#sw-send")
            page.wait_for_selector('#sw-sources details[id^="bron-1-"]')
            code = page.locator("#sw-chat pre code").first
            code.wait_for()
            assert code.inner_text().strip() == SCRIPT  # every line, the indentation, no backslashes
            assert "Maak de reservekopie van de thuismappen met dit script:" in page.locator("#sw-chat").inner_text()
            link = page.locator('#sw-chat a[href^="#bron-1-"]').first
            link.click()
            page.wait_for_timeout(900)
            passage = page.locator("#sw-sources details[open] pre.sw-code code").first
            assert passage.inner_text().strip() == SCRIPT
            assert "```" not in page.locator("#sw-sources").inner_text()
            ARTIFACTS.mkdir(exist_ok=True)
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(ARTIFACTS / "code-block.png"))
            browser.close()
    finally:
        stop_process(proc)
    assert "Traceback" not in log.read_text(errors="replace")
    shutil.rmtree(tmp_path / "gradio", ignore_errors=True)
