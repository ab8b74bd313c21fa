"""Samenwerkwijzer as a service: an OpenAI-compatible API (FastAPI) and an MCP server.

- ``router.py``: :func:`build_router`, the routes (``/v1/chat/completions``, ``/v1/models``,
  ``/v1/search``, ``/healthz``, ``/docs``), included in the one ASGI application
- ``requests.py`` (bodies read and checked), ``shapes.py`` (OpenAI's response objects),
  ``errors.py`` (OpenAI's error shape, caught in one place), ``keys.py`` (hashed bearer keys, the
  loopback rule), ``limits.py`` (rate limit), ``state.py`` (shared service and thread pool),
  ``docs.py`` (the local OpenAPI page), ``schemas.py`` (request schemas for that page)
- ``server.py``: ``assistant api`` (uvicorn) and ``assistant api-key new``
- ``mcp_server.py``: ``assistant mcp`` (the official ``mcp`` SDK, stdio)
"""

from __future__ import annotations

from .router import build_router

__all__ = ["build_router"]
