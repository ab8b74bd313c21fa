"""The web app with an LLM (a scripted OpenAI-compatible server process) in headless Chromium:
the server is killed mid-answer; that user sees the notice and a cited extractive answer, and a
second session keeps working meanwhile and afterwards."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from llm_server import Server
from test_browser import (CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, _bot_messages, _norm, _shot, _wait_answer, start_app,
                          stop_app)
from test_llm import _port

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium (/usr/bin/chromium) is not installed"),
]

SLOW_Q = "Wat zijn de vijf dimensies van care?"
FAST_Q = "Wat is een netwerkkaart?"
LATER_Q = "Hoe ga je om met weerstand?"
SLOW = "{p1} [1]. {p2} [2]. " + " ".join(["En dit is nog een zin die nooit af komt."] * 40)


@contextlib.contextmanager
def _stopped_on_failure(srv: Server) -> Iterator[None]:
    """The scripted server is stopped when the app it serves cannot be started."""
    try:
        yield
    except BaseException:
        srv.stop()
        raise


def test_llm_killed_mid_answer(tmp_path: Path, corpus_settings, corpus_dir, free_port, cli_env, assistant_exe):
    from playwright.sync_api import expect, sync_playwright

    srv = Server(tmp_path / "llm", {"models": ["test-model"], "replies": [
        {"match": "dimensies", "text": SLOW, "token_delay": 0.25},
        {"text": "{p1} [1]. {p2} [2]. {p3} [3]. {p4} [4]. {p5} [5]."},  # as many points as the sources
    ]}, _port())
    with _stopped_on_failure(srv):
        proc, log, _ = start_app(tmp_path / "app", corpus_settings, corpus_dir, free_port, cli_env, assistant_exe,
                                 ASSISTANT_GENERATOR="openai", ASSISTANT_LLM_MODEL="test-model",
                                 ASSISTANT_LLM_BASE_URL=srv.url, ASSISTANT_LLM_TIMEOUT="3",
                                 ASSISTANT_LLM_CONTEXT_TOKENS="0")  # every passage whole: {p5} is in the prompt
    url = f"http://127.0.0.1:{free_port}/"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            one = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL").new_page()
            two = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL").new_page()
            try:
                for page in (one, two):
                    page.set_default_timeout(TIMEOUT_MS)
                    page.goto(url)
                    page.locator("#sw-question textarea").wait_for()
                # session 1: the LLM streams slowly; its verified sentences are on screen, the
                # unsupported ones that follow never are
                one.fill("#sw-question textarea", SLOW_Q)
                one.click("#sw-send")
                expect(_bot_messages(one).last).to_contain_text("[2]", timeout=TIMEOUT_MS)
                time.sleep(2.5)  # ten more tokens: "En dit is nog een zin …" has completed by now
                assert "nooit af komt" not in _bot_messages(one).last.inner_text()
                # session 2 asks meanwhile and gets a verified LLM answer while session 1 still streams
                two.fill("#sw-question textarea", FAST_Q)
                two.click("#sw-send")
                _wait_answer(two, 1)
                answer2 = _norm(_bot_messages(two).last.inner_text())
                assert "⚠" not in answer2 and "[1]" in answer2, answer2
                assert not one.locator('#sw-sources details[id^="bron-1-"]').count(), "session 1 is still streaming"
                # the LLM server dies mid-answer
                t_kill = time.perf_counter()
                srv.stop()
                _wait_answer(one, 1)
                waited = time.perf_counter() - t_kill
                answer1 = _norm(_bot_messages(one).last.inner_text())
                assert "⚠ Het antwoord van het taalmodel brak halverwege af" in answer1, answer1
                assert "rechtstreeks uit de bronnen (zonder taalmodel)" in answer1
                assert "nooit af komt" not in answer1  # the unfinished part is gone; only verified sentences stay
                assert one.locator('#sw-chat a[href^="#bron-1-"]').count() >= 1  # cited, linked passages
                assert waited < 3 + 10, waited
                _shot(one, "llm-killed-session-1")
                # session 2 keeps working with the server gone: notice + extractive answer
                two.fill("#sw-question textarea", LATER_Q)
                two.click("#sw-send")
                _wait_answer(two, 2)
                later = _norm(_bot_messages(two).last.inner_text())
                assert "niet bereikbaar" in later and two.locator('#sw-chat a[href^="#bron-2-"]').count() >= 1, later
                _shot(two, "llm-killed-session-2")
                print(f"session 1 answered {waited:.2f} s after the kill")
            except Exception:
                _shot(one, "llm-browser-failure-1")
                _shot(two, "llm-browser-failure-2")
                print(log.read_text(errors="replace")[-4000:])
                raise
            finally:
                browser.close()
    finally:
        srv.stop()
        stop_app(proc)
    assert "Traceback" not in log.read_text(errors="replace")


# ---------------------------------------------------------------------------------------------
# only verified text on screen: a DOM watcher samples the answer every 100 ms while it streams

WATCH = """() => {
  window.__samples = [];
  window.__watch = setInterval(() => {
    const bots = document.querySelectorAll('#sw-chat [data-testid="bot"]');
    if (bots.length) window.__samples.push(bots[bots.length - 1].innerText);
  }, 100);
}"""
SENTENCE = re.compile(r"[^\[\]]*?\S[^\[\]]*?(?:\s*\[\d+\])+")


def watch_answer(page, question: str) -> tuple[list[str], str]:
    """Ask ``question`` with the watcher on; every sample taken while the answer streamed, and
    the final answer's text."""
    page.evaluate(WATCH)
    page.fill("#sw-question textarea", question)
    page.click("#sw-send")
    _wait_answer(page, 1)
    page.evaluate("() => clearInterval(window.__watch)")
    return [_norm(s) for s in page.evaluate("() => window.__samples")], _norm(_bot_messages(page).last.inner_text())


def shown_sentences(samples: list[str]) -> set[str]:
    """Every cited sentence (with its markers) that was on screen in some sample."""
    return {_norm(m.group()) for s in samples for m in SENTENCE.finditer(s)}


def assert_only_verified_was_shown(samples: list[str], final: str, passages: int) -> None:
    assert samples, "the watcher took no sample"
    numbers = {int(n) for s in samples for n in re.findall(r"\[(\d+)\]", s)}
    assert numbers <= set(range(1, passages + 1)), f"a citation beyond the {passages} passages was shown: {numbers}"
    stray = [s for s in shown_sentences(samples) if s not in final]
    assert not stray, f"shown while streaming but not in the final answer: {stray}"


def test_invented_sentences_and_citations_never_reach_the_page(tmp_path: Path, corpus_settings, corpus_dir,
                                                               free_port, cli_env, assistant_exe):
    from playwright.sync_api import sync_playwright

    invented = ("{p1} [1]. De maan is gemaakt van groene kaas, zo blijkt uit onderzoek [6]. {p2} [2][6]. "
                "Scholen moeten elke week een feest voor de ouders organiseren [1]. Klaar.")
    srv = Server(tmp_path / "llm", {"models": ["test-model"], "replies": [
        {"text": invented, "first_token_delay": 2.0, "token_delay": 0.15}]}, _port())
    with _stopped_on_failure(srv):
        proc, log, _ = start_app(tmp_path / "app", corpus_settings, corpus_dir, free_port, cli_env, assistant_exe,
                                 ASSISTANT_GENERATOR="openai", ASSISTANT_LLM_MODEL="test-model",
                                 ASSISTANT_LLM_BASE_URL=srv.url, ASSISTANT_LLM_TIMEOUT="5")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL").new_page()
            page.set_default_timeout(TIMEOUT_MS)
            try:
                page.goto(f"http://127.0.0.1:{free_port}/")
                page.locator("#sw-question textarea").wait_for()
                samples, final = watch_answer(page, SLOW_Q)
                _shot(page, "llm-verified-stream")
            finally:
                browser.close()
    finally:
        srv.stop()
        stop_app(proc)
    assert_only_verified_was_shown(samples, final, 5)
    assert not any("maan" in s or "feest" in s for s in samples), "an unverified sentence was on screen"
    assert any("⏳" in s and " s" in s for s in samples), "no progress line before the first sentence"
    assert "[1]" in final and "[2]" in final and "[6]" not in final
    grew = [s for s in samples if "[1]" in s and "⏳" not in s]
    assert len(grew) >= 3 and len({s for s in grew}) >= 2, "the answer did not appear sentence by sentence"
    print(f"{len(samples)} samples, {len(shown_sentences(samples))} distinct sentences shown")
    assert "Traceback" not in log.read_text(errors="replace")
