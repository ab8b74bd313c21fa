"""Cold start: a fresh ``assistant ask`` process to its first answer line, and a fresh
``assistant serve`` to UI ready and to the first answer through its API (gradio_client)."""

from __future__ import annotations

import statistics
import subprocess
import time
import urllib.request
from typing import Any

from .measure import BIN, ROOT, clean_env, free_port, say, stop
from .plan import Plan

QUESTION_WORDS = ("ask", "answer", "chat", "respond", "vraag", "submit")
READY_TIMEOUT_S = 180


def _ask_once(exe: str, question: str, env: dict[str, str]) -> dict[str, Any]:
    t = time.perf_counter()
    proc = subprocess.Popen([exe, "ask", question], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, cwd=ROOT)
    assert proc.stdout is not None
    first = proc.stdout.readline()
    t_first = time.perf_counter() - t
    _rest, err = proc.communicate(timeout=300)
    t_exit = time.perf_counter() - t
    if proc.returncode != 0 or not first.strip():
        return {"error": (err or b"").decode(errors="replace")[-500:], "returncode": proc.returncode}
    return {"first_output_s": round(t_first, 3), "exit_s": round(t_exit, 3)}


def bench_cold_start(plan: Plan, settings: Any, question: str) -> dict[str, Any]:
    env = clean_env(ASSISTANT_INDEX_DIR=str(settings.index_dir), ASSISTANT_CORPUS_DIR=str(settings.corpus_dir),
                    PYTHONUNBUFFERED="1")
    say(f"cold start: `assistant ask` in a fresh process x {plan.cold_runs}")
    runs = [_ask_once(str(BIN / "assistant"), question, env) for _ in range(plan.cold_runs)]
    cli: dict[str, Any] = {"command": f"assistant ask {question!r}", "runs": runs}
    firsts = [r["first_output_s"] for r in runs if "first_output_s" in r]
    if firsts:
        cli |= {"median_s": round(statistics.median(firsts), 3), "min_s": round(min(firsts), 3),
                "max_s": round(max(firsts), 3)}
    return {"cli_ask": cli, "web_app": bench_web_app(settings, question)}


def pick_endpoint(endpoints: dict[str, Any]) -> tuple[str, list[dict[str, Any]]] | None:
    """The first named endpoint that takes parameters and whose name says it answers a question."""
    for name, spec in endpoints.items():
        params = spec.get("parameters", [])
        if params and any(w in name.lower() for w in QUESTION_WORDS):
            return name, params
    return None


def _wait_ready(proc: subprocess.Popen[bytes], url: str, deadline: float) -> str | None:
    """None once ``url`` answers 200, else why not (the process exited, or the deadline passed)."""
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace")[-500:] if proc.stderr else ""
            return f"serve exited with {proc.returncode}: {err}"
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return None
        except OSError:
            time.sleep(0.2)
    return f"the app did not answer within {READY_TIMEOUT_S} s"


def _first_answer(url: str, question: str) -> dict[str, Any]:
    """Ask ``question`` through the app's question endpoint; {"endpoint": name} or {"error": ...}."""
    try:
        from gradio_client import Client

        client = Client(url, verbose=False)
        api = client.view_api(return_format="dict", print_info=False) or {}
        endpoints = api.get("named_endpoints", {})
        pick = pick_endpoint(endpoints)
        if pick is None:
            return {"error": f"no question endpoint among {sorted(endpoints)}"}
        name, params = pick
        args = [question] + [p.get("parameter_default") if p.get("parameter_has_default") else None
                             for p in params[1:]]
        client.predict(*args, api_name=name)
        return {"endpoint": name}
    except Exception as e:  # noqa: BLE001 - the app's API is not ours to know
        return {"error": f"first answer through the app not measurable: {type(e).__name__}: {e}"}


def bench_web_app(settings: Any, question: str) -> dict[str, Any]:
    """``assistant serve`` start to the UI answering, and to its first answer."""
    say("cold start: web app (assistant serve) to first answer")
    port = free_port()
    env = clean_env(ASSISTANT_INDEX_DIR=str(settings.index_dir), ASSISTANT_CORPUS_DIR=str(settings.corpus_dir),
                    GRADIO_ANALYTICS_ENABLED="False")
    url = f"http://127.0.0.1:{port}/"
    out: dict[str, Any] = {"available": True, "url": url}
    t0 = time.perf_counter()
    proc = subprocess.Popen([str(BIN / "assistant"), "serve", "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    try:
        error = _wait_ready(proc, url, t0 + READY_TIMEOUT_S)
        if error:
            return out | {"error": error}
        out["ui_ready_s"] = round(time.perf_counter() - t0, 3)
        answer = _first_answer(url, question)
        if "endpoint" in answer:
            out["first_answer_s"] = round(time.perf_counter() - t0, 3)
        return out | answer
    finally:
        stop(proc, 15)

