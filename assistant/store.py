"""Thin adapter around Chroma: embedded (a folder) or a Chroma server, telemetry off.

Nothing else in the package imports chromadb or knows its files and collections: an index
generation's store is opened, created and copied through the functions at the end.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .records import Chunk

log = logging.getLogger(__name__)

_BATCH = 1000
STORE_DIR = "chroma"  # an embedded store's folder inside an index generation
_DATABASE = "chroma.sqlite3"


def _client(path: Path | None, host: str = "", port: int = 8000) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    cs = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if host:
        return chromadb.HttpClient(host=host, port=port, settings=cs)
    assert path is not None
    return chromadb.PersistentClient(path=str(path), settings=cs)


def release_stores() -> None:
    """Forget chromadb's cached clients (one per folder): a folder can then be removed or rebuilt,
    also after a client failed to open it."""
    try:
        from chromadb.api.shared_system_client import SharedSystemClient

        SharedSystemClient.clear_system_cache()
    except Exception:  # noqa: BLE001 - best effort
        pass


class VectorStore:
    """One Chroma collection of chunk vectors (cosine space)."""

    def __init__(self, collection: str, path: Path | None = None, host: str = "", port: int = 8000):
        self.name = collection
        self.path = path
        self.host = host
        self._client = _client(path, host, port)
        self._col: Any = None

    @classmethod
    def create(cls, collection: str, path: Path | None = None, host: str = "", port: int = 8000) -> "VectorStore":
        store = cls(collection, path, host, port)
        try:
            store._client.delete_collection(collection)
        except Exception:  # noqa: BLE001 - absent collection
            pass
        store._col = store._client.create_collection(
            collection, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
        )
        return store

    @property
    def col(self) -> Any:
        if self._col is None:
            self._col = self._client.get_collection(self.name, embedding_function=None)
        return self._col

    def add(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        for i in range(0, len(chunks), _BATCH):
            part = chunks[i:i + _BATCH]
            self.col.add(
                ids=[c.id for c in part],
                embeddings=[list(v) for v in vectors[i:i + _BATCH]],
                documents=[c.text for c in part],
                metadatas=[c.metadata() for c in part],
            )

    def ids(self) -> list[str]:
        """Every chunk id in the collection."""
        out: list[str] = []
        total = self.count()
        for off in range(0, total, _BATCH * 10):
            out += self.col.get(include=[], limit=_BATCH * 10, offset=off)["ids"]
        return out

    def delete(self, ids: Sequence[str]) -> None:
        for i in range(0, len(ids), _BATCH):
            self.col.delete(ids=list(ids[i:i + _BATCH]))

    def update_metadata(self, chunks: Sequence[Chunk]) -> None:
        """New metadata for chunks already stored (an id is its text's hash, so text and vector stay)."""
        for i in range(0, len(chunks), _BATCH):
            part = chunks[i:i + _BATCH]
            self.col.update(ids=[c.id for c in part], metadatas=[c.metadata() for c in part])

    def vectors(self, ids: Sequence[str]) -> dict[str, list[float]]:
        """Stored vectors for the ids that exist (used to avoid re-embedding unchanged chunks)."""
        out: dict[str, list[float]] = {}
        for i in range(0, len(ids), _BATCH):
            got = self.col.get(ids=list(ids[i:i + _BATCH]), include=["embeddings"])
            for cid, vec in zip(got["ids"], got["embeddings"]):
                out[cid] = [float(x) for x in vec]
        return out

    def query(self, vector: Sequence[float], n: int) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity), best first."""
        res = self.col.query(query_embeddings=[list(vector)], n_results=n, include=["distances"])
        return [(cid, 1.0 - float(d)) for cid, d in zip(res["ids"][0], res["distances"][0])]

    def count(self) -> int:
        return int(self.col.count())

    def iter_chunks(self) -> Iterator[Chunk]:
        total = self.count()
        for off in range(0, total, _BATCH):
            got = self.col.get(include=["documents", "metadatas"], limit=_BATCH, offset=off)
            for cid, text, meta in zip(got["ids"], got["documents"], got["metadatas"]):
                yield Chunk.from_metadata(cid, text, meta)

    def drop(self) -> None:
        try:
            self._client.delete_collection(self.name)
        except Exception:  # noqa: BLE001 - already gone
            pass

    def close(self) -> None:
        """Release the embedded store's files (so its folder can be removed)."""
        self._col = None
        release_stores()


def collection_name(base: str, generation: str, server_mode: bool) -> str:
    """The collection a generation's vectors go to: on a server one per generation (the live one is
    untouched until the swap); embedded, each generation has its own folder."""
    return f"{base}-{generation}" if server_mode else base


def open_store(gen_dir: Path, collection: str, server: str = "") -> VectorStore:
    """A generation's store: on the server ``"host:port"``, else in the generation's folder."""
    if server:
        host, _, port = server.rpartition(":")
        return VectorStore(collection, None, host, int(port))
    return VectorStore(collection, gen_dir / STORE_DIR)


def create_store(gen_dir: Path, collection: str, host: str = "", port: int = 8000) -> VectorStore:
    """A new, empty store for a generation (whatever a failed attempt left in its folder goes)."""
    shutil.rmtree(gen_dir / STORE_DIR, ignore_errors=True)
    return VectorStore.create(collection, None if host else gen_dir / STORE_DIR, host, port)


def copy_store(old_gen: Path, gen_dir: Path, collection: str) -> VectorStore:
    """Open a copy of the previous generation's embedded store in ``gen_dir``."""
    copy_folder(old_gen / STORE_DIR, gen_dir / STORE_DIR)
    return VectorStore(collection, gen_dir / STORE_DIR)


def copy_folder(source: Path, target: Path) -> None:
    """Copy an embedded Chroma folder consistently even while other processes read it: the SQLite
    database through SQLite's backup (a snapshot), then the vector segment files."""
    import sqlite3

    shutil.copytree(source, target, ignore=shutil.ignore_patterns(f"{_DATABASE}*"))
    src = sqlite3.connect(f"file:{source / _DATABASE}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target / _DATABASE)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
