"""Starting the web app: its launch options (address, login, limits) and :func:`main`."""

from __future__ import annotations

import os
import sys
from typing import Any

from ..errors import ConfigError
from ..login_limit import AttemptLimiter, LoginRateLimitMiddleware, login_guard
from ..prompts import UI
from ..settings import Settings
from .style import CSS, JS, theme
from .tabs import build_app

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860


def middleware(limiter: AttemptLimiter | None = None) -> list[Any]:
    """The app's ASGI middleware: Gradio's labels in Dutch, and the login limit when there is a login."""
    from starlette.middleware import Middleware

    from .locale import DutchPages

    guards = [Middleware(LoginRateLimitMiddleware, limiter=limiter)] if limiter else []
    return [Middleware(DutchPages), *guards]


def launch_options(settings: Settings, host: str | None = None, port: int | None = None) -> dict[str, Any]:
    """Everything ``launch()`` gets: address, login, limits, styling; never a share link."""
    host = host or os.environ.get("GRADIO_SERVER_NAME") or DEFAULT_HOST
    port = int(port or os.environ.get("GRADIO_SERVER_PORT") or DEFAULT_PORT)
    user, password = settings.auth_user, settings.auth_password
    limiter = AttemptLimiter(settings.login_max_failures, settings.login_window_s)
    if bool(user) != bool(password):
        raise ConfigError(UI["auth_incomplete"])
    return {
        "server_name": host,
        "server_port": port,
        "share": False,
        "run_history": False,  # no stored runs, no run-history routes (they can reach a Hugging Face bucket)
        # one user and password; failed logins limited per user name here and per client address
        # by the middleware below (Gradio's /login itself has no limit)
        "auth": login_guard(user, password, limiter) if user else None,
        "app_kwargs": {"middleware": middleware(limiter if user else None)},
        "auth_message": " ".join((UI["login_message"], UI["login_limit_note"].format(
            n=settings.login_max_failures, minutes=max(1, round(settings.login_window_s / 60))))) if user else None,
        # our own check reports too-large files by name; this only stops absurd uploads early
        "max_file_size": f"{max(int(settings.max_upload_mb * 5), 50)}mb",
        "theme": theme(),
        "css": CSS,
        "js": JS,
        "ssr_mode": False,
        "footer_links": ["api"],
        "show_error": False,
        "quiet": True,  # our own line says where it runs; no "To create a public link, set `share=True`"
    }


def main(settings: Settings | None = None, host: str | None = None, port: int | None = None) -> int:
    """Build the index if there is none, then serve the app (blocks until stopped)."""
    from ..index import build_index, current_generation

    settings = settings or Settings()
    options = launch_options(settings, host, port)
    if current_generation(settings.index_dir) is None:
        print(UI["serve_building"].format(index_dir=settings.index_dir), file=sys.stderr)
        summary = build_index(settings, show_progress=True)
        print(UI["serve_built"].format(files=summary.files, chunks=summary.chunks), file=sys.stderr)
        for name, reason in summary.skipped:
            print(UI["serve_skipped"].format(name=name, reason=reason), file=sys.stderr)
    demo = build_app(settings)
    demo.queue(default_concurrency_limit=max(1, settings.concurrency_limit))
    print(UI["serve_running"].format(host=options["server_name"], port=options["server_port"]), file=sys.stderr)
    demo.launch(**options)
    return 0
