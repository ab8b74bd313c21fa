"""``assistant doctor`` against the scripted LLM servers: a working set-up and each broken one.

The outputs are written to test-artifacts/doctor-*.txt (the README quotes them).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from assistant import cli
from assistant.settings import Settings
from helpers import free_local_port
from llm_server import Server

pytestmark = pytest.mark.slow
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture
def server(llm_server: Callable[..., Server]) -> Callable[..., Server]:
    return llm_server


def doctor(name: str, monkeypatch, capsys, index_dir: Path, **env: str) -> tuple[int, str]:
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(index_dir))
    monkeypatch.setenv("ASSISTANT_LLM_TIMEOUT", "3")
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    code = cli.main(["doctor"])
    out = capsys.readouterr().out
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"doctor-{name}.txt").write_text(f"$ assistant doctor   # exit {code}\n{out}", encoding="utf-8")
    assert "Traceback" not in out
    return code, out


def test_a_working_openai_setup(corpus_settings, monkeypatch, capsys, server):
    srv = server({"text": "ok", "first_token_delay": 0.05})
    code, out = doctor("working-openai", monkeypatch, capsys, corpus_settings.index_dir, ASSISTANT_GENERATOR="openai",
                       ASSISTANT_LLM_MODEL="test-model", ASSISTANT_LLM_BASE_URL=srv.url)
    assert code == 0 and "✗" not in out and "Alles in orde." in out
    for line in ("✓ index", "✓ embedder", "✓ thresholds", "✓ chroma", "✓ generator", "✓ model", "✓ round trip"):
        assert line in out, out
    assert "“ok”: eerste token na 0." in out
    assert [r["path"] for r in srv.requests()] == ["/v1/models", "/v1/chat/completions"]


def test_a_working_ollama_setup(corpus_settings, monkeypatch, capsys, server):
    srv = server({"text": "ok"}, models=("qwen2.5:7b-instruct",))
    code, out = doctor("working-ollama", monkeypatch, capsys, corpus_settings.index_dir, ASSISTANT_GENERATOR="ollama",
                       ASSISTANT_LLM_MODEL="qwen2.5:7b-instruct", ASSISTANT_LLM_BASE_URL=srv.root)
    assert code == 0 and "✓ round trip" in out, out
    assert [r["path"] for r in srv.requests()] == ["/api/tags", "/api/chat"]


def test_the_extractive_setup_needs_no_server(corpus_settings, monkeypatch, capsys):
    code, out = doctor("extractive", monkeypatch, capsys, corpus_settings.index_dir)
    assert code == 0 and "✓ generator   extractive" in out


def test_a_server_that_is_down(corpus_settings, monkeypatch, capsys):
    code, out = doctor("refused", monkeypatch, capsys, corpus_settings.index_dir, ASSISTANT_GENERATOR="ollama",
                       ASSISTANT_LLM_MODEL="qwen2.5:7b-instruct", ASSISTANT_LLM_BASE_URL=f"http://127.0.0.1:{free_local_port()}")
    assert code == 1 and "✗ generator" in out and "niet bereikbaar" in out and "`ollama serve`" in out


def test_a_missing_model_is_named_with_what_the_server_has(corpus_settings, monkeypatch, capsys, server):
    srv = server({"text": "ok"}, models=("llama3.1:8b",))
    code, out = doctor("model-missing", monkeypatch, capsys, corpus_settings.index_dir, ASSISTANT_GENERATOR="ollama",
                       ASSISTANT_LLM_MODEL="qwen2.5:7b-instruct", ASSISTANT_LLM_BASE_URL=srv.root)
    assert code == 1 and "✗ model" in out and "(wel: llama3.1:8b)" in out and "ollama pull qwen2.5:7b-instruct" in out


def test_a_wrong_key(corpus_settings, monkeypatch, capsys, server, tmp_path):
    srv = server({"status": 401, "error": "bad key"})
    # /v1/models answers here, the chat refuses: the round trip names the fix
    code, out = doctor("unauthorized", monkeypatch, capsys, corpus_settings.index_dir, ASSISTANT_GENERATOR="openai",
                       ASSISTANT_LLM_MODEL="test-model", ASSISTANT_LLM_BASE_URL=srv.url, ASSISTANT_LLM_API_KEY="wrong")
    assert code == 1 and "✗ round trip" in out and "toegang geweigerd" in out and "ASSISTANT_LLM_API_KEY" in out


def test_a_server_too_slow_for_the_timeout(corpus_settings, monkeypatch, capsys, server):
    srv = server({"text": "ok", "first_token_delay": 10})
    code, out = doctor("slow", monkeypatch, capsys, corpus_settings.index_dir, ASSISTANT_GENERATOR="openai",
                       ASSISTANT_LLM_MODEL="test-model", ASSISTANT_LLM_BASE_URL=srv.url)
    assert code == 1 and "✗ round trip" in out and "geen antwoord op tijd na 3." in out
    assert "ASSISTANT_LLM_TIMEOUT" in out


def test_no_index(tmp_path, monkeypatch, capsys):
    code, out = doctor("no-index", monkeypatch, capsys, tmp_path / "nothing")
    assert code == 1 and "✗ index" in out and "assistant index" in out and "– chroma" in out


def test_an_unknown_host(corpus_settings, monkeypatch, capsys):
    code, out = doctor("dns", monkeypatch, capsys, corpus_settings.index_dir, ASSISTANT_GENERATOR="openai",
                       ASSISTANT_LLM_MODEL="m", ASSISTANT_LLM_BASE_URL="http://llm-server.invalid:8080/v1")
    assert code == 1 and "onbekende hostnaam (DNS)" in out and "corrigeer ASSISTANT_LLM_BASE_URL" in out


def test_a_vector_store_that_lost_vectors(corpus_settings, monkeypatch, capsys, tmp_path):
    import shutil

    from assistant.index import Index

    index_dir = tmp_path / "index"
    shutil.copytree(corpus_settings.index_dir, index_dir, ignore=shutil.ignore_patterns(".lock"))
    index = Index.open(corpus_settings.model_copy(update={"index_dir": index_dir}))
    index.store.delete(list(index.chunks)[:3])
    code, out = doctor("chroma", monkeypatch, capsys, index_dir)
    assert code == 1 and "✗ chroma" in out and f"{len(index) - 3} vectoren voor {len(index)} passages" in out
    assert "assistant index --rebuild" in out


def test_an_uncalibrated_embedder_is_reported_with_how_to_calibrate() -> None:
    from assistant.doctor import check_thresholds

    bad = check_thresholds(Settings(embedder="sentence-transformers", st_model="some/other-model"))
    assert not bad.ok and "niet gekalibreerd" in bad.detail and "assistant.evaluation.calibrate" in bad.fix
    assert check_thresholds(Settings(embedder="sentence-transformers", st_model="some/other-model",
                                     abstain_min_dense=0.3)).ok  # set by hand: the user chose
    good = check_thresholds(Settings())
    assert good.ok and "0.80" in good.detail


def test_an_empty_round_trip_is_explained_with_the_fix(corpus_settings, monkeypatch, capsys, server):
    srv = server({"text": ""})
    code, out = doctor("empty", monkeypatch, capsys, corpus_settings.index_dir, ASSISTANT_GENERATOR="openai",
                       ASSISTANT_LLM_MODEL="test-model", ASSISTANT_LLM_BASE_URL=srv.url)
    assert code == 1 and "✗ round trip" in out and "leeg antwoord" in out
    assert "chat-template" in out and "instruct-model" in out and "--jinja" in out and "--chat_format" in out


def test_a_model_that_does_not_stop_is_named(corpus_settings, monkeypatch, capsys, server):
    srv = server({"text": " ".join(["ok en dan nog meer tekst"] * 100)})
    code, out = doctor("runaway", monkeypatch, capsys, corpus_settings.index_dir, ASSISTANT_GENERATOR="openai",
                       ASSISTANT_LLM_MODEL="test-model", ASSISTANT_LLM_BASE_URL=srv.url, ASSISTANT_LLM_MAX_TOKENS="50")
    assert code == 1 and "houdt niet op (afgebroken na 50 tokens)" in out and "ASSISTANT_LLM_MAX_TOKENS" in out
    assert srv.requests("/v1/chat/completions")[0]["body"]["max_tokens"] == 50
