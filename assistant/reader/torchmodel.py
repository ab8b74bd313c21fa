"""The reader as a torch module, for training only: e5's first layers (post-LN BERT blocks, as
``assistant.e5.graph`` builds them for ONNX Runtime) and a linear head on the mean of the last
hidden states. The word and position tables stay frozen: they are shared with the e5 conversion."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

LAYER_TENSORS = ("q.w", "q.b", "k.w", "k.b", "v.w", "v.b", "ao.w", "ao.b", "aln.w", "aln.b",
                 "fi.w", "fi.b", "fo.w", "fo.b", "oln.w", "oln.b")


class Layer(nn.Module):
    def __init__(self, h: int, heads: int, ff: int, eps: float):
        super().__init__()
        self.heads, self.eps = heads, eps
        self.q, self.k, self.v, self.ao = (nn.Linear(h, h) for _ in range(4))
        self.aln, self.oln = nn.LayerNorm(h, eps=eps), nn.LayerNorm(h, eps=eps)
        self.fi, self.fo = nn.Linear(h, ff), nn.Linear(ff, h)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        b, n, h = x.shape
        hd = h // self.heads

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(b, n, self.heads, hd).transpose(1, 2)

        ctx = nn.functional.scaled_dot_product_attention(split(self.q(x)), split(self.k(x)), split(self.v(x)),
                                                         attn_mask=bias)
        x = self.aln(x + self.ao(ctx.transpose(1, 2).reshape(b, n, h)))
        return self.oln(x + self.fo(nn.functional.gelu(self.fi(x))))


class Reader(nn.Module):
    def __init__(self, cfg: dict[str, Any], word: np.ndarray, pos_type: np.ndarray):
        super().__init__()
        h = cfg["hidden"]
        self.word = nn.Embedding.from_pretrained(torch.from_numpy(word), freeze=True)
        self.register_buffer("pos_type", torch.from_numpy(pos_type), persistent=False)
        self.emb_ln = nn.LayerNorm(h, eps=cfg["eps"])
        self.layers = nn.ModuleList(Layer(h, cfg["heads"], cfg["ff"], cfg["eps"]) for _ in range(cfg["layers"]))
        self.head = nn.Linear(h, 1)

    def forward(self, ids: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        x = self.emb_ln(self.word(ids) + self.pos_type[:ids.shape[1]])
        bias = ((1.0 - keep) * -1e4)[:, None, None, :]
        for layer in self.layers:
            x = layer(x, bias)
        pooled = (x * keep[..., None]).sum(1) / keep.sum(1, keepdim=True)
        return self.head(pooled).squeeze(-1)

    def load_layers(self, tensors: dict[str, np.ndarray], emb_ln: tuple[np.ndarray, np.ndarray]) -> None:
        """``tensors``: ``l{i}.{name}`` float arrays ([out, in] for weights) for every layer."""
        with torch.no_grad():
            self.emb_ln.weight.copy_(torch.from_numpy(emb_ln[0]))
            self.emb_ln.bias.copy_(torch.from_numpy(emb_ln[1]))
            for i, layer in enumerate(self.layers):
                for name in LAYER_TENSORS:
                    mod, kind = name.split(".")
                    param = getattr(getattr(layer, mod), "weight" if kind == "w" else "bias")
                    param.copy_(torch.from_numpy(tensors[f"l{i}.{name}"]).view_as(param))

    def trained_tensors(self) -> dict[str, np.ndarray]:
        """Everything that training changed, by the names the export and the ONNX graph use."""
        out = {"emb.ln.w": self.emb_ln.weight, "emb.ln.b": self.emb_ln.bias,
               "head.w": self.head.weight.view(-1), "head.b": self.head.bias}
        for i, layer in enumerate(self.layers):
            for name in LAYER_TENSORS:
                mod, kind = name.split(".")
                out[f"l{i}.{name}"] = getattr(getattr(layer, mod), "weight" if kind == "w" else "bias")
        return {k: v.detach().cpu().numpy().astype(np.float32) for k, v in out.items()}


def pad(rows: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    n = max(map(len, rows))
    ids = torch.full((len(rows), n), pad_id, dtype=torch.long)
    keep = torch.zeros((len(rows), n), dtype=torch.float32)
    for i, r in enumerate(rows):
        ids[i, :len(r)] = torch.tensor(r)
        keep[i, :len(r)] = 1.0
    return ids, keep
