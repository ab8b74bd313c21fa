"""BM25 over chunks with Dutch analysis (accent folding, stop words, Snowball stemming), on bm25s.

bm25s scores with sparse matrices, so a query never loops over documents in Python.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from .textutil import fold, words


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_DUTCH, STOPWORDS_EN

    extra = {"hoe", "wat", "welke", "waarom", "wanneer", "kan", "kun", "ik", "je", "jij", "we", "mijn", "onze"}
    return frozenset(fold(w) for w in (*STOPWORDS_DUTCH, *STOPWORDS_EN, *extra))


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("dutch")


def analyze(text: str, stem: bool = True, stop: bool = True) -> list[str]:
    toks = words(text)
    if stop:
        sw = _stopwords()
        toks = [t for t in toks if t not in sw]
    if stem:
        toks = _stemmer().stemWords(toks)
    return toks


class BM25Index:
    def __init__(self, model: Any, ids: list[str], stem: bool = True, stop: bool = True):
        self.model = model
        self.ids = ids
        self.stem = stem
        self.stop = stop

    @classmethod
    def build(cls, ids: list[str], texts: list[str], stem: bool = True, stop: bool = True) -> "BM25Index":
        import bm25s

        model = bm25s.BM25()
        corpus = [analyze(t, stem, stop) or ["∅"] for t in texts]
        if corpus:
            model.index(corpus, show_progress=False)
        return cls(model, ids, stem, stop)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if self.ids:
            self.model.save(str(folder), show_progress=False)
        (folder / "ids.json").write_text(
            json.dumps({"ids": self.ids, "stem": self.stem, "stop": self.stop}), encoding="utf-8"
        )

    @classmethod
    def load(cls, folder: Path) -> "BM25Index":
        import bm25s

        meta = json.loads((folder / "ids.json").read_text(encoding="utf-8"))
        model = bm25s.BM25.load(str(folder), show_progress=False) if meta["ids"] else bm25s.BM25()
        return cls(model, meta["ids"], meta.get("stem", True), meta.get("stop", True))

    def search(self, query: str, n: int) -> list[tuple[str, float]]:
        """(chunk id, BM25 score), best first; chunks without a matching term are left out."""
        toks = analyze(query, self.stem, self.stop)
        if not toks or not self.ids:
            return []
        n = min(n, len(self.ids))
        docs, scores = self.model.retrieve([toks], k=n, show_progress=False, n_threads=1)
        return [(self.ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]
