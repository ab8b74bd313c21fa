"""Corpora for a run: the quick corpus (real text around a few gold quotes), a seeded sample of
real paragraphs for the synthetic scale corpora, and varied Dutch text for upload runs (tests too)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def _key_positions(text: str) -> tuple[str, list[int]]:
    """``alnum_key(text)`` and, for each of its characters, the position in ``text`` it came from."""
    from assistant.textutil import alnum_key

    keys: list[str] = []
    pos: list[int] = []
    for i, ch in enumerate(text):
        k = alnum_key(ch)
        keys.append(k)
        pos.extend([i] * len(k))
    return "".join(keys), pos


def _pick_items(items: Sequence[Any], n_items: int) -> list[Any]:
    """Up to ``n_items`` single-quote answerable questions, one per document first."""
    candidates = [it for it in items if it.answerable and not it.history and len(it.evidence) == 1
                  and len(it.evidence[0].quote) < 400]
    chosen: list[Any] = []
    for it in candidates:  # one question per document first, so the quick corpus has several files
        if len(chosen) < n_items and it.evidence[0].doc not in {c.evidence[0].doc for c in chosen}:
            chosen.append(it)
    return chosen + [it for it in candidates if it not in chosen][:n_items - len(chosen)]


def quote_window(text: str, quote: str, margin: int = 500) -> tuple[int, int] | None:
    """Whole lines of ``text`` around ``quote`` (matched on its alnum key) plus ``margin`` characters
    either side; None if the quote is not in the text."""
    from assistant.textutil import alnum_key

    key, pos = _key_positions(text)
    q = alnum_key(quote)
    at = key.find(q)
    if at < 0 or not q:
        return None
    a, b = max(0, pos[at] - margin), min(len(text), pos[at + len(q) - 1] + margin)
    a = text.rfind("\n", 0, a) + 1 if text.rfind("\n", 0, a) >= 0 else 0
    nl = text.find("\n", b)
    return a, len(text) if nl < 0 else nl


def merge_spans(spans: Sequence[tuple[int, int]]) -> list[list[int]]:
    """Sorted spans with overlapping ones merged."""
    merged: list[list[int]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return merged


def make_quick_corpus(src: Path, dst: Path, items: Sequence[Any], n_items: int = 5) -> list[Any]:
    """A small corpus of real text: windows of the source documents around the gold quotes of a few
    questions (so quality numbers stay meaningful); returns the questions to ask."""
    from assistant.ingest.load import load_corpus

    chosen = _pick_items(items, n_items)
    docs = {d.id: d.text for d in load_corpus(src, only={it.evidence[0].doc for it in chosen}).documents}
    spans: dict[str, list[tuple[int, int]]] = {}
    keep = []
    for it in chosen:
        e = it.evidence[0]
        window = quote_window(docs[e.doc], e.quote) if e.doc in docs else None
        if window is not None:
            spans.setdefault(e.doc, []).append(window)
            keep.append(it)
    dst.mkdir(parents=True, exist_ok=True)
    for doc, ss in spans.items():
        (dst / doc).parent.mkdir(parents=True, exist_ok=True)
        text = "\n\n".join(docs[doc][a:b].strip() for a, b in merge_spans(ss)) + "\n"
        (dst / doc).write_text(text, encoding="utf-8")
    if (src / "metadata.toml").exists():
        shutil.copy2(src / "metadata.toml", dst / "metadata.toml")
    unanswerable = [it for it in items if not it.answerable and not it.history][:1]
    return keep + unanswerable


def real_paragraphs(corpus_dir: Path, limit: int, seed: int = 7) -> list[dict[str, str]]:
    """Cleaned paragraphs (>= 60 characters) of the corpus, a seeded sample of at most ``limit``."""
    import random

    from assistant.ingest.load import load_corpus

    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for d in load_corpus(corpus_dir).documents:
        for p in re.split(r"\n\s*\n", d.text):
            p = p.strip()
            if len(p) >= 60 and p not in seen:
                seen.add(p)
                out.append({"doc": d.id, "title": d.title, "text": p[:1400]})
    random.Random(seed).shuffle(out)
    return out[:limit]


_LATIN1 = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "–": "-", "—": "-", "…": "...",
                         "•": "-", "\u00a0": " ", "\u2009": " "})


def varied_dutch_text(corpus_dir: Path, chars: int, seed: int = 0, latin1: bool = False) -> list[str]:
    """Paragraphs of real-looking Dutch (the corpus's sentences, shuffled, with about one word in
    five swapped for another corpus word) until ``chars`` characters: no paragraph is a near
    duplicate of a corpus passage (so indexing really embeds it) and no two runs share text."""
    import random

    from assistant.textutil import split_sentences

    rng = random.Random(seed)
    sentences: list[str] = []
    for path in sorted(corpus_dir.glob("*.txt")):
        for para in path.read_text(encoding="utf-8").split("\n\n"):
            sentences += [s for s in split_sentences(para) if len(s) > 40]
    vocabulary = sorted({w for s in sentences for w in re.findall(r"[a-zà-ÿ]{5,}", s)})
    out: list[str] = []
    total = 0
    while total < chars:
        picked = rng.sample(sentences, k=rng.randint(3, 7))
        para = " ".join(" ".join(rng.choice(vocabulary) if rng.random() < 0.2 and len(w) > 4 and w.islower()
                                 else w for w in s.split()) for s in picked)
        if latin1:
            para = para.translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")
        out.append(para)
        total += len(para) + 2
    return out
