"""The web app (Gradio): chat with cited sources, meeting preparation, source management.

UI only: the logic lives in :mod:`assistant.service`. ``handlers.py`` holds what each event does
(testable without a browser), ``tabs.py`` one function per tab and :func:`build_app`, ``asgi.py``
the one ASGI application (guard, login limit, the app mounted), ``serve.py`` :func:`main`. The
checkout's ``app.py`` is a thin entry point to this.
"""

from __future__ import annotations

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before gradio is imported: no analytics calls

from .handlers import ChatState, Handlers  # noqa: E402
from .asgi import DEFAULT_HOST, DEFAULT_PORT, create_app, mount_options  # noqa: E402
from .serve import LocalServer, main  # noqa: E402
from .tabs import UploadFiles, build_app  # noqa: E402

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "ChatState", "Handlers", "LocalServer", "UploadFiles", "build_app",
           "create_app", "main", "mount_options"]
