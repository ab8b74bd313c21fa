"""Citation verification for every generator.

Each ``[n]`` must refer to a passage that was given; each answer sentence must be supported by a
passage it cites (lexical overlap, or moderate overlap plus embedding similarity). Unsupported
sentences are dropped and counted, so the answer can say so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..bm25 import analyze
from ..records import Citation, ScoredChunk
from ..textutil import split_sentences
from .support import evidence_text, lexical_support, markers, strip_markers

Cosine = Callable[[str, ScoredChunk], float]


@dataclass
class Verified:
    text: str
    citations: list[Citation]
    unsupported: list[str]


def best_quote(sentence: str, passage: str) -> str:
    """The passage sentence that best supports ``sentence`` (for the citation's quote)."""
    sents = split_sentences(passage.replace("\n", " ")) or [passage]
    return max(sents, key=lambda s: (lexical_support(sentence, s), -len(s)))


def _split_block(block: str) -> list[str]:
    """Sentences of one answer paragraph (a list stays whole); a marker after the full stop belongs
    to the sentence before it."""
    if "\n• " in block or block.lstrip().startswith("• "):
        return [block.strip()]
    block = re.sub(r"([.!?])\s*((?:\[\d+\]\s*)+)", lambda m: f" {m.group(2).strip()}{m.group(1)} ", block)
    return [p for p in split_sentences(block) if p.strip()]


def verify(answer: str, contexts: Sequence[ScoredChunk], cosine: Cosine | None = None,
           min_lexical: float = 0.6, weak_lexical: float = 0.3, min_cosine: float = 0.82,
           allow_uncited: Sequence[str] = ()) -> Verified:
    blocks: list[str] = []
    unsupported: list[str] = []
    quotes: dict[int, list[str]] = {}
    for block in re.split(r"\n\s*\n", answer.strip()):
        kept: list[str] = []
        for sent in _split_block(block):
            plain = re.sub(r"\s+([.!?])$", r"\1", strip_markers(sent))
            if plain in allow_uncited or not plain:
                kept.append(plain)
                continue
            _check(sent, plain, contexts, cosine, min_lexical, weak_lexical, min_cosine, kept, unsupported, quotes)
        if kept:
            blocks.append(" ".join(kept))
    citations = []
    for n in sorted(quotes):
        c = contexts[n - 1].chunk
        quote = " … ".join(dict.fromkeys(quotes[n]))
        citations.append(Citation(n, c.id, c.doc_id, c.title, c.section, c.page, quote))
    return Verified("\n\n".join(blocks), citations, unsupported)


def _check(sent: str, plain: str, contexts: Sequence[ScoredChunk], cosine: Cosine | None, min_lexical: float,
           weak_lexical: float, min_cosine: float, kept: list[str], unsupported: list[str],
           quotes: dict[int, list[str]]) -> None:
    """Keep ``plain`` with the markers of the given passages that support it, or record it as unsupported."""
    supported_by = []
    if not analyze(plain):  # nothing to check ("!!!", "OK."): a marker alone proves nothing
        unsupported.append(plain)
        return
    for n in dict.fromkeys(markers(sent)):
        if not 1 <= n <= len(contexts):
            continue  # a marker for a passage that was never given
        sc = contexts[n - 1]
        # instructions planted in a passage are not evidence: an answer that obeys them is unsupported
        lex = lexical_support(plain, evidence_text(sc.chunk.text))
        if lex >= min_lexical or (lex >= weak_lexical and cosine is not None and cosine(plain, sc) >= min_cosine):
            supported_by.append(n)
    if not supported_by:
        unsupported.append(plain)
        return
    for n in supported_by:
        quotes.setdefault(n, []).append(best_quote(plain, evidence_text(contexts[n - 1].chunk.text)))
    kept.append(plain + "".join(f" [{n}]" for n in supported_by))
