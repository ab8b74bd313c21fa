"""Resident memory of the three commands a school runs, each as its own process.

``python benchmarks/process_memory.py [--questions 50] [--json out.json]`` (also part of ``assistant
bench``): ``assistant index --rebuild`` of a copy of the corpus (peak RSS from the child's rusage),
``assistant ask --jsonl`` fed N questions of ``evals/qa.jsonl`` one line at a time (RSS and peak
after the last answer, read from ``/proc/<pid>/status``), and ``assistant serve`` asked the same N
questions through its ``/ask`` API (a new chat every five), RSS and peak read the same way. Each
answer's wall time is recorded too (p50/p95). The targets of issue 22: serve <= 600 MB, ask --jsonl
<= 400 MB, index --rebuild <= 450 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.measure import BIN, ROOT, clean_env, free_port, lat, loadavg, say, stop  # noqa: E402
from benchmarks.plan import TARGETS  # noqa: E402

LIMITS_MB = {"serve": TARGETS["serve_rss_mb"], "ask_jsonl": TARGETS["ask_jsonl_rss_mb"],
             "index_rebuild": TARGETS["index_rebuild_peak_mb"]}
NEW_CHAT_EVERY = 5


def _status_mb(pid: int) -> dict[str, float]:
    out: dict[str, float] = {}
    with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as fh:
        for line in fh:
            key = line.split(":", 1)[0]
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                out[key] = round(int(line.split()[1]) / 1024, 1)
    return {"rss_mb": out.get("VmRSS", 0.0), "peak_rss_mb": out.get("VmHWM", 0.0),
            "anon_mb": out.get("RssAnon", 0.0), "file_mb": out.get("RssFile", 0.0)}


def questions(n: int) -> list[dict[str, Any]]:
    """The first ``n`` questions of evals/qa.jsonl with their history (repeated when there are fewer)."""
    items = [json.loads(x) for x in (ROOT / "evals" / "qa.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    reqs = [{"question": it["question"], "history": it.get("history") or []} for it in items]
    return [reqs[i % len(reqs)] for i in range(n)]


def _env(index_dir: Path, corpus_dir: Path, data_dir: Path, models_dir: Path) -> dict[str, str]:
    return clean_env(ASSISTANT_INDEX_DIR=str(index_dir), ASSISTANT_CORPUS_DIR=str(corpus_dir),
                     ASSISTANT_DATA_DIR=str(data_dir), ASSISTANT_MODELS_DIR=str(models_dir),
                     GRADIO_ANALYTICS_ENABLED="False", PYTHONUNBUFFERED="1")


# Linux carries a process's peak RSS across exec, and a child spawned by a large process starts
# from that process's peak: a small Python starts the command and reports the child's own peak.
_PEAK = ("import os, subprocess, sys\n"
         "p = subprocess.Popen(sys.argv[2:])\n"
         "_, status, usage = os.wait4(p.pid, 0)\n"
         "open(sys.argv[1], 'w').write(str(usage.ru_maxrss))\n"
         "sys.exit(os.waitstatus_to_exitcode(status))\n")


def peak_of(cmd: list[str], env: dict[str, str] | None = None,
            cwd: Path | None = None) -> tuple[int, float, str]:
    """Run ``cmd``; its exit code, its own peak RSS in MB (not its parent's) and its stderr."""
    with tempfile.NamedTemporaryFile(suffix=".peak", delete=False) as fh:
        out = Path(fh.name)
    try:
        proc = subprocess.run([sys.executable, "-c", _PEAK, str(out), *cmd], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, env=env, cwd=cwd, check=False)
        text = out.read_text()
        return proc.returncode, int(text) / 1024 if text else 0.0, proc.stderr.decode(errors="replace")
    finally:
        out.unlink(missing_ok=True)


def measure_build(env: dict[str, str]) -> dict[str, Any]:
    """``assistant index --rebuild`` as its own process: wall time and peak RSS (its own rusage)."""
    say("process memory: assistant index --rebuild")
    t = time.perf_counter()
    code, peak, err = peak_of([str(BIN / "assistant"), "index", "--rebuild"], env, ROOT)
    if code:
        return {"error": f"exit {code}: {err[-500:]}"}
    return {"seconds": round(time.perf_counter() - t, 2), "peak_rss_mb": round(peak, 1)}


def measure_ask_jsonl(env: dict[str, str], reqs: list[dict[str, Any]]) -> dict[str, Any]:
    """``assistant ask --jsonl`` fed one question at a time; memory after the last answer."""
    say(f"process memory: assistant ask --jsonl, {len(reqs)} questions")
    proc = subprocess.Popen([str(BIN / "assistant"), "ask", "--jsonl"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
    assert proc.stdin is not None and proc.stdout is not None
    times, errors = [], 0
    try:
        for req in reqs:
            t = time.perf_counter()
            proc.stdin.write((json.dumps(req, ensure_ascii=False) + "\n").encode())
            proc.stdin.flush()
            line = proc.stdout.readline()
            times.append(time.perf_counter() - t)
            errors += int(not line or "error" in json.loads(line))
        mem = _status_mb(proc.pid)
    finally:
        proc.stdin.close()
        stop(proc, 30)
    return mem | {"questions": len(reqs), "errors": errors, "answer": lat(times[1:])}


def measure_serve(env: dict[str, str], reqs: list[dict[str, Any]]) -> dict[str, Any]:
    """``assistant serve`` asked through its ``/ask`` API; memory after the last answer."""
    from gradio_client import Client

    from benchmarks.coldstart import READY_TIMEOUT_S, _wait_ready

    say(f"process memory: assistant serve, {len(reqs)} questions through /ask")
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    proc = subprocess.Popen([str(BIN / "assistant"), "serve", "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    try:
        error = _wait_ready(proc, url, time.perf_counter() + READY_TIMEOUT_S)
        if error:
            return {"error": error}
        ready = _status_mb(proc.pid)
        client = Client(url, verbose=False)
        times = []
        for i, req in enumerate(reqs):
            if i and i % NEW_CHAT_EVERY == 0:
                client.predict(api_name="/new_chat")
            t = time.perf_counter()
            client.predict(req["question"], api_name="/ask")
            times.append(time.perf_counter() - t)
        mem = _status_mb(proc.pid)
    finally:
        stop(proc, 15)
    return mem | {"questions": len(reqs), "rss_ready_mb": ready["rss_mb"], "answer": lat(times[1:])}


def bench_process_memory(n_questions: int = 50, work: Path | None = None,
                         models_dir: Path | None = None, code: Path | None = None) -> dict[str, Any]:
    """The three processes in turn, on a copy of the corpus and a fresh index in ``work``; the
    converted model from ``models_dir`` (default: the checkout's ``data/models``, converted there
    first when missing); ``code``: another checkout whose ``assistant`` package the commands run
    (put first on PYTHONPATH), to measure a version before a change in the same run."""
    own = work is None
    work = Path(work or tempfile.mkdtemp(prefix="bench-procmem-"))
    try:
        corpus, index, data = work / "corpus", work / "index", work / "data"
        shutil.copytree(ROOT / "corpus", corpus, dirs_exist_ok=True)
        env = _env(index, corpus, data, Path(models_dir or ROOT / "data" / "models"))
        if code is not None:
            env["PYTHONPATH"] = os.pathsep.join([str(code), *filter(None, [env.get("PYTHONPATH")])])
        reqs = questions(n_questions)
        out: dict[str, Any] = {"loadavg_start": loadavg(), "limits_mb": LIMITS_MB}
        out["index_rebuild"] = measure_build(env)
        out["ask_jsonl"] = measure_ask_jsonl(env, reqs)
        out["serve"] = measure_serve(env, reqs)
        out["loadavg_end"] = loadavg()
        return out
    finally:
        if own:
            shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--questions", type=int, default=50)
    ap.add_argument("--json", help="write the result here")
    ap.add_argument("--models-dir", type=Path, help="converted models (default: data/models of the checkout)")
    ap.add_argument("--before", type=Path, metavar="CHECKOUT",
                    help="also measure this checkout (e.g. `git worktree add /tmp/old <commit>`), first, in the "
                         "same run; its converted models go to CHECKOUT/data/models")
    args = ap.parse_args(argv)
    before = None
    if args.before:
        before = bench_process_memory(args.questions, models_dir=args.before / "data" / "models", code=args.before)
    res = bench_process_memory(args.questions, models_dir=args.models_dir)
    if before is not None:
        res = {"before": before, "after": res, "before_checkout": str(args.before)}
    text = json.dumps(res, indent=1)
    print(text)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
