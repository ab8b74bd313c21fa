"""Starting the web app: bring the index in line with the corpus, build the one ASGI application
(:mod:`assistant.web.asgi`) and run it under uvicorn; :class:`LocalServer` runs the same
application in a thread (tests, embedding)."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from typing import Any

from ..prompts import UI
from ..settings import Settings
from .asgi import DEFAULT_HOST, DEFAULT_PORT, check_exposure, create_app

log = logging.getLogger(__name__)


def address(host: str | None = None, port: int | None = None) -> tuple[str, int]:
    """``--host/--port`` win over ``GRADIO_SERVER_NAME/PORT``, which win over 127.0.0.1:7860."""
    host = host or os.environ.get("GRADIO_SERVER_NAME") or DEFAULT_HOST
    return host, int(port or os.environ.get("GRADIO_SERVER_PORT") or DEFAULT_PORT)


def reconcile(settings: Settings) -> None:
    """Index what is in the corpus folder and not yet in the index (a build that was interrupted,
    files copied in by hand); say what was added and what could not be read."""
    from ..index import build_index, current_generation

    first = current_generation(settings.index_dir) is None
    if first:
        print(UI["serve_building"].format(index_dir=settings.index_dir), file=sys.stderr)
    summary = build_index(settings, show_progress=first)
    if first:
        print(UI["serve_built"].format(files=summary.files, chunks=summary.chunks), file=sys.stderr)
    elif summary.added or summary.changed or summary.removed:
        print(UI["serve_reconciled"].format(names=", ".join(summary.added + summary.changed + summary.removed)),
              file=sys.stderr)
    for name, reason in summary.skipped:
        print(UI["serve_skipped"].format(name=name, reason=reason), file=sys.stderr)


def uvicorn_config(app: Any, host: str, port: int) -> Any:
    import uvicorn

    # access lines off: a refused request is one line of our own; errors keep their traceback
    return uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                          proxy_headers=False, server_header=False, timeout_graceful_shutdown=2)


def main(settings: Settings | None = None, host: str | None = None, port: int | None = None) -> int:
    """Bring the index up to date, then serve the app (blocks until stopped)."""
    import uvicorn

    settings = settings or Settings()
    host, port = address(host, port)
    if check_exposure(settings, host):
        print(UI["serve_exposed_warning"].format(host=host), file=sys.stderr)
    reconcile(settings)
    app = create_app(settings, host=host, port=port, api=bool(getattr(settings, "api_enabled", False)))
    print(UI["serve_running"].format(host=host, port=port), file=sys.stderr)
    uvicorn.Server(uvicorn_config(app, host, port)).run()
    return 0


class LocalServer:
    """The whole application served from a thread on ``host:port``; ``close()`` stops it."""

    def __init__(self, app: Any, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT):
        import uvicorn

        self.app, self.url = app, f"http://{host}:{port}"
        self.server = uvicorn.Server(uvicorn_config(app, host, port))
        self.thread = threading.Thread(target=self.server.run, name="samenwerkwijzer-server", daemon=True)

    def start(self, timeout: float = 60) -> "LocalServer":
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the app did not start on {self.url}")
            time.sleep(0.05)
        return self

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
