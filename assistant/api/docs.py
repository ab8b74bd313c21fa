"""``/docs``: the OpenAPI description rendered by a small page of our own, served from here (FastAPI's
default page loads Swagger UI from a CDN, which an offline school network cannot reach and which
would tell a third party who reads the docs). The page's script is a separate file, so a strict
Content-Security-Policy (``script-src 'self'``) allows it; it only fetches ``/docs/openapi.json``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from ..prompts import API
from ..safe_text import escape_html

PAGE = """<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font: 15px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #1b1b1b; }}
h2 {{ font-size: 1.05rem; margin-top: 2rem; }}
.method {{ display: inline-block; min-width: 3.5rem; font-weight: bold; }}
pre {{ background: #f4f4f4; padding: .6rem; overflow-x: auto; font-size: 13px; }}
</style></head>
<body><h1>{title}</h1><p>{intro}</p><main id="routes"></main>
<script src="docs/docs.js"></script></body></html>
"""

# textContent only: nothing from the description is ever read as HTML
SCRIPT = """(async () => {
  const root = document.getElementById("routes");
  const spec = await (await fetch("docs/openapi.json")).json();
  const el = (tag, text) => { const e = document.createElement(tag); if (text) e.textContent = text; return e; };
  for (const [path, ops] of Object.entries(spec.paths || {})) {
    for (const [method, op] of Object.entries(ops)) {
      const h = el("h2"); const m = el("span", method.toUpperCase()); m.className = "method";
      h.append(m, " ", path); root.append(h);
      if (op.summary) root.append(el("p", op.summary));
      if (op.description) root.append(el("p", op.description));
      const schema = op.requestBody && op.requestBody.content && op.requestBody.content["application/json"];
      if (schema) root.append(el("pre", JSON.stringify(schema.schema, null, 2)));
      root.append(el("p", "→ " + Object.keys(op.responses || {}).join(", ")));
    }
  }
})();
"""


def add_routes(router: APIRouter) -> None:
    @router.get("/docs", include_in_schema=False)
    async def page(request: Request) -> Response:
        base = f"{request.base_url}v1"
        return HTMLResponse(PAGE.format(title=escape_html(API["docs_title"]), intro=escape_html(
            API["docs_intro"].format(base=base, spec="/docs/openapi.json"))))

    @router.get("/docs/docs.js", include_in_schema=False)
    async def script() -> Response:
        return Response(SCRIPT, media_type="text/javascript")

    @router.get("/docs/openapi.json", include_in_schema=False)
    async def spec(request: Request) -> Response:
        return JSONResponse(request.app.openapi())
