"""The API's overhead over ``AssistantService.ask``, in the same run.

One process holds the service; the API (``assistant.api``, the same application ``assistant api``
serves) runs on uvicorn in a thread on a free loopback port, answering from that same service. Per
question, in alternating order: the engine's ``ask`` called directly, and the same messages posted
to ``/v1/chat/completions`` over HTTP (httpx, one kept-alive connection). Two overheads:

- ``overhead``: the client's round trip minus the answer time the server measured for that same
  request (its ``Server-Timing: answer;dur=`` header): HTTP, JSON in and out, request checks, the
  hop to the worker thread. Free of answer-to-answer noise, so it is the one the target judges.
- ``paired``: the API's round trip minus the direct call's for the same question (noisier: two
  different answer runs, on a shared machine).

``python -m benchmarks.api_overhead [--index-dir DIR] [--rounds N]`` runs it on its own.
"""

from __future__ import annotations

import argparse
import re
import threading
import time
from typing import Any

from .measure import free_port, lat, say

TARGET_P95_MS = 20.0
_TIMING = re.compile(r"answer;dur=([\d.]+)")


def _messages(item: Any) -> list[dict[str, str]]:
    return [*({"role": h["role"], "content": h["content"]} for h in item.history),
            {"role": "user", "content": item.question}]


class _Server:
    """uvicorn in a daemon thread, stopped with ``should_exit``."""

    def __init__(self, app: Any, port: int):
        import uvicorn

        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                                    access_log=False))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "_Server":
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the API server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


def bench_api(settings: Any, items: list[Any], rounds: int = 2, warmup: int = 2) -> dict[str, Any]:
    import httpx

    from assistant.api.server import make_app
    from assistant.service import AssistantService

    s = settings.model_copy(update={"api_rate_per_minute": 1_000_000, "api_keys": ""})
    service = AssistantService(s)
    engine = service.engine
    port = free_port()
    questions = [it for it in items if it.question.strip()]
    direct: list[float] = []
    api: list[float] = []
    overhead: list[float] = []
    paired: list[float] = []
    say(f"API overhead: {len(questions)} questions x {rounds} rounds, direct vs HTTP, interleaved")
    with _Server(make_app(s, service, "127.0.0.1", port), port), httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300) as http:
        def via_api(it: Any) -> tuple[float, float]:
            t = time.perf_counter()
            r = http.post("/v1/chat/completions", json={"model": "samenwerkwijzer", "messages": _messages(it)})
            total = time.perf_counter() - t
            r.raise_for_status()
            return total, float(_TIMING.search(r.headers["server-timing"]).group(1)) / 1000

        def via_engine(it: Any) -> float:
            t = time.perf_counter()
            engine.ask(it.question, list(it.history))
            return time.perf_counter() - t

        for it in questions[:warmup]:
            via_engine(it)
            via_api(it)
        for r in range(rounds):
            for i, it in enumerate(questions):
                if (i + r) % 2:
                    d = via_engine(it)
                    total, server = via_api(it)
                else:
                    total, server = via_api(it)
                    d = via_engine(it)
                direct.append(d)
                api.append(total)
                overhead.append(total - server)
                paired.append(total - d)
    over = lat(overhead)
    return {"questions": len(questions), "rounds": rounds, "direct": lat(direct), "api": lat(api),
            "overhead": over, "paired_difference": lat(paired), "target_p95_ms": TARGET_P95_MS,
            "met": over.get("p95_ms", 1e9) <= TARGET_P95_MS}


def report_lines(res: dict[str, Any]) -> list[str]:
    if not res:
        return []
    if "error" in res:
        return ["\n## API overhead\n", f"- failed: {res['error']}"]
    d, a, o, p = res["direct"], res["api"], res["overhead"], res["paired_difference"]
    return [
        f"\n## API overhead ({res['questions']} questions x {res['rounds']} rounds)\n",
        "| path | p50 ms | p95 ms | mean ms |", "|---|---|---|---|",
        f"| `AssistantService` engine `ask` | {d['p50_ms']} | {d['p95_ms']} | {d['mean_ms']} |",
        f"| `POST /v1/chat/completions` | {a['p50_ms']} | {a['p95_ms']} | {a['mean_ms']} |",
        f"| overhead (round trip - server's answer time) | {o['p50_ms']} | {o['p95_ms']} | {o['mean_ms']} |",
        f"| paired difference (API - direct, same question) | {p['p50_ms']} | {p['p95_ms']} | {p['mean_ms']} |",
        f"\nTarget: overhead p95 <= {res['target_p95_ms']:.0f} ms: {'met' if res['met'] else 'missed'}.",
    ]


def main() -> int:
    import json

    from assistant.evaluation.dataset import load_items
    from assistant.settings import Settings, project_root

    p = argparse.ArgumentParser(prog="python -m benchmarks.api_overhead", description=__doc__.split("\n")[0])
    p.add_argument("--index-dir")
    p.add_argument("--rounds", type=int, default=2)
    args = p.parse_args()
    settings = Settings(**({"index_dir": args.index_dir} if args.index_dir else {}))
    items = load_items(project_root() / "evals" / "qa.jsonl")
    res = bench_api(settings, items, rounds=args.rounds)
    print("\n".join(report_lines(res)))
    print(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
