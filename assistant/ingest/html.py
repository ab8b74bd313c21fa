"""A web page as Markdown-like text: the main content (``<main>``/``<article>`` when the page has
one, never navigation, headers, footers or sidebars), headings ``h1``–``h6`` as ``#`` lines, list
items and table rows as ``- `` lines (cells named by their header), ``<pre>`` as a fenced block with
its line breaks; ``<title>`` and ``<meta name="author">`` for the citation. Scripts, styles, frames,
forms and embedded objects are dropped unread: nothing on the page is fetched or run."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

_SKIP = {"script", "style", "noscript", "iframe", "object", "embed", "template", "form", "svg", "canvas",
         "nav", "header", "footer", "aside", "button", "select", "textarea", "head"}
_BLOCKS = {"p", "div", "section", "blockquote", "dd", "dt", "figcaption", "caption", "address", "center"}
_VOID = {"br", "img", "hr", "meta", "link", "input", "area", "base", "col", "source", "track", "wbr", "param"}
_HEADINGS = {f"h{i}": i for i in range(1, 7)}


_NAV = re.compile(r"(?:^|[\s_-])(?:nav\w*|menu\w*|breadcrumbs?|sidebar|skip-?links?|cookies?\w*|banner)(?:$|[\s_-])",
                  re.I)


def _navigation(attrs: list[tuple[str, str | None]]) -> bool:
    """An element that is the page's navigation by its role, class or id (DocBook's navheader too)."""
    a = dict(attrs)
    if (a.get("role") or "").lower() in ("navigation", "banner", "contentinfo"):
        return True
    return bool(_NAV.search(f" {a.get('class') or ''} {a.get('id') or ''} "))


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []  # finished lines/blocks of the whole body
        self.main: list[str] | None = None  # the same, for <main>/<article> only, once one is seen
        self.buf: list[str] = []
        self.prefix = ""
        self.skip = 0  # depth inside dropped elements
        self.pre = 0
        self.main_depth = 0
        self.row: list[str] | None = None
        self.li = 0  # depth inside list items: a second paragraph of an item continues it
        self.head: list[str] = []
        self.in_title = False
        self.title, self.author = "", ""

    # --- the parser's callbacks ---------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "meta" and (dict(attrs).get("name") or "").lower() == "author":
            self.author = self.author or (dict(attrs).get("content") or "").strip()
        if tag == "title":
            self.in_title = True
        if tag in _VOID:
            if tag == "br" and not self.skip:
                self.buf.append("\n" if self.pre else " ")
            return
        if self.skip or tag in _SKIP or _navigation(attrs):
            self.skip += 1
            return
        if tag in ("main", "article") or dict(attrs).get("role") == "main":
            self.main_depth += 1
            if self.main is None:
                self.main = []
        if tag in _HEADINGS or tag in _BLOCKS or tag in ("li", "pre", "tr"):
            self.flush()
        if tag in _HEADINGS:
            self.prefix = "#" * _HEADINGS[tag] + " "
        elif tag == "li":
            self.prefix = "- "
            self.li += 1
        elif tag == "pre":
            self.pre += 1
        elif tag == "tr":
            self.row = []
        elif tag == "table":
            self.head = []  # each table names its cells by its own header row
        elif tag in ("td", "th") and self.row is not None:
            self.flush_cell()

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        if tag in _VOID:
            return
        if self.skip:
            self.skip -= 1
            return
        if tag in ("td", "th") and self.row is not None:
            self.flush_cell()
        elif tag == "tr" and self.row is not None:
            self.flush_cell()
            cells, self.row = [c for c in self.row if c], None
            if cells:
                self.emit_row(cells)
        elif tag == "pre" and self.pre:
            self.pre -= 1
            code = "".join(self.buf).strip("\n")
            self.buf = []
            if code.strip():
                self.emit("```\n" + code + "\n```")
        elif tag in _HEADINGS or tag in _BLOCKS or tag == "li":
            self.flush()
            if tag == "li" and self.li:
                self.li -= 1
                self.prefix = ""
        if tag in ("main", "article") and self.main_depth:
            self.main_depth -= 1

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title += data
        if not self.skip:
            self.buf.append(data)

    # --- assembling ------------------------------------------------------------------------------
    def flush_cell(self) -> None:
        if self.row is not None:
            self.row.append(" ".join("".join(self.buf).split()))
            self.buf = []

    def flush(self) -> None:
        if self.pre:
            return
        text = " ".join("".join(self.buf).split())
        self.buf = []
        if text and self.li and not self.prefix and self.blocks and self.blocks[-1].startswith("- "):
            self.extend(" " + text)  # the item's next paragraph
        elif text:  # an empty flush (an <li> opening a <p>) keeps the prefix for the text to come
            self.emit(self.prefix + text)
            self.prefix = ""

    def emit(self, block: str) -> None:
        self.blocks.append(block)
        if self.main is not None and self.main_depth:
            self.main.append(block)

    def extend(self, more: str) -> None:
        self.blocks[-1] += more
        if self.main is not None and self.main_depth and self.main:
            self.main[-1] += more

    def emit_row(self, cells: list[str]) -> None:
        if not self.head:
            self.head = cells
            self.emit("- " + " | ".join(cells))
            return
        named = [f"{h}: {c}" if h else c for h, c in zip(self.head, cells)] + cells[len(self.head):]
        self.emit("- " + " | ".join(named))


def read_html(text: str) -> tuple[str, dict[str, Any]]:
    """The page's main text and what it says of itself (title, author)."""
    page = _Page()
    page.feed(text)
    page.close()
    page.flush()
    blocks = page.main if page.main else page.blocks
    out: list[str] = []
    for b in blocks:  # list items and table rows stay together, other blocks are paragraphs
        if out and b.startswith("- ") and out[-1].split("\n")[-1].startswith("- "):
            out[-1] += "\n" + b
        else:
            out.append(b)
    meta = {k: " ".join(v.split()) for k, v in (("title", page.title), ("author", page.author)) if v.strip()}
    return "\n\n".join(out) + "\n", meta
