"""Calibrate the trained reader as it is served (ONNX Runtime), and give it probe pairs.

    python -m assistant.reader.calibrate [--model assistant/reader/model]
        [--data training/reader/reader-train.jsonl.gz] [--max-false-refusals 0.05]

On the development split of the training data (documents kept out of training, never an evaluation
set), every question's best unit probability is computed; the abstention threshold is the highest
one that refuses at most ``--max-false-refusals`` of the covered questions. The threshold, the
development figures at it, and three probe pairs with their served scores go into the manifest.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import random
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from .load import load_reader, read_manifest
from .train import Group, read_groups, roc_auc

log = logging.getLogger(__name__)


def best_probs(engine: Any, groups: list[Group]) -> list[tuple[float, bool, int]]:
    """(best probability, covered, rank of the first answering unit or -1) per group."""
    out = []
    for g in groups:
        s = engine.score(g.question, list(g.cands))
        order = np.argsort(-s)
        rank = next((r for r, i in enumerate(order) if g.labels[i]), -1)
        out.append((1.0 / (1.0 + math.exp(-float(s.max()))), g.covered, rank))
    return out


def threshold_for(scored: list[tuple[float, bool, int]], max_false: float) -> float:
    covered = sorted(p for p, c, _ in scored if c)
    k = math.floor(max_false * len(covered))
    return round(covered[k] - 1e-6, 4) if covered else 0.5


def figures(scored: list[tuple[float, bool, int]], tau: float) -> dict[str, Any]:
    cov = [(p, r) for p, c, r in scored if c]
    unc = [p for p, c, _ in scored if not c]
    return {"p1": float(np.mean([r == 0 for _, r in cov])), "mrr": float(np.mean([1 / (r + 1) for _, r in cov])),
            "auc": roc_auc([(p, c) for p, c, _ in scored]), "threshold": tau,
            "refused_uncovered": float(np.mean([p < tau for p in unc])) if unc else None,
            "false_refusals": float(np.mean([p < tau for p, _ in cov])), "covered": len(cov), "uncovered": len(unc)}


def main(argv: list[str] | None = None) -> None:
    from ..e5.convert import load_or_convert
    from ..settings import Settings

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="assistant/reader/model")
    ap.add_argument("--data", default="training/reader/reader-train.jsonl.gz")
    ap.add_argument("--max-false-refusals", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=19)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    model_dir = Path(args.model)
    manifest = read_manifest(model_dir)
    manifest.pop("probes", None)
    (model_dir / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
    models = Settings().model_cache
    engine = load_reader(models, load_or_convert(models), model_dir=model_dir)
    _, dev = read_groups(Path(args.data), random.Random(args.seed))
    scored = best_probs(engine, dev)
    tau = threshold_for(scored, args.max_false_refusals)
    per_source = {src: figures([s for s, g in zip(scored, dev) if g.source == src], tau)
                  for src in sorted({g.source for g in dev})}
    probes = []
    for g in dev[:3]:
        c = g.cands[0]
        probes.append({"question": g.question, "candidate": asdict(c),
                       "score": round(float(engine.score(g.question, [c])[0]), 5)})
    manifest.update({"threshold": tau, "probes": probes,
                     "calibration": {"all": figures(scored, tau), "per_source": per_source}})
    (model_dir / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
    print(json.dumps(manifest["calibration"], indent=1))


if __name__ == "__main__":
    main()
