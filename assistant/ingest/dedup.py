"""Near-duplicate passages across documents are stored once, remembering every source.

A chunk whose word 5-gram shingles are mostly (``threshold``) found in an already kept document
is a duplicate: it is dropped and its document is added to the ``sources`` of the kept chunks
it overlaps. Chunk boundaries need not line up (an excerpt starts wherever it starts).
Documents are processed longest first, so the fuller document keeps the passage.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace

from ..records import Chunk
from ..textutil import words

SHINGLE = 5


def shingles(text: str, n: int = SHINGLE) -> set[int]:
    toks = words(text)
    if len(toks) < n:
        return {hash(" ".join(toks))} if toks else set()
    return {hash(" ".join(toks[i:i + n])) for i in range(len(toks) - n + 1)}


@dataclass
class DedupResult:
    chunks: list[Chunk]
    merged: dict[str, str] = field(default_factory=dict)  # dropped chunk (id, or id@doc) -> kept chunk id


def dedup_chunks(by_doc: dict[str, list[Chunk]], threshold: float = 0.8) -> DedupResult:
    """Merge near-duplicate chunks across documents; order of the result is deterministic."""
    order = sorted(by_doc, key=lambda d: (-sum(len(c.text) for c in by_doc[d]), d))
    kept: dict[str, Chunk] = {}
    kept_order: list[str] = []
    owner: dict[int, set[str]] = defaultdict(set)  # shingle -> kept chunk ids
    extra_sources: dict[str, list[str]] = defaultdict(list)
    merged: dict[str, str] = {}

    for doc_id in order:
        # this document's chunks join the lookup after it: a chunk is compared with other documents
        # only, without walking its own document's chunks for every shingle they share (quadratic)
        mine: list[tuple[str, set[int]]] = []
        for c in by_doc[doc_id]:
            sh = shingles(c.text)
            if c.id in kept:  # identical text already stored
                if doc_id not in kept[c.id].sources and doc_id not in extra_sources[c.id]:
                    extra_sources[c.id].append(doc_id)
                if kept[c.id] is not c:
                    merged[c.id + "@" + doc_id] = c.id
                continue
            hits: dict[str, int] = defaultdict(int)
            for s in sh:
                for cid in owner.get(s, ()):
                    hits[cid] += 1
            covered = sum(1 for s in sh if owner.get(s))
            if sh and covered / len(sh) >= threshold:
                best = max(hits, key=lambda cid: (hits[cid], cid))
                for cid, n in hits.items():
                    if cid == best or n >= 0.3 * len(sh):
                        if doc_id not in extra_sources[cid]:
                            extra_sources[cid].append(doc_id)
                merged[c.id] = best
                continue
            kept[c.id] = c
            kept_order.append(c.id)
            mine.append((c.id, sh))
        for cid, sh in mine:
            for s in sh:
                owner[s].add(cid)

    out = []
    for cid in kept_order:
        c = kept[cid]
        srcs = tuple(dict.fromkeys((*c.sources, *extra_sources.get(cid, ()))))
        out.append(replace(c, sources=srcs) if srcs != c.sources else c)
    return DedupResult(out, merged)
