"""Errors in OpenAI's shape, ``{"error": {"message", "type", "code"}}``, with the Dutch message of
:mod:`assistant.prompts.api` and the status a client can act on.

:class:`ApiRoute` is the one place they are caught: every route of the API's router answers an
:class:`ApiError`, a user's :class:`~assistant.errors.AssistantError` or anything unexpected in
that shape (never a traceback), whichever application the router is included in.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from ..errors import AssistantError, IndexMismatchError, IndexMissingError, QuestionError
from ..prompts import API

log = logging.getLogger(__name__)

# OpenAI's error types by status (what its SDKs map to their exception classes)
_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
          404: "invalid_request_error", 413: "invalid_request_error", 422: "invalid_request_error",
          429: "rate_limit_error", 500: "server_error", 503: "server_error"}


class ApiError(Exception):
    """A refused request: HTTP ``status``, a machine-readable ``code`` and the user's ``message``."""

    def __init__(self, status: int, code: str, message: str, param: str | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.param = status, code, message, param
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": _TYPES.get(self.status, "invalid_request_error"),
                          "param": self.param, "code": self.code}}


def json_bytes(obj: Any) -> bytes:
    """UTF-8 JSON; a lone surrogate that slipped through becomes U+FFFD instead of failing."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace").encode("utf-8")


class JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json_bytes(content)


def from_exception(e: Exception) -> ApiError:
    """The API's answer to any exception raised while handling a request."""
    if isinstance(e, ApiError):
        return e
    if isinstance(e, QuestionError):
        return ApiError(422, "unanswerable_question", str(e), "messages")
    if isinstance(e, (IndexMissingError, IndexMismatchError)):
        return ApiError(503, "index_unavailable", API["unavailable"].format(message=e))
    if isinstance(e, AssistantError):
        return ApiError(400, "invalid_request", str(e))
    log.exception("API request failed")
    return ApiError(500, "internal_error", API["unexpected"])


def error_response(e: Exception) -> Response:
    err = from_exception(e)
    return JSON(err.body(), status_code=err.status, headers=err.headers)


class ApiRoute(APIRoute):
    """A route whose errors are answered in OpenAI's shape (the router's ``route_class``)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as e:  # noqa: BLE001 - the one place API errors become responses
                return error_response(e)

        return guarded
