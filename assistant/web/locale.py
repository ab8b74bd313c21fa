"""Gradio's own labels ("Drop File Here", "Use via API") in Dutch whatever the browser's language.

Gradio 6.31 picks its locale from ``navigator.language`` when its bundle starts (``setupi18n`` in
the frontend's core module; ``gr.I18n`` only adds texts, and ``head=`` is injected after the locale
is chosen). So every HTML page the app serves gets, first thing in ``<head>``, a script that makes
the page's ``navigator.language`` Dutch before Gradio reads it.
"""

from __future__ import annotations

from typing import Any

LOCALE = "nl"
SCRIPT = (
    "<script>(function(){try{var p=Navigator.prototype;"
    f"Object.defineProperty(p,'language',{{configurable:true,get:function(){{return '{LOCALE}';}}}});"
    f"Object.defineProperty(p,'languages',{{configurable:true,get:function(){{return ['{LOCALE}'];}}}});"
    f"document.documentElement.lang='{LOCALE}';}}catch(e){{}}}})();</script>"
).encode()


def with_locale(html: bytes) -> bytes:
    """``html`` with the locale script right after its ``<head>`` (unchanged if it has none)."""
    return html.replace(b"<head>", b"<head>" + SCRIPT, 1)


class DutchPages:
    """ASGI middleware: HTML responses (the app's page, the login page) get :func:`with_locale`;
    everything else (the API, files, streams) passes through untouched."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("method") != "GET":
            await self.app(scope, receive, send)
            return
        start: dict | None = None
        body: list[bytes] = []

        async def rewrite(message: dict) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = {k.lower(): v for k, v in message.get("headers", [])}
                if headers.get(b"content-type", b"").startswith(b"text/html") and b"content-encoding" not in headers:
                    start = message  # held until the whole page is here
                    return
            elif message["type"] == "http.response.body" and start is not None:
                body.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                page = with_locale(b"".join(body))
                headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
                await send({**start, "headers": [*headers, (b"content-length", str(len(page)).encode())]})
                await send({"type": "http.response.body", "body": page})
                return
            await send(message)

        await self.app(scope, receive, rewrite)
