"""``assistant doctor``: is the set-up sound? The index, the embedder, Chroma and the configured
generator (server reachable, model present, a one-line round trip and its time to first token),
each with what to fix."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .prompts import DOCTOR, DOCTOR_FIX, DOCTOR_KIND, DOCTOR_PING
from .settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    skipped: bool = False

    def lines(self) -> list[str]:
        mark = "–" if self.skipped else ("✓" if self.ok else "✗")
        out = [f"{mark} {self.name:<11} {self.detail}"]
        if self.fix:
            out.append(f"  → {self.fix}")
        return out


def _guard(name: str, fn: Callable[[], Check]) -> Check:
    try:
        return fn()
    except Exception as e:  # noqa: BLE001 - a check that breaks is a failed check, never a traceback
        log.debug("check %s failed", name, exc_info=True)
        return Check(name, False, f"{type(e).__name__}: {e}", DOCTOR["check_broke_fix"])


def check_index(settings: Settings) -> tuple[Check, Any]:
    from .errors import AssistantError
    from .index import Index

    try:
        index = Index.open(settings)
    except AssistantError as e:
        return Check("index", False, str(e).split(" (")[0], DOCTOR["index_fix"]), None
    units = DOCTOR["units_yes"] if index.units is not None else DOCTOR["units_no"]
    return Check("index", True, DOCTOR["index_ok"].format(
        documents=len(index.documents), passages=len(index), units=units, generation=index.generation.name,
        index_dir=settings.index_dir)), index


def check_embedder(settings: Settings) -> tuple[Check, Any]:
    from .embeddings import make_embeddings

    t0 = time.perf_counter()
    emb = make_embeddings(settings)
    vec = emb.embed_query("samenwerken met ouders")
    secs = time.perf_counter() - t0
    if not vec or not all(isinstance(x, float) for x in vec[:3]):
        return Check("embedder", False, DOCTOR["embedder_no_vector"].format(embedder=settings.embedder_id()),
                     DOCTOR["embedder_fix"]), None
    return Check("embedder", True, DOCTOR["embedder_ok"].format(embedder=settings.embedder_id(), dims=len(vec),
                                                                seconds=secs)), emb


def check_thresholds(settings: Settings) -> Check:
    """Whether the embedder's cosine thresholds were calibrated (else similarity checks are off)."""
    from .thresholds import for_settings

    t = for_settings(settings)
    if t.unset:
        return Check("thresholds", False, DOCTOR["thresholds_none"].format(embedder=t.embedder_id),
                     DOCTOR["thresholds_fix"])
    return Check("thresholds", True, DOCTOR["thresholds_ok"].format(embedder=t.embedder_id, dense=t.abstain_min_dense,
                                                                    support=t.support_min_cosine))


def check_chroma(settings: Settings, index: Any, emb: Any) -> Check:
    if index is None:
        return Check("chroma", False, DOCTOR["chroma_skipped"], skipped=True)
    store = index.store
    where = (DOCTOR["chroma_server"].format(host=store.host) if store.host
             else DOCTOR["chroma_embedded"].format(path=store.path))
    n = store.count()
    if n != len(index):
        return Check("chroma", False, DOCTOR["chroma_mismatch"].format(where=where, n=n, passages=len(index)),
                     DOCTOR["chroma_fix"])
    hits = store.query(emb.embed_query("samenwerken"), 1) if emb is not None and n else []
    return Check("chroma", bool(hits) or n == 0,
                 DOCTOR["chroma_ok"].format(where=where, n=n) + (DOCTOR["chroma_search_works"] if hits else ""))


# --- the generator --------------------------------------------------------------------------------

def _fix_for(kind: str, settings: Settings) -> str:
    return DOCTOR_FIX.get(kind, DOCTOR_FIX["other"]).format(base="ASSISTANT_LLM_BASE_URL", model=settings.llm_model)


def _list_models(settings: Settings) -> list[str]:
    """The model names the server offers (OpenAI /v1/models or Ollama /api/tags)."""
    import httpx

    if settings.generator == "ollama":
        url = (settings.llm_base_url or "http://127.0.0.1:11434").rstrip("/") + "/api/tags"
    else:
        url = (settings.llm_base_url or "https://api.openai.com/v1").rstrip("/") + "/models"
    headers = {"Authorization": f"Bearer {settings.llm_api_key}"} if settings.llm_api_key else {}
    r = httpx.get(url, headers=headers, timeout=settings.llm_timeout)
    r.raise_for_status()
    data = r.json()
    if settings.generator == "ollama":
        return [m.get("name", "") for m in data.get("models", [])]
    return [m.get("id", "") for m in data.get("data", [])]


def _status_kind(e: Exception) -> str:
    """The failure kind of an httpx error (an HTTP status, or what the LLM call would call it)."""
    from .answer.llmcall import classify

    status = getattr(getattr(e, "response", None), "status_code", None)
    if isinstance(status, int):
        kinds = {401: "auth", 403: "auth", 404: "model", 429: "rate_limit"}
        return kinds.get(status, "server" if status >= 500 else "other")
    return classify(e).kind


def check_generator(settings: Settings) -> list[Check]:
    if settings.generator == "extractive":
        return [Check("generator", True, DOCTOR["generator_none"])]
    where = settings.llm_base_url or ("http://127.0.0.1:11434" if settings.generator == "ollama" else "api.openai.com")
    t0 = time.perf_counter()
    try:
        models = _list_models(settings)
    except Exception as e:  # noqa: BLE001 - every failure is reported with its fix
        kind = _status_kind(e)
        return [Check("generator", False, DOCTOR["generator_failed"].format(
            generator=settings.generator, where=where, kind=DOCTOR_KIND.get(kind, kind), error=str(e)[:120]),
                      _fix_for(kind, settings))]
    checks = [Check("generator", True, DOCTOR["generator_ok"].format(
        generator=settings.generator, where=where, seconds=time.perf_counter() - t0, models=len(models)))]
    wanted = settings.llm_model or ("llama3.1" if settings.generator == "ollama" else "")
    present = wanted in models or f"{wanted}:latest" in models
    if not present:
        shown = ", ".join(models[:8]) or DOCTOR["models_none"]
        checks.append(Check("model", False, DOCTOR["model_missing"].format(model=wanted or DOCTOR["model_unset"],
                                                                           shown=shown), _fix_for("model", settings)))
        return checks
    checks.append(Check("model", True, DOCTOR["model_ok"].format(model=wanted)))
    checks.append(_guard("round trip", lambda: check_round_trip(settings)))
    return checks


def check_round_trip(settings: Settings) -> Check:
    from langchain_core.messages import HumanMessage

    from .answer.llm import chat_model_for
    from .answer.llmcall import Limits, LLMFailure, guarded_stream

    model = chat_model_for(settings)
    t0 = time.perf_counter()
    first: float | None = None
    pieces: list[str] = []
    info: dict[str, Any] = {}
    try:
        for tok in guarded_stream(model, [HumanMessage(content=DOCTOR_PING)], Limits.from_settings(settings), info):
            first = first if first is not None else time.perf_counter() - t0
            pieces.append(tok)
    except LLMFailure as f:
        return Check("round trip", False, DOCTOR["round_trip_failed"].format(
            kind=DOCTOR_KIND.get(f.kind, f.kind), seconds=f.seconds, detail=f.detail[:120]), _fix_for(f.kind, settings))
    reply = " ".join("".join(pieces).split())[:60]
    if not reply:  # the server answered, with nothing: no chat template, or a base model that ends at once
        return Check("round trip", False, DOCTOR["round_trip_empty"], _fix_for("empty", settings))
    if info.get("finish_reason") == "length":  # a one-word question answered until max_tokens
        return Check("round trip", False, DOCTOR["round_trip_runaway"].format(
            reply=reply[:40], max_tokens=settings.llm_max_tokens), _fix_for("runaway", settings))
    slow = first is not None and first > settings.llm_timeout / 2
    return Check("round trip", True, DOCTOR["round_trip_ok"].format(reply=reply, first=first or 0,
                                                                    total=time.perf_counter() - t0),
                 DOCTOR["round_trip_slow"] if slow else "")


def run_checks(settings: Settings) -> list[Check]:
    index_check, index = check_index(settings)
    try:
        emb_check, emb = check_embedder(settings)
    except Exception as e:  # noqa: BLE001 - reported, with its fix
        emb_check, emb = Check("embedder", False, f"{type(e).__name__}: {e}", DOCTOR["embedder_fix_load"]), None
    checks = [index_check, emb_check, _guard("thresholds", lambda: check_thresholds(settings)),
              _guard("chroma", lambda: check_chroma(settings, index, emb))]
    return checks + check_generator(settings)


def report(checks: list[Check]) -> str:
    bad = [c for c in checks if not c.ok and not c.skipped]
    lines = [DOCTOR["report_title"]] + [ln for c in checks for ln in c.lines()]
    lines.append(DOCTOR["report_ok"] if not bad else DOCTOR["report_bad"].format(n=len(bad)))
    return "\n".join(lines)

