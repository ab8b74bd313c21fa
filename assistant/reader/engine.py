"""Scoring (question, unit) pairs with the trained reader under ONNX Runtime.

The graph is e5's encoder (``assistant.e5.graph``) with the reader's float layers instead of the
4-bit ones; its ``pooled`` output (the sum of the last hidden states) becomes a score here: the mean
over the pair's tokens times the head. The word and position tables are the e5 conversion's.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from ..e5.graph import _Graph
from .features import Candidate, pair_ids


class FloatGraph(_Graph):
    """e5's graph with float weights [out, in]: a MatMul against the transposed matrix and a bias."""

    def matmul4(self, x: str, name: str, blocks: np.ndarray, bias: np.ndarray) -> str:
        w = self.const(name + ".wT", np.ascontiguousarray(blocks.astype(np.float32).T))
        mm = self.node("MatMul", [x, w], name + ".mm")
        return self.node("Add", [mm, self.const(name + ".bias", bias.astype(np.float32))], name)


def build(cfg: dict[str, Any], tensors: dict[str, np.ndarray]) -> Any:
    """The ONNX model of the reader's layers (``l{i}.q.w`` ... as float arrays)."""
    from ..e5.graph import build_graph

    layers = [{k.split(".", 1)[1]: v.astype(np.float32) for k, v in tensors.items() if k.startswith(f"l{i}.")}
              for i in range(cfg["layers"])]
    layers[0].update({"emb.ln.w": tensors["emb.ln.w"].astype(np.float32),
                      "emb.ln.b": tensors["emb.ln.b"].astype(np.float32)})
    return build_graph(cfg, layers, graph=FloatGraph, name="samenwerkwijzer-reader")


class CachedTokenizer:
    """The tokenizer with a bounded memory of the pieces it gave: the same units, headings and
    neighbours come back within an answer and across the answers of a session."""

    def __init__(self, tokenizer: Any, size: int = 8192):
        self.inner, self.size = tokenizer, size
        self.bos, self.eos, self.pad = tokenizer.bos, tokenizer.eos, tokenizer.pad
        self._seen: dict[str, list[int]] = {}
        self._lock = threading.Lock()  # the web app answers in threads

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        with self._lock:
            new = list(dict.fromkeys(t for t in texts if t not in self._seen))
            if new:
                if len(self._seen) + len(new) > self.size:
                    self._seen.clear()
                self._seen.update(zip(new, self.inner.encode_batch(new)))
            return [self._seen[t] for t in texts]


class ReaderEngine:
    """``score(question, candidates)``: one logit per candidate (above 0: the unit answers)."""

    def __init__(self, session: Any, tokenizer: Any, word_q4: Any, pos_type: np.ndarray,
                 head_w: np.ndarray, head_b: float, batch_tokens: int = 2048):
        from ..e5.engine import E5Engine

        # e5's runner over the reader's graph: the same padding, embedding sum and mask
        self.encoder = E5Engine(session, tokenizer, word_q4, pos_type)
        self.tokenizer = CachedTokenizer(tokenizer)
        self.head_w, self.head_b = head_w.astype(np.float32), float(head_b)
        self.batch_tokens = batch_tokens

    def score(self, question: str, cands: list[Candidate]) -> np.ndarray:
        if not cands:
            return np.zeros(0, dtype=np.float32)
        rows = pair_ids(self.tokenizer, question, cands)
        order = sorted(range(len(rows)), key=lambda i: -len(rows[i]))
        out = np.zeros(len(rows), dtype=np.float32)
        batch: list[int] = []
        for i in order:  # longest first: a batch pads to its first row
            if batch and (len(batch) + 1) * len(rows[batch[0]]) > self.batch_tokens:
                out[batch] = self._run([rows[j] for j in batch])
                batch = []
            batch.append(i)
        out[batch] = self._run([rows[j] for j in batch])
        return out

    def _run(self, rows: list[list[int]]) -> np.ndarray:
        lengths = np.array([len(r) for r in rows], dtype=np.float32)[:, None]
        return (self.encoder.run(rows) / lengths) @ self.head_w + self.head_b
