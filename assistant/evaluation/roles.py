"""How well the unit-role tagger agrees with hand labels (evals/roles.jsonl).

Each labelled unit is matched to a unit the current splitter makes from the same document (the
same whitespace-normalised text, or else the unit with the most words in common); the tagger's
role of that unit is compared with the label. Per role: precision, recall, F1; and for the
groups that gate what an answer shows: question, meta, and "showable" (advice, definition, list).

    python -m assistant.evaluation.roles [--labels evals/roles.jsonl] [--docs a.txt,b.txt]
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..prompts import ROLES_HELP
from ..roles import ROLES, SHOWABLE

GROUPS = {"question": frozenset({"question"}), "meta": frozenset({"meta"}), "showable": SHOWABLE}


@dataclass(frozen=True)
class Score:
    label: str
    precision: float
    recall: float
    f1: float
    support: int  # gold units of this role (or group)
    predicted: int


def score(gold: Sequence[str], pred: Sequence[str], members: Iterable[str], label: str) -> Score:
    """Precision, recall and F1 of ``pred`` against ``gold`` for one role or a group of roles."""
    ms = frozenset(members)
    tp = sum(g in ms and p in ms for g, p in zip(gold, pred))
    n_gold = sum(g in ms for g in gold)
    n_pred = sum(p in ms for p in pred)
    prec = tp / n_pred if n_pred else 0.0
    rec = tp / n_gold if n_gold else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return Score(label, prec, rec, f1, n_gold, n_pred)


def report(gold: Sequence[str], pred: Sequence[str]) -> list[Score]:
    """One score per role, then per group (question, meta, showable)."""
    if len(gold) != len(pred):
        raise ValueError(f"gold has {len(gold)} labels, predictions {len(pred)}")
    rows = [score(gold, pred, {r}, r) for r in ROLES]
    return rows + [score(gold, pred, ms, f"[{name}]") for name, ms in GROUPS.items()]


def macro_f1(gold: Sequence[str], pred: Sequence[str]) -> float:
    """Mean F1 over the roles that occur in ``gold``."""
    rows = [s for s in report(gold, pred)[:len(ROLES)] if s.support]
    return sum(s.f1 for s in rows) / len(rows) if rows else 0.0


def table(rows: Sequence[Score]) -> str:
    """The scores as a fixed-width text table."""
    out = [f"{'role':<12} {'prec':>5} {'rec':>5} {'f1':>5} {'gold':>5} {'pred':>5}"]
    out += [f"{s.label:<12} {s.precision:5.2f} {s.recall:5.2f} {s.f1:5.2f} {s.support:5d} {s.predicted:5d}" for s in rows]
    return "\n".join(out)


def overlap(a: str, b: str) -> float:
    """Words in common over the words of the longer text (lowercase, punctuation kept apart)."""
    from ..textutil import words

    wa, wb = Counter(words(a)), Counter(words(b))
    common = sum((wa & wb).values())
    return common / max(sum(wa.values()), sum(wb.values()), 1)


def match(label_text: str, units: Sequence[tuple[str, str]], min_overlap: float = 0.5) -> tuple[str, str] | None:
    """The role of the unit that is ``label_text`` (same normalised text), or shares most of its
    words with it, or holds 80 % of them, and which of the three it was; None when none does."""
    key = " ".join(label_text.split())
    for text, role in units:
        if " ".join(text.split()) == key:
            return role, "same text"
    best = max(((overlap(label_text, t), r) for t, r in units), default=(0.0, ""))
    if best[0] >= min_overlap:
        return best[1], "overlap"
    # a label whose unit the repaired splitter merged or split: the unit holding most of its words
    held = max(((contained(label_text, t), -len(t), r) for t, r in units), default=(0.0, 0, ""))
    return (held[2], "contained") if held[0] >= 0.8 else None


def contained(a: str, b: str) -> float:
    """Share of the words of ``a`` that ``b`` holds."""
    from ..textutil import words

    wa, wb = Counter(words(a)), Counter(words(b))
    return sum((wa & wb).values()) / max(sum(wa.values()), 1)


def document_units(corpus_dir: Path, chunk_size: int = 900, overlap_chars: int = 150) -> dict[str, list[tuple[str, str]]]:
    """Per document, (text, role) of every unit the current splitter and tagger make."""
    from ..ingest.chunk import chunk_document
    from ..ingest.load import load_corpus
    from ..units import units_of

    out: dict[str, list[tuple[str, str]]] = {}
    for doc in load_corpus(corpus_dir).documents:
        seen: dict[str, str] = {}
        for c in chunk_document(doc, chunk_size, overlap_chars):
            for u in units_of(c.text, 0):
                seen.setdefault(u.text, u.role)
        out[doc.id] = list(seen.items())
    return out


def evaluate(labels: Sequence[dict], units: dict[str, list[tuple[str, str]]],
             docs: set[str] | None = None) -> tuple[list[str], list[str], list[dict], int]:
    """Gold and predicted roles of the matched labels (of ``docs``), the matched rows with their
    prediction, and how many labels found no unit."""
    gold, pred, rows, missed = [], [], [], 0
    for lab in labels:
        if docs and lab["doc"] not in docs:
            continue
        m = match(lab["text"], units.get(lab["doc"], []))
        if m is None:
            missed += 1
            continue
        gold.append(lab["role"])
        pred.append(m[0])
        rows.append({**lab, "pred": m[0], "matched": m[1]})
    return gold, pred, rows, missed


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m assistant.evaluation.roles", description=__doc__.splitlines()[0])
    ap.add_argument("--labels", type=Path, default=Path("evals/roles.jsonl"))
    ap.add_argument("--corpus", type=Path, default=Path("corpus"))
    ap.add_argument("--docs", default="", help=ROLES_HELP["--docs"])
    ap.add_argument("--errors", action="store_true", help=ROLES_HELP["--errors"])
    args = ap.parse_args(argv)
    labels = [json.loads(ln) for ln in args.labels.read_text(encoding="utf-8").splitlines() if ln.strip()]
    docs = {d.strip() for d in args.docs.split(",") if d.strip()} or None
    gold, pred, rows, missed = evaluate(labels, document_units(args.corpus), docs)
    how = Counter(r["matched"] for r in rows)
    print(f"{len(gold)} labelled units matched ({', '.join(f'{k} {v}' for k, v in sorted(how.items()))}), "
          f"{missed} not found; macro-F1 {macro_f1(gold, pred):.2f}")
    print(table(report(gold, pred)))
    if args.errors:
        for r in rows:
            if r["role"] != r["pred"]:
                print(f"{r['role']:>10} <- {r['pred']:<10} {r['doc'][:12]} {r['text'][:140]!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
