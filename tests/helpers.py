"""Helpers shared by the tests that start the web app as a real process."""

from __future__ import annotations

import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path


def wait_for_app(proc: subprocess.Popen[bytes], log: Path, url: str, timeout: float = 120,
                 any_http_answer: bool = False) -> None:
    """Block until ``url`` answers 200 (or any HTTP status with ``any_http_answer``, e.g. a 401 behind
    a login); fail with the server log when the process exits or the time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise AssertionError(f"the app exited ({proc.returncode}):\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except urllib.error.HTTPError:
            if any_http_answer:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"the app did not start:\n{log.read_text(errors='replace')}")
        time.sleep(0.3)


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """Terminate, and kill if it does not stop within 15 s."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)
