"""The reader's training lines: each written question with its answering unit(s) and 3-7 hard
negatives from the project's own retrieval, plus the overlap report.

    python -m assistant.reader.data.negatives --questions Q.jsonl [Q2.jsonl ...]
        [--passages /work/reader-src/passages.jsonl] [--docs /work/reader-src/docs]
        [--work /work/reader-src/train-index] [--out /work/reader-src/reader-train.jsonl]
        [--report /work/reader-src/overlap-report.json]

The training packages' documents (never the held-out one) are copied to ``--work/corpus`` and indexed
there by ``assistant.index.build_index``, as ``assistant index --corpus`` would (reused when the
documents did not change). Per question: the units of the top passages of hybrid retrieval, ranked
by reciprocal rank fusion of their e5 cosine and their shared content words, top 40; the negatives
are the best of those that share a content word with the question and are not (nearly) an
answering unit. An uncovered question (its passage does not answer it) takes its negatives from
its own passage only (elsewhere in the corpus an answer might exist): those sharing a content word
first, then by e5 cosine, filled up to the minimum with its other units. Covered questions whose content
words mostly repeat the answer (share > max_overlap) are rejected.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import shutil
import tomllib
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ...records import content_hash
from ...retrieve import rrf
from ...settings import Settings
from ...units import units_of
from .hardneg import Candidate, NegativeRules, example, in_context, passage_candidates, pick_negatives
from .overlap import content_words, distribution, overlap_share
from .passages import Passage
from .questions import Question, read_passages, read_questions
from .sources import PACKAGES_FILE, load_config

log = logging.getLogger(__name__)

DEFAULT_ROOT = Path("/work/reader-src")


@dataclass(frozen=True)
class Limits:
    passages: int = 15
    top_units: int = 40
    max_overlap: float = 0.6
    rules: NegativeRules = NegativeRules()


def load_limits(path: Path = PACKAGES_FILE) -> Limits:
    d = tomllib.loads(path.read_text(encoding="utf-8"))["negatives"]
    return Limits(int(d["passages"]), int(d["top_units"]), float(d["max_overlap"]),
                  NegativeRules(int(d["min_negatives"]), int(d["max_negatives"]), float(d["near_duplicate"])))


def training_corpus(docs: Path, work: Path) -> Path:
    """``work/corpus``: a copy of the training packages' folders (the held-out one is not read)."""
    corpus = work / "corpus"
    if corpus.exists():
        shutil.rmtree(corpus)
    corpus.mkdir(parents=True)
    for name in load_config().names("train"):
        shutil.copytree(docs / name, corpus / name)
    return corpus


class UnitRanker:
    """Ranks the units of an index's top passages for a question (the index and the embedder are
    the project's own: ``build_index``, ``HybridSearcher``, the unit vectors)."""

    def __init__(self, settings: Settings, limits: Limits):
        from ...embeddings import make_embeddings
        from ...index import Index
        from ...retrieve import HybridSearcher

        self.index = Index.open(settings)
        self.embeddings = make_embeddings(settings)
        self.searcher = HybridSearcher(self.index, self.embeddings, settings)
        self.limits = limits
        self._units: dict[str, list[str]] = {}
        df: Counter[str] = Counter()
        for c in self.index.chunks.values():
            df.update(content_words(c.text))
        n = max(len(self.index.chunks), 1)
        self.idf = {w: math.log(1 + n / f) for w, f in df.items()}

    def units(self, chunk_id: str) -> list[str]:
        if chunk_id not in self._units:
            self._units[chunk_id] = [u.text for u in units_of(self.index.chunks[chunk_id].text, 0)]
        return self._units[chunk_id]

    def lexical(self, qwords: frozenset[str], text: str) -> tuple[float, int]:
        shared = qwords & content_words(text)
        return sum(self.idf.get(w, 0.0) for w in shared), len(shared)

    def own(self, p: Passage, question: str) -> list[Candidate]:
        """The units of the question's own passage, ranked by shared content words, then e5 cosine
        (from the index when it holds the passage's chunk)."""
        qwords = content_words(question)
        keys, vecs = self.index.units.of(p.chunk_id) if self.index.units else ([], [])
        same = list(keys) == [content_hash(u.text) for u in p.units]  # the index holds this very chunk
        cos = list(vecs @ self.embeddings.embed_query(question)) if same and keys else []
        cands = [replace(c, shared=len(qwords & content_words(c.text)), cosine=float(cos[i]) if cos else None)
                 for i, c in enumerate(passage_candidates(p))]
        order = sorted(cands, key=lambda c: (-c.shared, -(c.cosine if c.cosine is not None else -1.0), c.pos))
        return [replace(c, rank=r) for r, c in enumerate(order, start=1)]

    def rank(self, question: str) -> list[Candidate]:
        """The top ``top_units`` units of the top ``passages`` passages, best first."""
        vec = self.embeddings.embed_query(question)
        top = self.searcher.search(question, k=self.limits.passages, validate=False, query_vector=vec)
        sims = self.index.units.similarities([sc.chunk.id for sc in top], vec) if self.index.units else {}
        qwords = content_words(question)
        found: dict[str, Candidate] = {}
        lex: dict[str, float] = {}
        for sc in top:
            texts = self.units(sc.chunk.id)
            cos = sims.get(sc.chunk.id, ([], []))[1]
            for i, t in enumerate(texts):
                score, shared = self.lexical(qwords, t)
                c = Candidate(sc.chunk.id, i, t, sc.chunk.section, *in_context(texts, i), sc.chunk.doc_id,
                              cosine=float(cos[i]) if i < len(cos) else None, shared=shared)
                found[c.key], lex[c.key] = c, score
        by_cos = sorted(found, key=lambda k: (-(found[k].cosine or -1.0), k))
        by_lex = sorted((k for k in found if lex[k] > 0), key=lambda k: (-lex[k], k))
        fused = rrf({"e5": by_cos, "words": by_lex}, {})
        order = sorted(fused, key=lambda k: (-fused[k], k))[:self.limits.top_units]
        return [replace(found[k], rank=r) for r, k in enumerate(order, start=1)]


def provenance(docs: Path) -> dict[str, dict[str, str]]:
    path = docs / "provenance.jsonl"
    rows = [json.loads(ln) for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()] if path.exists() else []
    return {r["path"]: {k: r[k] for k in ("package", "version", "licence", "source", "sha256")} for r in rows}


def training_line(q: Question, p: Passage, ranked: list[Candidate], limits: Limits,
                  prov: dict[str, dict[str, str]]) -> dict[str, Any]:
    """One question's training line: positives with context, hard negatives, provenance."""
    own = passage_candidates(p)
    positives = [own[n - 1] for n in q.answers]
    if q.kind == "uncovered" and not ranked:  # only the writer's passage is known not to answer it
        qwords = content_words(q.text)
        ranked = sorted((replace(c, shared=len(qwords & content_words(c.text))) for c in own),
                        key=lambda c: (-c.shared, c.pos))
    negatives = pick_negatives(ranked, [c.text for c in positives], limits.rules, fill=q.kind == "uncovered")
    docs = sorted({c.doc for c in positives + negatives} | {p.doc})
    return {"id": q.id, "question": q.text, "lang": q.lang, "kind": q.kind, "passage": p.id,
            "overlap": round(overlap_share(q.text, [c.text for c in positives]), 3) if positives else None,
            "positives": [example(c) for c in positives], "negatives": [example(c) for c in negatives],
            "few_negatives": len(negatives) < limits.rules.min_negatives,
            "provenance": {d: prov.get(d, {}) for d in docs}, "origin": q.origin}


def split_by_overlap(questions: list[Question], passages: dict[str, Passage],
                     limit: float) -> tuple[list[Question], list[Question], dict]:
    """(kept, rejected, report): covered questions whose share of content words found in their
    answering units exceeds ``limit`` are rejected; the report has the distribution before and after."""
    shares = {q.id: overlap_share(q.text, [passages[q.passage].units[n - 1].text for n in q.answers])
              for q in questions if q.kind == "covered"}
    rejected = [q for q in questions if shares.get(q.id, 0.0) > limit]
    kept = [q for q in questions if shares.get(q.id, 0.0) <= limit]
    before = list(shares.values())
    after = [shares[q.id] for q in kept if q.id in shares]
    report = {"max_overlap": limit, "questions": len(questions),
              "covered": len(shares), "uncovered": len(questions) - len(shares),
              "by_lang": dict(Counter(q.lang for q in questions)),
              "before": distribution(before, limit), "after": distribution(after, limit),
              "rejected": [{"id": q.id, "origin": q.origin, "overlap": round(shares[q.id], 3)} for q in rejected]}
    return kept, rejected, report


def build(question_files: list[Path], passages_path: Path, docs: Path, work: Path,
          settings: Settings | None = None, limits: Limits | None = None) -> tuple[list[dict], dict]:
    """The training lines and the report (overlap distribution, problems, negatives counts)."""
    from ...index import build_index

    limits = limits or load_limits()
    passages = read_passages(passages_path)
    questions, problems = read_questions(question_files, passages)
    kept, _, report = split_by_overlap(questions, passages, limits.max_overlap)
    settings = settings or Settings(corpus_dir=training_corpus(docs, work), index_dir=work / "index")
    build_index(settings, show_progress=False)
    ranker = UnitRanker(settings, limits)
    prov = provenance(docs)
    lines = [training_line(q, passages[q.passage], ranker.rank(q.text) if q.kind == "covered"
                           else ranker.own(passages[q.passage], q.text), limits, prov) for q in kept]
    report["problems"] = [{"origin": p.origin, "reason": p.reason} for p in problems]
    report["lines"] = len(lines)
    report["negatives_per_line"] = dict(sorted(Counter(len(ln["negatives"]) for ln in lines).items()))
    report["few_negatives"] = sum(ln["few_negatives"] for ln in lines)
    return lines, report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m assistant.reader.data.negatives", description=__doc__.split("\n")[0])
    ap.add_argument("--questions", type=Path, nargs="+", required=True, help="question writers' JSONL files")
    ap.add_argument("--passages", type=Path, default=DEFAULT_ROOT / "passages.jsonl")
    ap.add_argument("--docs", type=Path, default=DEFAULT_ROOT / "docs", help="folder extract.py wrote")
    ap.add_argument("--work", type=Path, default=DEFAULT_ROOT / "train-index", help="training corpus copy and its index")
    ap.add_argument("--out", type=Path, default=DEFAULT_ROOT / "reader-train.jsonl")
    ap.add_argument("--report", type=Path, default=DEFAULT_ROOT / "overlap-report.json")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    missing = [p for p in [*args.questions, args.passages] if not p.exists()]
    if missing:
        print(f"error: not found: {', '.join(map(str, missing))}")
        return 1
    lines, report = build(args.questions, args.passages, args.docs, args.work)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("".join(json.dumps(ln, ensure_ascii=False) + "\n" for ln in lines), encoding="utf-8")
    args.report.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    for p in report["problems"]:
        print(f"skipped {p['origin']}: {p['reason']}")
    b, a = report["before"], report["after"]
    print(f"questions {report['questions']} (covered {report['covered']}, uncovered {report['uncovered']}); "
          f"overlap > {report['max_overlap']}: {b['above_limit']} rejected")
    print(f"overlap before: n={b['n']} mean={b['mean']} median={b['median']}; after: n={a['n']} mean={a['mean']} "
          f"median={a['median']}")
    print(f"{'bin':9} {'before':>6} {'after':>6}")
    for k in b["histogram"]:
        print(f"{k:9} {b['histogram'][k]:6d} {a['histogram'][k]:6d}")
    print(f"lines {report['lines']} -> {args.out}; negatives per line {report['negatives_per_line']}; "
          f"fewer than the minimum: {report['few_negatives']}")
    return 0 if lines or not report["problems"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
