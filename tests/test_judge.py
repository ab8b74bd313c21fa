"""``assistant eval --generator extractive,openai --judge`` against the scripted OpenAI server, with a
judge that sometimes answers in a broken format (counted as unjudged, never as a score)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from assistant.evaluation.judge import parse_verdict
from llm_server import Server
from test_llm import GOOD, _port

VALID = {"usefulness": 4, "covered": "yes", "best_sources": [{"file": "a.txt", "quote": "q"}],
         "best_points": {"k": 2, "n": 3}, "noise_sentences": 1, "words": 80, "ideal": "Zeg wat werkt.",
         "statements": [{"text": "a", "supported": True}, {"text": "b", "supported": False}]}


@pytest.mark.parametrize("raw", [
    "", "Usefulness: 4/5, a good answer.", "{\"usefulness\": 4", json.dumps({**VALID, "usefulness": 7}),
    json.dumps({**VALID, "usefulness": "vier"}), json.dumps({**VALID, "usefulness": True}),
    json.dumps({**VALID, "covered": "mostly"}), json.dumps({**VALID, "best_points": {"k": 4, "n": 3}}),
    json.dumps({**VALID, "statements": [{"text": "a", "supported": "yes"}]}), json.dumps([VALID]),
    json.dumps({k: v for k, v in VALID.items() if k != "noise_sentences"}),
])
def test_a_broken_verdict_is_unjudged(raw):
    assert parse_verdict(raw) is None


def test_a_verdict_in_a_code_fence_is_read():
    assert parse_verdict("Hier is mijn oordeel:\n```json\n" + json.dumps(VALID) + "\n```") == VALID


@pytest.mark.slow
def test_eval_compares_generators_and_judges(tmp_path: Path, corpus_settings, assistant_exe, cli_env, repo_root):
    items = [json.loads(line) for line in (repo_root / "evals" / "qa.jsonl").read_text(encoding="utf-8").splitlines()]
    qa = tmp_path / "qa.jsonl"
    chosen = [it for it in items if it["answerable"] and not it["history"]][:2]
    qa.write_text("\n".join(json.dumps(it, ensure_ascii=False) for it in chosen) + "\n", encoding="utf-8")
    bad_json = "Ik vind dit antwoord best goed, een 4."
    bad_shape = json.dumps({**VALID, "usefulness": "vier"})
    verdict_a, verdict_b = json.dumps(VALID), json.dumps({**VALID, "usefulness": 2, "statements": [
        {"text": "a", "supported": True}]})
    srv = Server(tmp_path / "llm", {"models": ["test-model"], "replies": [
        {"match": "usefulness", "text": bad_json, "times": 1},   # extractive, item 1
        {"match": "usefulness", "text": verdict_a, "times": 1},  # extractive, item 2
        {"match": "usefulness", "text": bad_shape, "times": 1},  # openai, item 1
        {"match": "usefulness", "text": verdict_b},              # openai, item 2
        # as many verified points as the extractive answer shows, from the passages whole: no fallback
        {"match": "<bronnen>", "text": GOOD + " {p3} [3]. {p4} [4]. {p5} [5]."},
    ]}, _port())
    env = cli_env(ASSISTANT_INDEX_DIR=str(corpus_settings.index_dir), ASSISTANT_LLM_MODEL="test-model",
                  ASSISTANT_LLM_BASE_URL=srv.url, ASSISTANT_LLM_TIMEOUT="5", ASSISTANT_LLM_CONTEXT_TOKENS="0")
    out = tmp_path / "reports"
    try:
        r = subprocess.run([str(assistant_exe), "eval", "--qa", str(qa), "--retriever", "hybrid", "--no-scope",
                            "--generator", "extractive,openai", "--judge", "--out", str(out)],
                           capture_output=True, text=True, env=env, timeout=600)
    finally:
        srv.stop()
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stdout + r.stderr
    report = json.loads(next(out.glob("eval-*[0-9].json")).read_text(encoding="utf-8"))
    gens = report["generators"]
    assert set(gens) == {"extractive", "openai"} and gens["openai"]["fallbacks"] == 0 and gens["openai"]["n"] == 2
    judge = report["judge"]
    assert (judge["generator"], judge["model"]) == ("openai", "test-model")
    ext, llm = judge["by_generator"]["extractive"], judge["by_generator"]["openai"]
    assert (ext["judged"], ext["unjudged"], ext["usefulness"]) == (1, 1, 4.0)  # the broken verdict is no score
    assert (llm["judged"], llm["unjudged"], llm["usefulness"], llm["faithfulness_judged"]) == (1, 1, 2.0, 1.0)
    assert ext["faithfulness_judged"] == 0.5 and ext["usefulness_le2"] == 0 and llm["usefulness_le2"] == 1
    md = next(out.glob("eval-*[0-9].md")).read_text(encoding="utf-8")
    assert "| answers | extractive | openai |" in md and "| judge usefulness | 4.000 | 2.000 |" in md
    assert "| judge unjudged | 1 | 1 |" in md
    records = [json.loads(x) for x in next(out.glob("eval-*-judge.jsonl")).read_text(encoding="utf-8").splitlines()]
    assert [(x["generator"], x["judged"]) for x in records] == [
        ("extractive", False), ("extractive", True), ("openai", False), ("openai", True)]
    assert records[0]["raw"] == bad_json and records[0]["verdict"] is None
    prompt = next(out.glob("eval-*-judge-prompt.txt")).read_text(encoding="utf-8")
    assert "You are a strict Dutch teacher or school coordinator" in prompt and "'test-model'" in prompt
    judged_requests = [q for q in srv.requests("/v1/chat/completions") if "usefulness" in json.dumps(q["body"])]
    assert len(judged_requests) == 4


def test_generator_lists_and_the_judge_model_are_checked():
    from assistant.errors import ConfigError
    from assistant.evaluation.judge import judge_settings, parse_generators
    from assistant.settings import Settings

    assert parse_generators("extractive, ollama,extractive", "openai") == ["extractive", "ollama"]
    assert parse_generators(None, "openai") == ["openai"]
    with pytest.raises(ConfigError, match="gpt"):
        parse_generators("extractive,gpt", "openai")
    configured = Settings(generator="openai", llm_model="m", llm_base_url="http://127.0.0.1:9/v1")
    assert judge_settings(configured, ["extractive"]).generator == "openai"  # the configured LLM judges
    assert judge_settings(configured.model_copy(update={"judge_generator": "ollama", "judge_model": "j"}),
                          ["openai"]).llm_model == "j"
    with pytest.raises(ConfigError, match="ASSISTANT_JUDGE_GENERATOR"):
        judge_settings(Settings(), ["extractive"])  # nothing can judge: said plainly, before any work
