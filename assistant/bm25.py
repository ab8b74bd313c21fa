"""BM25 over chunks with Dutch analysis, on bm25s.

Accent-folded words without stop words, each cut into character 5-grams with word-boundary marks
plus the whole word, so Dutch compounds ("samenwerkingsrelatie", "ouderbetrokkenheid") match their
parts, which users write apart (the comparison with whole stemmed words is in docs/decisions.md,
"BM25 analyzer"). bm25s scores with sparse matrices, so a query never loops over documents in Python.
"""

from __future__ import annotations

import json
import logging
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


GRAM = 5


def grams(text: str, n: int = GRAM) -> list[str]:
    """Character n-grams (with ``_`` word boundaries) of the unstemmed content words, plus the words."""
    out: list[str] = []
    for w in analyze(text, stem=False):
        b = f"_{w}_"
        if len(b) <= n:
            out.append(b)
        else:
            out.extend(b[i:i + n] for i in range(len(b) - n + 1))
            out.append(b)
    return out


class BM25Index:
    def __init__(self, model: Any, ids: list[str], stem: bool = True, stop: bool = True, analyzer: str = "grams"):
        self.model = model
        self.ids = ids
        self.stem = stem
        self.stop = stop
        self.analyzer = analyzer

    def tokens(self, text: str) -> list[str]:
        return grams(text) if self.analyzer == "grams" else analyze(text, self.stem, self.stop)

    @classmethod
    def build(cls, ids: list[str], texts: list[str], stem: bool = True, stop: bool = True,
              analyzer: str = "grams") -> "BM25Index":
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets itself to DEBUG on import
        index = cls(bm25s.BM25(), ids, stem, stop, analyzer)
        if texts:
            # token ids in compact arrays, not one Python string per token: at 100k chunks of ~1000
            # characters that is ~120M strings (the build peaked at 5.1 GB); same index, same scores
            import numpy as np

            vocab: dict[str, int] = {}
            corpus = []
            for t in texts:
                toks = index.tokens(t) or ["∅"]
                corpus.append(np.fromiter((vocab.setdefault(g, len(vocab)) for g in toks), dtype=np.int32,
                                          count=len(toks)))
            index.model.index((corpus, vocab), show_progress=False)
        return index

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if self.ids:
            self.model.save(str(folder), show_progress=False)
        (folder / "ids.json").write_text(
            json.dumps({"ids": self.ids, "stem": self.stem, "stop": self.stop, "analyzer": self.analyzer}), encoding="utf-8"
        )

    @classmethod
    def load(cls, folder: Path) -> "BM25Index":
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)
        meta = json.loads((folder / "ids.json").read_text(encoding="utf-8"))
        model = bm25s.BM25.load(str(folder), show_progress=False) if meta["ids"] else bm25s.BM25()
        return cls(model, meta["ids"], meta.get("stem", True), meta.get("stop", True), meta.get("analyzer", "words"))

    def search(self, query: str, n: int) -> list[tuple[str, float]]:
        """(chunk id, BM25 score), best first; chunks without a matching term are left out."""
        toks = self.tokens(query)
        if not toks or not self.ids:
            return []
        n = min(n, len(self.ids))
        docs, scores = self.model.retrieve([toks], k=n, show_progress=False, n_threads=1)
        return [(self.ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]
