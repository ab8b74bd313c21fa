"""Answer units (sentences, and whole lists with their intro line) and their vectors.

A chunk is too coarse for a question that one sentence answers: its vector averages everything
the passage says. At index time every unit of every chunk is embedded too; retrieval adds the best
unit's similarity to the chunk's score and the extractive answerer ranks sentences with it.

Vectors live in ``units-vectors.npy`` inside an index generation (float16; one row per unit, rows
grouped per chunk; memory-mapped when read), described by ``units.npz`` (chunk rows, unit keys),
keyed by the unit text's content hash so a re-index embeds only new units.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from typing import Any

from .records import Chunk, content_hash
from .textutil import split_sentences
from .unitsplit import repair


@dataclass(frozen=True)
class Unit:
    text: str
    ctx: int  # index of the context (rank - 1)
    pos: int  # position inside the context
    is_list: bool = False
    role: str = "background"  # question | meta | advice | definition | list | finding | background (assistant.roles)
    start: int = -1  # character span in the passage's text; -1 when it could not be located
    end: int = -1
    is_code: bool = False  # a preformatted block (fenced), with the lead-in that introduces it


def locate(text: str, piece: str, cursor: int = 0) -> tuple[int, int]:
    """The span of ``piece`` in ``text`` at or after ``cursor``, whatever the whitespace between its
    words (units are re-flowed); ``(-1, -1)`` when it is not there.

    >>> locate("Kom op tijd.\\n• Neem  koffie mee.", "Kom op tijd. Neem koffie mee.")
    (0, 32)
    """
    return _Gaps(text).locate(piece, cursor)


_BULLETS = "•◦▪●■"
# a gap between two words: whitespace, and a single bullet read as running text ("… onderzoeken: de
# energie") that keeps its glyph in the passage
_GAP = re.compile(r"\s+(?:[" + _BULLETS + r"]\s*)?")


class _Gaps:
    """``text`` with every gap between words as one space (``flat``), and the way back to positions
    in ``text``. A piece is then found with one ``str.find`` from the cursor: a pattern built from
    the piece was compiled for every unit and could be retried at every character (quadratic)."""

    def __init__(self, text: str):
        spans = [m.span() for m in _GAP.finditer(text)]
        self.starts = [a for a, _ in spans]  # where each gap starts in text
        self.ends = [b for _, b in spans]  # where the word after it starts
        removed = accumulate((b - a - 1 for a, b in spans), initial=0)  # text left out before each gap
        self.at = [a - r for a, r in zip(self.starts, removed)]  # where each gap's one space is in flat
        self.flat = _GAP.sub(" ", text)

    def _to_text(self, f: int) -> int:
        """The position in text of the word character at ``f`` in flat."""
        g = bisect_right(self.at, f) - 1
        return f if g < 0 else self.ends[g] + f - self.at[g] - 1

    def _to_flat(self, t: int) -> int:
        g = bisect_right(self.starts, t) - 1
        if g < 0:
            return t
        return self.at[g] + 1 + max(0, t - self.ends[g])

    def locate(self, piece: str, cursor: int = 0) -> tuple[int, int]:
        needle = " ".join(_flat(piece).split())
        if not needle:
            return -1, -1
        f = self.flat.find(needle, self._to_flat(cursor))
        if f < 0:
            return -1, -1
        return self._to_text(f), self._to_text(f + len(needle) - 1) + 1


def _flat(text: str) -> str:
    return " ".join(re.sub("[" + _BULLETS + "]", " ", text).split())


def same_text(a: str, b: str) -> bool:
    """Whether two texts are the same words (whitespace and bullet glyphs aside)."""
    return _flat(a) == _flat(b)


def _with_roles_and_spans(text: str, units: list[Unit]) -> list[Unit]:
    """The units with their roles (:mod:`assistant.roles`) and their spans in ``text``."""
    from .roles import roles_of

    roles = roles_of([u.text for u in units], [u.is_list for u in units])
    out, cursor, gaps = [], 0, _Gaps(text)
    for u, role in zip(units, roles):
        a, b = gaps.locate(u.text, cursor)
        if a < 0:
            a, b = gaps.locate(u.text)
        if a >= 0:
            cursor = b
        out.append(Unit(u.text, u.ctx, u.pos, u.is_list, role, a, b, u.is_code))  # not replace(): 2x its cost
    return out


_ENUMERATOR = re.compile(r"(?:\d{1,3}\.)+|[a-z]\)|\(?\d{1,3}\)")


def _sentences(text: str) -> list[str]:
    r"""Sentences, with headings, citations and footnotes glued onto them split off; a number that
    opens a sentence ("1. Themanummer …") stays with it, it is no sentence of its own.

    >>> _sentences("1. Themanummer Zorg Primair, nr 7. Zie ook 2. Daarna.")
    ['1. Themanummer Zorg Primair, nr 7.', 'Zie ook 2.', 'Daarna.']
    """
    out: list[str] = []
    for p in (p for s in split_sentences(text) for p in repair(s)):
        if out and _ENUMERATOR.fullmatch(out[-1]):
            out[-1] += " " + p
        else:
            out.append(p)
    return out


def _one_item_paragraph(para: str) -> bool:
    r"""One bullet holding several sentences is a paragraph the layout marked, not a list.

    >>> _one_item_paragraph("Tips:\n• Kom op tijd. Neem koffie mee.")
    True
    >>> _one_item_paragraph("Tips:\n• Kom op tijd.\n• Neem koffie mee.")
    False
    """
    items = [ln for ln in para.split("\n") if ln.strip().startswith("• ")]
    return len(items) == 1 and len(split_sentences(items[0].strip()[2:])) > 1


def paragraphs(text: str) -> list[str]:
    r"""The paragraphs of a passage: split at blank lines, except inside a fenced code block.

    >>> paragraphs("Een.\n\nTyp:\n```\nls\n\ncd /\n```\n\nTwee.")
    ['Een.', 'Typ:\n```\nls\n\ncd /\n```', 'Twee.']
    """
    if "```" not in text:
        return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    out: list[str] = []
    cur: list[str] = []
    fenced = False
    for line in text.split("\n"):
        if line.strip().startswith("```"):
            fenced = not fenced if line.strip() == "```" or not fenced else fenced
        if not line.strip() and not fenced:
            if cur:
                out.append("\n".join(cur).strip())
            cur = []
            continue
        cur.append(line)
    if cur:
        out.append("\n".join(cur).strip())
    return [p for p in out if p]


def _code_units(para: str, ctx: int, pos: int) -> list[Unit]:
    """A paragraph holding a fenced block: the lead-in's last sentence travels with the block
    (one unit, never split into sentences); earlier sentences of the lead-in stand alone."""
    at = para.find("```")
    head = " ".join(ln.strip().removeprefix("• ") for ln in para[:at].split("\n") if ln.strip())
    code = para[at:]
    sents = _sentences(head) if head else []
    out = [Unit(s, ctx, pos + i) for i, s in enumerate(sents[:-1])]
    lead = sents[-1] + "\n" if sents else ""
    return out + [Unit(lead + code, ctx, pos + len(out), is_list=True, is_code=True)]


def units_of(text: str, ctx: int, max_list_chars: int = 1100) -> list[Unit]:
    """Sentences of a passage; a list with its intro line stays one unit when it is not too long;
    a code block stays one unit with the lead-in that introduces it."""
    return list(_units_cached(text, ctx, max_list_chars))


@lru_cache(maxsize=4096)
def _units_cached(text: str, ctx: int, max_list_chars: int) -> tuple[Unit, ...]:
    # an answer splits the same passages several times (scoring, reading, excerpts): split once
    return tuple(split_units(text, ctx, max_list_chars))


def split_units(text: str, ctx: int, max_list_chars: int = 1100) -> list[Unit]:
    """:func:`units_of` without its cache (what the cost and determinism tests measure)."""
    out: list[Unit] = []
    pos = 0
    for para in paragraphs(text):
        if "```" in para and re.search(r"(?m)^```", para):
            code = _code_units(para, ctx, pos)
            out += code
            pos += len(code)
            continue
        if ("\n• " in para or para.startswith("• ")) and not _one_item_paragraph(para):
            lines = [ln.strip() for ln in para.split("\n") if ln.strip()]
            head = [ln for ln in lines if not ln.startswith("• ")]
            if len(para) <= max_list_chars:
                intro_sents = _sentences(" ".join(head)) if head else []
                # earlier sentences of the intro paragraph stand alone; the last one introduces the list
                for s in intro_sents[:-1]:
                    out.append(Unit(s, ctx, pos))
                    pos += 1
                items = "\n".join(ln for ln in lines if ln.startswith("• "))
                intro = intro_sents[-1] if intro_sents else ""
                out.append(Unit(f"{intro}\n{items}".strip(), ctx, pos, is_list=True))
                pos += 1
                continue
            for ln in lines:
                out.append(Unit(ln, ctx, pos))
                pos += 1
            continue
        for s in _sentences(para.replace("\n• ", "\n").removeprefix("• ") if "• " in para else para):
            out.append(Unit(s, ctx, pos))
            pos += 1
    return _with_roles_and_spans(text, out)


class UnitVectors:
    """Unit vectors of an index generation: per chunk id, the units' keys and vectors."""

    FILE = "units.npz"
    VECTORS_FILE = "units-vectors.npy"

    def __init__(self, chunk_ids: Sequence[str], offsets: Any, keys: Sequence[str], vectors: Any,
                 roles: Sequence[str] | None = None):
        self.rows = {cid: (int(offsets[i]), int(offsets[i + 1])) for i, cid in enumerate(chunk_ids)}
        self.keys = list(keys)
        self.vectors = vectors  # (n_units, dim) float16
        # the role of each unit, decided at index time; generations written before roles: "background"
        self.roles = list(roles) if roles is not None else ["background"] * len(self.keys)

    def __len__(self) -> int:
        return len(self.keys)

    def by_key(self) -> dict[str, Any]:
        """Unit key -> vector, to reuse in the next build (read into memory once: rows of a
        memory map would each be a memory-map object)."""
        import numpy as np

        return dict(zip(self.keys, np.array(self.vectors)))

    def of(self, chunk_id: str) -> tuple[list[str], Any]:
        """Keys and vectors (float32) of a chunk's units; empty when the chunk is unknown."""
        import numpy as np

        a, b = self.rows.get(chunk_id, (0, 0))
        return self.keys[a:b], np.asarray(self.vectors[a:b], dtype=np.float32)

    def roles_of(self, chunk_id: str) -> list[str]:
        """The roles of a chunk's units, parallel to the keys of :meth:`of`."""
        a, b = self.rows.get(chunk_id, (0, 0))
        return self.roles[a:b]

    def similarities(self, chunk_ids: Iterable[str], query_vector: Sequence[float]) -> dict[str, tuple[list[str], Any]]:
        """Per chunk that has units: its units' keys and their cosine similarities with the query."""
        import numpy as np

        q = np.asarray(query_vector, dtype=np.float32)
        out: dict[str, tuple[list[str], Any]] = {}
        for cid in chunk_ids:
            a, b = self.rows.get(cid, (0, 0))
            if b > a:
                out[cid] = (self.keys[a:b], np.asarray(self.vectors[a:b], dtype=np.float32) @ q)
        return out

    def best(self, chunk_ids: Iterable[str], query_vector: Sequence[float]) -> dict[str, float]:
        """Per chunk, the best cosine similarity of one of its units with the query."""
        return {cid: float(sims.max()) for cid, (_, sims) in self.similarities(chunk_ids, query_vector).items()}

    @classmethod
    def build(cls, chunks: Sequence[Chunk], embed: Callable[[list[str]], list[list[float]]],
              reuse: dict[str, Any] | None = None) -> tuple["UnitVectors", int]:
        """Vectors for every unit of ``chunks``; units whose key is in ``reuse`` are not embedded
        again. Returns the vectors and how many units were embedded."""
        import numpy as np

        reuse = reuse or {}
        offsets = [0]
        keys: list[str] = []
        roles: list[str] = []
        texts: dict[str, str] = {}
        for c in chunks:
            for u in units_of(c.text, 0):
                k = content_hash(u.text)
                keys.append(k)
                roles.append(u.role)
                if k not in reuse:
                    texts.setdefault(k, u.text)
            offsets.append(len(keys))
        todo = list(texts)
        fresh = dict(zip(todo, embed([texts[k] for k in todo]))) if todo else {}
        dim = len(next(iter(fresh.values()))) if fresh else (len(next(iter(reuse.values()))) if reuse else 0)
        vecs = np.zeros((len(keys), dim), dtype=np.float16)
        for i, k in enumerate(keys):
            vecs[i] = fresh[k] if k in fresh else reuse[k]
        return cls([c.id for c in chunks], offsets, keys, vecs, roles), len(todo)

    def save(self, folder: Path) -> None:
        """``units-vectors.npy`` (the matrix, memory-mapped when loaded) and ``units.npz`` (which rows
        belong to which chunk, the units' keys and roles; written last, so its presence means complete)."""
        import numpy as np

        ids = sorted(self.rows, key=lambda c: self.rows[c][0])
        offsets = [self.rows[c][0] for c in ids] + [len(self.keys)]
        np.save(folder / self.VECTORS_FILE, np.asarray(self.vectors, dtype=np.float16), allow_pickle=False)
        with open(folder / self.FILE, "wb") as fh:
            np.savez(fh, chunk_ids=np.array(ids, dtype=str), offsets=np.array(offsets, dtype=np.int64),
                     keys=np.array(self.keys, dtype=str), roles=np.array(self.roles, dtype=str))

    @classmethod
    def load(cls, folder: Path) -> "UnitVectors | None":
        """The generation's unit vectors, or None when it has none (built without them). The matrix
        is memory-mapped: a search reads only the rows of its candidates, and processes serving
        the same index share the pages (about 5 KB per chunk on disk)."""
        import numpy as np

        path = folder / cls.FILE
        if not path.exists():
            return None
        with np.load(path, allow_pickle=False) as z:
            if "vectors" in z.files:  # generations written before the matrix had a file of its own
                vectors = z["vectors"]
            else:
                vectors = np.load(folder / cls.VECTORS_FILE, mmap_mode="r", allow_pickle=False)
            roles = [str(r) for r in z["roles"]] if "roles" in z.files else None
            return cls(list(z["chunk_ids"]), z["offsets"], list(z["keys"]), vectors, roles)
