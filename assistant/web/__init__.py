"""The web app (Gradio): chat with cited sources, meeting preparation, source management.

UI only: the logic lives in :mod:`assistant.service`. ``handlers.py`` holds what each event does
(testable without a browser), ``tabs.py`` one function per tab and :func:`build_app`, ``serve.py``
the launch options and :func:`main`. The checkout's ``app.py`` is a thin entry point to this.
"""

from __future__ import annotations

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before gradio is imported: no analytics calls

from .handlers import ChatState, Handlers  # noqa: E402
from .serve import DEFAULT_HOST, DEFAULT_PORT, launch_options, main  # noqa: E402
from .tabs import UploadFiles, build_app  # noqa: E402

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "ChatState", "Handlers", "UploadFiles", "build_app", "launch_options",
           "main"]
