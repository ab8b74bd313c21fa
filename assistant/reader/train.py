"""Train the reader: one seeded command, on the CPU, in a development session (CI never trains).

    python -m assistant.reader.train [--data training/reader/reader-train.jsonl.gz]
        [--out assistant/reader/model] [--layers 6] [--epochs 2] [--seed 19]

Every question of the training data becomes a group: its answering units (label 1), its hard
negatives from our own retrieval (label 0) and two units drawn from other questions (label 0, so
that far-off text scores low too). The loss is the listwise one (the answering unit must beat the
rest of its group) plus a pointwise one (a unit that answers scores above 0, one that does not
below: the score the abstention is calibrated on). One document in ten, by a hash of its name,
is kept out of training as the development split the log reports on.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import logging
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .features import Candidate, pair_ids

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Group:
    qid: str
    question: str
    source: str  # the Debian package
    covered: bool
    cands: tuple[Candidate, ...]
    labels: tuple[int, ...]


def doc_of(line: dict[str, Any]) -> str:
    return next(iter(line["provenance"]))


def is_dev(doc: str) -> bool:
    return int(hashlib.sha1(doc.encode()).hexdigest(), 16) % 10 == 0


def _cand(u: dict[str, Any]) -> Candidate:
    return Candidate(u["text"], u.get("heading", ""), u.get("prev", ""), u.get("next", ""))


def passage_units(path: Path | None) -> dict[str, list[dict[str, Any]]]:
    """Per passage id, its units as training lines give them (text, heading, prev, next)."""
    if path is None:
        return {}
    out: dict[str, list[dict[str, Any]]] = {}
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            p = json.loads(line)
            texts = [u["text"] for u in p["units"]]
            out[p["id"]] = [{"text": t, "heading": p["section"], "prev": texts[i - 1] if i else "",
                             "next": texts[i + 1] if i + 1 < len(texts) else ""} for i, t in enumerate(texts)]
    return out


def read_groups(path: Path, rng: random.Random, extra: int = 2, passages: Path | None = None,
                inside: int = 0) -> tuple[list[Group], list[Group]]:
    """Training and development groups. ``inside``: that many other units of the answering passage
    join a covered question's negatives (the reader must tell the answering unit from its neighbours)."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        lines = [json.loads(x) for x in fh]
    pool = [u for x in lines for u in x["negatives"]]
    by_passage = passage_units(passages) if inside else {}
    train, dev = [], []
    for x in lines:
        doc = doc_of(x)
        own = {u["text"] for u in x["positives"]} | {u["text"] for u in x["negatives"]}
        far = [u for u in rng.sample(pool, extra + 8) if u["text"] not in own][:extra]
        near = [u for u in by_passage.get(x["passage"], []) if u["text"] not in own] if x["positives"] else []
        near = rng.sample(near, min(inside, len(near)))
        units = x["positives"] + near + x["negatives"] + far
        labels = [1] * len(x["positives"]) + [0] * (len(units) - len(x["positives"]))
        g = Group(x["id"], x["question"], doc.split("/")[0], x["kind"] == "covered",
                  tuple(map(_cand, units)), tuple(labels))
        (dev if is_dev(doc) else train).append(g)
    return train, dev


def base_model(layers: int) -> tuple[dict[str, Any], Any, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """(cfg, tokenizer, word table float32, pos_type, float tensors of the first ``layers`` layers)."""
    from ..e5.convert import source_weights
    from ..e5.tokenizer import E5Tokenizer
    from ..e5.weights import dequantize_blocks, read_weights

    w = read_weights(source_weights())
    hd, t = w.header, w.tensors
    cfg = {"hidden": hd.hidden, "heads": hd.heads, "ff": hd.ff, "eps": hd.eps, "layers": layers}

    def f32(a: np.ndarray) -> np.ndarray:
        return dequantize_blocks(a) if a.dtype == np.uint8 else a.astype(np.float32)

    tensors = {k: f32(v) for k, v in t.items() if k.startswith("l") and int(k[1:].split(".")[0]) < layers}
    tensors["emb.ln.w"], tensors["emb.ln.b"] = t["emb.ln.w"], t["emb.ln.b"]
    word = dequantize_blocks(t["emb.word"]).astype(np.float32)
    pos_type = (t["emb.pos"].reshape(hd.max_positions, hd.hidden) + t["emb.type"][:hd.hidden]).astype(np.float32)
    return cfg, E5Tokenizer.from_vocabulary(w.vocab), word, pos_type, tensors


def group_loss(torch: Any, scores: Any, labels: Any, covered: bool) -> Any:
    bce = torch.nn.functional.binary_cross_entropy_with_logits(scores, labels)
    if not covered:
        return bce
    pos = scores.masked_fill(labels < 0.5, float("-inf"))
    return bce + torch.logsumexp(scores, 0) - torch.logsumexp(pos, 0)


def evaluate(model: Any, tok: Any, groups: list[Group]) -> dict[str, Any]:
    """Precision@1 and MRR of the answering unit, ROC AUC of the best score (covered vs not)."""
    import torch

    from .torchmodel import pad

    model.eval()
    p1, rr, best = [], [], []
    with torch.no_grad():
        for g in groups:
            ids, keep = pad(pair_ids(tok, g.question, list(g.cands)), tok.pad)
            s = model(ids, keep).numpy()
            best.append((float(s.max()), g.covered))
            if g.covered:
                order = np.argsort(-s)
                rank = next(r for r, i in enumerate(order) if g.labels[i])
                p1.append(rank == 0)
                rr.append(1.0 / (rank + 1))
    model.train()
    return {"p1": float(np.mean(p1)), "mrr": float(np.mean(rr)), "auc": roc_auc(best), "groups": len(groups)}


def roc_auc(scored: list[tuple[float, bool]]) -> float:
    pos = [s for s, y in scored if y]
    neg = [s for s, y in scored if not y]
    if not pos or not neg:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def score_rows(torch: Any, model: Any, rows: list[list[int]], pad_id: int, chunk: int = 24) -> Any:
    """Scores of ``rows`` in their order, computed in chunks of similar length (less padding)."""
    from .torchmodel import pad

    order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
    parts = [model(*pad([rows[i] for i in order[a:a + chunk]], pad_id)) for a in range(0, len(rows), chunk)]
    inverse = torch.argsort(torch.tensor(order))
    return torch.cat(parts)[inverse]


def train(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    from .torchmodel import Reader

    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = random.Random(args.seed)
    cfg, tok, word, pos_type, tensors = base_model(args.layers)
    model = Reader(cfg, word, pos_type)
    if args.init:  # continue from a trained reader (its layers and head)
        with np.load(Path(args.init) / "reader.npz", allow_pickle=False) as z:
            tensors = {k: z[k].astype(np.float32) for k in z.files}
        with torch.no_grad():
            model.head.weight.copy_(torch.from_numpy(tensors["head.w"]).view_as(model.head.weight))
            model.head.bias.copy_(torch.from_numpy(tensors["head.b"]))
    model.load_layers(tensors, (tensors["emb.ln.w"], tensors["emb.ln.b"]))
    train_g, dev_g = read_groups(Path(args.data), rng, passages=Path(args.passages) if args.inside else None,
                                 inside=args.inside)
    if args.max_groups and len(train_g) > args.max_groups:
        train_g = rng.sample(train_g, args.max_groups)
    log.info("%d training groups, %d development groups", len(train_g), len(dev_g))
    head = [p for n, p in model.named_parameters() if n.startswith("head")]
    body = [p for n, p in model.named_parameters() if p.requires_grad and not n.startswith("head")]
    opt = torch.optim.AdamW([{"params": body, "lr": args.lr}, {"params": head, "lr": args.lr * 30}],
                            weight_decay=0.01)
    steps = args.epochs * ((len(train_g) + args.batch - 1) // args.batch)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / (0.06 * steps)) * max(0.0, (steps - s) / steps))
    history, step, t0 = [], 0, time.time()
    history.append({"epoch": 0, **evaluate(model, tok, dev_g[:args.dev_limit])})
    log.info("before training: %s", history[-1])
    for epoch in range(1, args.epochs + 1):
        rng.shuffle(train_g)
        for b in range(0, len(train_g), args.batch):
            batch = train_g[b:b + args.batch]
            rows, spans = [], []
            for g in batch:
                spans.append((len(rows), len(g.cands)))
                rows += pair_ids(tok, g.question, list(g.cands))
            scores = score_rows(torch, model, rows, tok.pad)
            loss = sum(group_loss(torch, scores[a:a + n], torch.tensor(g.labels, dtype=torch.float32), g.covered)
                       for (a, n), g in zip(spans, batch)) / len(batch)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            if step % 20 == 0:
                log.info("epoch %d step %d/%d loss %.4f (%.0f s)", epoch, step, steps, float(loss), time.time() - t0)
        history.append({"epoch": epoch, **evaluate(model, tok, dev_g[:args.dev_limit])})
        log.info("after epoch %d: %s", epoch, history[-1])
    from .export import write_model

    write_model(Path(args.out), model.trained_tensors(), cfg, vars(args), history)
    return {"history": history, "seconds": round(time.time() - t0)}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="training/reader/reader-train.jsonl.gz")
    ap.add_argument("--out", default="assistant/reader/model")
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=4e-5)
    ap.add_argument("--seed", type=int, default=19)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--dev-limit", type=int, default=10_000)
    ap.add_argument("--init", default="", help="a trained reader's folder to continue from")
    ap.add_argument("--passages", default="training/reader/passages.jsonl.gz")
    ap.add_argument("--inside", type=int, default=0, help="negatives from the answering passage itself")
    ap.add_argument("--max-groups", type=int, default=0, help="train on a seeded sample of this many groups")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    print(json.dumps(train(args)))


if __name__ == "__main__":
    main()
