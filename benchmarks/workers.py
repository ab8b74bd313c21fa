"""Measurements in a child process of their own (its own memory, its own OpenMP settings):
``python -m benchmarks worker CONFIG.json`` runs one task and writes its result as JSON."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .measure import ROOT, clean_env


def tasks() -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
    """The worker tasks by name (imported on use: a worker loads only what its task needs)."""
    from .embedding import probe
    from .scale import scale_build, scale_serve

    return {"scale-build": scale_build, "scale-serve": scale_serve, "probe": probe}


def worker_command(cfg_path: Path, module: str = "benchmarks") -> list[str]:
    return [sys.executable, "-m", module, "worker", str(cfg_path)]


def run_task(cfg_path: Path) -> None:
    """The child's side: read the config, run its task, write the result where the config says."""
    cfg = json.loads(Path(cfg_path).read_text(encoding="utf-8"))
    result = tasks()[cfg["task"]](cfg)
    Path(cfg["out"]).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")


def run_worker(cfg: dict[str, Any], work: Path, env_extra: dict[str, str] | None = None,
               strip_omp: bool = False, timeout: float = 7200) -> dict[str, Any]:
    """Run one measurement in a child process (its own memory, its own OpenMP settings)."""
    tag = f"{cfg['task']}-{time.time_ns()}"
    cfg = dict(cfg, out=str(work / f"{tag}.out.json"))
    cfg_path = work / f"{tag}.json"
    cfg_path.write_text(json.dumps(cfg, ensure_ascii=False), encoding="utf-8")
    env = clean_env()
    if strip_omp:
        env = {k: v for k, v in env.items() if not k.startswith("OMP_")}
    env.update(env_extra or {})
    proc = subprocess.run(worker_command(cfg_path), env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"worker {cfg['task']} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return json.loads(Path(cfg["out"]).read_text(encoding="utf-8"))
