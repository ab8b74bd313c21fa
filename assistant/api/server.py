"""``assistant api``: the API (and its /docs) served by uvicorn; ``assistant api-key new``.

Without API keys the API listens on a loopback address only: asked to bind anywhere else it
refuses to start (:class:`~assistant.errors.ConfigError`), so it is never open to a network.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from ..errors import ConfigError, IndexMissingError
from ..prompts import API
from ..settings import Settings
from .keys import add_key, is_loopback_address, key_hashes

log = logging.getLogger(__name__)


def check_bind(settings: Settings, host: str) -> None:
    if not is_loopback_address(host) and not key_hashes(settings):
        raise ConfigError(API["keys_required"].format(host=host))


def make_app(settings: Settings, service: Any = None) -> Any:
    """The one ASGI application with the API's routes (the web app's checks included when it has them)."""
    try:
        from ..web.asgi import create_app
    except ImportError:  # before the shared application exists: the API's routes on their own
        from fastapi import FastAPI

        from . import build_router

        app = FastAPI(title=API["docs_title"], docs_url=None, redoc_url=None, openapi_url=None)
        app.include_router(build_router(service, settings))
        return app
    return create_app(settings, service, web=False, api=True)


def open_service(settings: Settings) -> Any:
    """The service, loaded before the first request; ``None`` while there is no index (503 until then)."""
    from ..service import AssistantService

    try:
        return AssistantService(settings)
    except IndexMissingError as e:
        log.warning("%s", e)
        return None


def serve(settings: Settings, host: str | None = None, port: int | None = None) -> int:
    import uvicorn

    host = host or settings.api_host
    port = int(port or settings.api_port)
    check_bind(settings, host)
    app = make_app(settings, open_service(settings))
    print(API["running"].format(host=host, port=port), file=sys.stderr, flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, server_header=False)
    return 0


def new_key_command(settings: Settings) -> int:
    key, path = add_key(settings)
    print(API["key_created"].format(key=key, path=path))
    return 0
