"""The typed records that flow through the pipeline.

``Document -> Chunk -> ScoredChunk -> Answer(citations)``. All frozen; ids are content hashes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any


def content_hash(text: str, n: int = 16) -> str:
    """A deterministic id for a piece of text (whitespace-insensitive)."""
    norm = re.sub(r"\s+", " ", text).strip()
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()[:n]


@dataclass(frozen=True)
class Page:
    """One page of a document (text files have a single page with ``number=None``)."""

    number: int | None
    text: str


@dataclass(frozen=True)
class Document:
    id: str  # the file's path relative to the corpus folder
    title: str
    source: str  # file name shown in citations
    pages: tuple[Page, ...]
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    file_hash: str = ""

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.pages)


@dataclass(frozen=True)
class Chunk:
    id: str  # content hash of ``text``
    doc_id: str  # the document the text was taken from (its first source)
    title: str
    section: str
    page: int | None
    start: int  # character span in the cleaned page text
    end: int
    text: str
    sources: tuple[str, ...] = ()  # every document holding this passage (dedup keeps them all)

    def metadata(self) -> dict[str, Any]:
        """Flat metadata for the vector store (scalars only)."""
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "section": self.section,
            "page": -1 if self.page is None else self.page,
            "start": self.start,
            "end": self.end,
            "sources": "\n".join(self.sources or (self.doc_id,)),
        }

    @classmethod
    def from_metadata(cls, chunk_id: str, text: str, meta: dict[str, Any]) -> "Chunk":
        page = meta.get("page", -1)
        return cls(
            id=chunk_id,
            doc_id=str(meta["doc_id"]),
            title=str(meta.get("title", "")),
            section=str(meta.get("section", "")),
            page=None if page in (-1, None) else int(page),
            start=int(meta.get("start", 0)),
            end=int(meta.get("end", 0)),
            text=text,
            sources=tuple(s for s in str(meta.get("sources", "")).split("\n") if s),
        )


@dataclass(frozen=True)
class ScoredChunk:
    chunk: Chunk
    score: float  # fused score (higher is better)
    ranks: dict[str, int] = field(default_factory=dict, hash=False, compare=False)  # retriever -> 1-based rank
    dense_score: float | None = None  # cosine similarity with the query
    bm25_score: float | None = None
    unit_score: float | None = None  # cosine of the chunk's best unit (sentence) with the query

    def to_json(self) -> dict[str, Any]:
        c = self.chunk
        return {
            "chunk_id": c.id,
            "source": c.doc_id,
            "sources": list(c.sources or (c.doc_id,)),
            "title": c.title,
            "section": c.section,
            "page": c.page,
            "score": round(self.score, 6),
            "dense_score": None if self.dense_score is None else round(self.dense_score, 6),
            "bm25_score": None if self.bm25_score is None else round(self.bm25_score, 6),
            "unit_score": None if self.unit_score is None else round(self.unit_score, 6),
            "ranks": self.ranks,
            "span": [c.start, c.end],
            "text": c.text,
        }


@dataclass(frozen=True)
class Citation:
    n: int
    chunk_id: str
    source: str
    title: str
    section: str
    page: int | None
    quote: str
    spans: tuple[tuple[int, int], ...] = ()  # what the answer quotes, as character spans in the passage

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "chunk_id": self.chunk_id,
            "source": self.source,
            "title": self.title,
            "section": self.section,
            "page": self.page,
            "quote": self.quote,
            "spans": [list(s) for s in self.spans],
        }


@dataclass(frozen=True)
class Statement:
    """One statement of an answer: a source sentence or list (extractive), a verified sentence of an
    LLM, or an uncited line of the answer's own (``form`` "lead" or "notice")."""

    text: str
    role: str = "background"  # the unit's role (see assistant.roles); "notice" for the answer's own lines
    cites: tuple[int, ...] = ()  # 1-based passage numbers in Answer.contexts, best support first
    chunk_id: str = ""
    start: int = -1  # character span in the cited passage's text; -1 when not a verbatim span
    end: int = -1
    score: float = 0.0
    form: str = "sentence"  # "lead" | "sentence" | "bullet" | "list" | "notice"

    @property
    def n(self) -> int | None:
        return self.cites[0] if self.cites else None

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "role": self.role, "form": self.form, "n": self.n, "cites": list(self.cites),
                "chunk_id": self.chunk_id, "span": [self.start, self.end], "score": round(self.score, 6)}


@dataclass(frozen=True)
class Answer:
    statements: tuple[Statement, ...]
    citations: tuple[Citation, ...]
    contexts: tuple[ScoredChunk, ...]
    query: str  # the self-contained query used for retrieval
    abstained: bool = False
    language: str = "nl"
    unsupported: tuple[str, ...] = ()  # sentences dropped by citation verification
    seconds: float = 0.0
    fallback: str | None = None  # why the LLM reply was replaced by the extractive answer (a failure kind)
    notice: str = ""  # the one-line notice shown with a fallback
    reason: str = ""  # why the answer abstains (a code of assistant.answer.abstain), "" when it answers
    intent: str = ""  # the question's intent (howto, whatis, which, why, meeting, other)
    reader: bool = False  # the trained reader chose the units (assistant.reader), not the word-based scorer

    @property
    def text(self) -> str:
        """The answer as plain text with ``[n]`` markers (rendered from the statements)."""
        from .render import plain_text

        return plain_text(self.statements)

    def to_json(self) -> dict[str, Any]:
        return {
            "answer": self.text,
            "abstained": self.abstained,
            "query": self.query,
            "citations": [c.to_json() for c in self.citations],
            "contexts": [
                {
                    "chunk_id": sc.chunk.id,
                    "source": sc.chunk.doc_id,
                    "title": sc.chunk.title,
                    "section": sc.chunk.section,
                    "page": sc.chunk.page,
                    "text": sc.chunk.text,
                    "score": round(sc.score, 6),
                }
                for sc in self.contexts
            ],
            "language": self.language,
            "unsupported": list(self.unsupported),
            "seconds": round(self.seconds, 4),
            "fallback": {"answer": "extractive", "reason": self.fallback, "notice": self.notice}
            if self.fallback else None,
            "statements": [st.to_json() for st in self.statements],
            "reason": self.reason,
            "intent": self.intent,
            "reader": self.reader,
        }


@dataclass(frozen=True)
class Progress:
    """An answer on its way with nothing verified to show yet (an LLM reading its prompt):
    seconds since the question, for a progress line where the answer will appear."""

    seconds: float
    language: str = "nl"
