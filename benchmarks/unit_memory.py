"""Memory and time of the sentence (unit) vectors at scale: loaded whole vs memory-mapped.

``python benchmarks/unit_memory.py [--chunks 100000] [--json out.json]`` writes a synthetic index
generation's unit vectors (7 units per chunk, 384 dimensions, float16, random unit vectors) in the
old layout (matrix inside ``units.npz``) and the current one (``units-vectors.npy``, memory-mapped),
then, in a fresh process per layout: resident memory after loading, and the time and memory of 300
searches that score the best unit of 60 random candidate chunks each (what hybrid retrieval does).
Resident memory of a mapped file counts the file's pages once touched; they are page cache, shared
by every process serving the same index and given back under memory pressure, unlike the private
(anonymous) memory of a matrix read whole — both are reported.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import json, random, sys, time
import numpy as np
from assistant.units import UnitVectors

def rss(field="VmRSS:"):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return round(int(line.split()[1]) / 1024, 1)

folder = sys.argv[1]
r0 = rss()
t = time.perf_counter()
u = UnitVectors.load(__import__("pathlib").Path(folder))
load_s = time.perf_counter() - t
r1 = rss()
ids = list(u.rows)
rng = random.Random(7)
q = np.random.default_rng(7).standard_normal(384).astype(np.float32)
q /= np.linalg.norm(q)
times = []
for _ in range(300):
    cands = rng.sample(ids, 60)
    t = time.perf_counter()
    u.best(cands, q)
    times.append(time.perf_counter() - t)
times.sort()
print(json.dumps({"rss_before_mb": r0, "rss_after_load_mb": r1, "load_s": round(load_s, 3),
                  "rss_after_searches_mb": rss(), "private_after_searches_mb": rss("RssAnon:"),
                  "file_pages_after_searches_mb": rss("RssFile:"), "best_p50_ms": round(times[150] * 1000, 3),
                  "best_p95_ms": round(times[284] * 1000, 3), "mapped": type(u.vectors).__name__ == "memmap"}))
"""


def main() -> None:
    import numpy as np

    from assistant.units import UnitVectors

    ap = argparse.ArgumentParser()
    ap.add_argument("--chunks", type=int, default=100_000)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    n_units = args.chunks * 7
    rng = np.random.default_rng(13)
    with tempfile.TemporaryDirectory(prefix="unit-memory-") as tmp:
        vecs = np.empty((n_units, 384), dtype=np.float16)
        for a in range(0, n_units, 100_000):  # in blocks: float32 of all of it would be 1 GB
            block = rng.standard_normal((min(100_000, n_units - a), 384)).astype(np.float32)
            vecs[a:a + len(block)] = block / np.linalg.norm(block, axis=1, keepdims=True)
        ids = [f"c{i:07d}" for i in range(args.chunks)]
        offsets = list(range(0, n_units + 1, 7))
        keys = [f"k{i:09d}" for i in range(n_units)]
        units = UnitVectors(ids, offsets, keys, vecs)
        new, old = Path(tmp) / "mapped", Path(tmp) / "whole"
        new.mkdir()
        old.mkdir()
        units.save(new)
        np.savez(old / UnitVectors.FILE, chunk_ids=np.array(ids, dtype=str), offsets=np.array(offsets),
                 keys=np.array(keys, dtype=str), vectors=vecs)
        del units, vecs
        out = {"chunks": args.chunks, "units": n_units,
               "matrix_mb": round(n_units * 384 * 2 / 2**20, 1), "when": time.strftime("%Y-%m-%d %H:%M")}
        for name, folder in (("whole (before)", old), ("memory-mapped (now)", new)):
            res = subprocess.run([sys.executable, "-c", CHILD, str(folder)], capture_output=True, text=True,
                                 check=True)
            out[name] = json.loads(res.stdout)
    print(json.dumps(out, indent=1))
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
