"""Samenwerkwijzer web app (Gradio): chat with cited sources, meeting preparation, source management.

The app itself is the package's :mod:`assistant.web`; this file is the checkout's entry point.
Start it with ``assistant serve`` (or ``python app.py``); it listens on 127.0.0.1:7860 unless
``--host/--port`` or ``GRADIO_SERVER_NAME`` / ``GRADIO_SERVER_PORT`` say otherwise, never makes a
share link and sends no analytics. Set ``ASSISTANT_AUTH_USER`` and ``ASSISTANT_AUTH_PASSWORD`` to
require a login.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from assistant.errors import AssistantError
from assistant.prompts import UI
from assistant.web import build_app, create_app  # noqa: F401 - the names `assistant serve` and tests use


def main(settings: Any = None, host: str | None = None, port: int | None = None) -> int:
    """Build the index if there is none, then serve the app (blocks until stopped)."""
    from assistant.web import main as serve

    return serve(settings, host=host, port=port)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        sys.exit(main())
    except AssistantError as e:
        print(UI["fatal"].format(message=e), file=sys.stderr)
        sys.exit(e.exit_code)
