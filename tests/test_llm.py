"""The LLM path over real HTTP: OpenAI-compatible (SSE) and Ollama (NDJSON) servers scripted per
test (tests/llm_server.py, a separate process on 127.0.0.1), reached through langchain-openai and
langchain-ollama. Every failure gives a one-line notice and the cited extractive answer, in time.

The measured seconds per case go to test-artifacts/llm-failure-matrix.md.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assistant.answer.chain import AnswerEngine
from assistant.prompts import FALLBACK_NOTE
from assistant.records import Answer
from helpers import free_local_port
from llm_server import Server

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parent.parent
Q = "Wat zijn de vijf dimensies van care?"
TIMEOUT = 3.0  # ASSISTANT_LLM_TIMEOUT in these tests
GOOD = "{p1} [1]. {p2} [2]."
MATRIX: list[tuple[str, str, str, float]] = []  # (protocol, case, what the user sees, seconds)


def _port() -> int:
    return free_local_port()


@pytest.fixture(scope="module", autouse=True)
def _write_matrix() -> Iterator[None]:
    yield
    if MATRIX:
        out = REPO_ROOT / "test-artifacts"
        out.mkdir(exist_ok=True)
        lines = ["| protocol | case | what the user sees | seconds |", "|---|---|---|---|"]
        lines += [f"| {p} | {c} | {s} | {t:.2f} |" for p, c, s, t in MATRIX]
        (out / "llm-failure-matrix.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def base_engine(corpus_settings, session_index, embeddings) -> AnswerEngine:
    return AnswerEngine(corpus_settings, session_index, embeddings)


def engine_for(base: AnswerEngine, protocol: str, url: str, model: str = "test-model", **extra) -> AnswerEngine:
    settings = base.settings.model_copy(update={"generator": protocol, "llm_base_url": url, "llm_model": model,
                                                "llm_timeout": TIMEOUT, **extra})
    eng = AnswerEngine(settings, base.index, base.embeddings)
    eng.__dict__["stats"] = base.stats  # the same index: no need to count its terms again
    return eng


def ask(eng: AnswerEngine, question: str = Q) -> tuple[Answer, list[str], float]:
    t0 = time.perf_counter()
    parts = list(eng.stream(question))
    return parts[-1], [p for p in parts if isinstance(p, str)], time.perf_counter() - t0


def url_of(srv: Server, protocol: str) -> str:
    return srv.url if protocol == "openai" else srv.root


def assert_fallback(ans: Answer, kind: str, seconds: float, limit: float, protocol: str, case: str) -> None:
    """A notice line, then the cited extractive answer (with its usual lead), within ``limit`` s."""
    assert ans.fallback == kind, (ans.fallback, ans.text)
    assert ans.notice and ans.notice.startswith("⚠") and "\n" not in ans.notice
    assert ans.notice in ans.text and FALLBACK_NOTE["nl"].split("}")[1].strip() in ans.notice
    at = next(i for i, st in enumerate(ans.statements) if st.text == ans.notice)
    after = ans.statements[at + 1:]  # the cited extractive answer follows the notice
    assert ans.statements[at].form == "notice" and after and all(st.cites for st in after), ans.text
    assert ans.citations and not ans.abstained
    assert ans.to_json()["fallback"] == {"answer": "extractive", "reason": kind, "notice": ans.notice}
    assert seconds < limit, f"{case}: {seconds:.2f} s"
    MATRIX.append((protocol, case, ans.notice, seconds))


# ---------------------------------------------------------------------------------------------
# working servers


@pytest.mark.parametrize("protocol", ["openai", "ollama"])
def test_a_working_server_streams_a_verified_cited_answer(base_engine, llm_server, protocol):
    srv = llm_server({"text": GOOD, "token_delay": 0.01})
    ans, tokens, secs = ask(engine_for(base_engine, protocol, url_of(srv, protocol)))
    assert ans.fallback is None and not ans.notice and not ans.abstained
    assert len(tokens) > 5 and "[1]" in "".join(tokens)  # token by token, over HTTP
    assert [c.n for c in ans.citations] == [1, 2] and "⚠" not in ans.text
    req = srv.requests("/v1/chat/completions" if protocol == "openai" else "/api/chat")
    assert len(req) == 1 and req[0]["body"]["model"] == "test-model" and req[0]["body"]["stream"] is True
    assert "<bronnen>" in req[0]["body"]["messages"][-1]["content"]
    if protocol == "ollama":  # room for five passages: Ollama's default context would cut them short
        assert req[0]["body"]["options"]["num_ctx"] == 8192
    MATRIX.append((protocol, "working server", "verified LLM answer, cited [1] [2]", secs))


def test_markers_written_as_a_list_are_read(base_engine, llm_server):
    srv = llm_server({"text": "{p1} [1, 2]. {p2} [2; 3]."})
    ans, _, _ = ask(engine_for(base_engine, "openai", srv.url))
    assert ans.fallback is None and {1, 2} <= {c.n for c in ans.citations}, ans.text
    assert "[1, 2]" not in ans.text


def test_the_non_streamed_openai_reply_is_understood(llm_server):
    from langchain_core.messages import HumanMessage
    from langchain_openai import ChatOpenAI

    srv = llm_server({"text": "Alles goed [1]."})
    model = ChatOpenAI(model="test-model", base_url=srv.url, api_key="x", streaming=False, max_retries=0)
    assert model.invoke([HumanMessage(content="hoi")]).content == "Alles goed [1]."
    assert srv.requests("/v1/chat/completions")[0]["body"].get("stream") in (None, False)


# ---------------------------------------------------------------------------------------------
# the failure matrix

CASES = [
    # (case, replies, expected kind, time limit)
    ("401 unauthorized", [{"status": 401, "error": "invalid api key"}], "auth", TIMEOUT + 3),
    ("404 model not found", [{"status": 404, "error": "model 'test-model' not found"}], "model", TIMEOUT + 3),
    ("429 rate limited (twice)", [{"status": 429, "error": "slow down", "retry_after": 1}], "rate_limit", TIMEOUT + 3),
    ("503 server error (twice)", [{"status": 503, "error": "overloaded"}], "server", TIMEOUT + 3),
    ("no reply before the deadline", [{"text": GOOD, "delay": 30}], "timeout", TIMEOUT + 3),
    ("headers, then no first token", [{"text": GOOD, "first_token_delay": 30}], "timeout", TIMEOUT + 3),
    ("stream cut mid-answer", [{"text": GOOD + " En dan nog een zin die", "cut_after": "[1]."}], "cut", TIMEOUT + 3),
    ("stream stalls mid-answer", [{"text": GOOD + " En dan nog een zin die", "stall_after": "[1]."}], "stalled",
     TIMEOUT + 3),
    ("malformed chunk", [{"text": GOOD, "malformed_after": 3}], "malformed", TIMEOUT + 3),
    ("empty reply", [{"text": ""}], "empty", TIMEOUT + 3),
    ("reply without any [n]", [{"text": "Care is belangrijk en je moet elkaar vertrouwen, dat weet iedereen."}],
     "no_citations", TIMEOUT + 3),
    ("reply in the wrong language", [{"text": "Care is about trust and the will to help each other [1]. "
                                              "It has five dimensions that you should know about [2]."}],
     "language", TIMEOUT + 3),
]


@pytest.mark.parametrize("protocol", ["openai", "ollama"])
@pytest.mark.parametrize("case,replies,kind,limit", CASES, ids=[c[0] for c in CASES])
def test_every_failure_gives_a_notice_and_the_extractive_answer(base_engine, llm_server, protocol, case, replies,
                                                                 kind, limit):
    srv = llm_server(*replies)
    ans, _, secs = ask(engine_for(base_engine, protocol, url_of(srv, protocol)))
    assert_fallback(ans, kind, secs, limit, protocol, case)
    chat = srv.requests("/v1/chat/completions" if protocol == "openai" else "/api/chat")
    if kind in ("rate_limit", "server"):
        assert len(chat) == 2, "one bounded retry"
        if kind == "rate_limit" and protocol == "openai":  # Retry-After: 1 was honoured
            assert chat[1]["t"] - chat[0]["t"] >= 0.95
    elif kind not in ("timeout", "stalled"):
        assert len(chat) == 1
    if case.startswith("stream"):  # the verified part of the streamed answer is kept, before the notice
        head = ans.text.split(ans.notice)[0].strip()
        assert head.endswith("[1]") and "En dan" not in ans.text and head.count(".") >= 1


@pytest.mark.parametrize("protocol", ["openai", "ollama"])
def test_connection_refused(base_engine, protocol):
    dead = _port()  # nothing listens here
    url = f"http://127.0.0.1:{dead}" + ("/v1" if protocol == "openai" else "")
    ans, _, secs = ask(engine_for(base_engine, protocol, url))
    assert_fallback(ans, "unreachable", secs, TIMEOUT + 3, protocol, "connection refused")
    assert f"127.0.0.1:{dead}" in ans.notice


@pytest.mark.parametrize("protocol", ["openai", "ollama"])
def test_dns_failure_of_the_configured_host(base_engine, protocol):
    url = "http://llm-server.invalid:8000" + ("/v1" if protocol == "openai" else "")
    ans, _, secs = ask(engine_for(base_engine, protocol, url))
    assert_fallback(ans, "dns", secs, TIMEOUT + 3, protocol, "DNS failure of the host")
    assert "llm-server.invalid" in ans.notice


def test_a_retry_after_beyond_the_deadline_is_not_waited_for(base_engine, llm_server):
    srv = llm_server({"status": 429, "error": "come back in a minute", "retry_after": 60})
    ans, _, secs = ask(engine_for(base_engine, "openai", srv.url))
    assert ans.fallback == "rate_limit" and secs < 1.5 and len(srv.requests("/v1/chat/completions")) == 1


@pytest.mark.parametrize("status", [429, 500])
def test_one_failed_attempt_is_retried_and_then_answers(base_engine, llm_server, status):
    srv = llm_server({"status": status, "error": "busy", "times": 1}, {"text": GOOD})
    ans, _, secs = ask(engine_for(base_engine, "openai", srv.url))
    assert ans.fallback is None and [c.n for c in ans.citations] == [1, 2]
    assert len(srv.requests("/v1/chat/completions")) == 2
    MATRIX.append(("openai", f"{status} once, then OK", "verified LLM answer (after one retry)", secs))


def test_an_english_question_gets_an_english_notice(base_engine, llm_server):
    srv = llm_server({"status": 503, "error": "down"})
    ans, _, _ = ask(engine_for(base_engine, "openai", srv.url), "What are the five dimensions of care?")
    assert ans.fallback == "server" and ans.notice.startswith("⚠ The language model's server returned an error (503)")


def test_a_follow_up_does_not_wait_twice_for_a_dead_server(base_engine, llm_server):
    srv = llm_server({"text": GOOD, "delay": 30})
    eng = engine_for(base_engine, "openai", srv.url)
    history = [{"role": "user", "content": Q}, {"role": "assistant", "content": "Vertrouwen, empathie … [1]"}]
    t0 = time.perf_counter()
    ans = eng.ask("En welke daarvan is het belangrijkst?", history)
    secs = time.perf_counter() - t0
    assert ans.fallback == "timeout" and secs < TIMEOUT + 3, secs  # condensing failed: generation does not retry
    assert len(srv.requests("/v1/chat/completions")) == 1


# ---------------------------------------------------------------------------------------------
# the command line


def _run(exe: Path, args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(exe), *args], input=stdin, capture_output=True, text=True, env=env, timeout=240)


def test_cli_ask_prints_the_notice_and_the_extractive_answer(corpus_settings, assistant_exe, cli_env):
    dead = _port()
    env = cli_env(ASSISTANT_INDEX_DIR=str(corpus_settings.index_dir), ASSISTANT_GENERATOR="openai",
                  ASSISTANT_LLM_MODEL="m", ASSISTANT_LLM_BASE_URL=f"http://127.0.0.1:{dead}/v1",
                  ASSISTANT_LLM_TIMEOUT=str(TIMEOUT))
    r = _run(assistant_exe, ["ask", Q], env)
    assert r.returncode == 0, r.stderr
    first = r.stdout.splitlines()[0]
    assert first.startswith("⚠ Het taalmodel op 127.0.0.1:") and "zonder taalmodel" in first
    assert "Bronnen:" in r.stdout and "[1]" in r.stdout
    assert "Traceback" not in r.stderr + r.stdout


def test_cli_ask_jsonl_marks_each_fallback(corpus_settings, assistant_exe, cli_env, llm_server):
    srv = llm_server({"match": "dimensies", "text": GOOD},
                     {"match": "netwerkkaart", "status": 429, "error": "slow down"},
                     {"match": "weerstand", "text": "Weerstand hoort erbij, zonder bron."},
                     {"match": "vertrouwen", "text": GOOD + " Nog een", "cut_after": "[1]."})
    env = cli_env(ASSISTANT_INDEX_DIR=str(corpus_settings.index_dir), ASSISTANT_GENERATOR="openai",
                  ASSISTANT_LLM_MODEL="test-model", ASSISTANT_LLM_BASE_URL=srv.url, ASSISTANT_LLM_TIMEOUT=str(TIMEOUT))
    lines = [Q, "Wat is een netwerkkaart?", "Hoe ga je om met weerstand?", "Hoe bouw je vertrouwen op met ouders?"]
    r = _run(assistant_exe, ["ask", "--jsonl"], env, "\n".join(json.dumps({"question": q}) for q in lines) + "\n")
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert [o["fallback"] and o["fallback"]["reason"] for o in out] == [None, "rate_limit", "no_citations", "cut"]
    for o in out:
        assert "error" not in o and o["citations"]
        if o["fallback"]:
            assert o["answer"].count(o["fallback"]["notice"]) == 1 and o["seconds"] < TIMEOUT + 3
            MATRIX.append(("openai, ask --jsonl", o["fallback"]["reason"], o["fallback"]["notice"], o["seconds"]))


def test_an_earlier_notice_is_not_sent_back_to_the_model():
    from assistant.answer.llm import build_messages

    history = [{"role": "user", "content": Q},
               {"role": "assistant", "content": "⚠ Leeg antwoord. …\n\nCare is vertrouwen [1]."}]
    msgs = build_messages("En verder?", [], "nl", history)
    assert msgs[2].content == "Care is vertrouwen [1]." and "⚠" not in "".join(m.content for m in msgs)
