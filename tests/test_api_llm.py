"""The API with an LLM generator (a scripted OpenAI-protocol server, tests/llm_server.py): the
configured model shows in /v1/models, and when verification drops a streamed sentence the last
chunk carries the verified ``answer``, the same text a non-streamed request gets."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from assistant.answer.chain import AnswerEngine
from assistant.api.server import make_app
from assistant.service import AssistantService

pytestmark = pytest.mark.slow

Q = "Wat zijn de vijf dimensies van care?"
INVENTED = "De maan is gemaakt van oude kaas uit Gouda"


def test_an_unverified_sentence_never_streams_and_the_final_chunk_has_the_answer(corpus_settings, session_index,
                                                                              embeddings, llm_server) -> None:
    srv = llm_server({"text": "{p1} [1]. " + INVENTED + " [2].", "token_delay": 0.005})
    settings = corpus_settings.model_copy(update={"generator": "openai", "llm_base_url": srv.url,
                                                  "llm_model": "test-model", "llm_timeout": 5.0})
    service = AssistantService(settings, AnswerEngine(settings, session_index, embeddings))
    client = TestClient(make_app(settings, service), base_url="http://127.0.0.1:8765", client=("127.0.0.1", 1))
    assert client.get("/v1/models").json()["data"][0]["metadata"]["llm_model"] == "test-model"

    body = {"model": "samenwerkwijzer", "messages": [{"role": "user", "content": Q}]}
    plain = client.post("/v1/chat/completions", json=body).json()
    verified = plain["choices"][0]["message"]["content"]
    assert INVENTED not in verified and plain["citations"], plain

    with client.stream("POST", "/v1/chat/completions", json={**body, "stream": True}) as r:
        frames = [line.removeprefix("data: ") for line in r.iter_lines() if line]
    assert frames[-1] == "[DONE]"
    events = [json.loads(f) for f in frames[:-1]]
    streamed = "".join(e["choices"][0]["delta"].get("content") or "" for e in events)
    assert INVENTED not in streamed  # only verified sentences leave the server (issue 24)
    last = events[-1]
    assert last["choices"][0]["finish_reason"] == "stop" and last.get("answer", streamed) == verified
    assert last["citations"] == plain["citations"]
