"""One ASGI application for every route: FastAPI, with the Gradio app mounted at ``/`` and the
OpenAI-compatible API under ``/v1`` when it is switched on, all behind the same guard (host and
origin checks, body limits, security headers) and the login limit."""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError
from ..login_limit import LoginGuard, LoginLimiter, login_guard
from ..prompts import UI
from ..settings import Settings
from .gradio_check import GradioRequestCheck
from .guard import BodyLimits, SiteGuard
from .locale import DutchPages
from .origins import SitePolicy, is_loopback

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860
UPLOAD_PATHS = ("/gradio_api/upload",)


def upload_request_bytes(settings: Settings) -> int:
    """One upload request may carry several files; each is checked against max_upload_mb by name."""
    return int(max(settings.max_upload_mb * 5, 50) * 1e6)


def body_limits(settings: Settings) -> BodyLimits:
    api = int(getattr(settings, "api_max_body_bytes", 0) or settings.max_body_kb * 1024)
    rules = tuple((p, upload_request_bytes(settings)) for p in UPLOAD_PATHS) + (("/v1", api),)
    return BodyLimits(default=settings.max_body_kb * 1024, rules=rules)


def check_exposure(settings: Settings, host: str) -> bool:
    """Whether serving on ``host`` is allowed: loopback always; another address only behind a login,
    or when the operator said so explicitly (then True: the caller warns)."""
    if bool(settings.auth_user) != bool(settings.auth_password):
        raise ConfigError(UI["auth_incomplete"])
    if is_loopback(host) or settings.auth_user:
        return False
    if not settings.allow_no_login:
        raise ConfigError(UI["serve_exposed_no_login"].format(host=host))
    return True


def mount_options(settings: Settings, host: str, port: int) -> dict[str, Any]:
    """What ``gr.mount_gradio_app`` gets: login, limits, styling; no run history, no share link."""
    from .style import CSS, JS, theme

    user, password = settings.auth_user, settings.auth_password
    return {
        "server_name": host,
        "server_port": port,
        "run_history": False,  # no stored runs, no run-history routes (they can reach a Hugging Face bucket)
        "auth": login_guard(user, password) if user else None,
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
    }


def create_app(settings: Settings, service: Any = None, *, web: bool = True, api: bool = False,
               host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> Any:
    """The application ``assistant serve`` (and ``assistant api``) runs under uvicorn."""
    from fastapi import FastAPI
    from starlette.middleware.cors import CORSMiddleware

    policy = SitePolicy.build(host, port, settings.public_url)
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings, app.state.policy = settings, policy
    if service is None and (web or api):
        from ..service import AssistantService

        service = AssistantService(settings)
    app.state.service = service
    if api:
        from ..api import build_router

        app.include_router(build_router(service, settings))
    if web:
        import gradio as gr

        from .tabs import build_app

        demo = build_app(settings, service)
        demo.queue(default_concurrency_limit=max(1, settings.concurrency_limit))
        gr.mount_gradio_app(app, demo, path="/", **mount_options(settings, host, port))
        app.state.demo = demo
        app.add_middleware(GradioRequestCheck, demo=demo)
        app.add_middleware(DutchPages)  # Gradio's own labels in Dutch, whatever the browser's language
    # a CORS policy of our own: Gradio then adds none (it grants any origin when Host is not loopback)
    app.add_middleware(CORSMiddleware, allow_origins=sorted(policy.origins), allow_credentials=False,
                       allow_methods=["GET", "POST"], allow_headers=["authorization", "content-type"])
    if settings.auth_user:
        limiter = LoginLimiter(settings.login_max_failures, settings.login_window_s)
        app.add_middleware(LoginGuard, limiter=limiter, trusted_proxies=settings.trusted_proxies)
    app.add_middleware(SiteGuard, policy=policy, limits=body_limits(settings))  # outermost: runs first
    return app
