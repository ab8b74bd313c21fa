"""20 concurrent conversations against the running web app through its API (gradio_client).

Each conversation asks a question and a follow-up in its own session; every answer must be
non-empty, cite sources and be about its own conversation. The latency distribution is printed.
"""

from __future__ import annotations

import math
import statistics
import time
from concurrent.futures import ThreadPoolExecutor, as_completed

import pytest


pytestmark = pytest.mark.slow

CONVERSATIONS = 20
CALL_TIMEOUT = 120  # seconds per question
TOTAL_TIMEOUT = 300

QUESTIONS = [
    ("Hoe bouw ik vertrouwen op met ouders en jeugdzorg?", "Wat kan ik daarbij als eerste doen?"),
    ("Wat zijn de vijf dimensies van care?", "En hoe zit het met moed?"),
    ("Hoe ga ik om met weerstand tegen een nieuwe samenwerking?", "Wat is daarbij de eerste stap?"),
    ("Welke vormen van samenwerking tussen scholen en de lerarenopleiding zijn er?", "Welke vorm is het meest duurzaam?"),
    ("Wat is een netwerkkaart en waarom helpt die?", "Wie zet je daarop?"),
    ("Wat zijn de drie bouwstenen van een samenwerkingsvaardige onderwijsorganisatie?", "Wat hoort bij de eerste bouwsteen?"),
    ("Hoe werken leraren samen met de jeugdzorg?", "Waar gaat het dan vaak mis?"),
    ("Wat is gezamenlijke kennisontwikkeling?", "Waarom is dat belangrijk voor scholen?"),
    ("Waarom is regionale samenwerking tussen organisaties een leerproces?", "Wat hebben ze daarvan geleerd?"),
    ("Welke rol speelt macht in samenwerking tussen leraren en partners?", "En taal?"),
]


@pytest.fixture
def app_url(served_app) -> str:
    return served_app[0]


def _conversation(url: str, i: int) -> list[tuple[str, float, dict]]:
    from gradio_client import Client

    client = Client(url, verbose=False, download_files=False)  # one client = one session (its own history)
    out = []
    for question in QUESTIONS[i % len(QUESTIONS)]:
        t0 = time.perf_counter()
        job = client.submit(question, api_name="/ask")
        _, chat, sources_html, answer = job.result(timeout=CALL_TIMEOUT)
        seconds = time.perf_counter() - t0
        assert len(chat) == 2 * (len(out) + 1), "each session keeps only its own conversation"
        assert 'id="bron-' in sources_html
        out.append((question, seconds, answer))
    return out


def _pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    s = sorted(values)
    return s[min(len(s), max(1, math.ceil(p / 100 * len(s)))) - 1]


def test_twenty_concurrent_conversations(app_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    t0 = time.perf_counter()
    results: dict[int, list[tuple[str, float, dict]]] = {}
    with ThreadPoolExecutor(max_workers=CONVERSATIONS) as pool:
        futures = {pool.submit(_conversation, app_url, i): i for i in range(CONVERSATIONS)}
        for fut in as_completed(futures, timeout=TOTAL_TIMEOUT):
            results[futures[fut]] = fut.result()
    wall = time.perf_counter() - t0

    assert len(results) == CONVERSATIONS
    latencies: list[float] = []
    for i, turns in results.items():
        first_q, follow_q = QUESTIONS[i % len(QUESTIONS)]
        assert [q for q, _, _ in turns] == [first_q, follow_q]
        for q, seconds, answer in turns:
            assert "error" not in answer, (q, answer)
            assert answer["answer"].strip() and not answer["abstained"], (q, answer)
            assert answer["citations"] and all(c["quote"] for c in answer["citations"]), (q, answer)
            latencies.append(seconds)
        # the follow-up was rewritten with this conversation's own first question, not another's
        assert first_q.rstrip("?") in turns[1][2]["query"], turns[1][2]["query"]

    first = [t[0][1] for t in results.values()]
    follow = [t[1][1] for t in results.values()]
    with capsys.disabled():
        print(f"\nload: {CONVERSATIONS} concurrent conversations x 2 questions = {len(latencies)} answers "
              f"in {wall:.1f} s wall time ({len(latencies) / wall:.2f} answers/s)")
        for name, vals in (("all", latencies), ("first", first), ("follow-up", follow)):
            print(f"  latency {name:>9}: p50 {statistics.median(vals):.2f} s  p95 {_pct(vals, 95):.2f} s  "
                  f"max {max(vals):.2f} s  min {min(vals):.2f} s")
