"""Re-indexing the vector store: every vector added again vs a copy of the previous store plus the
difference. ``python benchmarks/store_copy.py [--chunks 20000] [--json out.json]``: random unit
vectors; a full build of the collection, then a copy of its folder with 1 % of the chunks deleted and
1 % new ones added (what ``assistant index`` now does after a change in one of a hundred files).
Before, a build also read every vector of the previous store; now it reads only its ids.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path


def main() -> None:
    import numpy as np

    from assistant.store import copy_folder
    from assistant.records import Chunk
    from assistant.store import VectorStore

    ap = argparse.ArgumentParser()
    ap.add_argument("--chunks", type=int, default=20_000)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    n = args.chunks
    rng = np.random.default_rng(0)
    vecs = rng.standard_normal((n + n // 100, 384)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)

    def chunk(i: int) -> Chunk:
        return Chunk(id=f"c{i:07d}", doc_id="d.txt", title="T", section="S", text=f"tekst {i}", page=None,
                     start=0, end=8)

    chunks = [chunk(i) for i in range(n)]
    with tempfile.TemporaryDirectory(prefix="store-copy-") as tmp:
        base = Path(tmp)
        t = time.perf_counter()
        store = VectorStore.create("col", base / "a")
        store.add(chunks, vecs[:n].tolist())
        store.close()
        full = time.perf_counter() - t
        store = VectorStore("col", base / "a")
        t = time.perf_counter()
        store.vectors([c.id for c in chunks])  # what a build read from the previous store before
        fetch_vectors = time.perf_counter() - t
        t = time.perf_counter()
        store.ids()  # what it reads now when the store is copied
        fetch_ids = time.perf_counter() - t
        store.close()
        t = time.perf_counter()
        copy_folder(base / "a", base / "b")  # what assistant index does: SQLite backup + segment files
        store = VectorStore("col", base / "b")
        store.delete([c.id for c in chunks[: n // 100]])
        store.add([chunk(n + i) for i in range(n // 100)], vecs[n:].tolist())
        count = store.count()
        top = store.query(vecs[n // 2].tolist(), 1)[0][0]
        store.close()
        delta = time.perf_counter() - t
    out = {"chunks": n, "when": time.strftime("%Y-%m-%d %H:%M"), "add_every_vector_s": round(full, 2),
           "copy_plus_difference_s": round(delta, 2), "ratio": round(full / delta, 1),
           "read_previous_vectors_s": round(fetch_vectors, 2), "read_previous_ids_s": round(fetch_ids, 3),
           "before_total_s": round(fetch_vectors + full, 2), "now_total_s": round(fetch_ids + delta, 2),
           "count_after": count,
           "query_finds_kept_chunk": top == f"c{n // 2:07d}"}
    print(json.dumps(out, indent=1))
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
