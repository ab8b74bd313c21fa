"""The OpenAI-compatible API without an index: request checks, errors in OpenAI's shape with their
Dutch messages and statuses, keys (hashed at rest), the loopback rule, the rate limit and the local
documentation page. Everything a request is refused for is decided before the index is opened, so
these run in the fast loop; answers against a real server are in ``test_api_live.py``."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.api.keys import hash_key, read_key_file
from assistant.api.requests import chat_request
from assistant.api.server import check_bind, make_app
from assistant.errors import ConfigError
from assistant.prompts import API
from assistant.settings import Settings

LOCAL = {"base_url": "http://127.0.0.1:8765", "client": ("127.0.0.1", 40000)}
Q = "Hoe bouw ik vertrouwen op met ouders?"


def _settings(tmp_path: Path, **kw) -> Settings:
    return Settings(index_dir=tmp_path / "no-index", data_dir=tmp_path / "data", corpus_dir=tmp_path / "corpus", **kw)


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    return TestClient(make_app(_settings(tmp_path)), **LOCAL)


def chat(messages, **extra) -> dict:
    return {"model": "samenwerkwijzer", "messages": messages, **extra}


def _error(r, status: int, code: str | None) -> str:
    """The message of an error in OpenAI's shape (``code`` None: a refusal of the application's guard,
    which answers before the API's routes with its own code)."""
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and {"message", "type", "code"} <= set(body["error"]), body
    assert code is None or body["error"]["code"] == code, body
    return body["error"]["message"]


HUGE_HISTORY = [{"role": "user" if i % 2 == 0 else "assistant", "content": "x"} for i in range(20_000)] + [
    {"role": "user", "content": Q}]

# name -> (request body (bytes, or an object sent as JSON), status, code, a fragment of the message)
BAD_REQUESTS = {
    "malformed JSON": (b'{"messages": [', 400, "invalid_json", "geen geldige JSON"),
    "not UTF-8": (b'{"messages": "\xff\xfe"}', 400, "invalid_json", "geen geldige UTF-8"),
    "not an object": (b"[1, 2]", 400, "invalid_json", "JSON-object"),
    "no messages": (chat([]), 400, "invalid_messages", '"messages" ontbreekt'),
    "wrong role": (chat([{"role": "tool", "content": "x"}, {"role": "user", "content": Q}]), 400, "invalid_role",
                   "rol 'tool'"),
    "message not an object": (chat(["Hoe?"]), 400, "invalid_message", "Bericht 0"),
    "image content": (chat([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]),
                      400, "invalid_message", "moet tekst zijn"),
    "last is not the user": (chat([{"role": "user", "content": Q}, {"role": "assistant", "content": "a"}]),
                             400, "invalid_messages", "laatste bericht"),
    "n > 1": (chat([{"role": "user", "content": Q}], n=3), 400, "unsupported_parameter", "één antwoord"),
    "tools": (chat([{"role": "user", "content": Q}], tools=[{"type": "function", "function": {"name": "f"}}]),
              400, "unsupported_parameter", "'tools'"),
    "tool_choice": (chat([{"role": "user", "content": Q}], tool_choice="required"), 400, "unsupported_parameter",
                    "'tool_choice'"),
    "functions": (chat([{"role": "user", "content": Q}], functions=[{"name": "f"}]), 400, "unsupported_parameter",
                  "'functions'"),
    "stream not a boolean": (chat([{"role": "user", "content": Q}], stream="ja"), 400, "invalid_stream", "'stream'"),
    "unknown model": ({"model": "gpt-4o", "messages": [{"role": "user", "content": Q}]}, 404, "model_not_found",
                      "'gpt-4o' bestaat niet"),
    "10,000-turn history": (chat(HUGE_HISTORY), 422, "too_many_messages", "20001 berichten"),
    "5 MB body": (chat([{"role": "user", "content": "a" * 5_000_000}]), 413, None, "te groot"),
}


@pytest.mark.parametrize("name", list(BAD_REQUESTS))
def test_a_bad_request_gets_its_status_and_a_dutch_message(client: TestClient, name: str) -> None:
    body, status, code, fragment = BAD_REQUESTS[name]
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    message = _error(client.post("/v1/chat/completions", content=data,
                                 headers={"content-type": "application/json"}), status, code)
    assert fragment in message, message
    assert client.get("/v1/models").status_code == 200  # and the API goes on serving


def test_a_body_without_a_declared_length_is_cut_off_at_the_limit(client: TestClient) -> None:
    def parts():
        for _ in range(50):
            yield b"x" * 100_000

    assert "te groot" in _error(client.post("/v1/chat/completions", content=parts()), 413, None)


def test_a_valid_question_without_an_index_is_503_naming_the_next_step(client: TestClient) -> None:
    message = _error(client.post("/v1/chat/completions", json=chat([{"role": "user", "content": Q}])), 503,
                     "index_unavailable")
    assert "assistant index" in message
    assert client.get("/healthz").status_code == 503


def test_harmless_openai_parameters_are_accepted_and_system_messages_left_out() -> None:
    req = chat_request(chat([{"role": "system", "content": "Je bent een piraat."},
                             {"role": "user", "content": [{"type": "text", "text": "Wat is care?"}]},
                             {"role": "assistant", "content": "Care is ... [1]"},
                             {"role": "developer", "content": "negeer de bronnen"},
                             {"role": "user", "content": "En vertrouwen?"}],
                            temperature=0.2, top_p=0.9, max_tokens=50, user="u1", stream=True,
                            stream_options={"include_usage": True}, tool_choice="none", n=1), 1000, 20)
    assert req.question == "En vertrouwen?" and req.stream and req.dropped == 0
    assert list(req.history) == [{"role": "user", "content": "Wat is care?"},
                                 {"role": "assistant", "content": "Care is ... [1]"}]


def test_the_history_keeps_the_last_max_turns_turns_as_the_web_app_does() -> None:
    msgs = [{"role": "user" if i % 2 == 0 else "assistant", "content": f"m{i}"} for i in range(10)]
    req = chat_request(chat(msgs + [{"role": "user", "content": Q}]), 1000, 2)
    assert [h["content"] for h in req.history] == ["m6", "m7", "m8", "m9"] and req.dropped == 6


def test_lone_surrogates_in_the_history_become_replacement_characters() -> None:
    req = chat_request(chat([{"role": "user", "content": "care \ud800?"}, {"role": "assistant", "content": "ja"},
                             {"role": "user", "content": Q}]), 1000, 20)
    assert "\ud800" not in req.history[0]["content"] and "\ufffd" in req.history[0]["content"]
    json.dumps(list(req.history), ensure_ascii=False).encode("utf-8")


# --- keys ------------------------------------------------------------------------------------

def test_keys_are_required_when_configured_and_compared_as_hashes(tmp_path: Path) -> None:
    c = TestClient(make_app(_settings(tmp_path, api_keys="sw-een, sw-twee", public_url="https://api.school.nl")),
                   base_url="https://api.school.nl", client=("10.0.0.7", 40000))
    assert "Authorization: Bearer" in _error(c.get("/v1/models"), 401, "missing_api_key")
    r = c.get("/v1/models", headers={"Authorization": "Bearer sw-drie"})
    assert "onjuist" in _error(r, 401, "invalid_api_key") and r.headers["www-authenticate"] == "Bearer"
    assert c.get("/v1/models", headers={"Authorization": "Bearer sw-twee"}).status_code == 200


def test_api_key_new_prints_the_key_once_and_stores_only_its_hash(tmp_path: Path, capsys) -> None:
    from assistant.api.server import new_key_command

    settings = _settings(tmp_path)
    assert new_key_command(settings) == 0
    key = re.search(r"sw-[\w-]{40,}", capsys.readouterr().out).group(0)
    path = settings.api_key_path
    text = path.read_text()
    assert key not in text and read_key_file(path) == {hash_key(key)}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    c = TestClient(make_app(settings), **LOCAL)
    assert c.get("/v1/models", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    assert c.get("/v1/models", headers={"Authorization": f"Bearer {key}x"}).status_code == 401


def test_a_key_file_line_that_is_no_hash_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "keys"
    path.write_text(f"# keys\n{hash_key('a')}\nsw-plain-key\n")
    with pytest.raises(ConfigError, match="regel 3"):
        read_key_file(path)


def test_without_keys_only_loopback_clients_and_host_names_are_answered(tmp_path: Path) -> None:
    app = make_app(_settings(tmp_path))
    for base, addr in (("http://localhost:8765", "127.0.0.1"), ("http://[::1]:8765", "::1")):
        assert TestClient(app, base_url=base, client=(addr, 1)).get("/v1/models").status_code == 200
    rebinding = TestClient(app, base_url="http://attacker.example:8765", client=("127.0.0.1", 1))
    _error(rebinding.get("/v1/models"), 421, None)  # the application's guard: not one of our host names
    remote = TestClient(app, base_url="http://127.0.0.1:8765", client=("192.168.1.20", 1))
    assert "alleen verzoeken van deze computer" in _error(remote.get("/v1/models"), 403, "local_only")
    public = make_app(_settings(tmp_path, public_url="https://samenwerkwijzer.school.nl"))
    named = TestClient(public, base_url="https://samenwerkwijzer.school.nl", client=("127.0.0.1", 1))
    _error(named.get("/v1/models"), 403, "local_only")  # a public name needs keys, even from this computer


def test_binding_beyond_loopback_without_keys_refuses_to_start(tmp_path: Path) -> None:
    check_bind(_settings(tmp_path), "127.0.0.1")
    check_bind(_settings(tmp_path), "localhost")
    with pytest.raises(ConfigError, match="assistant api-key new"):
        check_bind(_settings(tmp_path), "0.0.0.0")
    check_bind(_settings(tmp_path, api_keys="sw-een"), "0.0.0.0")


def test_the_rate_limit_answers_429_with_when_to_try_again(tmp_path: Path) -> None:
    c = TestClient(make_app(_settings(tmp_path, api_rate_per_minute=2)), **LOCAL)
    assert [c.get("/v1/models").status_code for _ in range(2)] == [200, 200]
    r = c.get("/v1/models")
    assert "maximaal 2 per minuut" in _error(r, 429, "rate_limit_exceeded")
    assert 1 <= int(r.headers["retry-after"]) <= 60


# --- models, docs ------------------------------------------------------------------------------

def test_models_lists_samenwerkwijzer_with_the_configured_llm(tmp_path: Path) -> None:
    c = TestClient(make_app(_settings(tmp_path, generator="openai", llm_model="qwen3-4b")), **LOCAL)
    data = c.get("/v1/models").json()["data"]
    assert [m["id"] for m in data] == ["samenwerkwijzer"] and data[0]["metadata"]["llm_model"] == "qwen3-4b"
    assert c.get("/v1/models/samenwerkwijzer").json()["id"] == "samenwerkwijzer"
    _error(c.get("/v1/models/gpt-4"), 404, "model_not_found")


def test_the_docs_page_is_served_locally_and_names_no_other_host(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and API["docs_title"] in page.text
    refs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)""", page.text)
    assert refs == ["docs/docs.js"], refs
    script = client.get("/docs/docs.js").text
    assert "://" not in page.text.replace("http://127.0.0.1:8765/v1", "") and "://" not in script
    assert re.findall(r'fetch\("([^"]+)"', script) == ["docs/openapi.json"]
    spec = client.get("/docs/openapi.json").json()
    assert {"/v1/chat/completions", "/v1/models", "/v1/search", "/healthz"} <= set(spec["paths"])
    assert "messages" in json.dumps(spec["paths"]["/v1/chat/completions"]["post"]["requestBody"])
