"""1. Indexing of the real corpus: a full build, no-change re-indexes, a re-index after one file
changed (on a copy, so the query phase uses the pristine index)."""

from __future__ import annotations

import gc
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

from .measure import dir_mb, peak_mb, reset_peak, rss_mb, say

EXTRA_PARAGRAPH = (
    "Aanvulling voor de benchmark. Een goede samenwerking tussen school, ouders en jeugdzorg begint met "
    "heldere afspraken over wie waarvoor verantwoordelijk is. Plan daarom aan het begin van het schooljaar "
    "een gezamenlijk overleg, leg de afspraken vast en kijk halverwege samen terug: wat gaat goed, wat "
    "kan beter en wie pakt welke vervolgstap op?"
)
SUFFIXES = (".txt", ".md", ".pdf")


def _full_build(settings: Any) -> dict[str, Any]:
    from assistant.index import build_index

    say("indexing: full build of the corpus")
    gc.collect()
    rss0 = rss_mb()
    reset_peak()
    t = time.perf_counter()
    s = build_index(settings, show_progress=False)
    wall = time.perf_counter() - t
    return {"seconds": round(wall, 3), "chunks": s.chunks, "embedded": s.embedded, "reused": s.reused,
            "chunks_per_s": round(s.chunks / wall, 3) if wall else None,
            "rss_before_mb": rss0, "peak_rss_mb": peak_mb(), "rss_after_mb": rss_mb(),
            "index_disk_mb": dir_mb(settings.index_dir)}


def _no_change(settings: Any) -> dict[str, Any]:
    from assistant.index import build_index

    say("indexing: re-index without changes")
    times = []
    for _ in range(3):
        t = time.perf_counter()
        s2 = build_index(settings, show_progress=False)
        times.append(time.perf_counter() - t)
        assert s2.up_to_date, "a no-change re-index was expected to find the index up to date"
    return {"seconds": round(statistics.median(times), 4), "runs": [round(x, 4) for x in times],
            "up_to_date": True}


def _one_file_changed(settings: Any, work: Path) -> dict[str, Any]:
    from assistant.index import build_index

    say("indexing: re-index after one file changed")
    corpus_b, index_b = work / "corpus-changed", work / "index-changed"
    shutil.copytree(settings.corpus_dir, corpus_b)
    shutil.copytree(settings.index_dir, index_b, ignore=shutil.ignore_patterns(".lock"))
    target = sorted(corpus_b.rglob("*.txt"), key=lambda p: p.stat().st_size)[0]
    with open(target, "a", encoding="utf-8") as fh:
        fh.write("\n\n" + EXTRA_PARAGRAPH + "\n")
    sb = settings.model_copy(update={"corpus_dir": corpus_b, "index_dir": index_b})
    reset_peak()
    t = time.perf_counter()
    s3 = build_index(sb, show_progress=False)
    wall = time.perf_counter() - t
    out = {
        "seconds": round(wall, 3), "file": target.name, "file_bytes": target.stat().st_size,
        "changed": s3.changed, "chunks": s3.chunks, "embedded": s3.embedded, "reused": s3.reused,
        "embedded_per_s": round(s3.embedded / wall, 3) if wall and s3.embedded else None,
        "peak_rss_mb": peak_mb(),
    }
    shutil.rmtree(corpus_b, ignore_errors=True)
    shutil.rmtree(index_b, ignore_errors=True)
    return out


def bench_indexing(plan: Any, settings: Any, work: Path) -> dict[str, Any]:
    res: dict[str, Any] = {"corpus_dir": str(settings.corpus_dir)}
    files = [p for p in settings.corpus_dir.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES]
    res["corpus"] = {"files": len(files), "bytes": sum(p.stat().st_size for p in files)}
    res["full"] = _full_build(settings)
    res["corpus"]["chunks"] = res["full"]["chunks"]
    res["no_change"] = _no_change(settings)
    res["one_file_changed"] = _one_file_changed(settings, work)
    return res
