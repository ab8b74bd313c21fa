"""The API against a real ``assistant api`` process on 127.0.0.1, with real clients: the official
``openai`` SDK (streamed and not), LangChain's ``ChatOpenAI``, ``curl -N``; answers and citations
compared with ``assistant ask --jsonl`` for the same messages; the bad-input table, after which the
server still answers; 20 concurrent clients."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from assistant.prompts import ERRORS

pytestmark = pytest.mark.slow

KEY = "sw-test-key-for-the-live-api"
Q = "Hoe bouw ik vertrouwen op met ouders?"
FOLLOW_UP = [{"role": "user", "content": "Wat is een netwerkkaart?"},
             {"role": "assistant", "content": "Een netwerkkaart geeft overzicht van de stakeholders. [1]"}]
CASES = [  # (history, question)
    ([], Q),
    (FOLLOW_UP, "Hoe maak ik die samen met partners?"),
    ([], "Hoe bouw ik vertrouwen \ud800 op met ouders?"),  # a lone surrogate: replaced, then answered
]


@pytest.fixture(scope="module")
def api_env(tmp_path_factory: pytest.TempPathFactory, corpus_settings, corpus_dir: Path, cli_env) -> dict[str, str]:
    root = tmp_path_factory.mktemp("api")
    shutil.copytree(corpus_settings.index_dir, root / "index", ignore=shutil.ignore_patterns(".lock"))
    return cli_env(ASSISTANT_CORPUS_DIR=str(corpus_dir), ASSISTANT_INDEX_DIR=str(root / "index"),
                   ASSISTANT_DATA_DIR=str(root / "data"), HOME=str(root), PATH=os.environ.get("PATH") or os.defpath)


@pytest.fixture(scope="module")
def api(api_env: dict[str, str], assistant_exe: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``assistant api`` with one key; yields its base URL (``.../v1``). Its log must hold no traceback."""
    from helpers import free_local_port, stop_process, wait_for_app

    port = free_local_port()
    log = tmp_path_factory.mktemp("api-log") / "api.log"
    env = dict(api_env, ASSISTANT_API_KEYS=KEY, ASSISTANT_API_RATE_PER_MINUTE="100000")
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(assistant_exe), "api", "--port", str(port)], env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    try:
        wait_for_app(proc, log, f"http://127.0.0.1:{port}/healthz")
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        stop_process(proc)
        text = log.read_text(errors="replace")
        assert "Traceback" not in text, text


@pytest.fixture(scope="module")
def jsonl_answers(api_env: dict[str, str], assistant_exe: Path) -> list[dict]:
    """``assistant ask --jsonl`` for CASES, over the same index."""
    lines = "".join(json.dumps({"question": q, "history": h}) + "\n" for h, q in CASES)
    out = subprocess.run([str(assistant_exe), "ask", "--jsonl"], input=lines.encode(), env=api_env,
                         capture_output=True, timeout=600, check=True)
    return [json.loads(line) for line in out.stdout.decode().splitlines()]


def _client(api: str, key: str = KEY):
    from openai import OpenAI

    return OpenAI(base_url=api, api_key=key, max_retries=0, timeout=300)


def _messages(history: list[dict], question: str) -> list[dict]:
    return [{"role": "system", "content": "Antwoord kort."}, *history, {"role": "user", "content": question}]


@pytest.mark.parametrize("case", range(2))  # the SDK cannot send a lone surrogate: see the next test
def test_the_openai_sdk_gets_the_answer_and_citations_of_ask_jsonl(api: str, jsonl_answers: list[dict],
                                                                   case: int) -> None:
    history, question = CASES[case]
    expected = jsonl_answers[case]
    assert "error" not in expected and expected["citations"], expected
    r = _client(api).chat.completions.create(model="samenwerkwijzer", messages=_messages(history, question),
                                             temperature=0.2, max_tokens=100, user="test")
    assert r.object == "chat.completion" and r.choices[0].finish_reason == "stop"
    assert r.choices[0].message.content == expected["answer"]
    assert r.model_extra["citations"] == expected["citations"]
    assert r.model_extra["abstained"] is False and r.model_extra["query"] == expected["query"]

    text, chunks = "", list(_client(api).chat.completions.create(
        model="samenwerkwijzer", messages=_messages(history, question), stream=True))
    for c in chunks:
        text += c.choices[0].delta.content or ""
    assert chunks[0].choices[0].delta.role == "assistant" and len(chunks) > 3  # streamed piece by piece
    assert text == expected["answer"]
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop" and last.model_extra["citations"] == expected["citations"]
    assert all("citations" not in c.model_extra for c in chunks[:-1])


def test_a_lone_surrogate_in_the_question_is_answered_as_ask_jsonl_answers_it(api: str,
                                                                              jsonl_answers: list[dict]) -> None:
    body = b'{"model": "samenwerkwijzer", "messages": [{"role": "user", "content": "%s"}]}' % (
        json.dumps(CASES[2][1]).strip('"').encode())
    assert b"\\ud800" in body
    r = httpx.post(f"{api}/chat/completions", content=body, timeout=300,
                   headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    assert r.json()["choices"][0]["message"]["content"] == jsonl_answers[2]["answer"]
    assert r.json()["citations"] == jsonl_answers[2]["citations"]


def test_an_abstention_says_so_with_its_reason(api: str) -> None:
    r = _client(api).chat.completions.create(
        model="samenwerkwijzer", messages=[{"role": "user", "content": "Wat is de hoofdstad van Australië?"}])
    assert r.model_extra["abstained"] is True and r.model_extra["reason"] and r.model_extra["citations"] == []
    assert r.choices[0].message.content


def test_langchain_chat_openai_with_base_url_gets_the_same_answer(api: str, jsonl_answers: list[dict]) -> None:
    from langchain_openai import ChatOpenAI

    llm = ChatOpenAI(base_url=api, api_key=KEY, model="samenwerkwijzer", max_retries=0, timeout=300)
    history, question = CASES[1]
    msgs = [("system", "Antwoord kort.")] + [(h["role"], h["content"]) for h in history] + [("human", question)]
    assert llm.invoke(msgs).content == jsonl_answers[1]["answer"]
    assert "".join(part.content for part in llm.stream(Q)) == jsonl_answers[0]["answer"]


def test_curl_shows_the_server_sent_event_frames(api: str, jsonl_answers: list[dict]) -> None:
    body = json.dumps({"model": "samenwerkwijzer", "stream": True, "messages": [{"role": "user", "content": Q}]})
    out = subprocess.run(["curl", "-sN", f"{api}/chat/completions", "-H", f"Authorization: Bearer {KEY}",
                          "-H", "Content-Type: application/json", "-d", body], capture_output=True, timeout=300,
                         check=True).stdout.decode()
    frames = out.split("\n\n")
    assert frames[-1] == "" and frames[-2] == "data: [DONE]", out[-300:]
    events = [json.loads(f.removeprefix("data: ")) for f in frames[:-2]]
    assert all(f.startswith("data: ") for f in frames[:-1])
    assert "".join(e["choices"][0]["delta"].get("content", "") for e in events) == jsonl_answers[0]["answer"]
    assert events[-1]["citations"] == jsonl_answers[0]["citations"]


def test_a_wrong_key_is_401_and_the_sdk_raises_authentication_error(api: str) -> None:
    import openai

    with pytest.raises(openai.AuthenticationError) as e:
        _client(api, "sw-wrong").chat.completions.create(model="samenwerkwijzer",
                                                        messages=[{"role": "user", "content": Q}])
    assert e.value.status_code == 401 and "onjuist" in e.value.message
    assert httpx.get(f"{api}/models").status_code == 401


def test_search_returns_the_objects_of_search_json(api: str, api_env: dict[str, str], assistant_exe: Path) -> None:
    out = subprocess.run([str(assistant_exe), "search", "netwerkkaart stakeholders", "-k", "3", "--json"],
                         env=api_env, capture_output=True, timeout=300, check=True)
    r = httpx.post(f"{api}/search", json={"query": "netwerkkaart stakeholders", "k": 3},
                   headers={"Authorization": f"Bearer {KEY}"}, timeout=300)
    assert r.status_code == 200 and r.json() == json.loads(out.stdout)


BIG = json.dumps({"model": "samenwerkwijzer", "messages": [{"role": "user", "content": "a" * 5_000_000}]}).encode()
HUGE = json.dumps({"model": "samenwerkwijzer", "messages": [
    {"role": "user" if i % 2 == 0 else "assistant", "content": "x"} for i in range(20_000)] + [
    {"role": "user", "content": Q}]}).encode()


def _chat_body(content: str) -> bytes:
    return json.dumps({"model": "samenwerkwijzer", "messages": [{"role": "user", "content": content}]}).encode()


# (body, status, a fragment of the message)
BAD = {
    "malformed JSON": (b'{"model": "samenwerkwijzer", "messages": [', 400, "geen geldige JSON"),
    "wrong roles": (json.dumps({"messages": [{"role": "function", "content": "x"}, {"role": "user", "content": Q}]})
                    .encode(), 400, "rol 'function'"),
    "10,000-turn history": (HUGE, 422, "te lang (20001 berichten"),
    "lone surrogates only": (b'{"messages": [{"role": "user", "content": "\\ud800\\udbff\\udfff\\ud800"}]}', 422,
                             "geen leesbare woorden"),
    "empty question": (_chat_body("   "), 422, ERRORS["question_empty"][:20]),
    "over-long question": (_chat_body("vertrouwen " * 1000), 422, "te lang (10999 tekens"),
    "wordless question": (_chat_body("?!… 🤝"), 422, "geen leesbare woorden"),
    "5 MB body": (BIG, 413, "te groot"),
    "unknown model": (json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": Q}]}).encode(), 404,
                      "'gpt-4o' bestaat niet"),
    "n > 1": (json.dumps({"n": 2, "messages": [{"role": "user", "content": Q}]}).encode(), 400, "één antwoord"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_input_gets_its_status_and_message_and_the_server_keeps_serving(api: str, name: str) -> None:
    body, status, fragment = BAD[name]
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    for stream in (False, True):
        data = body.replace(b'"messages"', b'"stream": true, "messages"', 1) if stream else body
        r = httpx.post(f"{api}/chat/completions", content=data, headers=headers, timeout=300)
        assert r.status_code == status, (stream, r.text[:500])
        error = r.json()["error"]
        assert fragment in error["message"] and error["type"] and error["code"], error
    assert httpx.get(f"{api}/models", headers=headers).status_code == 200


def test_twenty_concurrent_clients_five_questions_each_without_errors(api: str, repo_root: Path,
                                                                      record_property) -> None:
    questions = [json.loads(line)["question"] for line in
                 (repo_root / "evals" / "qa.jsonl").read_text(encoding="utf-8").splitlines()[:5]]

    def client(i: int) -> list[float]:
        c = _client(api)
        times = []
        for q in questions[i % 5:] + questions[:i % 5]:
            t0 = time.perf_counter()
            r = c.chat.completions.create(model="samenwerkwijzer", messages=[{"role": "user", "content": q}],
                                          stream=i % 2 == 1)
            if i % 2:
                r = [chunk for chunk in r]
                assert r[-1].choices[0].finish_reason == "stop"
            else:
                assert r.choices[0].message.content
            times.append(time.perf_counter() - t0)
        return times

    t0 = time.perf_counter()
    with ThreadPoolExecutor(20) as pool:
        latencies = sorted(t for ts in pool.map(client, range(20)) for t in ts)  # raises on any error
    wall = time.perf_counter() - t0
    p50 = statistics.median(latencies)
    p95 = statistics.quantiles(latencies, n=100, method="inclusive")[94]
    record_property("p95_seconds", round(p95, 3))
    print(f"\n20 clients x 5 questions: {len(latencies)} answers, 0 errors, p50 {p50:.2f} s, p95 {p95:.2f} s, "
          f"wall {wall:.1f} s")
    assert len(latencies) == 100


def test_assistant_api_refuses_to_listen_beyond_loopback_without_keys(api_env: dict[str, str],
                                                                      assistant_exe: Path) -> None:
    r = subprocess.run([str(assistant_exe), "api", "--host", "0.0.0.0", "--port", "1"], env=api_env,
                       capture_output=True, timeout=120)
    assert r.returncode == 2 and "assistant api-key new" in r.stderr.decode() and "Traceback" not in r.stderr.decode()


@pytest.mark.browser
@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian chromium (/usr/bin/chromium) is not installed")
def test_the_docs_page_renders_the_routes_from_this_server_only(api: str) -> None:
    from playwright.sync_api import sync_playwright

    from test_browser import CHROMIUM, CHROMIUM_ARGS

    base = api.removesuffix("/v1")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            requested: list[str] = []
            page.on("request", lambda r: requested.append(r.url))
            page.goto(f"{base}/docs")
            page.wait_for_selector("h2", timeout=60_000)
            text = page.inner_text("main")
            assert "/v1/chat/completions" in text and "/v1/search" in text and "messages" in text
            assert requested and all(u.startswith(base + "/") for u in requested), requested
        finally:
            browser.close()


def test_assistant_serve_has_the_api_routes_only_when_enabled(api_env: dict[str, str], assistant_exe: Path,
                                                              jsonl_answers: list[dict], tmp_path: Path) -> None:
    """One application: with ASSISTANT_API_ENABLED the web app's server answers /v1 too (behind the same
    guard); without it, /v1 does not exist there."""
    from helpers import free_local_port, stop_process, wait_for_app

    for enabled in (True, False):
        port = free_local_port()
        log = tmp_path / f"serve-{enabled}.log"
        env = dict(api_env, GRADIO_TEMP_DIR=str(tmp_path / "gradio"), ASSISTANT_API_ENABLED=str(enabled).lower())
        with open(log, "wb") as out:
            proc = subprocess.Popen([str(assistant_exe), "serve", "--port", str(port)], env=env, stdout=out,
                                    stderr=subprocess.STDOUT)
        try:
            wait_for_app(proc, log, f"http://127.0.0.1:{port}/")
            if enabled:
                r = _client(f"http://127.0.0.1:{port}/v1").chat.completions.create(
                    model="samenwerkwijzer", messages=[{"role": "user", "content": Q}])
                assert r.choices[0].message.content == jsonl_answers[0]["answer"]
                assert r.model_extra["citations"] == jsonl_answers[0]["citations"]
            else:
                assert httpx.get(f"http://127.0.0.1:{port}/v1/models").status_code == 404
        finally:
            stop_process(proc)
        assert "Traceback" not in log.read_text(errors="replace")
