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


def make_app(settings: Settings, service: Any = None, host: str = "127.0.0.1", port: int = 8765) -> Any:
    """The one ASGI application (assistant/web/asgi.py) with the API's routes and without the web app:
    the same host, origin and body checks and security headers as ``assistant serve``."""
    from ..web.asgi import create_app
    from .state import LazyService

    return create_app(settings, service if service is not None else LazyService(settings), web=False, api=True,
                      host=host, port=port)


def open_service(settings: Settings) -> Any:
    """The service, loaded before the first request; while there is no index, a stand-in that tries
    again on each request (which gets 503 until then)."""
    from ..service import AssistantService
    from .state import LazyService

    try:
        return AssistantService(settings)
    except IndexMissingError as e:
        log.warning("%s", e)
        return LazyService(settings)


def serve(settings: Settings, host: str | None = None, port: int | None = None) -> int:
    import uvicorn

    host = host or settings.api_host
    port = int(port or settings.api_port)
    check_bind(settings, host)
    app = make_app(settings, open_service(settings), host, port)
    print(API["running"].format(host=host, port=port), file=sys.stderr, flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, server_header=False)
    return 0


def new_key_command(settings: Settings) -> int:
    key, path = add_key(settings)
    print(API["key_created"].format(key=key, path=path))
    return 0
