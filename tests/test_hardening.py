"""Hardening of the web app (issue 16): input cleaning at the boundary, escaping for every place
that renders, a bounded conversation, login limits, temp files.

The app runs in-process (``create_app`` served by ``LocalServer`` in a thread) over copies of the
corpus and of the session index, and is driven over HTTP with Gradio's own queue protocol, as a
browser or an attacker would.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.safe_text import clean_input, escape_html, escape_markdown, escape_markdown_file
from assistant.service import AssistantService
from assistant.settings import Settings
from helpers import fill_settled, render_markdown

# Hostile strings: each names an address a browser must never request, in a form Markdown, GFM,
# HTML or LaTeX could turn into a request or a link. "{h}" is filled with a watched address.
HOSTILE = {
    "image": "![p](http://{h}/image.png)",
    "link": "[klik hier](http://{h}/link)",
    "autolink": "<http://{h}/autolink>",
    "bare": "http://{h}/bare.png en www.{h}.example.org",
    "email": "post@{h}.example.org",
    "reference": "![ref][r]\n\n[r]: http://{h}/reference.png",
    "entity": "&lt;img src=http://{h}/entity.png&gt; &#60;img src=http://{h}/entity2.png&#62;",
    "raw_img": '<img src="http://{h}/raw.png">',
    "raw_css": '<div style="background:url(http://{h}/css.png)">x</div>',
    "raw_link": '<link rel="stylesheet" href="http://{h}/style.css">',
    "iframe": '<iframe src="http://{h}/frame"></iframe>',
    "javascript": "[x](javascript:fetch('http://{h}/js'))",
    "latex": "$$\\href{{http://{h}/katex}}{{x}}\\includegraphics{{http://{h}/katex.png}}$$",
}


def hostile_strings(host: str) -> dict[str, str]:
    return {k: v.format(h=host) for k, v in HOSTILE.items()}


# --- the pure functions --------------------------------------------------------------------------


def test_clean_input_makes_any_text_safe_to_store_and_send() -> None:
    assert clean_input("Hoe werk ik \ud800 samen?") == "Hoe werk ik \ufffd samen?"
    assert clean_input("a\x00b\x1bc\x7fd\x85e") == "abcde"
    assert clean_input("ouders\u202eredou\u2066x\u2069") == "oudersredoux"  # no direction overrides
    assert clean_input("regel 1\r\nregel 2\rregel 3\tx") == "regel 1\nregel 2\nregel 3\tx"
    assert clean_input("regel 1\nregel 2\tx", multiline=False) == "regel 1 regel 2 x"
    assert clean_input("cafe\u0301") == "café" and len(clean_input("cafe\u0301")) == 4  # NFC
    assert clean_input(None) == "" and clean_input(12) == "12" and clean_input(["a"]) == "['a']"
    json.dumps(clean_input("\udfff\ud800x"), ensure_ascii=False).encode("utf-8")  # encodable


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_escaping_leaves_no_markup(name: str) -> None:
    s = HOSTILE[name].format(h="127.0.0.1:9")
    md = escape_markdown(s)
    for ch in "<>[]()!:":
        # every such character is either escaped by a backslash or gone into an entity
        assert all(md[i - 1] == "\\" for i, c in enumerate(md) if c == ch), (ch, md)
    assert "http:" not in md and "www." not in md
    h = escape_html(s)
    assert "<" not in h and ">" not in h and '"' not in h and "{" not in h and "$" not in h


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_markdown_file_shows_hostile_text_literally(name: str) -> None:
    """A prep sheet saved as .md: a viewer shows the hostile string as the same text, in a paragraph,
    with no link, image, HTML or autolink (GFM's bare ones are broken by a backslash)."""
    s = HOSTILE[name].format(h="127.0.0.1:9")
    md = escape_markdown_file(s)
    tags, shown = render_markdown(md)
    assert tags == {"p"}, (tags, md)
    assert shown == " ".join(s.split()), md
    assert "http:" not in md and "www." not in md and "](" not in md and not re.search(r"\w@\w", md)


def test_markdown_file_escapes_only_what_could_become_markup() -> None:
    prose = "Eerste overleg met een mbo-instelling (regio Noord): 3 partners, 10:30 uur. Zie p. 4 - samen!"
    assert escape_markdown_file(prose) == prose  # no "\-", "\.", "\(" or "\:" in ordinary text
    lines = "- geen lijst\n2024. geen lijst\n> geen citaat\n# geen kop\n===\n| a | b |\n|---|---|\n*x* `y` ~~z~~"
    tags, shown = render_markdown(escape_markdown_file(lines))
    assert tags == {"p"} and shown == " ".join(lines.split())
    assert escape_markdown_file("a | b") == "a | b"  # one line cannot be a table


def test_escape_markdown_is_one_pass() -> None:
    assert escape_markdown("a < b & c") == "a &lt; b &amp; c"  # the entity's ; and & are not escaped again
    assert escape_markdown("[1] *x* `y`") == "\\[1\\] \\*x\\* \\`y\\`"
    assert escape_markdown("\\") == "\\\\"


# --- the running app -----------------------------------------------------------------------------


@pytest.fixture
def app_settings(tmp_path: Path, corpus_settings: Settings, corpus_dir: Path) -> Settings:
    shutil.copytree(corpus_dir, tmp_path / "corpus")
    shutil.copytree(corpus_settings.index_dir, tmp_path / "index", ignore=shutil.ignore_patterns(".lock"))
    return Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index", data_dir=tmp_path / "data")


class Served:
    """The whole application (``create_app``) served from a thread; ``demo`` is its Gradio app."""

    def __init__(self, webapp, settings: Settings, service: AssistantService, port: int):
        self.app = webapp.create_app(settings, service, port=port)
        self.demo = self.app.state.demo
        self.server = webapp.LocalServer(self.app, port=port).start()

    def get_config_file(self) -> dict[str, Any]:
        return self.demo.get_config_file()

    def close(self) -> None:
        self.server.close()


def launch(webapp, settings: Settings, embeddings, port: int) -> Served:
    from assistant.answer.chain import AnswerEngine

    service = AssistantService(settings, AnswerEngine(settings, embeddings=embeddings))
    return Served(webapp, settings, service, port)


@pytest.fixture
def live(webapp, app_settings: Settings, embeddings, free_port: int) -> Iterator[tuple[str, Any]]:
    demo = launch(webapp, app_settings, embeddings, free_port)
    try:
        yield f"http://127.0.0.1:{free_port}", demo
    finally:
        demo.close()


def fn_index(demo: Any, api_name: str) -> int:
    return next(d["id"] for d in demo.get_config_file()["dependencies"] if d.get("api_name") == api_name)


def queue_call(base: str, fn: int, data: list[Any], session: str, timeout: float = 120) -> dict[str, Any] | None:
    """One event through Gradio's queue (POST join, then the session's event stream), the way the
    browser sends it. Returns the ``process_completed`` message, or None when the stream ended
    without one."""
    body = json.dumps({"data": data, "fn_index": fn, "session_hash": session, "event_data": None}).encode()
    req = urllib.request.Request(f"{base}/gradio_api/queue/join", data=body,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        event_id = json.loads(r.read())["event_id"]
    with urllib.request.urlopen(f"{base}/gradio_api/queue/data?session_hash={session}", timeout=timeout) as r:
        for raw in r:
            line = raw.decode("utf-8", "replace").strip()
            if not line.startswith("data:"):
                continue
            msg = json.loads(line[5:])
            if msg.get("event_id") not in (None, event_id):
                continue
            if msg.get("msg") == "process_completed":
                return msg
            if msg.get("msg") == "close_stream":
                return None
    return None


def answered(msg: dict[str, Any] | None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(chat messages, answer JSON) of a completed /ask call that produced an answer."""
    assert msg is not None, "the stream ended without an answer or an error"
    assert msg.get("success"), msg
    data = msg["output"]["data"]
    chat, result = data[1], data[-1]
    assert isinstance(result, dict) and "error" not in result and result.get("answer"), result
    return chat, result


def test_lone_surrogate_in_a_question_leaves_the_session_usable(live, caplog: pytest.LogCaptureFixture) -> None:
    """Reproduction: the raw question went into the chat before any check, the reply could not be
    encoded (``str is not valid UTF-8: surrogates not allowed``) and the session stayed broken."""
    base, demo = live
    ask, new_chat = fn_index(demo, "ask"), fn_index(demo, "new_chat")
    with caplog.at_level(logging.ERROR):
        chat, result = answered(queue_call(base, ask, ["Hoe werk ik \ud800 samen met ouders?", None], "s1"))
        assert len(chat) == 2 and "\ufffd" in json.dumps(chat[0], ensure_ascii=False) and result["citations"]
        chat, _ = answered(queue_call(base, ask, ["En wat kan ik daarbij als eerste doen?", None], "s1"))
        assert len(chat) == 4  # the same conversation goes on
        assert queue_call(base, new_chat, [], "s1")["success"]
        chat, _ = answered(queue_call(base, ask, ["Wat zijn de vijf dimensies van care?", None], "s1"))
        assert len(chat) == 2
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


# --- every place that renders, in the real browser, watching the network ------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
TIMEOUT_MS = 90_000
FILE_NAME = "![naam](naamplaatje.png) [k](naamlink).md"  # a name the browser must not fetch either


@pytest.fixture
def watcher() -> Iterator[tuple[str, list[str]]]:
    """A real HTTP server on 127.0.0.1 that records every request it gets: the address the
    hostile strings name. Yields ("127.0.0.1:port", requested paths)."""
    import http.server
    import threading

    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server API
            hits.append(self.path)
            self.send_response(204)
            self.end_headers()

        do_POST = do_GET  # noqa: N815

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()


_DEEDS = ["elke maandag de weekplanning doorlopen en afspraken vastleggen in het schriftje",
          "na iedere toets de uitslag bespreken en een oefenplan maken voor thuis",
          "bij ruzie op het plein binnen een dag bellen en samen een oplossing zoeken",
          "voor de zomervakantie de overstap naar de volgende groep voorbereiden met de nieuwe juf",
          "tijdens het tienminutengesprek het kind zelf laten vertellen wat goed ging",
          "bij zorgen over lezen de bibliotheek en de logopedist uitnodigen voor een gesprek",
          "na een verhuizing het welbevinden volgen met een korte vragenlijst",
          "bij een nieuwe leerling een kennismakingsbezoek thuis afspreken",
          "voor de schoolreis de taken van begeleidende vaders en moeders verdelen",
          "rond de verjaardag van het kind een traktatie zonder suiker bedenken",
          "bij pesten de mentor, de intern begeleider en de vertrouwenspersoon inschakelen",
          "aan het eind van het jaar terugkijken op de gemaakte afspraken en ze bijstellen",
          "bij huiswerkproblemen een vaste plek en tijd thuis afspreken"]


def _zeekoet_document(strings: dict[str, str]) -> str:
    lines = ["# Het zeekoetkenmerk", ""]
    for name, s in strings.items():
        # distinct sentences with enough words that each reads as content, not as a bare link or a repeat
        lines.append(f"Het zeekoetkenmerk ({name}) vraagt dat leraren en ouders samen {_DEEDS[len(lines) % len(_DEEDS)]}: "
                     f"{s} bij samenwerken met ouders.")
        lines.append("")
    return "\n".join(lines)


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium (/usr/bin/chromium) is not installed")
def test_hostile_strings_render_as_text_and_nothing_is_requested(served_app, watcher, tmp_path: Path) -> None:
    """Reproduction: a Markdown image in an uploaded document was rendered in the chat (and a goal
    in the prep sheet), and every reader's browser requested its address."""
    from playwright.sync_api import expect, sync_playwright

    url, _, _ = served_app
    host, hits = watcher
    strings = hostile_strings(host)
    doc = tmp_path / "upload" / FILE_NAME
    doc.parent.mkdir()
    doc.write_text(_zeekoet_document(strings), encoding="utf-8")
    requested: list[str] = []
    dialogs: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        page.set_default_timeout(TIMEOUT_MS)
        page.on("request", lambda r: requested.append(r.url))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        try:
            page.goto(url)
            # 1. the upload: file name, title and organisation are hostile too
            page.get_by_role("tab", name="Bronnen").click()
            page.set_input_files("#sw-upload input[type=file]", [str(doc)])
            expect(page.locator("#sw-upload table tr")).to_have_count(1)
            page.get_by_text("Gegevens voor de bronvermelding").click()
            fill_settled(page.locator("#sw-doc-title textarea, #sw-doc-title input").first,
                         f"Zeekoet {strings['image']} {strings['raw_img']}")
            fill_settled(page.locator("#sw-doc-author textarea, #sw-doc-author input").first,
                         f"{strings['link']} {strings['autolink']}")
            page.click("#sw-add")
            report = page.locator("#sw-upload-report")
            expect(report).to_contain_text("Toegevoegd", timeout=TIMEOUT_MS)
            expect(report).to_contain_text("naamplaatje")
            expect(page.locator("#sw-docs")).to_contain_text(f"Zeekoet {strings['image']}")

            # 2. the chat: an answer quoting the document, then a question made of the hostile strings
            page.get_by_role("tab", name="Vraag & antwoord").click()
            question = page.locator("#sw-question textarea")
            question.fill("Wat is het zeekoetkenmerk bij samenwerken met ouders?")
            page.click("#sw-send")
            page.wait_for_selector('#sw-sources details[id^="bron-1-"]', timeout=TIMEOUT_MS)
            answer = page.locator('#sw-chat [data-testid="bot"]').last.inner_text()
            quoted = [name for name, s in strings.items() if s in answer]
            assert len(quoted) >= 3, answer  # the document's sentences are quoted, as text
            question.fill("Wat is het zeekoetkenmerk? " + " ".join(strings.values()))
            page.click("#sw-send")
            page.wait_for_selector('#sw-sources details[id^="bron-2-"], #beurt-2 .sw-none', timeout=TIMEOUT_MS)
            asked = page.locator('#sw-chat [data-testid="user"]').last.inner_text()
            for name in ("image", "link", "raw_img", "javascript"):
                assert strings[name] in asked, (name, asked)
            for summary in page.locator("#sw-sources details summary").all():
                summary.click()  # open every passage: its text and title are shown
            sources = page.locator("#sw-sources").inner_text()
            assert strings["image"] in sources and "Zeekoet ![p]" in sources

            # 3. the prep sheet (shown and downloaded)
            page.get_by_role("tab", name="Overleg voorbereiden").click()
            page.fill("#sw-prep-topic textarea", f"het zeekoetkenmerk {strings['image']}")
            page.fill("#sw-prep-partners textarea", f"ouders, {strings['link']}")
            page.fill("#sw-prep-goal textarea", " ".join(strings.values()))
            page.click("#sw-prep-button")
            download = page.locator("#sw-prep-download")
            download.wait_for(state="visible")
            expect(page.locator("#sw-prep")).to_contain_text(f"het zeekoetkenmerk {strings['image']}")
            expect(page.locator("#sw-prep")).to_contain_text(strings["raw_img"])
            with page.expect_download() as dl:
                download.click()
            saved = tmp_path / "prep.md"
            dl.value.save_as(saved)
            assert "](http" not in saved.read_text(encoding="utf-8")  # no Markdown link in the export
            page.wait_for_timeout(1500)  # time for any lazy image or stylesheet to be fetched

            elements = page.evaluate("""(host) => ({
                img: [...document.querySelectorAll('img')].filter(e => (e.src || '').includes(host)).length,
                a: [...document.querySelectorAll('a[href]')].filter(e => /naamlink|javascript:|www\\.|@|http:\\/\\/127/
                    .test(e.getAttribute('href')) && !e.getAttribute('href').startsWith(location.origin)).length,
                iframe: document.querySelectorAll('iframe, link[href*="' + host + '"]').length,
                katex: document.querySelectorAll('.katex').length,
            })""", host)
            assert elements == {"img": 0, "a": 0, "iframe": 0, "katex": 0}, elements
        finally:
            browser.close()
    assert hits == [], f"the browser requested addresses named in documents or inputs: {hits}"
    named = [u for u in requested if host in u or "naamplaatje" in u or "naamlink" in u]
    assert named == [], named
    assert dialogs == []


# --- login limits --------------------------------------------------------------------------------


def test_attempt_limiter_counts_failures_in_a_window() -> None:
    from assistant.login_limit import AttemptLimiter

    now = [100.0]
    lim = AttemptLimiter(3, 60, clock=lambda: now[0])
    for _ in range(3):
        assert lim.wait("a") == 0
        lim.failed("a")
    assert lim.wait("a") == pytest.approx(60) and lim.wait("b") == 0
    now[0] += 30
    assert lim.wait("a") == pytest.approx(30)
    now[0] += 30.1
    assert lim.wait("a") == 0  # the window has passed
    lim.failed("a")
    lim.succeeded("a")
    assert lim.wait("a") == 0 and not lim._failures


def _login(base: str, user: str, password: str, source: str = "127.0.0.1", path: str = "/login",
           headers: dict[str, str] | None = None) -> tuple[int, str, str]:
    import http.client
    import urllib.parse

    host, port = base.removeprefix("http://").split(":")
    con = http.client.HTTPConnection(host, int(port), timeout=10, source_address=(source, 0))
    try:
        con.request("POST", path, urllib.parse.urlencode({"username": user, "password": password}),
                    {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})})
        r = con.getresponse()
        return r.status, r.read().decode("utf-8", "replace"), r.getheader("Retry-After") or ""
    finally:
        con.close()


def test_login_limiter_delays_per_address_and_user_progressively() -> None:
    from assistant.login_limit import LoginLimiter

    now = [0.0]
    lim = LoginLimiter(3, 300, address_factor=2, clock=lambda: now[0])
    for _ in range(3):
        assert lim.wait("10.0.0.9", "leraar") == 0
        lim.failed("10.0.0.9", "leraar")
    first = lim.wait("10.0.0.9", "leraar")
    assert first == pytest.approx(LoginLimiter.BASE_DELAY)
    assert lim.wait("10.0.0.5", "leraar") == 0  # the right user elsewhere is not locked out
    now[0] += first
    lim.failed("10.0.0.9", "leraar")
    assert lim.wait("10.0.0.9", "leraar") == pytest.approx(2 * LoginLimiter.BASE_DELAY)  # doubles
    lim.failed("10.0.0.9", "ander")  # the address's cap over all names: 3 x 2 failures
    lim.failed("10.0.0.9", "derde")
    assert lim.wait("10.0.0.9", "nog-een") > 0 and lim.wait("10.0.0.5", "nog-een") == 0
    lim.succeeded("10.0.0.5", "leraar")
    now[0] += 301  # the window passes
    assert lim.wait("10.0.0.9", "leraar") == 0


def test_login_attempts_are_limited_per_client_and_user(webapp, app_settings: Settings, embeddings,
                                                        free_port: int) -> None:
    """Reproduction: the per-address limit was bypassed through /login/ and rotated X-Forwarded-For,
    and five wrong passwords locked the one shared account for everyone."""
    settings = app_settings.model_copy(update={"auth_user": "leraar", "auth_password": "geheim",
                                               "login_max_failures": 3, "login_window_s": 3.0})
    demo = launch(webapp, settings, embeddings, free_port)
    base = f"http://127.0.0.1:{free_port}"
    try:
        with urllib.request.urlopen(base + "/", timeout=10) as r:  # the login page states the rule
            assert "Na 3 mislukte pogingen kun je 1 minuten niet inloggen" in r.read().decode()
        paths = ["/login", "/login/", "/login"]  # the slash is the same door
        tries = [_login(base, "leraar", f"fout{i}", path=p, headers={"X-Forwarded-For": f"203.0.113.{i}"})
                 for i, p in enumerate(paths)]
        assert [t[0] for t in tries] == [400, 400, 400], tries
        status, body, retry = _login(base, "leraar", "nog-fout", path="/login/",
                                     headers={"X-Forwarded-For": "198.51.100.7"})
        assert status == 429 and "Te veel mislukte inlogpogingen" in body and int(retry) >= 1, (status, body)
        assert _login(base, "leraar", "geheim")[0] == 429  # this client waits, even with the password
        # the right user at another address logs in while the attacker is held back
        assert _login(base, "leraar", "geheim", source="127.0.0.2")[0] == 200
        assert _login(base, "ander", "fout", source="127.0.0.2")[0] == 400
        import time

        time.sleep(3.2)  # the delay passes: the right login works again here too
        assert _login(base, "leraar", "geheim")[0] == 200
    finally:
        demo.close()


# --- a bounded conversation ------------------------------------------------------------------------


def test_a_long_conversation_keeps_a_bounded_window(webapp, app_settings: Settings, embeddings,
                                                    free_port: int) -> None:
    """Reproduction: a 60-turn chat reached 421 KB per response (about 7 KB more per turn)."""
    settings = app_settings.model_copy(update={"max_turns": 2})
    demo = launch(webapp, settings, embeddings, free_port)
    base = f"http://127.0.0.1:{free_port}"
    ask = fn_index(demo, "ask")
    questions = ["Wat zijn de vijf dimensies van care?", "En hoe zit het met moed?",
                 "Wat is een netwerkkaart?", "Hoe ga ik om met weerstand?"]
    sizes = []
    try:
        for q in questions:
            msg = queue_call(base, ask, [q, None], "lang")
            chat, _ = answered(msg)
            sizes.append(len(json.dumps(msg)))
        texts = [json.dumps(m, ensure_ascii=False) for m in chat]
        assert len(chat) == 5 and "laatste 2 vragen" in texts[0], texts  # the notice, then two turns
        assert "netwerkkaart" in texts[1] and "weerstand" in texts[3]
        sources = msg["output"]["data"][2]
        assert 'id="beurt-4"' in sources and 'id="beurt-3"' in sources and 'id="beurt-2"' not in sources
        assert '#bron-4-' in texts[4] and 'id="bron-4-' in sources  # the citation links still match
        assert sizes[3] < 1.5 * sizes[1], sizes  # no longer growing with every turn
    finally:
        demo.close()


# --- uploads: the character limit and the queue -----------------------------------------------------


def test_upload_over_the_character_limit_is_refused_before_indexing(app_settings: Settings, embeddings,
                                                                  tmp_path: Path) -> None:
    from assistant.answer.chain import AnswerEngine
    from assistant.service import render_upload_report

    settings = app_settings.model_copy(update={"max_upload_chars": 1000})
    service = AssistantService(settings, AnswerEngine(settings, embeddings=embeddings))
    gen = (settings.index_dir / "CURRENT").read_text()
    big = tmp_path / "lang verslag.txt"
    big.write_text("Samenwerken met de bibliotheek in de wijk. " * 40, encoding="utf-8")  # 1720 characters
    report = service.add_files([(big.name, big)])
    assert report.added == [] and report.rejected[0][0] == "lang verslag.txt"
    reason = report.rejected[0][1]
    assert "1.720 tekens" in reason and "maximaal 1.000 tekens per upload" in reason  # raw text, refused uncleaned
    assert "lang verslag.txt" in render_upload_report(report).replace("\\", "")
    assert (settings.index_dir / "CURRENT").read_text() == gen and not (settings.corpus_dir / "uploads").exists()
    # the limit holds for the upload as a whole: the second file that crosses it is refused
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("De buurtsportcoach komt elke woensdag naar school voor een sportmiddag. " * 8, encoding="utf-8")
    b.write_text("De muziekschool geeft elke vrijdag les aan groep zes in de aula van de school. " * 8,
                 encoding="utf-8")
    report = service.add_files([(a.name, a), (b.name, b)])
    assert report.added == ["uploads/a.txt"] and [n for n, _ in report.rejected] == ["b.txt"]


def test_upload_queue_takes_clients_in_turn_and_caps_each() -> None:
    """Reproduction: one client queued four of the largest uploads and another user's one-line file
    waited 355 s behind them."""
    import threading

    from assistant.uploads import QueueFull, QueueLimits, UploadQueue

    queue = UploadQueue(limits=QueueLimits(per_session=3, per_address=6, pending_bytes=100))
    gate = threading.Event()
    order: list[str] = []

    def job(name: str, wait: bool = False):
        def work(progress):
            if wait:
                gate.wait(10)
            order.append(name)
        return work

    big = [queue.submit(job("groot-1", wait=True), client="a", address="10.0.0.1", size=20)]
    for _ in range(100):  # the first has started
        if not queue.position(big[0]):
            break
        threading.Event().wait(0.02)
    big += [queue.submit(job(f"groot-{i}"), client="a", address="10.0.0.1", size=20) for i in (2, 3, 4)]
    with pytest.raises(QueueFull) as e:  # a fourth waiting from the same session is one too many
        queue.submit(job("groot-5"), client="a", address="10.0.0.1", size=1)
    assert e.value.kind == "session"
    small = queue.submit(job("klein"), client="b", address="10.0.0.2", size=1)
    assert queue.position(small) == 2  # right after the large upload that is waiting first
    with pytest.raises(QueueFull) as e:  # the queue's bytes are nearly used up
        queue.submit(job("te-veel"), client="c", address="10.0.0.3", size=50)
    assert e.value.kind == "total"
    queue.submit(job("c-1"), client="c", address="10.0.0.9", size=1)
    queue.submit(job("d-1"), client="d", address="10.0.0.9", size=1)
    with pytest.raises(QueueFull) as e:  # six waiting from one address is its cap
        [queue.submit(job(f"e-{i}"), client=f"e{i}", address="10.0.0.9", size=0) for i in range(5)]
    assert e.value.kind == "address"
    gate.set()
    assert small.done.wait(10) and big[-1].done.wait(10)
    assert order[:3] == ["groot-1", "groot-2", "klein"], order


def test_upload_queue_runs_one_at_a_time_in_order_and_reports_progress() -> None:
    import threading

    from assistant.uploads import QueueLimits, UploadQueue

    queue = UploadQueue(limits=QueueLimits(per_session=5))
    gate = threading.Event()
    order: list[str] = []

    def slow(progress):
        progress(0, 10, "passages")
        gate.wait(10)
        progress(10, 10, "passages")
        order.append("slow")
        return "klaar"

    def failing(progress):
        order.append("failing")
        raise ValueError("kapot")

    first = queue.submit(slow)
    second = queue.submit(failing)
    third = queue.submit(lambda progress: order.append("third") or 3)
    for _ in range(100):
        if first.total:
            break
        threading.Event().wait(0.02)
    assert (queue.position(first), queue.position(second), queue.position(third)) == (0, 1, 2)
    assert (first.completed, first.total, first.stage) == (0, 10, "passages")
    gate.set()
    assert third.done.wait(10) and first.done.is_set() and second.done.is_set()
    assert order == ["slow", "failing", "third"]
    assert first.result == "klaar" and isinstance(second.error, ValueError) and third.result == 3
    assert queue.position(third) == 0


# --- temp files ----------------------------------------------------------------------------------


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if not p.is_dir())


@pytest.mark.slow
def test_no_temp_file_of_the_app_remains(tmp_path: Path, corpus_settings: Settings, corpus_dir: Path,
                                         free_port: int, cli_env, assistant_exe: Path, make_pdf) -> None:
    """Reproduction: every upload (refused ones too) stayed in Gradio's temp folder, and every prep
    export left a samenwerkwijzer-* folder behind."""
    import subprocess
    import time

    from gradio_client import Client, handle_file

    from helpers import stop_process, wait_for_app

    shutil.copytree(corpus_dir, tmp_path / "corpus")
    shutil.copytree(corpus_settings.index_dir, tmp_path / "index", ignore=shutil.ignore_patterns(".lock"))
    gradio_tmp, system_tmp = tmp_path / "gradio", tmp_path / "tmp"
    gradio_tmp.mkdir()
    system_tmp.mkdir()
    env = cli_env(ASSISTANT_CORPUS_DIR=str(tmp_path / "corpus"), ASSISTANT_INDEX_DIR=str(tmp_path / "index"),
                  ASSISTANT_DATA_DIR=str(tmp_path / "data"), GRADIO_TEMP_DIR=str(gradio_tmp), TMPDIR=str(system_tmp),
                  ASSISTANT_TEMP_MAX_AGE_S="3", HOME=str(tmp_path), PATH=os.environ.get("PATH") or os.defpath)
    log = tmp_path / "serve.log"
    url = f"http://127.0.0.1:{free_port}/"
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(assistant_exe), "serve", "--host", "127.0.0.1", "--port", str(free_port)],
                                env=env, stdout=out, stderr=subprocess.STDOUT)
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    good = make_pdf(incoming / "leesbrug.pdf", ["Leesbrug: elke donderdagmiddag leest de bibliotheek voor in groep 5."])
    (incoming / "programma.exe").write_bytes(b"MZ\x90\x00")
    (incoming / "kapot.pdf").write_bytes(b"%PDF-1.4\nnot really a pdf\n")
    try:
        wait_for_app(proc, log, url)
        client = Client(url, verbose=False, download_files=False)
        report = client.predict([handle_file(str(good))], "", "", "", api_name="/add_documents")[0]
        assert "uploads/leesbrug.pdf" in report.replace("\\", ""), report
        refused = [handle_file(str(incoming / "programma.exe")), handle_file(str(incoming / "kapot.pdf"))]
        report = client.predict(refused, "", "", "", api_name="/add_documents")[0]
        assert "Niet toegevoegd" in report
        assert _files(gradio_tmp) == [], _files(gradio_tmp)  # the received files went at once
        assert _files(system_tmp) == [], _files(system_tmp)
        shown, download = client.predict("samenwerking met ouders", "ouders, school", "", api_name="/prepare")[:2]
        assert "Voorbereiding overleg" in shown
        path = download["value"]["path"] if "value" in download else download["path"]
        with urllib.request.urlopen(f"{url}gradio_api/file={path}", timeout=30) as r:
            assert r.read().startswith(b"# Voorbereiding overleg")
        time.sleep(8)  # beyond temp_max_age_s and one clean-up round
        left = _files(gradio_tmp) + _files(system_tmp)
        assert left == [], left
    finally:
        stop_process(proc)
    assert "Traceback" not in log.read_text(errors="replace"), log.read_text(errors="replace")[-3000:]
    assert _files(gradio_tmp) + _files(system_tmp) == []


def test_upload_progress_reaches_the_panel_when_the_build_reports_it(app_settings: Settings, embeddings,
                                                                    tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The index build's ``progress(done, total, stage)`` (issue 13) is handed through add_files to the
    upload's ticket, and the panel text shows it; a build without the argument still works."""
    import assistant.service as service_module
    from assistant.answer.chain import AnswerEngine
    from assistant.uploads import Ticket, UploadQueue, status_text

    real = service_module.build_index
    seen: list[tuple[int, int, str]] = []

    def reporting_build(settings, rebuild=False, show_progress=True, progress=None):
        if progress is not None:
            progress(0, 3, "passages")
            progress(3, 3, "passages")
        return real(settings, rebuild=rebuild, show_progress=show_progress)

    monkeypatch.setattr(service_module, "build_index", reporting_build)
    service = AssistantService(app_settings, AnswerEngine(app_settings, embeddings=embeddings))
    doc = tmp_path / "sport.txt"
    doc.write_text("De buurtsportcoach komt elke woensdag naar school voor een sportmiddag.\n", encoding="utf-8")
    ticket = Ticket(1)
    report = service.add_files([(doc.name, doc)], progress=lambda *a: (seen.append(a), ticket.report(*a)))
    assert report.added == ["uploads/sport.txt"] and seen == [(0, 3, "passages"), (3, 3, "passages")]
    assert status_text(UploadQueue(), ticket) == "Bezig met indexeren: 3 van 3 passages verwerkt…"
    assert status_text(UploadQueue(), Ticket(2)) == "Bezig met indexeren…"
