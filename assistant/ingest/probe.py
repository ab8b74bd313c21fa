"""Reading an uploaded file the way indexing will, in a worker process with a time budget.

Python's ``re`` holds the interpreter while it runs, so a file that makes a repair slow would stall
every request of the web app; in a separate process it costs only that process, which is ended when
the budget runs out and the file is refused with that reason. The worker imports only the ingestion
modules (no embedder, no Chroma), so it stays small.
"""

from __future__ import annotations

import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Probe:
    """What reading a file gave: its characters of text, or why it cannot be a document."""

    chars: int = 0
    reason: str = ""
    too_long: int = 0  # the raw characters of a text refused for its length (0: not refused for that)


def read_probe(path: str, rel: str, size: int, sha: str, max_bytes: int, max_chars: int) -> Probe:
    """Runs in the worker: load (and clean) the file as the index build would."""
    from ..errors import DocumentError, TextTooLongError
    from .load import CorpusFile, load_file

    try:
        doc = load_file(CorpusFile(Path(path), rel, size, sha), {}, max_bytes, [], max_chars=max_chars)
    except TextTooLongError as e:
        return Probe(reason=e.reason, too_long=e.chars)
    except DocumentError as e:
        return Probe(reason=e.reason)
    return Probe(chars=len(doc.text))


def probe_file(path: Path, rel: str, sha: str, max_bytes: int, max_chars: int, timeout: float) -> Probe:
    """:func:`read_probe` in a fresh worker process, ended after ``timeout`` seconds."""
    from ..prompts import UI

    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    try:
        future = pool.submit(read_probe, str(path), rel, path.stat().st_size, sha, max_bytes, max_chars)
        return future.result(timeout=timeout)
    except FutureTimeout:
        log.warning("reading %s took longer than %.0f s: refused", rel, timeout)
        return Probe(reason=UI["reason_timeout"].format(seconds=round(timeout)))
    finally:
        for proc in list(getattr(pool, "_processes", {}).values()):
            proc.kill()  # a worker still busy with the file is ended, not waited for
        pool.shutdown(wait=False, cancel_futures=True)
