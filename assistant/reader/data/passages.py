"""Cut the training documents into the passages and units the index would show, and write the
question writers' batches.

    python -m assistant.reader.data.passages [--docs DIR] [--out DIR]

Documents are read, cleaned and chunked by the project's own ingestion (``assistant.ingest``, with
the chunk size and overlap of ``Settings``, near-duplicates dropped as an index build drops them) and
split into units by ``assistant.units.units_of``, as ``assistant index`` does. Only packages whose
role is "train" are read. A seeded sample of passages per package (``batches`` x ``batch_size`` of
packages.toml) goes to ``--out/batches/<package>-NN.md``; ``--out/passages.jsonl`` maps each
passage id to its document, section, span and units.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ...ingest.chunk import chunk_document
from ...ingest.dedup import dedup_chunks
from ...ingest.load import load_corpus
from ...records import Chunk, content_hash
from ...settings import Settings
from ...units import units_of
from .sources import Batching, Config, load_config

log = logging.getLogger(__name__)

DEFAULT_DOCS = Path("/work/reader-src/docs")
DEFAULT_OUT = Path("/work/reader-src")


@dataclass(frozen=True)
class PassageUnit:
    n: int  # 1-based number shown to the writers
    text: str
    start: int  # span in the passage's text (-1 when the project could not locate it)
    end: int
    role: str
    is_list: bool


@dataclass(frozen=True)
class Passage:
    id: str
    package: str
    doc: str  # "<package>/<path>": the document id of an index over the training folders
    title: str
    section: str
    chunk_id: str  # the id the index gives the chunk
    start: int  # span of the chunk in the document's cleaned text
    end: int
    text: str
    units: tuple[PassageUnit, ...]

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> "Passage":
        return cls(**{**d, "units": tuple(PassageUnit(**u) for u in d["units"])})


def passage_id(doc: str, start: int, end: int) -> str:
    """A stable id from the document path and the chunk's span.

    >>> passage_id("debian-faq-nl/basic-defs.nl.md", 0, 1200)
    'P755b3a92c5'
    """
    return "P" + content_hash(f"{doc}#{start}-{end}", 10)


def passage_of(package: str, chunk: Chunk) -> Passage:
    units = tuple(PassageUnit(i, u.text, u.start, u.end, u.role, u.is_list)
                  for i, u in enumerate(units_of(chunk.text, 0), start=1))
    return Passage(passage_id(chunk.doc_id, chunk.start, chunk.end), package, chunk.doc_id, chunk.title,
                   chunk.section, chunk.id, chunk.start, chunk.end, chunk.text, units)


def package_chunks(docs_root: Path, package: str, settings: Settings) -> list[Chunk]:
    """The chunks an index over ``docs_root/<package>`` would hold (document ids prefixed with the
    package), near-duplicates across documents stored once."""
    loaded = load_corpus(docs_root / package, settings.max_file_mb)
    for rel, reason in loaded.skipped:
        log.warning("%s/%s skipped: %s", package, rel, reason)
    by_doc = {}
    for doc in loaded.documents:
        doc = dataclasses.replace(doc, id=f"{package}/{doc.id}")
        by_doc[doc.id] = chunk_document(doc, settings.chunk_size, settings.chunk_overlap)
    return dedup_chunks(by_doc, settings.dedup_threshold).chunks


def training_passages(docs_root: Path, cfg: Config, settings: Settings) -> dict[str, list[Passage]]:
    """Every passage of every training package (the held-out package is never read)."""
    return {name: [passage_of(name, c) for c in package_chunks(docs_root, name, settings)]
            for name in cfg.names("train")}


def eligible(p: Passage, b: Batching) -> bool:
    """Enough running text to ask about: a few units, at least two of them prose, not too long."""
    prose = [u for u in p.units if len(u.text.split()) >= 6 and not u.text.startswith("```")]
    return b.min_units <= len(p.units) <= b.max_units and len(prose) >= b.min_prose_units


def _overlaps(p: Passage, taken: Iterable[Passage]) -> bool:
    return any(q.doc == p.doc and p.start < q.end and q.start < p.end for q in taken)


def pick(passages: list[Passage], want: int, b: Batching, seed: str) -> list[Passage]:
    """A seeded sample of ``want`` eligible passages, at most ``max_per_document`` from one document
    and none overlapping another picked one (consecutive chunks share their overlap)."""
    pool = sorted((p for p in passages if eligible(p, b)), key=lambda p: p.id)
    random.Random(seed).shuffle(pool)
    taken: list[Passage] = []
    per_doc: dict[str, int] = defaultdict(int)
    for p in pool:
        if len(taken) == want:
            break
        if per_doc[p.doc] < b.max_per_document and not _overlaps(p, taken):
            taken.append(p)
            per_doc[p.doc] += 1
    if len(taken) < want:
        log.warning("only %d of %d passages could be picked", len(taken), want)
    return taken


def batches_of(picked: list[Passage], size: int) -> list[list[Passage]]:
    """Consecutive groups of ``size`` (in the sample's order), each sorted by document and position."""
    return [sorted(picked[i:i + size], key=lambda p: (p.doc, p.start)) for i in range(0, len(picked), size)]


def render_batch(name: str, batch: list[Passage], source: dict) -> str:
    """A batch as the question writers read it: per passage its id, document, section, numbered units."""
    lines = [f"# Batch {name}", "",
             f"Source: Debian package {source.get('package', '')} {source.get('version', '')}"
             f" (licence: {source.get('licence', '')}). {len(batch)} passages.", ""]
    for p in batch:
        lines += [f"### {p.id}", f"Document: {p.title}", f"File: {p.doc}", f"Section: {p.section}", ""]
        lines += [f"[{u.n}] {' '.join(u.text.split())}" for u in p.units]
        lines.append("")
    return "\n".join(lines)


def write_batches(by_package: dict[str, list[Passage]], cfg: Config, docs_root: Path, out: Path) -> dict[str, int]:
    """Pick, write the batches and passages.jsonl; returns the number of batches per package."""
    summary = {c["package"]: c for c in json.loads((docs_root / "summary.json").read_text(encoding="utf-8"))} \
        if (docs_root / "summary.json").exists() else {}
    folder = out / "batches"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.md"):
        old.unlink()
    rows, made = [], {}
    for name, passages in by_package.items():
        spec = cfg.package(name)
        picked = pick(passages, spec.batches * cfg.batching.batch_size, cfg.batching, f"{cfg.seed}:{name}:passages")
        groups = batches_of(picked, cfg.batching.batch_size)
        for i, batch in enumerate(groups, start=1):
            bname = f"{name}-{i:02d}"
            (folder / f"{bname}.md").write_text(render_batch(bname, batch, summary.get(name, {"package": name})),
                                                encoding="utf-8")
            rows += [{**p.to_json(), "batch": bname} for p in batch]
        made[name] = len(groups)
    with open(out / "passages.jsonl", "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    return made


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m assistant.reader.data.passages", description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=Path, default=DEFAULT_DOCS, help="folder extract.py wrote")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for batches/ and passages.jsonl")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    cfg = load_config()
    by_package = training_passages(args.docs, cfg, Settings())
    made = write_batches(by_package, cfg, args.docs, args.out)
    print(f"{'package':24} {'passages':>8} {'units':>7} {'batches':>7}")
    for name, ps in by_package.items():
        print(f"{name:24} {len(ps):8d} {sum(len(p.units) for p in ps):7d} {made.get(name, 0):7d}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
