"""Indexing throughput of an upload in the web app, in characters per second: the number the
per-upload limit ``Settings.max_upload_chars`` is set from (see docs/decisions.md).

``python benchmarks/upload_throughput.py [--chars 100000] [--runs 1]``: a copy of the real corpus is
indexed in a temporary folder, then a .txt of unique, varied Dutch text (tests/helpers.py) is added
through :meth:`AssistantService.add_files`, as an upload in the app is. Prints characters, seconds,
characters/s, passages and sentences embedded.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    from benchmarks.corpus import varied_dutch_text

    from assistant.index import build_index
    from assistant.service import AssistantService
    from assistant.settings import Settings

    ap = argparse.ArgumentParser()
    ap.add_argument("--chars", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="upload-throughput-") as tmp:
        base = Path(tmp)
        shutil.copytree(ROOT / "corpus", base / "corpus")
        settings = Settings(corpus_dir=base / "corpus", index_dir=base / "index", data_dir=base / "data",
                            max_upload_mb=1000, max_upload_chars=10**9)
        t = time.perf_counter()
        build_index(settings, show_progress=False)
        print(f"corpus index: {time.perf_counter() - t:.1f} s", file=sys.stderr)
        service = AssistantService(settings)
        for run in range(args.runs):
            text = "\n\n".join(varied_dutch_text(ROOT / "corpus", args.chars, seed=run + 1))
            path = base / f"upload-{run}.txt"
            path.write_text(text, encoding="utf-8")
            t = time.perf_counter()
            report = service.add_files([(path.name, path)])
            seconds = time.perf_counter() - t
            s = report.summary
            assert report.added and s is not None, report
            print(json.dumps({"chars": len(text), "seconds": round(seconds, 1),
                              "chars_per_s": round(len(text) / seconds), "passages_embedded": s.embedded,
                              "sentences_embedded": s.units_embedded}))


if __name__ == "__main__":
    main()
