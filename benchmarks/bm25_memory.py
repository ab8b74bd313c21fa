"""Peak memory of building the BM25 index at scale: tokens as Python strings vs compact token ids.

``python benchmarks/bm25_memory.py [--chunks 100000] [--json out.json]`` makes N synthetic chunks
(8 random sentences of the corpus each, at most 1400 characters), then builds the BM25 index in a
fresh process per way: the former way (one list of token strings per chunk handed to bm25s) and the
shipped ``BM25Index.build`` (token ids in int32 arrays plus one vocabulary). Reports peak resident
memory, seconds, and whether both give the same top 10 for a few questions.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

CHILD = r"""
import json, random, resource, sys, time
from pathlib import Path
from assistant.bm25 import BM25Index
from assistant.index import Index
from assistant.settings import Settings

way, n, index_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
base = [c.text for c in Index.open(Settings(index_dir=Path(index_dir))).chunks.values()]
rng = random.Random(3)
sents = [s for t in base for s in t.split(". ") if len(s) > 30]
texts = [". ".join(rng.sample(sents, 8))[:1400] for _ in range(n)]
ids = [f"c{i}" for i in range(n)]
peak = lambda: round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
start = peak()
t = time.perf_counter()
if way == "strings":
    import bm25s
    index = BM25Index(bm25s.BM25(), ids)
    index.model.index([index.tokens(x) or ["∅"] for x in texts], show_progress=False)
else:
    index = BM25Index.build(ids, texts)
seconds = time.perf_counter() - t
questions = ["Hoe bouw ik vertrouwen op met ouders en jeugdzorg?", "Wat zijn faalfactoren van samenwerking?",
             "Hoe ga ik om met weerstand tegen verandering?"]
print(json.dumps({"peak_mb": peak(), "before_build_mb": start, "seconds": round(seconds, 1),
                  "top10": [index.search(q, 10) for q in questions]}))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chunks", type=int, default=100_000)
    ap.add_argument("--index-dir", default=str(Path(__file__).resolve().parent.parent / "index"))
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    out: dict = {"chunks": args.chunks, "when": time.strftime("%Y-%m-%d %H:%M")}
    for way in ("strings", "ids"):
        res = subprocess.run([sys.executable, "-c", CHILD, way, str(args.chunks), args.index_dir],
                             capture_output=True, text=True, check=True)
        out[way] = json.loads(res.stdout.strip().splitlines()[-1])
    out["same_top10"] = out["strings"].pop("top10") == out["ids"].pop("top10")
    print(json.dumps(out, indent=1))
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
