"""The API's routes: ``/v1/chat/completions``, ``/v1/models``, ``/v1/search``, ``/healthz`` and the
local documentation page (``/docs``). Every answer is worked out in a thread of :class:`ApiState`'s
pool; errors are answered in OpenAI's shape by :class:`~assistant.api.errors.ApiRoute`."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response, StreamingResponse

from ..prompts import MODEL_DESCRIPTION, ROUTES
from ..records import Answer
from ..settings import Settings
from . import docs, schemas
from .errors import JSON, ApiError, ApiRoute, from_exception
from .requests import MODEL, ChatRequest, chat_request, check_model, read_json, search_request
from .shapes import DONE, chunk, completion, extension, model_card, models, new_id, sse
from .state import ApiState

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def _next(parts: Iterator[str | Answer]) -> str | Answer | None:
    return next(parts, None)


async def _frames(state: ApiState, parts: Iterator[str | Answer], first: str | Answer | None,
                  req: ChatRequest) -> AsyncIterator[bytes]:
    """The SSE frames: the role, each text piece, the rest and the extension fields, then [DONE]."""
    cid, created = new_id(), int(time.time())
    yield sse(chunk(cid, created, {"role": "assistant", "content": ""}))
    streamed, part = "", first
    try:
        while part is not None and not isinstance(part, Answer):
            streamed += part
            yield sse(chunk(cid, created, {"content": part}))
            part = await state.run(_next, parts)
    except Exception as e:  # noqa: BLE001 - the status is sent: the error goes in a frame, as OpenAI does
        yield sse(from_exception(e).body())
        return
    if isinstance(part, Answer):
        extra = extension(part, req.dropped)
        final = part.text
        if final.startswith(streamed):
            if final[len(streamed):]:
                yield sse(chunk(cid, created, {"content": final[len(streamed):]}))
        else:
            extra["answer"] = final  # the verified answer replaces what was streamed
        yield sse(chunk(cid, created, {}, "stop", extra))
    yield DONE


def build_router(service: Any, settings: Settings) -> APIRouter:
    """The API's routes around one shared service (``None``: opened on first use)."""
    state = ApiState(service, settings)
    router = APIRouter(route_class=ApiRoute)

    @router.post("/v1/chat/completions", summary=ROUTES["chat"][0], description=ROUTES["chat"][1],
                 tags=["v1"], openapi_extra=schemas.body(schemas.ChatBody), response_model=None)
    async def chat_completions(request: Request) -> Response:
        state.admit(request)
        req = chat_request(await read_json(request, settings.api_max_body_bytes), settings.api_max_messages,
                           settings.max_turns)
        engine = await state.engine()
        history = list(req.history)
        if not req.stream:
            t0 = time.perf_counter()
            ans = await state.run(engine.ask, req.question, history)
            ms = (time.perf_counter() - t0) * 1000
            body = completion(ans, new_id(), int(time.time()), req.dropped)
            return JSON(body, headers={"Server-Timing": f"answer;dur={ms:.2f}"})
        parts = engine.stream(req.question, history)
        first = await state.run(_next, parts)  # the question is checked here: a 422 comes before the stream
        return StreamingResponse(_frames(state, parts, first, req), media_type="text/event-stream",
                                 headers=SSE_HEADERS)

    @router.get("/v1/models", summary=ROUTES["models"][0], description=ROUTES["models"][1], tags=["v1"])
    async def list_models(request: Request) -> Response:
        state.admit(request)
        return JSON(models(settings))

    @router.get("/v1/models/{model_id}", summary=ROUTES["model"][0], description=ROUTES["model"][1], tags=["v1"])
    async def get_model(model_id: str, request: Request) -> Response:
        state.admit(request)
        check_model(model_id)
        return JSON(model_card(settings, MODEL_DESCRIPTION))

    @router.post("/v1/search", summary=ROUTES["search"][0], description=ROUTES["search"][1], tags=["v1"],
                 openapi_extra=schemas.body(schemas.SearchBody), response_model=None)
    async def search(request: Request) -> Response:
        state.admit(request)
        query, k = search_request(await read_json(request, settings.api_max_body_bytes), settings.top_k)
        engine = await state.engine()
        results = await state.run(engine.searcher.search, query, k)
        return JSON([r.to_json() for r in results])

    @router.get("/healthz", summary=ROUTES["health"][0], description=ROUTES["health"][1])
    async def healthz() -> Response:
        engine = await state.engine()
        return JSON({"status": "ok", "model": MODEL, "generation": engine.index.generation.name,
                     "chunks": len(engine.index)})

    docs.add_routes(router)
    return router


__all__ = ["ApiError", "build_router"]
