"""A PDF's own headings: its outline (the bookmarks a word processor exports from its heading
styles), marked in the page texts as Markdown heading lines so the chunker takes its sections from
them instead of guessing them from the shape of a line."""

from __future__ import annotations

import heapq
import logging
import re
from bisect import bisect_left
from collections.abc import Iterator
from itertools import islice
from typing import Any

log = logging.getLogger(__name__)

_NON_WORD = re.compile(r"[\W_]+")
MAX_LINES = 4  # a heading wrapped over more lines than this is not looked for
MAX_TRIES = 200  # lines tried per entry, from the page's end (a hostile page repeats a title's start)
MAX_ENTRIES = 2000  # outline entries looked for (each is looked for in one or two pages)


def outline(reader: Any) -> list[tuple[int, int, str]]:
    """(page index, depth, title) of every outline entry with a page, in reading order; [] when
    the PDF has none or it cannot be read."""
    out: list[tuple[int, int, str]] = []

    def walk(items: Any, depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
                continue
            try:
                page = reader.get_destination_page_number(item)
                title = " ".join(str(item.title or "").split())
            except Exception:  # noqa: BLE001 - a broken bookmark is skipped, the rest still counts
                continue
            if page is not None and page >= 0 and title:
                out.append((page, depth, title))

    try:
        walk(reader.outline, 0)
    except Exception as e:  # noqa: BLE001 - pypdf may raise anything on a hostile outline
        log.warning("PDF outline unreadable (%s): headings are guessed", type(e).__name__)
        return []
    return out


def _key(text: str) -> str:
    """Letters and digits only, lowercased: a title and its line(s) in the page text compare equal
    whatever the line breaks, hyphenation and spacing."""
    return _NON_WORD.sub("", text.lower())


def _find(keys: list[str], where: dict[str, list[int]], title: str, start: int) -> tuple[int, int] | None:
    """The last run of up to :data:`MAX_LINES` whole lines (given by their keys; ``where``: the
    lines of each key) from ``start`` on that reads as ``title`` (a table of contents names a
    heading before the heading itself). Only lines whose key opens the title are tried: an outline
    of many entries costs no scan of the page per entry."""
    want = _key(title)
    if not want:
        return None
    lists = [where[want[:n]] for n in range(1, len(want) + 1) if want[:n] in where]
    backwards = heapq.merge(*(_from_end(x, start) for x in lists), reverse=True)
    for i in islice(backwards, MAX_TRIES):  # the last match first
        joined = ""
        for j in range(i, min(i + MAX_LINES, len(keys))):
            joined += keys[j]
            if joined == want:
                return i, j
            if not want.startswith(joined):
                break
    return None


def _from_end(ascending: list[int], start: int) -> Iterator[int]:
    """The numbers of ``ascending`` from ``start`` on, largest first, without copying the list."""
    for k in range(len(ascending) - 1, bisect_left(ascending, start) - 1, -1):
        yield ascending[k]


def mark_headings(pages: list[str], entries: list[tuple[int, int, str]]) -> tuple[list[str], int]:
    """The page texts with each outline entry's line(s) replaced by a Markdown heading line of its
    depth and title (looked for on its page, then the next); returns the pages and how many
    entries were found."""
    lines = [p.split("\n") for p in pages]
    keys = [[_key(x) for x in ls] for ls in lines]
    where: list[dict[str, list[int]]] = []
    for ks in keys:
        index: dict[str, list[int]] = {}
        for i, k in enumerate(ks):
            if k:
                index.setdefault(k, []).append(i)
        where.append(index)
    cursor = [0] * len(pages)
    marked: list[list[tuple[int, int, str]]] = [[] for _ in pages]
    for page, depth, title in entries[:MAX_ENTRIES]:
        for p in (page, page + 1):
            if p >= len(lines):
                break
            hit = _find(keys[p], where[p], title, cursor[p])
            if hit is None:
                continue
            i, j = hit
            marked[p].append((i, j, "#" * min(depth + 1, 6) + " " + title))
            for k in range(i, j + 1):
                keys[p][k] = "\x00"  # a heading now: no other entry takes these lines
            cursor[p] = j + 1
            break
    for p, marks in enumerate(marked):
        for i, j, heading in sorted(marks, reverse=True):
            lines[p][i:j + 1] = [heading]
    return ["\n".join(ls) for ls in lines], sum(len(m) for m in marked)
