"""Build, update and open the index: a vector store plus a BM25 side index.

Layout of ``index_dir``::

    CURRENT              name of the live generation (replaced atomically)
    gen-<time>-<rand>/   one complete generation: manifest.json, chunks.jsonl, documents.jsonl,
                         bm25/, unit and key vectors, and in embedded mode the vector store's folder
                         (see assistant/store.py; in server mode the collection is on the server)
    .lock                held while a build runs

A build writes a new generation next to the live one and only then swaps ``CURRENT``; an
interrupted build leaves the previous generation live. What a build does is decided first
(``index_plan.plan_build``) and carried out here with the steps of ``index_steps``: unchanged files
reuse their chunks and stored vectors, so only changed files are embedded again.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import logging
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .bm25 import BM25Index
from .embeddings import make_embeddings
from .errors import AssistantError, IndexMismatchError, IndexMissingError
from .fsutil import write_atomic as _write_atomic
from .index_plan import BuildPlan, config_key, plan_build, server_key, stable_hash
from .index_steps import (Documents, PassageVectors, ProgressCallback, bm25_text, build_keys, build_units,
                          chunk_from_json, chunk_to_json, dedup_documents, embed_text, embedder, generation_store,
                          read_documents, read_jsonl, search_keys, stored_ids, write_bm25, write_jsonl, write_store)
from .ingest.load import list_corpus, read_metadata
from .keys import KeyVectors, read_curated
from .prompts import ERRORS
from .records import Chunk
from .settings import Settings
from .store import VectorStore
from .units import UnitVectors

log = logging.getLogger(__name__)

# imported from here by chain.py, tests and benchmarks/
__all__ = ["BuildSummary", "Index", "ProgressCallback", "bm25_text", "build_index", "current_generation", "embed_text"]


@dataclass
class BuildSummary:
    files: int = 0
    chunks: int = 0
    embedded: int = 0  # chunks whose vectors were computed in this build
    reused: int = 0  # chunks whose vectors came from the previous generation
    units_embedded: int = 0  # answer units (sentences, lists) embedded in this build
    keys: int = 0  # search keys (headings, source and curated questions)
    keys_embedded: int = 0
    merged_duplicates: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    up_to_date: bool = False
    store_copied: bool = False  # the vector store started as a copy of the previous generation's
    seconds: float = 0.0
    generation: str = ""

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@contextmanager
def _build_lock(index_dir: Path) -> Iterator[None]:
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            raise AssistantError(ERRORS["index_busy"].format(index_dir=index_dir)) from e
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def current_generation(index_dir: Path) -> Path | None:
    cur = index_dir / "CURRENT"
    if not cur.exists():
        return None
    gen = index_dir / cur.read_text(encoding="utf-8").strip()
    return gen if (gen / "manifest.json").exists() else None


def _read_manifest(gen: Path) -> dict[str, Any]:
    return json.loads((gen / "manifest.json").read_text(encoding="utf-8"))


def build_index(settings: Settings, rebuild: bool = False, show_progress: bool = True,
                progress: ProgressCallback | None = None) -> BuildSummary:
    """Bring the index up to date with the corpus; see the module docstring. ``progress(done, total,
    stage)`` is called from the building thread as texts are embedded: stage ``"passages"``, then
    ``"sentences"`` (answer units), then ``"keys"`` (search keys); ``done`` counts up from 0 to ``total`` per stage. A stage with
    nothing to embed is not reported."""
    t0 = time.perf_counter()
    with _build_lock(settings.index_dir):
        summary = _build(settings, rebuild, show_progress, progress)
    summary.seconds = time.perf_counter() - t0
    return summary


@dataclass
class _Run:
    """One build under way: what it was asked and planned, the live generation, what it reports."""

    settings: Settings
    plan: BuildPlan
    old_gen: Path | None
    old_manifest: dict[str, Any]
    summary: BuildSummary
    show_progress: bool
    progress: ProgressCallback | None

    @property
    def reuse_from(self) -> Path | None:
        """The generation whose vectors this build may reuse."""
        return self.old_gen if self.plan.reuse_vectors else None


def _build(settings: Settings, rebuild: bool, show_progress: bool,
           progress: ProgressCallback | None) -> BuildSummary:
    files = list_corpus(settings.corpus_dir)
    old_gen = current_generation(settings.index_dir)
    old_manifest = _read_manifest(old_gen) if old_gen is not None else {}
    metadata = read_metadata(settings.corpus_dir)
    curated = read_curated(settings.corpus_dir) if settings.search_keys else []
    plan = plan_build(old_manifest or None, files, settings, rebuild=rebuild, metadata_hash=stable_hash(metadata),
                      keys_hash=stable_hash(curated),
                      previous_units=old_gen is not None and (old_gen / UnitVectors.FILE).exists())
    run = _Run(settings, plan, old_gen, old_manifest, BuildSummary(
        files=len(files), added=list(plan.added), changed=list(plan.changed), removed=list(plan.removed)),
        show_progress, progress)
    if plan.full and plan.reuse_vectors:
        log.info("index settings or text processing changed (%s): every file is read again", plan.reason)
    if plan.up_to_date:
        return _up_to_date(run)
    docs = read_documents(settings, plan, old_gen, metadata)
    run.summary.skipped, run.summary.warnings = docs.skipped, docs.warnings
    if plan.incremental and not docs.read and docs.kept_all and plan.side_files_current:
        return _keep_live(run)
    return _new_generation(run, docs, curated)


def _up_to_date(run: _Run) -> BuildSummary:
    """Nothing changed: the live generation stays."""
    assert run.old_gen is not None
    s = run.summary
    s.up_to_date = True
    s.chunks = int(run.old_manifest.get("chunks", 0))
    s.skipped = [tuple(x) for x in run.old_manifest.get("skipped", [])]  # type: ignore[misc]
    s.generation = run.old_gen.name
    _cleanup(run.settings, run.settings.index_dir, keep={s.generation, *_previous(run.settings.index_dir, s.generation)})
    return s


def _keep_live(run: _Run) -> BuildSummary:
    """Only unreadable files came, went or changed: the live generation already holds every readable
    document, so it stays live; its manifest records the files (and why they were skipped) so the
    next run is up to date."""
    assert run.old_gen is not None
    s, gen, manifest = run.summary, run.old_gen, run.old_manifest
    manifest.update(files=dict(run.plan.files), skipped=s.skipped, metadata_hash=run.plan.metadata_hash)
    _write_atomic(gen / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
    s.chunks = s.reused = int(manifest.get("chunks", 0))
    s.generation = gen.name
    _cleanup(run.settings, run.settings.index_dir, keep={gen.name, *_previous(run.settings.index_dir, gen.name)})
    return s


def _new_generation(run: _Run, docs: Documents, curated: list[Any]) -> BuildSummary:
    """Write a complete new generation next to the live one, then swap it in."""
    settings, s = run.settings, run.summary
    dedup = dedup_documents(docs.docs, settings)
    chunks = dedup.chunks
    s.merged_duplicates, s.chunks = len(dedup.merged), len(chunks)
    gen_dir = settings.index_dir / f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
    gen_dir.mkdir(parents=True)
    known = stored_ids(run.reuse_from, run.old_manifest, chunks)
    emb = make_embeddings(settings)  # loads its model on first use
    pv = PassageVectors(chunks, known, embedder(emb, "passages", run.show_progress, run.progress))
    pv.embed_missing()
    collection, churn = write_store(settings, pv, gen_dir, run.old_gen, run.old_manifest)
    s.store_copied = churn is not None
    s.embedded, s.reused = pv.embedded, len(chunks) - pv.embedded
    _write_side_files(run, emb, chunks, curated, gen_dir)
    write_jsonl(gen_dir / "chunks.jsonl", (chunk_to_json(c) for c in chunks))
    write_jsonl(gen_dir / "documents.jsonl", docs.docs)
    manifest = _manifest(run, collection, churn or 0, docs.docs, len(chunks), pv.vectors)
    _write_atomic(gen_dir / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
    _write_atomic(settings.index_dir / "CURRENT", gen_dir.name)  # the swap
    s.generation = gen_dir.name
    _cleanup(settings, settings.index_dir, keep={gen_dir.name, run.old_gen.name if run.old_gen else ""})
    return s


def _write_side_files(run: _Run, emb: Any, chunks: list[Chunk], curated: list[Any], gen_dir: Path) -> None:
    """Unit vectors, BM25 (over the passages and their keys) and key vectors."""
    s = run.summary
    if run.settings.unit_vectors:
        s.units_embedded = build_units(emb, chunks, gen_dir, run.reuse_from, run.show_progress, run.progress)
    keys = search_keys(run.settings, chunks, curated)
    write_bm25(chunks, keys, gen_dir)
    if keys:
        s.keys = len(keys)
        s.keys_embedded = build_keys(emb, keys, gen_dir, run.reuse_from, run.show_progress, run.progress)


def _manifest(run: _Run, collection: str, churn: int, docs: list[dict[str, Any]], chunks: int,
              vectors: dict[str, list[float]]) -> dict[str, Any]:
    return {
        "config": config_key(run.settings),
        "server": server_key(run.settings),
        "collection": collection,
        "store_churn": churn,  # chunks deleted from the store since it was last built whole
        "files": dict(run.plan.files),
        "metadata_hash": run.plan.metadata_hash,
        "keys_hash": run.plan.keys_hash,
        "skipped": run.summary.skipped,
        "chunks": chunks,
        "documents": [{"id": d["id"], "title": d["title"], "meta": d["meta"], "chunks": len(d["chunks"]),
                       "pages": d["pages"]} for d in docs],
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "dim": len(next(iter(vectors.values()))) if vectors else 0,
    }


def _previous(index_dir: Path, live: str) -> set[str]:
    """The newest complete generation before ``live`` (kept for readers that still use it)."""
    done = sorted(p.name for p in index_dir.glob("gen-*") if (p / "manifest.json").exists() and p.name < live)
    return {done[-1]} if done else set()


def _cleanup(settings: Settings, index_dir: Path, keep: set[str]) -> None:
    """Remove generations other than the live one and the one before it (readers may still use it),
    including half-written ones left by an interrupted build."""
    for tmp in index_dir.glob(".*.tmp"):  # CURRENT written by a build that was killed before its swap
        tmp.unlink(missing_ok=True)
    gens = sorted(p for p in index_dir.glob("gen-*") if p.is_dir())
    for g in gens:
        if g.name in keep:
            continue
        try:
            m = _read_manifest(g) if (g / "manifest.json").exists() else {}
            if m.get("server") and settings.server_mode:
                generation_store(g, m).drop()
        except Exception as e:  # noqa: BLE001 - cleanup is best effort
            log.debug("cleanup of %s: %s", g, e)
        shutil.rmtree(g, ignore_errors=True)


class Index:
    """A read-only view of the live generation: chunks in memory, BM25, and the vector store."""

    def __init__(self, settings: Settings, gen: Path, manifest: dict[str, Any]):
        self.settings = settings
        self.generation = gen
        self.manifest = manifest
        self.chunks: dict[str, Chunk] = {}
        for d in read_jsonl(gen / "chunks.jsonl"):
            c = chunk_from_json(d)
            self.chunks[c.id] = c
        self.bm25 = BM25Index.load(gen / "bm25")
        self.units = UnitVectors.load(gen)
        self.keys = KeyVectors.load(gen)
        if self.units is None and settings.unit_vectors:
            log.info("index %s has no sentence vectors: searching with BM25 and passage vectors only "
                     "(`assistant index` adds them)", gen.name)
        self.store: VectorStore = generation_store(gen, manifest)

    @classmethod
    def open(cls, settings: Settings) -> "Index":
        gen = current_generation(settings.index_dir)
        if gen is None:
            raise IndexMissingError(settings.index_dir)
        manifest = _read_manifest(gen)
        built = manifest.get("config", {}).get("embedder")
        if built != settings.embedder_id():
            raise IndexMismatchError(settings.index_dir, str(built), settings.embedder_id())
        return cls(settings, gen, manifest)

    @property
    def documents(self) -> list[dict[str, Any]]:
        return list(self.manifest.get("documents", []))

    def __len__(self) -> int:
        return len(self.chunks)
