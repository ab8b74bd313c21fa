"""Search keys: the questions a passage answers (document-side expansion, doc2query).

Users ask in their own words ("mijn collega's zien het niet zitten") where the text says
"weerstand". Every passage gets keys that point to it: its section heading, the questions the
source itself asks there (the answer follows them), and curated questions from
``<corpus>/questions.jsonl`` (``{"doc", "section", "anchor", "question"}`` per line, the anchor an
exact excerpt where the answer starts, so the keys survive re-chunking). A user's question is
matched against the keys too: their words are added to the passage's BM25 text, and their vectors
(``keys.npz`` in an index generation, reused by content hash) give retrieval a fourth signal.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .records import Chunk, content_hash
from .units import units_of

log = logging.getLogger(__name__)

KEYS_FILE = "questions.jsonl"


@dataclass(frozen=True)
class Key:
    text: str
    chunk_id: str
    kind: str  # "heading" | "source" (a question in the text) | "curated" | "llm"


def _norm(text: str) -> str:
    return " ".join(text.split())


def heading_of(section: str) -> str:
    """The last part of a section path without its numbering ("Bouwsteen › 2 | Recht doen" ->
    "Recht doen")."""
    last = section.split(" › ")[-1]
    return re.sub(r"^\d+(?:\.\d+)*\s*[.|]?\s*", "", last).strip()


def source_keys(chunks: Sequence[Chunk]) -> list[Key]:
    """Each section's heading (pointing to its first passage) and every question the text asks
    (pointing to the passage holding it, where its answer follows)."""
    out: list[Key] = []
    seen_sections: set[tuple[str, str]] = set()
    for c in chunks:
        head = heading_of(c.section)
        if head and (c.doc_id, c.section) not in seen_sections and len(head.split()) >= 2:
            out.append(Key(head, c.id, "heading"))
        seen_sections.add((c.doc_id, c.section))
        for u in units_of(c.text, 0):
            if u.role == "question":
                out.append(Key(u.text, c.id, "source"))
    return out


def read_curated(corpus_dir: Path) -> list[dict[str, str]]:
    """The curated questions beside the corpus ([] when there is no file; bad lines are skipped
    with a warning naming the line)."""
    path = corpus_dir / KEYS_FILE
    if not path.exists():
        return []
    out = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            out.append({k: str(d[k]) for k in ("doc", "section", "anchor", "question")})
        except (ValueError, KeyError, TypeError) as e:
            log.warning("%s line %d skipped: %s", path, i, e)
    return out


def curated_keys(chunks: Sequence[Chunk], entries: Iterable[dict[str, str]]) -> list[Key]:
    """Curated questions pointing to the passage that holds their anchor (in their document and
    section; else the section's first passage; an entry whose section is gone is dropped)."""
    by_section: dict[tuple[str, str], list[Chunk]] = {}
    for c in chunks:
        for doc in c.sources or (c.doc_id,):
            by_section.setdefault((doc, c.section), []).append(c)
    out = []
    for e in entries:
        cands = by_section.get((e["doc"], e["section"]), [])
        if not cands:
            continue
        anchor = _norm(e["anchor"])
        hit = next((c for c in cands if anchor and anchor in _norm(c.text)), cands[0])
        out.append(Key(e["question"], hit.id, "curated"))
    return out


def keys_by_chunk(keys: Iterable[Key]) -> dict[str, list[Key]]:
    out: dict[str, list[Key]] = {}
    for k in keys:
        out.setdefault(k.chunk_id, []).append(k)
    return out


class KeyVectors:
    """The keys of an index generation with their vectors (``keys.npz``)."""

    FILE = "keys.npz"

    def __init__(self, keys: Sequence[Key], vectors: Any):
        self.keys = list(keys)
        self.vectors = vectors  # (n_keys, dim) float16

    def __len__(self) -> int:
        return len(self.keys)

    def best(self, query_vector: Sequence[float]) -> dict[str, float]:
        """Per passage with keys, the best cosine of one of its keys with the query."""
        import numpy as np

        if not self.keys:
            return {}
        sims = np.asarray(self.vectors, dtype=np.float32) @ np.asarray(query_vector, dtype=np.float32)
        out: dict[str, float] = {}
        for k, s in zip(self.keys, sims.tolist()):
            if s > out.get(k.chunk_id, -2.0):
                out[k.chunk_id] = s
        return out

    @classmethod
    def build(cls, keys: Sequence[Key], embed: Callable[[list[str]], list[list[float]]],
              reuse: dict[str, Any] | None = None) -> tuple["KeyVectors", int]:
        """Vectors for every key; keys whose text was embedded before (``reuse``) are not again."""
        import numpy as np

        reuse = reuse or {}
        texts = {content_hash(k.text): k.text for k in keys}
        todo = [h for h in texts if h not in reuse]
        fresh = dict(zip(todo, embed([texts[h] for h in todo]))) if todo else {}
        known = {**reuse, **fresh}
        dim = len(next(iter(known.values()))) if known else 0
        vecs = np.zeros((len(keys), dim), dtype=np.float16)
        for i, k in enumerate(keys):
            vecs[i] = known[content_hash(k.text)]
        return cls(keys, vecs), len(todo)

    def by_key(self) -> dict[str, Any]:
        """Key text hash -> vector, to reuse in the next build."""
        import numpy as np

        return {content_hash(k.text): v for k, v in zip(self.keys, np.asarray(self.vectors))}

    def save(self, folder: Path) -> None:
        import numpy as np

        with open(folder / self.FILE, "wb") as fh:
            np.savez(fh, texts=np.array([k.text for k in self.keys], dtype=str),
                     chunk_ids=np.array([k.chunk_id for k in self.keys], dtype=str),
                     kinds=np.array([k.kind for k in self.keys], dtype=str),
                     vectors=np.asarray(self.vectors, dtype=np.float16))

    @classmethod
    def load(cls, folder: Path) -> "KeyVectors | None":
        import numpy as np

        path = folder / cls.FILE
        if not path.exists():
            return None
        with np.load(path, allow_pickle=False) as z:
            keys = [Key(str(t), str(c), str(k)) for t, c, k in zip(z["texts"], z["chunk_ids"], z["kinds"])]
            return cls(keys, z["vectors"])
