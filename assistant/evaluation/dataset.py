"""The curated evaluation set (``evals/qa.jsonl``): loading, validation and gold-chunk resolution."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..prompts import EVAL, VALIDATION
from ..records import Chunk
from ..textutil import alnum_key

KINDS = {"howto", "meeting", "factual", "followup", "unanswerable"}


@dataclass(frozen=True)
class GoldEvidence:
    """A quote that answers an item, in the document it comes from (the gold of an eval item)."""

    doc: str
    quote: str


@dataclass(frozen=True)
class EvalItem:
    id: str
    question: str
    kind: str
    lang: str
    answerable: bool
    reference_answer: str = ""
    history: tuple[dict[str, str], ...] = ()
    evidence: tuple[GoldEvidence, ...] = ()
    key_facts: tuple[tuple[str, ...], ...] = ()
    # other passages that answer the question just as directly (a blind audit of the corpus found
    # them); hit@k, MRR and "gold cited" count them, recall and nDCG use ``evidence`` only
    also: tuple[GoldEvidence, ...] = ()

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "EvalItem":
        return cls(
            id=d["id"], question=d["question"], kind=d["kind"], lang=d.get("lang", "nl"),
            answerable=bool(d.get("answerable", True)), reference_answer=d.get("reference_answer", ""),
            history=tuple(d.get("history") or ()),
            evidence=tuple(GoldEvidence(e["doc"], e["quote"]) for e in d.get("evidence") or ()),
            key_facts=tuple(tuple(f) for f in d.get("key_facts") or ()),
            also=tuple(GoldEvidence(e["doc"], e["quote"]) for e in d.get("also") or ()),
        )


def load_items(path: Path) -> list[EvalItem]:
    items = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if line.strip():
                try:
                    items.append(EvalItem.from_json(json.loads(line)))
                except (KeyError, json.JSONDecodeError) as e:
                    raise ValueError(EVAL["bad_item"].format(path=path, n=n, error=e)) from e
    return items


@dataclass
class ValidationReport:
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def validate(items: Iterable[EvalItem], corpus_texts: dict[str, str]) -> ValidationReport:
    """Every quote must still occur in its (raw) corpus file; fields must be consistent."""
    rep = ValidationReport()
    keys = {doc: alnum_key(t) for doc, t in corpus_texts.items()}
    seen: set[str] = set()
    for it in items:
        if it.id in seen:
            rep.errors.append(VALIDATION["duplicate_id"].format(id=it.id))
        seen.add(it.id)
        if it.kind not in KINDS:
            rep.errors.append(VALIDATION["unknown_kind"].format(id=it.id, kind=it.kind))
        if it.answerable and not it.evidence:
            rep.errors.append(VALIDATION["no_evidence"].format(id=it.id))
        if not it.answerable and (it.evidence or it.key_facts):
            rep.errors.append(VALIDATION["unanswerable_evidence"].format(id=it.id))
        if not it.answerable and it.also:
            rep.errors.append(VALIDATION["unanswerable_also"].format(id=it.id))
        for e in (*it.evidence, *it.also):
            if e.doc not in keys:
                rep.errors.append(VALIDATION["unknown_doc"].format(id=it.id, doc=e.doc))
            elif alnum_key(e.quote) not in keys[e.doc]:
                rep.errors.append(VALIDATION["quote_missing"].format(id=it.id, doc=e.doc, quote=e.quote[:60]))
        for alts in it.key_facts:
            if not alts:
                rep.errors.append(VALIDATION["empty_fact"].format(id=it.id))
    return rep


def resolve_gold(item: EvalItem, chunks: Iterable[Chunk]) -> list[set[str]]:
    """For each evidence quote, the ids of the chunks that hold it (a quote cut by a chunk border
    matches the chunks holding its start or its end)."""
    return _holding(item.evidence, chunks)


def resolve_answering(item: EvalItem, chunks: Iterable[Chunk]) -> list[set[str]]:
    """One group: every chunk that holds an evidence quote or one of the ``also`` passages."""
    groups = _holding((*item.evidence, *item.also), chunks)
    return [set().union(*groups)] if groups else []


def resolve(item: EvalItem, chunks: Iterable[Chunk]) -> tuple[list[set[str]], list[set[str]]]:
    """:func:`resolve_gold` and :func:`resolve_answering` in one pass over the chunks."""
    groups = _holding((*item.evidence, *item.also), chunks)
    return groups[:len(item.evidence)], ([set().union(*groups)] if groups else [])


def _holding(evidence: Iterable[GoldEvidence], chunks: Iterable[Chunk]) -> list[set[str]]:
    chunk_list = list(chunks)
    keyed = [(c, alnum_key(c.text), set(c.sources or (c.doc_id,))) for c in chunk_list]
    groups: list[set[str]] = []
    for e in evidence:
        q = alnum_key(e.quote)
        hits = {c.id for c, k, src in keyed if e.doc in src and q in k}
        if not hits and len(q) > 60:
            head, tail = q[:60], q[-60:]
            hits = {c.id for c, k, src in keyed if e.doc in src and (head in k or tail in k)}
        groups.append(hits)
    return groups
