"""Screenshots of the web app for docs/: the chat with an answer and an opened citation, and the
sources tab, at 1280 px and 390 px wide, in Chromium set to English (the page must still be Dutch).

    .venv/bin/python scripts/screenshots.py [--url http://127.0.0.1:7860/] [--out docs]
        [--question "..." --name leerkracht --chat-only]

Without --url it starts ``assistant serve`` on a free 127.0.0.1 port over the current settings
(ASSISTANT_INDEX_DIR etc.; an index must exist) with a temporary data folder, and stops it after.
Debian's /usr/bin/chromium, as in the tests (never ``playwright install``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--lang=en-US"]
QUESTION = "Hoe bouw ik vertrouwen op met ouders en jeugdzorg?"
WIDTHS = {"1280": (1280, 900), "390": (390, 844)}


def open_tab(page, name: str) -> None:
    """Click a tab, from Gradio's overflow menu ("…") when the page is too narrow for all of them."""
    tab = page.get_by_role("tab", name=name)
    if not tab.count():
        page.locator(".overflow-menu > button").click()
        tab = page.locator(".overflow-dropdown button", has_text=name)
    tab.click()


def shoot(url: str, out: Path, question: str = QUESTION, name_suffix: str = "", chat_only: bool = False) -> list[Path]:
    from playwright.sync_api import sync_playwright

    saved = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for name, (width, height) in WIDTHS.items():
            ctx = browser.new_context(viewport={"width": width, "height": height}, locale="en-US")
            page = ctx.new_page()
            page.set_default_timeout(120_000)
            page.goto(url)
            page.locator("#sw-question textarea").fill(question)
            page.click("#sw-send")
            page.wait_for_selector('#sw-sources details[id^="bron-1-"], #sw-sources .sw-none')
            link = page.locator('#sw-chat a[href^="#bron-1-"]').first
            if link.count():
                link.click()
                page.wait_for_timeout(900)
            page.evaluate("window.scrollTo(0, 0)")
            page.wait_for_timeout(300)
            path = out / f"screenshot-{name}{name_suffix}.png"  # a phone's page whole: the sources are below the chat
            page.screenshot(path=str(path), full_page=width < 800)
            saved.append(path)
            if chat_only:
                ctx.close()
                continue
            open_tab(page, "Bronnen")
            page.wait_for_selector("#sw-docs table")
            page.wait_for_timeout(600)
            path = out / f"screenshot-{name}-bronnen.png"
            page.screenshot(path=str(path), full_page=True)
            saved.append(path)
            ctx.close()
        browser.close()
    return saved


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url")
    ap.add_argument("--out", default=str(ROOT / "docs"))
    ap.add_argument("--question", default=QUESTION)
    ap.add_argument("--name", default="", help="added to the file names (screenshot-1280-NAME.png)")
    ap.add_argument("--chat-only", action="store_true", help="only the chat, not the sources tab")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.url:
        paths = shoot(args.url, out, args.question, f"-{args.name}" if args.name else "", args.chat_only)
    else:
        from helpers import free_local_port, stop_process, wait_for_app

        port = free_local_port()
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "ASSISTANT_DATA_DIR": os.environ.get("ASSISTANT_DATA_DIR", tmp),
                   "GRADIO_TEMP_DIR": tmp}
            log = Path(tmp) / "serve.log"
            with open(log, "wb") as fh:
                proc = subprocess.Popen([str(ROOT / ".venv/bin/assistant"), "serve", "--host", "127.0.0.1",
                                         "--port", str(port)], env=env, stdout=fh, stderr=subprocess.STDOUT)
            try:
                wait_for_app(proc, log, f"http://127.0.0.1:{port}/", timeout=180)
                paths = shoot(f"http://127.0.0.1:{port}/", out, args.question,
                              f"-{args.name}" if args.name else "", args.chat_only)
            finally:
                stop_process(proc)
    print("\n".join(str(p) for p in paths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
