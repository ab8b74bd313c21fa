"""Helpers shared by the tests that start the web app as a real process."""

from __future__ import annotations

import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from benchmarks.corpus import varied_dutch_text  # noqa: F401 - the upload tests' text (shared with the benchmark)
from benchmarks.measure import free_port as free_local_port  # noqa: F401 - a port nothing listens on
from benchmarks.measure import stop

# The real corpus files (corpus/), by the names the tests use.
KUNDE = "samenwerken-kunst-of-kunde.txt"
EXCERPT = "gezamenlijke-kennisontwikkeling.txt"  # a near-verbatim excerpt of KUNDE's section 4
NETWERK = "netwerkleiderschap-in-het-onderwijs.txt"
THUIS = "thuis-in-samenwerking.txt"
GEZICHTEN = "samenwerken-kent-vele-gezichten.txt"
REAL_DOCS = {KUNDE, EXCERPT, NETWERK, THUIS, GEZICHTEN}

# a small document about a school and a library that the corpus does not cover (uploads)
LEESBRUG = [
    "Leesbrug: samenwerking tussen school en bibliotheek\n\n"
    "In het project Leesbrug werken basisschool De Wilgenhof en de openbare bibliotheek samen aan "
    "leesbevordering. Elke donderdagmiddag leest een bibliotheekmedewerker in groep 5 voor uit nieuwe "
    "jeugdboeken en helpt de leerlingen een boek te kiezen.",
    "De leesconsulent van de bibliotheek en de intern begeleider stellen samen een leesplan op voor "
    "leerlingen met een leesachterstand. Ouders worden twee keer per jaar uitgenodigd voor een leesavond "
    "in de bibliotheek.",
]
LEESBRUG_QUESTION = "Wat doet de bibliotheekmedewerker elke donderdagmiddag in het project Leesbrug?"


def wait_for_app(proc: subprocess.Popen[bytes], log: Path | None, url: str, timeout: float = 120,
                 any_http_answer: bool = False) -> None:
    """Block until the server process answers 200 on ``url`` (or any HTTP status with
    ``any_http_answer``, e.g. a 401 behind a login); fail with its log when it exits or time runs out."""
    deadline = time.monotonic() + timeout

    def tail() -> str:
        return log.read_text(errors="replace") if log is not None else ""

    while True:
        if proc.poll() is not None:
            raise AssertionError(f"the server exited ({proc.returncode}):\n{tail()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except urllib.error.HTTPError:
            if any_http_answer:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"the server did not answer on {url}:\n{tail()}")
        time.sleep(0.3)


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """Terminate, and kill if it does not stop within 15 s."""
    stop(proc, 15)


def fill_settled(locator: Any, value: str, attempts: int = 3) -> None:
    """Fill a Gradio text field and make sure the value stays: a field in a panel that was just
    opened can be rendered again right after the first fill, which loses it (seen under load)."""
    for _ in range(attempts):
        locator.fill(value)
        locator.page.wait_for_timeout(300)
        if locator.input_value() == value:
            locator.page.wait_for_timeout(500)  # a late re-render under load
            if locator.input_value() == value:
                return
    raise AssertionError(f"the field did not keep {value!r}")


def render_markdown(text: str) -> tuple[set[str], str]:
    """How a Markdown viewer shows ``text`` (markdown-it-py: CommonMark with GFM tables and
    strikethrough): the HTML elements it makes, and the text a reader sees, whitespace collapsed."""
    import html
    import re

    from markdown_it import MarkdownIt

    out = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(text)
    tags = set(re.findall(r"<(\w+)", out))
    shown = html.unescape(re.sub(r"<[^>]+>", " ", out))
    return tags, " ".join(shown.split())


# Real Dutch documents for the document-format tests: pages of debian-faq-nl (conftest's `converted`)
FAQ = Path("/usr/share/doc/debian/FAQ/nl")
FAQ_PAGES = ("basic-defs", "kernel", "pkgtools")
# LibreOffice's PDF export with the document's headings as bookmarks (the PDF outline pypdf reads)
PDF_WITH_BOOKMARKS = 'pdf:writer_pdf_Export:{"ExportBookmarks":{"type":"boolean","value":"true"}}'
