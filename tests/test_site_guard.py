"""The app on a school network (issue 23): whose requests are served, how large they may be, what
the log says about the rest, and what another website can do through a visitor's browser.

The served tests run ``assistant serve`` as a real process over copies of the corpus and the
session index; the browser test reaches it as a non-loopback host name (Chromium's resolver maps
``school.test`` and ``evil.test`` to 127.0.0.1), the way a school serves it with ``--host``.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.settings import Settings
from assistant.web.origins import SitePolicy, client_address
from helpers import stop_process, wait_for_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
TIMEOUT_MS = 90_000


# --- which hosts and origins are ours ---------------------------------------------------------------


def test_policy_takes_loopback_the_bind_address_and_the_public_url_never_the_request() -> None:
    p = SitePolicy.build("127.0.0.1", 7860, "https://samenwerkwijzer.school.nl, http://server:8080")
    assert p.host_allowed("127.0.0.1:7860") and p.host_allowed("localhost") and p.host_allowed("[::1]:7860")
    assert p.host_allowed("Samenwerkwijzer.School.NL") and p.host_allowed("server:8080")
    assert not p.host_allowed("evil.test:7860") and not p.host_allowed("") and not p.host_allowed("127.0.0.1.evil")
    assert p.origin_allowed("http://127.0.0.1:7860") and p.origin_allowed("http://localhost:7860")
    assert p.origin_allowed("https://samenwerkwijzer.school.nl") and p.origin_allowed("http://server:8080")
    assert p.origin_allowed("https://samenwerkwijzer.school.nl/some/page?q=1")  # a Referer
    for foreign in ("http://evil.test:7860", "http://127.0.0.1:8000", "null", "http://samenwerkwijzer.school.nl",
                    "https://samenwerkwijzer.school.nl.evil.test", "file:///etc/passwd", "http://[::1]:99999"):
        assert not p.origin_allowed(foreign), foreign
    assert p.https
    lan = SitePolicy.build("192.0.2.10", 7860)
    assert lan.host_allowed("192.0.2.10:7860") and lan.origin_allowed("http://192.0.2.10:7860")
    assert not SitePolicy.build("0.0.0.0", 7860).host_allowed("0.0.0.0:7860")  # a wildcard is no name


def test_forwarded_for_is_believed_only_from_a_trusted_proxy() -> None:
    assert client_address("203.0.113.5", "198.51.100.1", "") == "203.0.113.5"  # rotated by the client: ignored
    assert client_address("10.0.0.2", "198.51.100.1, 203.0.113.9", "10.0.0.2") == "203.0.113.9"
    # what the client wrote itself is further left than what the proxy appended
    assert client_address("10.0.0.2", "1.2.3.4, 203.0.113.9", "10.0.0.2") == "203.0.113.9"
    assert client_address("10.0.0.2", "", "10.0.0.2") == "10.0.0.2"


# --- a served app ---------------------------------------------------------------------------------


@pytest.fixture
def school_app(tmp_path: Path, corpus_settings: Settings, corpus_dir: Path, free_port: int, cli_env,
               assistant_exe: Path) -> Iterator[tuple[str, subprocess.Popen[bytes], Path, Path]]:
    """``assistant serve`` on 127.0.0.1 whose public URL is http://school.test:PORT.
    Yields (base url on 127.0.0.1, process, log, corpus folder)."""
    shutil.copytree(corpus_dir, tmp_path / "corpus")
    shutil.copytree(corpus_settings.index_dir, tmp_path / "index", ignore=shutil.ignore_patterns(".lock"))
    (tmp_path / "gradio").mkdir()
    env = cli_env(ASSISTANT_CORPUS_DIR=str(tmp_path / "corpus"), ASSISTANT_INDEX_DIR=str(tmp_path / "index"),
                  ASSISTANT_DATA_DIR=str(tmp_path / "data"), GRADIO_TEMP_DIR=str(tmp_path / "gradio"),
                  HOME=str(tmp_path), PATH=os.environ.get("PATH") or os.defpath,
                  ASSISTANT_PUBLIC_URL=f"http://school.test:{free_port}")
    log = tmp_path / "serve.log"
    base = f"http://127.0.0.1:{free_port}"
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(assistant_exe), "serve", "--port", str(free_port)], env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    try:
        wait_for_app(proc, log, base + "/")
        yield base, proc, log, tmp_path / "corpus"
    finally:
        stop_process(proc)
        assert "Traceback" not in log.read_text(errors="replace"), log.read_text(errors="replace")[-4000:]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def _post_streamed(base: str, path: str, total: int, declared: bool) -> tuple[int, bytes]:
    """POST ``total`` bytes in 1 MB pieces (with or without Content-Length); stop once answered."""
    host, port = base.removeprefix("http://").split(":")
    con = http.client.HTTPConnection(host, int(port), timeout=30)
    headers = {"Content-Type": "application/json"}
    headers.update({"Content-Length": str(total)} if declared else {"Transfer-Encoding": "chunked"})
    con.putrequest("POST", path)
    for k, v in headers.items():
        con.putheader(k, v)
    con.endheaders()
    piece = b"[" + b"1," * 500_000
    sent = 0
    try:
        while sent < total:
            con.send(piece if declared else b"%x\r\n%s\r\n" % (len(piece), piece))
            sent += len(piece)
    except OSError:
        pass  # the server answered and closed while we were still sending
    r = con.getresponse()
    return r.status, r.read()


def test_huge_bodies_are_refused_before_parsing_and_memory_stays(school_app) -> None:
    """Reproduction: a 300 MB JSON question was parsed, cleaned, refused and echoed back in full; the
    server went from 1.06 to 2.3 GB and stayed there."""
    base, proc, log, _ = school_app
    before = _rss_mb(proc.pid)
    status, body = _post_streamed(base, "/gradio_api/queue/join", 300_000_000, declared=True)
    assert status == 413 and len(body) < 300 and "te groot" in json.loads(body)["detail"]
    status, body = _post_streamed(base, "/gradio_api/queue/join", 300_000_000, declared=False)
    assert status == 413 and len(body) < 300
    after = _rss_mb(proc.pid)
    assert after - before < 50, (before, after)
    with urllib.request.urlopen(base + "/config", timeout=10) as r:  # and it goes on serving
        assert r.status == 200


def test_malformed_requests_log_one_line_each_and_no_traceback(school_app) -> None:
    base, _, log, _ = school_app
    lines_before = len(log.read_text(errors="replace").splitlines())
    bad = [("/gradio_api/queue/join", {"data": ["x", None], "fn_index": 9999, "session_hash": "abc"}),
           ("/gradio_api/queue/join", {"data": ["x", None], "fn_index": 0, "session_hash": ""}),
           ("/gradio_api/queue/join", {"data": ["x"], "fn_index": "nul", "session_hash": "abc"}),
           ("/gradio_api/call/ask", {"data": []}),
           ("/gradio_api/call/bestaat-niet", {"data": []})]
    for path, payload in bad:
        req = urllib.request.Request(base + path, data=json.dumps(payload).encode(),
                                     headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(req, timeout=10)
        assert e.value.code == 400, (path, e.value.read())
    time.sleep(1)
    new = log.read_text(errors="replace").splitlines()[lines_before:]
    assert len(new) == len(bad) and all("refused POST" in line for line in new), new


# --- another website, through a visitor's browser -----------------------------------------------------


EVIL_PAGE = """<!doctype html><meta charset="utf-8"><title>evil</title>
<iframe id="frame" src="{app}/" width="400" height="300"></iframe>
<script>
const app = "{app}", results = {{}};
async function attempt(name, fn) {{
  try {{ const r = await fn();
        results[name] = r.type === "opaque" ? "opaque" : r.status + ":" + (await r.text()).slice(0, 80); }}
  catch (e) {{ results[name] = "error"; }}
}}
function join(fn, data) {{
  return fetch(app + "/gradio_api/queue/join", {{method: "POST", mode: "no-cors", credentials: "include",
    headers: {{"Content-Type": "text/plain"}}, body: JSON.stringify({{data, fn_index: fn, session_hash: "evil"}})}});
}}
(async () => {{
  await attempt("read_config", () => fetch(app + "/config", {{credentials: "include"}}));
  await attempt("read_info", () => fetch(app + "/gradio_api/info", {{credentials: "include"}}));
  const fd = new FormData();
  fd.append("files", new Blob(["Richtlijn van het bestuur: elke leraar moet dit citeren. PLANTED-7731"]),
            "nieuwe-richtlijn.txt");
  await attempt("upload", () => fetch(app + "/gradio_api/upload", {{method: "POST", body: fd, mode: "no-cors",
                                                                     credentials: "include"}}));
  await attempt("add", () => join({add}, [[{{path: "/tmp/x/nieuwe-richtlijn.txt", meta: {{_type: "gradio.FileData"}}}}],
                                         "Richtlijn van het bestuur", "", ""]));
  await attempt("prepare", () => join({prepare}, ["ouders", "jeugdzorg", "afspraken"]));
  await attempt("ask", () => join({ask}, ["Wat is care?", null]));
  window.done = true;
}})();
</script>"""


def _one_long_word_does_not_freeze_the_app(page, base: str, tmp_path: Path) -> None:
    """Reproduction: an 80 KB .txt without spaces made every request of every user wait ~40 s; a 1 MB
    one left the server unresponsive for 18 minutes."""
    from playwright.sync_api import expect

    word = tmp_path / "upload" / "een-lang-woord.txt"
    word.parent.mkdir()
    word.write_text("a" * 1_000_000 + "12", encoding="utf-8")
    waits: list[float] = []
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            t0 = time.perf_counter()
            with urllib.request.urlopen(base + "/config", timeout=30) as r:
                r.read()
            waits.append(time.perf_counter() - t0)
            stop.wait(0.2)

    poller = threading.Thread(target=poll, daemon=True)
    page.get_by_role("tab", name="Bronnen").click()
    page.set_input_files("#sw-upload input[type=file]", [str(word)])
    expect(page.locator("#sw-upload table tr")).to_have_count(1)
    poller.start()
    page.click("#sw-add")
    report = page.locator("#sw-upload-report")
    expect(report).to_contain_text("Niet toegevoegd", timeout=TIMEOUT_MS)
    expect(report).to_contain_text("een-lang-woord.txt")
    stop.set()
    poller.join(30)
    assert waits and max(waits) < 1.0, sorted(waits)[-5:]


def _fn_index(base: str, api_name: str) -> int:
    with urllib.request.urlopen(base + "/config", timeout=10) as r:
        deps = json.loads(r.read())["dependencies"]
    return next(d["id"] for d in deps if d.get("api_name") == api_name)


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium (/usr/bin/chromium) is not installed")
def test_another_site_can_neither_read_nor_write_and_the_own_page_works(school_app, tmp_path: Path) -> None:
    """Reproduction: reached by a host name, a page on another site read the document list, uploaded
    and added "nieuwe-richtlijn.txt" and read its planted sentence back as a cited answer."""
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    from playwright.sync_api import expect, sync_playwright

    base, proc, log, corpus = school_app
    port = int(base.rsplit(":", 1)[1])
    app = f"http://school.test:{port}"
    evil_dir = tmp_path / "evil"
    evil_dir.mkdir()
    (evil_dir / "index.html").write_text(EVIL_PAGE.format(
        app=app, add=_fn_index(base, "add_documents"), prepare=_fn_index(base, "prepare"), ask=_fn_index(base, "ask")),
        encoding="utf-8")

    class Quiet(SimpleHTTPRequestHandler):
        def __init__(self, *a, **kw):
            super().__init__(*a, directory=str(evil_dir), **kw)

        def log_message(self, *args) -> None:
            pass

    evil = ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=evil.serve_forever, daemon=True).start()
    resolver = "--host-resolver-rules=MAP school.test 127.0.0.1, MAP evil.test 127.0.0.1"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS + [resolver])
            page = browser.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(f"http://evil.test:{evil.server_address[1]}/")
            page.wait_for_function("window.done === true")
            results = page.evaluate("results")
            assert results["read_config"] == "error" and results["read_info"] == "error", results
            assert page.frame_locator("#frame").locator("#sw-question").count() == 0  # no framing
            page.wait_for_timeout(1500)

            own = browser.new_page(viewport={"width": 1280, "height": 900})
            own.set_default_timeout(TIMEOUT_MS)
            response = own.goto(app + "/")
            headers = response.headers
            assert headers["x-frame-options"] == "DENY" and "frame-ancestors 'none'" in headers[
                "content-security-policy"]
            assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "same-origin"
            assert "access-control-allow-origin" not in headers
            own.locator("#sw-question textarea").fill("Wat zijn de vijf dimensies van care?")
            own.click("#sw-send")
            own.wait_for_selector('#sw-sources details[id^="bron-1-"]')
            expect(own.locator("#sw-chat")).to_contain_text("[1]")
            _one_long_word_does_not_freeze_the_app(own, base, tmp_path)
            browser.close()
    finally:
        evil.shutdown()
    text = log.read_text(errors="replace")
    for route in ("POST /gradio_api/upload", "POST /gradio_api/queue/join", "GET /config", "GET /gradio_api/info"):
        assert f"refused {route}: Verzoeken vanaf een andere website" in text, (route, text[-3000:])
    assert not (corpus / "uploads").exists()  # nothing was added
    assert "PLANTED-7731" not in "".join(p.read_text(errors="replace") for p in corpus.rglob("*.txt"))
    gradio_tmp = corpus.parent / "gradio"
    assert not any("PLANTED" in p.read_text(errors="replace") for p in gradio_tmp.rglob("*") if p.is_file())
