"""``assistant doctor``: is the set-up sound? The index, the embedder, Chroma and the configured
generator (server reachable, model present, a one-line round trip and its time to first token),
each with what to fix."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .settings import Settings

log = logging.getLogger(__name__)

PING = "Antwoord met precies één woord: ok"
KIND = {"unreachable": "niet bereikbaar", "dns": "onbekende hostnaam (DNS)", "auth": "toegang geweigerd",
        "model": "model niet gevonden", "rate_limit": "overbelast (429)", "server": "serverfout",
        "timeout": "geen antwoord op tijd", "stalled": "viel stil", "cut": "antwoord afgebroken",
        "malformed": "onleesbaar antwoord", "empty": "leeg antwoord"}


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
        return Check(name, False, f"{type(e).__name__}: {e}", "voer uit met -v voor details")


def check_index(settings: Settings) -> tuple[Check, Any]:
    from .errors import AssistantError
    from .index import Index

    try:
        index = Index.open(settings)
    except AssistantError as e:
        return Check("index", False, str(e).split(" (")[0], "voer `assistant index` uit (of `--rebuild`)"), None
    units = "met zinsvectoren" if index.units is not None else "zonder zinsvectoren"
    return Check("index", True, f"{len(index.documents)} documenten, {len(index)} passages, {units} "
                               f"({index.generation.name} in {settings.index_dir})"), index


def check_embedder(settings: Settings) -> tuple[Check, Any]:
    from .embeddings import make_embeddings

    t0 = time.perf_counter()
    emb = make_embeddings(settings)
    vec = emb.embed_query("samenwerken met ouders")
    secs = time.perf_counter() - t0
    if not vec or not all(isinstance(x, float) for x in vec[:3]):
        return Check("embedder", False, f"{settings.embedder_id()} gaf geen vector",
                     "controleer ASSISTANT_EMBEDDER"), None
    return Check("embedder", True, f"{settings.embedder_id()}: {len(vec)} dimensies, geladen en 1 zin ingebed "
                                   f"in {secs:.2f} s"), emb


def check_chroma(settings: Settings, index: Any, emb: Any) -> Check:
    if index is None:
        return Check("chroma", False, "niet gecontroleerd: er is geen bruikbare index", skipped=True)
    store = index.store
    where = f"server {store.host}" if store.host else f"ingebed in {store.path}"
    n = store.count()
    if n != len(index):
        return Check("chroma", False, f"{where}: {n} vectoren voor {len(index)} passages",
                     "voer `assistant index --rebuild` uit")
    hits = store.query(emb.embed_query("samenwerken"), 1) if emb is not None and n else []
    return Check("chroma", bool(hits) or n == 0, f"{where}: {n} vectoren" + (", zoeken werkt" if hits else ""))


# --- the generator --------------------------------------------------------------------------------

def _fix_for(kind: str, settings: Settings) -> str:
    base = "ASSISTANT_LLM_BASE_URL"
    return {
        "unreachable": f"start de server (Ollama: `ollama serve`; llama.cpp: `llama-server …`) of corrigeer {base}",
        "dns": f"de hostnaam bestaat niet: corrigeer {base}",
        "auth": "zet een geldige sleutel in ASSISTANT_LLM_API_KEY",
        "model": f"haal het model op (`ollama pull {settings.llm_model}`) of kies er een uit de lijst "
                 "met ASSISTANT_LLM_MODEL",
        "rate_limit": "de server is overbelast: probeer later of verlaag het gebruik",
        "server": "bekijk het log van de LLM-server",
        "timeout": "de server is te traag voor ASSISTANT_LLM_TIMEOUT: kies een kleiner model of verhoog de timeout",
    }.get(kind, "bekijk het log van de LLM-server; de assistent valt intussen terug op extractieve antwoorden")


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
        return [Check("generator", True, "extractive (geen taalmodel ingesteld; ASSISTANT_GENERATOR=openai of "
                                         "ollama om er een te gebruiken)")]
    where = settings.llm_base_url or ("http://127.0.0.1:11434" if settings.generator == "ollama" else "api.openai.com")
    t0 = time.perf_counter()
    try:
        models = _list_models(settings)
    except Exception as e:  # noqa: BLE001 - every failure is reported with its fix
        kind = _status_kind(e)
        return [Check("generator", False, f"{settings.generator} op {where}: {KIND.get(kind, kind)} ({str(e)[:120]})",
                      _fix_for(kind, settings))]
    checks = [Check("generator", True, f"{settings.generator} op {where} bereikbaar "
                                       f"({time.perf_counter() - t0:.2f} s, {len(models)} modellen)")]
    wanted = settings.llm_model or ("llama3.1" if settings.generator == "ollama" else "")
    present = wanted in models or f"{wanted}:latest" in models
    if not present:
        shown = ", ".join(models[:8]) or "geen"
        checks.append(Check("model", False, f"{wanted or '(geen ASSISTANT_LLM_MODEL)'} staat niet op de server "
                                            f"(wel: {shown})", _fix_for("model", settings)))
        return checks
    checks.append(Check("model", True, f"{wanted} staat op de server"))
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
    try:
        for tok in guarded_stream(model, [HumanMessage(content=PING)], Limits.from_settings(settings)):
            first = first if first is not None else time.perf_counter() - t0
            pieces.append(tok)
    except LLMFailure as f:
        return Check("round trip", False, f"{KIND.get(f.kind, f.kind)} na {f.seconds:.2f} s ({f.detail[:120]})",
                     _fix_for(f.kind, settings))
    reply = " ".join("".join(pieces).split())[:60]
    if not reply:
        return Check("round trip", False, "leeg antwoord", _fix_for("empty", settings))
    slow = first is not None and first > settings.llm_timeout / 2
    return Check("round trip", True, f"“{reply}”: eerste token na {first or 0:.2f} s, klaar na "
                                     f"{time.perf_counter() - t0:.2f} s",
                 "het eerste token komt laat: overweeg een kleiner model of een hogere ASSISTANT_LLM_TIMEOUT"
                 if slow else "")


def run_checks(settings: Settings) -> list[Check]:
    index_check, index = check_index(settings)
    try:
        emb_check, emb = check_embedder(settings)
    except Exception as e:  # noqa: BLE001 - reported, with its fix
        emb_check, emb = Check("embedder", False, f"{type(e).__name__}: {e}", "controleer ASSISTANT_EMBEDDER en "
                                                                              "ASSISTANT_ST_MODEL"), None
    checks = [index_check, emb_check, _guard("chroma", lambda: check_chroma(settings, index, emb))]
    return checks + check_generator(settings)


def report(checks: list[Check]) -> str:
    bad = [c for c in checks if not c.ok and not c.skipped]
    lines = ["Samenwerkwijzer doctor"] + [ln for c in checks for ln in c.lines()]
    lines.append("Alles in orde." if not bad else f"{len(bad)} probleem/problemen: zie de regels met ✗.")
    return "\n".join(lines)

