"""cProfile of the hot paths: ``python -m benchmarks profile [--out FILE] [--index-dir DIR]``."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .measure import ROOT, clean_env, loadavg, machine_info


def _table(source: Any, n: int) -> str:
    """The top ``n`` functions of a profile (or a profile file) by cumulative time, from the column header on."""
    import pstats

    buf = io.StringIO()
    pstats.Stats(source, stream=buf).sort_stats("cumulative").print_stats(n)
    text = buf.getvalue()
    return text[text.find("   ncalls"):] if "   ncalls" in text else text


def _profiled(fn: Callable[[], Any]) -> tuple[str, float]:
    """Run ``fn`` under cProfile: its top-25 table and its wall time in seconds."""
    import cProfile

    pr = cProfile.Profile()
    t = time.perf_counter()
    pr.enable()
    fn()
    pr.disable()
    wall = time.perf_counter() - t
    return _table(pr, 25), wall


def _cold_ask(question: str, index_dir: Path, work: Path) -> str:
    """A fresh ``assistant ask`` under cProfile, as a report section."""
    prof = work / "cold.prof"
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "cProfile", "-o", str(prof), "-m", "assistant.cli", "ask", question],
                   env=clean_env(ASSISTANT_INDEX_DIR=str(index_dir)), cwd=ROOT, capture_output=True, check=True)
    wall = time.perf_counter() - t
    return (f"## cold `assistant ask` (fresh process, under cProfile): {wall:.1f} s\n\n```\n"
            f"{_table(str(prof), 30)}```\n")


def _sections(settings: Any, questions: list[str], work: Path) -> list[str]:
    from assistant.answer.chain import AnswerEngine
    from assistant.index import build_index

    table, wall = _profiled(lambda: build_index(settings, show_progress=False))
    parts = [f"## build_index (full corpus): {wall:.1f} s\n\n```\n{table}```\n"]
    engine = AnswerEngine(settings)
    for q in questions[:3]:
        engine.ask(q)
    table, wall = _profiled(lambda: [engine.searcher.search(q, 10) for q in questions])
    parts.append(f"## {len(questions)} warm HybridSearcher.search: {1000 * wall / len(questions):.0f} ms "
                 f"each\n\n```\n{table}```\n")
    table, wall = _profiled(lambda: [engine.ask(q) for q in questions])
    parts.append(f"## {len(questions)} warm AnswerEngine.ask: {1000 * wall / len(questions):.0f} ms "
                 f"each\n\n```\n{table}```\n")
    engine.index.store.close()
    parts.append(_cold_ask(questions[0], settings.index_dir, work))
    return parts


def profile(out: Path, keep_index: Path | None = None) -> None:
    """cProfile of the paths that miss targets: a full build, warm searches, warm answers, and a
    cold ``assistant ask``; top functions by cumulative time, written to ``out``."""
    from assistant.evaluation.dataset import load_items
    from assistant.settings import Settings, project_root

    work = Path(tempfile.mkdtemp(prefix="samenwerkwijzer-profile-"))
    parts: list[str] = [f"# cProfile of Samenwerkwijzer hot paths ({time.strftime('%Y-%m-%dT%H:%M:%S')})",
                        f"load average {loadavg()}, OMP env {machine_info()['omp_env'] or 'unset'}\n"]
    try:
        settings = Settings(index_dir=keep_index or work / "index", data_dir=work / "data")
        items = [it for it in load_items(project_root() / "evals" / "qa.jsonl") if not it.history][:20]
        parts += _sections(settings, [it.question for it in items], work)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("\n".join(parts), encoding="utf-8")
        print(f"wrote {out}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
