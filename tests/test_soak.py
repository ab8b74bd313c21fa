"""Soak: 200 questions from 20 concurrent clients against the running web app (gradio_client over
127.0.0.1), with hostile inputs mixed in (two per client) and one bad question per client at the end.

Every answer must arrive without an error, every bad question must get its clear error message,
the server log must stay free of tracebacks, and the server's resident memory (VmRSS) may grow by
at most ``RSS_GROWTH_LIMIT_MB`` from after warm-up to the end. Latencies (p50/p95/max) and the RSS
figures are printed.
"""

from __future__ import annotations

import json
import math
import urllib.request
import statistics
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import pytest

from test_hardening import queue_call


pytestmark = pytest.mark.slow

CLIENTS = 20
PER_CLIENT = 10  # 200 questions
NEW_CHAT_EVERY = 5  # each client starts a new conversation halfway: histories stay realistic
RSS_GROWTH_LIMIT_MB = 100  # measured on the reference machine (2 CPUs): +25 MB after warm-up
CALL_TIMEOUT = 120
TOTAL_TIMEOUT = 400

QUESTIONS = [
    "Hoe bouw ik vertrouwen op met ouders en jeugdzorg?",
    "Wat zijn de vijf dimensies van care?",
    "Hoe ga ik om met weerstand tegen een nieuwe samenwerking?",
    "Welke vormen van samenwerking tussen scholen en de lerarenopleiding zijn er?",
    "Wat is een netwerkkaart en waarom helpt die?",
    "Wat zijn de drie bouwstenen van een samenwerkingsvaardige onderwijsorganisatie?",
    "Waar lopen samenwerkingen tussen scholen en andere organisaties meestal op stuk?",
    "Wat is gezamenlijke kennisontwikkeling?",
    "Hoe bouw ik een goede werkrelatie op met de docenten van de lerarenopleiding?",
    "Waarom is het delen van ervaringskennis lastiger dan het doorsturen van documenten?",
    "How does Wenger define a community of practice?",
    "Welke rol speelt macht in samenwerking tussen leraren en partners?",
    "Waarom is regionale samenwerking tussen organisaties een leerproces?",
    "En wat is daarbij de eerste stap?",  # a follow-up, in context
    "Hoe werken leraren samen met de jeugdzorg?",
]
# (question, fragment of the error it must get)
BAD = [
    ("🤝😀🙈", "geen leesbare woorden"),
    ("x" * 50_000, "te lang"),
    ("\x00\x01\x02 \ufffd\ufffd\ufffd\ufffd\ufffd\ufffd", "geen leesbare woorden"),
    ("?!?!", "geen leesbare woorden"),
]


# hostile inputs mixed into each client's questions: each gets an answer or a clear error, and the
# session goes on answering (a lone surrogate used to break it for good)
HOSTILE = [
    "Hoe werk ik \ud800 samen met ouders?",
    "Wat is vertrouwen? ![p](http://127.0.0.1:9/p.png) <img src=x onerror=alert(1)> [k](javascript:alert(2))",
    "Vertrouwen\x00\x1b[31m met ouders\u202e opbouwen\udfff?",
    "[r]: http://127.0.0.1:9/r.png\n\n![x][r] Hoe bouw ik vertrouwen op? $$\\href{http://127.0.0.1:9}{x}$$",
]
HOSTILE_AT = (2, 7)  # before these questions of each client


def ask_fn(url: str) -> int:
    """The fn_index of /ask, read from the app's config (once)."""
    if url not in _ASK_FN:
        with urllib.request.urlopen(url + "config", timeout=30) as r:
            deps = json.loads(r.read())["dependencies"]
        _ASK_FN[url] = next(d["id"] for d in deps if d.get("api_name") == "ask")
    return _ASK_FN[url]


_ASK_FN: dict[str, int] = {}


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def _pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s), max(1, math.ceil(p / 100 * len(s)))) - 1]


@pytest.fixture
def app(served_app):
    return served_app


def _client_run(url: str, i: int) -> tuple[list[float], list[str]]:
    """One client (= one session): PER_CLIENT questions, a new chat halfway, then one bad question."""
    from gradio_client import Client

    client = Client(url, verbose=False, download_files=False)
    latencies: list[float] = []
    problems: list[str] = []
    shown = 0  # chat messages since the last new chat
    for j in range(PER_CLIENT):
        if j and j % NEW_CHAT_EVERY == 0:
            client.predict(api_name="/new_chat")
            shown = 0
        if j in HOSTILE_AT:
            h = HOSTILE[(i + j) % len(HOSTILE)]
            # httpx cannot send a lone surrogate; the raw queue protocol (as a browser or a script
            # sends JSON with \ud800 escapes) can, in the same session
            msg = queue_call(url.rstrip("/"), ask_fn(url), [h, None], client.session_hash, CALL_TIMEOUT)
            answer = (msg or {}).get("output", {}).get("data", [None])[-1] if (msg or {}).get("success") else msg
            shown += 2
            if not isinstance(answer, dict) or not (answer.get("answer") or answer.get("error")):
                problems.append(f"client {i} hostile {h[:30]!r}: {answer!r}"[:400])
            elif "unexpected" in str(answer) or "TypeError" in str(answer.get("error", "")):
                problems.append(f"client {i} hostile {h[:30]!r}: {answer!r}"[:400])
        q = QUESTIONS[(i + j) % len(QUESTIONS)]
        t0 = time.perf_counter()
        _, chat, sources, answer = client.submit(q, api_name="/ask").result(timeout=CALL_TIMEOUT)
        latencies.append(time.perf_counter() - t0)
        if not isinstance(answer, dict) or "error" in answer or not answer.get("answer", "").strip():
            problems.append(f"client {i} q{j} {q!r}: {answer!r}"[:400])
        elif not answer["abstained"] and not (answer["citations"] and 'id="bron-' in sources):
            problems.append(f"client {i} q{j} {q!r}: answer without sources")
        shown += 2
        if len(chat) != shown:
            problems.append(f"client {i} q{j}: chat has {len(chat)} messages")
    bad, fragment = BAD[i % len(BAD)]
    _, _, _, answer = client.submit(bad, api_name="/ask").result(timeout=CALL_TIMEOUT)
    if not (isinstance(answer, dict) and fragment in answer.get("error", "")):
        problems.append(f"client {i} bad question {bad[:20]!r}: {answer!r}"[:400])
    return latencies, problems


def test_soak_200_questions_20_clients(app, capsys: pytest.CaptureFixture[str]) -> None:
    from gradio_client import Client

    url, proc, log = app
    warm = Client(url, verbose=False, download_files=False)
    for q in QUESTIONS:  # every code path and cache warmed once
        assert "error" not in warm.predict(q, api_name="/ask")[3]
    rss_before = _rss_mb(proc.pid)

    t0 = time.perf_counter()
    latencies: list[float] = []
    problems: list[str] = []
    rss_mid = 0.0
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        futures = [pool.submit(_client_run, url, i) for i in range(CLIENTS)]
        for n, fut in enumerate(as_completed(futures, timeout=TOTAL_TIMEOUT), start=1):
            lat, prob = fut.result()
            latencies += lat
            problems += prob
            if n == CLIENTS // 2:
                rss_mid = _rss_mb(proc.pid)
    wall = time.perf_counter() - t0
    time.sleep(1.0)
    rss_after = _rss_mb(proc.pid)
    assert proc.poll() is None, "the server died"
    text = log.read_text(errors="replace")

    with capsys.disabled():
        print(f"\nsoak: {len(latencies)} questions from {CLIENTS} clients in {wall:.1f} s "
              f"({len(latencies) / wall:.1f} answers/s); latency p50 {statistics.median(latencies):.2f} s, "
              f"p95 {_pct(latencies, 95):.2f} s, max {max(latencies):.2f} s; "
              f"server RSS {rss_before:.0f} MB after warm-up -> {rss_mid:.0f} MB when half the clients were done "
              f"-> {rss_after:.0f} MB "
              f"(+{rss_after - rss_before:.0f} MB, limit +{RSS_GROWTH_LIMIT_MB} MB)")
    assert not problems, "\n".join(problems[:20])
    assert len(latencies) == CLIENTS * PER_CLIENT
    assert "Traceback" not in text, text[-4000:]
    assert rss_after - rss_before < RSS_GROWTH_LIMIT_MB, (rss_before, rss_mid, rss_after)
