"""Measure the cosine thresholds of the configured embedder and print them as a section of
``assistant/data/thresholds.toml``: ``python -m assistant.evaluation.calibrate [--qa FILE ...]``.

- ``abstain_min_dense``: the highest value (down to 0.01) under which at most ``MISS_SHARE`` of the
  answerable questions' best passage cosine falls, so covered questions are rarely refused.
- ``support_min_cosine``: the highest value (down to 0.01) that all but ``SUPPORT_MISS_SHARE`` of a
  passage's own sentences reach against it; the lexical gate in ``answer/verify.py`` (a weak word
  overlap is required too) is what keeps other passages out, and the report says how many of them
  cosine alone would let in.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..settings import Settings, project_root
from ..textutil import split_sentences
from .dataset import load_items

MISS_SHARE = 0.02
SUPPORT_MISS_SHARE = 0.05
SENTENCES = 300  # sampled evenly over the passages


@dataclass(frozen=True)
class Calibration:
    embedder_id: str
    abstain_min_dense: float
    support_min_cosine: float
    answerable: int  # questions measured
    answerable_below: int  # of them, under abstain_min_dense
    unanswerable: int
    unanswerable_below: int
    sentences: int
    other_doc_reach: float  # share of sentences whose closest passage elsewhere reaches it too

    def toml(self) -> str:
        return (f'[embedders."{self.embedder_id}"]\n'
                f"abstain_min_dense = {self.abstain_min_dense:.2f}  # {self.answerable_below} of "
                f"{self.answerable} answerable below; {self.unanswerable_below} of {self.unanswerable} "
                "unanswerable\n"
                f"support_min_cosine = {self.support_min_cosine:.2f}  # {self.sentences} sentences; another "
                f"document's passage reaches it for {self.other_doc_reach:.0%}\n")


def dense_floor(scores: Sequence[float], miss_share: float = MISS_SHARE) -> float:
    """The highest threshold (a multiple of 0.01) with at most ``miss_share`` of ``scores`` under it.

    >>> dense_floor([0.70, 0.85, 0.86, 0.9], miss_share=0.25)
    0.85
    """
    ranked = sorted(scores)
    return math.floor(ranked[int(miss_share * len(ranked))] * 100 + 1e-9) / 100


def best_dense(engine: Any, items: Sequence[Any]) -> list[tuple[bool, float]]:
    """Per question: answerable or not, and the best passage cosine the answer path sees."""
    out = []
    for it in items:
        turn = engine.retrieve(it.question, list(it.history))
        out.append((it.answerable, turn.evidence.dense if turn.evidence else 0.0))
    return out


def sentence_cosines(engine: Any, n: int = SENTENCES) -> tuple[list[float], list[float]]:
    """Cosines of sampled passage sentences with their own passage and with the closest passage of
    another document."""
    chunks = sorted(engine.index.chunks.values(), key=lambda c: c.id)
    vectors = engine.index.store.vectors([c.id for c in chunks])
    ids = [c.id for c in chunks if c.id in vectors]
    matrix = np.asarray([vectors[i] for i in ids])
    docs = np.asarray([engine.index.chunks[i].doc_id for i in ids])
    pairs = [(j, s) for j, i in enumerate(ids) for s in split_sentences(engine.index.chunks[i].text)
             if len(s.split()) >= 6]
    own, other = [], []
    for j, sentence in pairs[:: max(1, len(pairs) // n)][:n]:
        sims = matrix @ np.asarray(engine.embeddings.embed_query(sentence))
        own.append(float(sims[j]))
        other.append(float(sims[docs != docs[j]].max()))
    return own, other


def calibrate(settings: Settings, qa_paths: Sequence[Path]) -> Calibration:
    from ..answer.chain import AnswerEngine

    engine = AnswerEngine(settings)
    scored = best_dense(engine, [it for p in qa_paths for it in load_items(p)])
    answerable = [d for ok, d in scored if ok]
    unanswerable = [d for ok, d in scored if not ok]
    floor = dense_floor(answerable)
    own, other = sentence_cosines(engine)
    support = dense_floor(own, SUPPORT_MISS_SHARE)
    return Calibration(settings.embedder_id(), floor, support, len(answerable),
                       sum(d < floor for d in answerable), len(unanswerable),
                       sum(d < floor for d in unanswerable), len(own),
                       sum(o >= support for o in other) / max(1, len(other)))


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m assistant.evaluation.calibrate", description=__doc__.split("\n")[0])
    ap.add_argument("--qa", action="append", type=Path, help="evaluation set(s) (default evals/qa.jsonl)")
    args = ap.parse_args(argv)
    print(calibrate(Settings(), args.qa or [project_root() / "evals" / "qa.jsonl"]).toml())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
