"""What an index build does, decided before any of it is done: a pure function of the previous
build's manifest, the corpus files and the settings (no I/O, no vector store, no embedder).

``assistant.index.build_index`` carries the plan out with the steps in ``assistant.index_steps``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from .settings import Settings

FORMAT = 2  # 2: BM25 on character 5-grams (unit vectors are added to older generations by the next build)
# Bumped when loading, cleaning or chunking changes what a file becomes: the next build reads every
# file again (vectors of passages whose text did not change are still reused). 2: a PDF's own title,
# author and year fill what metadata.toml leaves out. 3: footnotes inside running text move to the
# end of the page, footnote markers glued to words go (units are tagged with roles).
INGEST_VERSION = 3
# Bumped when the search keys a passage gets change (1: headings, source questions, curated questions).
KEYS_VERSION = 1

# Why a build reads every file again (BuildPlan.reason); "" when it reuses the previous build.
NO_INDEX = "no previous index"
REBUILD = "rebuild asked"
STORE_MOVED = "vector store server changed"
EMBEDDER = "embedder changed"
FORMAT_CHANGED = "index format changed"
CHUNKING = "chunking settings changed"
INGEST = "text processing changed"
KEYS = "search keys changed"
SETTINGS = "index settings changed"
# after these the previous vectors are not reused either (another model, store or format made them)
_VECTORS_GONE = (NO_INDEX, REBUILD, STORE_MOVED, EMBEDDER, FORMAT_CHANGED)
# config keys -> the reason a difference in them gives, checked in this order
_CONFIG_REASONS = ((("chunk_size", "chunk_overlap", "dedup_threshold"), CHUNKING),
                   (("ingest",), INGEST), (("keys",), KEYS))


class SourceFile(Protocol):
    """A corpus file as ``ingest.load.list_corpus`` lists it (only these two fields are used)."""

    rel: str  # the document id
    sha: str  # a hash of its bytes


def config_key(s: Settings) -> dict[str, Any]:
    """The settings and versions a build's chunks depend on (the manifest's ``config``)."""
    return {"format": FORMAT, "ingest": INGEST_VERSION, "keys": KEYS_VERSION if s.search_keys else 0,
            "embedder": s.embedder_id(), "chunk_size": s.chunk_size,
            "chunk_overlap": s.chunk_overlap, "dedup_threshold": s.dedup_threshold}


def server_key(s: Settings) -> str:
    """The Chroma server a build's vectors live on ("" in embedded mode)."""
    return f"{s.chroma_host}:{s.chroma_port}" if s.server_mode else ""


def stable_hash(obj: Any) -> str:
    """A short hash of JSON-able data that does not depend on key order."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class BuildPlan:
    """What a build does. In a full build every file counts as added; in an incremental one each file
    is added, changed, removed or unchanged with respect to the previous build."""

    files: dict[str, str] = field(hash=False, compare=False)  # every current file -> its content hash
    full: bool  # every file is read and chunked again
    reason: str  # why a full build (one of the constants above); "" for an incremental one
    reuse_vectors: bool  # the previous build's vectors come from this embedder: unchanged passages keep them
    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()  # read and chunked again; only passages with new text are embedded
    removed: tuple[str, ...] = ()  # their passages leave the index
    # same content as before: their chunks are reused (read again only when their metadata.toml
    # entry changed or they could not be read last time, which the previous documents tell)
    unchanged: tuple[str, ...] = ()
    side_files_current: bool = False  # the previous unit vectors and search keys fit these settings
    up_to_date: bool = False  # nothing to do: the live index stays as it is
    metadata_hash: str = ""  # of metadata.toml and the curated questions, for the new manifest
    keys_hash: str = ""

    @property
    def incremental(self) -> bool:
        return not self.full


def full_build_reason(previous: Mapping[str, Any] | None, settings: Settings, rebuild: bool = False) -> str:
    """Why the previous build's chunks cannot be reused ("" when they can)."""
    if not previous:
        return NO_INDEX
    if rebuild:
        return REBUILD
    old, new = previous.get("config") or {}, config_key(settings)
    if previous.get("server") != server_key(settings):
        return STORE_MOVED
    if old.get("embedder") != new["embedder"]:
        return EMBEDDER
    if old.get("format") != new["format"]:
        return FORMAT_CHANGED
    if old == new:
        return ""
    for keys, reason in _CONFIG_REASONS:
        if any(old.get(k) != new[k] for k in keys):
            return reason
    return SETTINGS


def plan_build(previous: Mapping[str, Any] | None, files: Sequence[SourceFile], settings: Settings, *,
               rebuild: bool = False, metadata_hash: str = "", keys_hash: str = "",
               previous_units: bool = False) -> BuildPlan:
    """Decide a build. ``previous`` is the live generation's manifest (None without one),
    ``metadata_hash`` and ``keys_hash`` are ``stable_hash`` of corpus/metadata.toml and of the
    curated questions, ``previous_units`` whether the live generation holds unit vectors."""
    current = {f.rel: f.sha for f in files}
    reason = full_build_reason(previous, settings, rebuild)
    reuse_vectors = reason not in _VECTORS_GONE
    hashes = {"metadata_hash": metadata_hash, "keys_hash": keys_hash}
    if reason:
        return BuildPlan(current, full=True, reason=reason, reuse_vectors=reuse_vectors, added=tuple(sorted(current)),
                         **hashes)
    assert previous is not None  # an incremental build has a previous one
    old: dict[str, str] = previous.get("files", {})
    # a manifest without keys_hash predates search keys' curated questions: it counts as the same
    side_files_current = previous_units == settings.unit_vectors \
        and previous.get("keys_hash", keys_hash) == keys_hash
    return BuildPlan(
        current, full=False, reason="", reuse_vectors=reuse_vectors,
        added=tuple(sorted(set(current) - set(old))),
        changed=tuple(sorted(k for k in set(current) & set(old) if current[k] != old[k])),
        removed=tuple(sorted(set(old) - set(current))),
        unchanged=tuple(sorted(k for k in set(current) & set(old) if current[k] == old[k])),
        side_files_current=side_files_current,
        up_to_date=old == current and side_files_current and previous.get("metadata_hash") == metadata_hash,
        **hashes,
    )
