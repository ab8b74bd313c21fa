"""What the trained reader costs a process: resident memory and start time (issue 19).

Each measurement runs in a fresh Python process: the e5 engine is loaded first (every answering
process has it), then the reader is assembled (cold: its ONNX model built into an empty models
folder; warm: from that cache) and scores 40 (question, unit) pairs. Reported: the seconds of each
start and the resident memory after the scoring minus that before the reader.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from .measure import say

_PROBE = r"""
import json, sys, time
from pathlib import Path
from assistant.e5.convert import load_or_convert
from assistant.reader.features import Candidate
from assistant.reader.load import load_reader

def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

e5 = load_or_convert(Path(sys.argv[1]))
e5.embed(["query: warm"], is_query=True)
before = rss()
t = time.perf_counter()
reader = load_reader(Path(sys.argv[2]), e5)
start = time.perf_counter() - t
units = [Candidate(f"Zin {i}: scholen en ouders maken samen afspraken over de zorg voor een leerling.", "Kop",
                   "Een zin ervoor.", "Een zin erna.") for i in range(40)]
t = time.perf_counter()
reader.score("Hoe maken school en ouders afspraken?", units)
first = time.perf_counter() - t
print(json.dumps({"start_s": start, "first_score_s": first, "rss_before_mb": before, "rss_added_mb": rss() - before}))
"""


def _run(e5_dir: Path, reader_dir: Path) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-c", _PROBE, str(e5_dir), str(reader_dir)], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_reader_cost(e5_dir: Path, work: Path) -> dict[str, Any]:
    say("reader: start time and resident memory (fresh processes)")
    reader_dir = work / "reader-models"
    cold = _run(e5_dir, reader_dir)
    warm = _run(e5_dir, reader_dir)
    return {"cold": cold, "warm": warm, "targets": {"rss_added_mb": 150.0, "start_s": 2.0}}
