"""Citation verification for every generator: statements in, supported statements out.

An extractive statement must be the verbatim text of the span it points to. An LLM's reply is read
once into statements (its sentences and bullets with their ``[n]`` markers: the only place where
markers are parsed, and only in text we did not write); each must cite a passage that was given and
be supported by it (lexical overlap, or moderate overlap plus embedding similarity). Unsupported
statements are dropped and counted, so the answer can say so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from ..bm25 import analyze
from ..records import Citation, ScoredChunk, Statement
from ..textutil import split_sentences
from ..units import locate, same_text
from .support import evidence_text, lexical_support, markers, strip_markers

Cosine = Callable[[str, ScoredChunk], float]
_BULLET = re.compile(r"^\s*(?:[•*\-–]|\d{1,2}[.)])\s+")


@dataclass
class Verified:
    statements: list[Statement]
    citations: list[Citation]
    unsupported: list[str]


def best_quote(sentence: str, passage: str) -> str:
    """The passage sentence that best supports ``sentence`` (for the citation's quote)."""
    sents = split_sentences(passage.replace("\n", " ")) or [passage]
    return max(sents, key=lambda s: (lexical_support(sentence, s), -len(s)))


def read_reply(reply: str) -> list[tuple[str, str, list[int]]]:
    """An LLM's reply as (form, text without markers, cited numbers): bullet lines stay whole, other
    text is split into sentences; a marker after the full stop belongs to the sentence before it."""
    out: list[tuple[str, str, list[int]]] = []
    for line in reply.strip().splitlines():
        if not line.strip():
            continue
        if _BULLET.match(line):
            body = _BULLET.sub("", line, count=1)
            out.append(("bullet", strip_markers(body), markers(body)))
            continue
        line = re.sub(r"([.!?])\s*((?:\[\d+\]\s*)+)", lambda m: f" {m.group(2).strip()}{m.group(1)} ", line)
        for sent in split_sentences(line):
            plain = re.sub(r"\s+([.!?])$", r"\1", strip_markers(sent))
            if plain:
                out.append(("sentence", plain, markers(sent)))
    return out


def _supported_by(text: str, cited: Sequence[int], contexts: Sequence[ScoredChunk], cosine: Cosine | None,
                  min_lexical: float, weak_lexical: float, min_cosine: float,
                  given: Collection[int] | None = None) -> list[int]:
    ok = []
    if not analyze(text):  # nothing to check ("!!!", "OK."): a marker alone proves nothing
        return ok
    for n in dict.fromkeys(cited):
        if not 1 <= n <= len(contexts) or (given is not None and n not in given):
            continue  # a marker for a passage that was never given
        sc = contexts[n - 1]
        # instructions planted in a passage are not evidence: an answer that obeys them is unsupported
        lex = lexical_support(text, evidence_text(sc.chunk.text))
        if lex >= min_lexical or (lex >= weak_lexical and cosine is not None and cosine(text, sc) >= min_cosine):
            ok.append(n)
    return ok


def verify_reply(reply: str, contexts: Sequence[ScoredChunk], cosine: Cosine | None = None,
                 min_lexical: float = 0.6, weak_lexical: float = 0.3, min_cosine: float = 2.0,
                 given: Collection[int] | None = None) -> Verified:
    """An LLM's reply as verified statements, each pointing to the span of its best quote.
    ``min_cosine``: the embedder's threshold (``thresholds.for_settings``); the default never passes.
    ``given``: the passage numbers the prompt carried (default: all of ``contexts``)."""
    kept: list[Statement] = []
    unsupported: list[str] = []
    for form, text, cited in read_reply(reply):
        ns = _supported_by(text, cited, contexts, cosine, min_lexical, weak_lexical, min_cosine, given)
        if not ns:
            unsupported.append(text)
            continue
        passage = contexts[ns[0] - 1].chunk.text
        start, end = locate(passage, best_quote(text, evidence_text(passage)))
        kept.append(Statement(text, "content", tuple(ns), contexts[ns[0] - 1].chunk.id, start, end, form=form))
    return Verified(kept, citations_of(kept, contexts), unsupported)


def verify_statements(statements: Sequence[Statement], contexts: Sequence[ScoredChunk],
                      min_lexical: float = 0.6) -> Verified:
    """Extractive statements kept when their span holds their text and supports it."""
    kept: list[Statement] = []
    unsupported: list[str] = []
    for st in statements:
        if not st.cites:
            kept.append(st)  # the answer's own line (lead, notice): nothing to cite
            continue
        passage = contexts[st.n - 1].chunk.text if 1 <= st.n <= len(contexts) else ""
        span = passage[st.start:st.end] if st.start >= 0 else ""
        if same_text(span, st.text) and lexical_support(st.text, evidence_text(passage)) >= min_lexical:
            kept.append(st)
        else:
            unsupported.append(st.text)
    return Verified(kept, citations_of(kept, contexts), unsupported)


def citations_of(statements: Sequence[Statement], contexts: Sequence[ScoredChunk]) -> list[Citation]:
    """One citation per cited passage: the statements' texts as its quote, their spans to highlight."""
    quotes: dict[int, list[Statement]] = {}
    for st in statements:
        for n in st.cites:
            quotes.setdefault(n, []).append(st)
    out = []
    for n in sorted(quotes):
        c = contexts[n - 1].chunk
        sts = quotes[n]
        own = [st for st in sts if st.chunk_id == c.id and st.start >= 0]
        quote = " … ".join(dict.fromkeys(c.text[st.start:st.end] if st in own else st.text for st in sts))
        spans = tuple(sorted({(st.start, st.end) for st in own}))
        out.append(Citation(n, c.id, c.doc_id, c.title, c.section, c.page, quote, spans))
    return out
