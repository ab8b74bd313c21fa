"""HTML help pages as Markdown-like text the project's loader reads: headings as ``#`` lines,
list items and table rows as ``- `` lines, ``<pre>`` blocks fenced, navigation dropped.

Only the standard library's ``html.parser`` (lxml is not a dependency of the project).

>>> html_to_text("<h2>Installeren</h2><p>Kies <b>Bestand</b>.</p><ul><li>een</li><li>twee</li></ul>")
'## Installeren\\n\\nKies Bestand.\\n\\n- een\\n- twee\\n'
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
         "track", "wbr"}
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
# tags that end the running paragraph (their text starts a block of its own)
_BLOCKS = {"p", "div", "dd", "dt", "blockquote", "section", "article", "table", "tr", "ul", "ol", "dl",
           "li", "pre", "figure", "figcaption", "center", "caption", "main", "body", "hr", "br"}


@dataclass(frozen=True)
class DropRules:
    """Which elements are never document text (with everything inside them)."""

    tags: frozenset[str] = frozenset({"head", "script", "style", "noscript", "nav"})
    classes: frozenset[str] = frozenset()
    ids: frozenset[str] = frozenset()

    @classmethod
    def of(cls, tags: Iterable[str], classes: Iterable[str], ids: Iterable[str]) -> "DropRules":
        return cls(frozenset(tags), frozenset(classes), frozenset(ids))

    def drops(self, tag: str, attrs: dict[str, str]) -> bool:
        return (tag in self.tags or attrs.get("id", "") in self.ids
                or bool(self.classes & set(attrs.get("class", "").split())))


@dataclass
class _Row:
    cells: list[str] = field(default_factory=list)
    header: bool = True  # every cell a <th>


class _Converter(HTMLParser):
    def __init__(self, rules: DropRules):
        super().__init__(convert_charrefs=True)
        self.rules = rules
        self.blocks: list[str] = []
        self.buf: list[str] = []
        self.prefix = ""  # what the next flushed block starts with ("## ", "- ")
        self.skip: list[str] = []  # open dropped elements (their tag names, nested same tags too)
        self.pre = 0
        self.row: _Row | None = None
        self.cell: list[str] | None = None
        self.title: list[str] = []
        self.in_title = False

    # -- text ------------------------------------------------------------------------------------
    def _flush(self) -> None:
        text = "".join(self.buf)
        self.buf = []
        text = " ".join(text.split())
        if text:
            self.blocks.append(self.prefix + text)
            self.prefix = ""

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title.append(data)
            return
        if self.skip:
            return
        if self.cell is not None:
            self.cell.append(data)
        else:
            self.buf.append(data)

    # -- elements --------------------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = {k: v or "" for k, v in attrs_list}
        if tag == "title":
            self.in_title = True
        if self.skip:
            if tag not in _VOID and tag == self.skip[0]:
                self.skip.append(tag)
            return
        if tag not in _VOID and self.rules.drops(tag, attrs):
            self.skip.append(tag)
            return
        if tag == "pre":
            self._flush()
            self.pre += 1
            self.buf = []
            return
        if self.pre:
            return
        if tag in ("td", "th"):
            self.cell = []
            if self.row is not None and tag == "td":
                self.row.header = False
            return
        if tag == "tr":
            self._flush()
            self.row = _Row()
            return
        if tag in _HEADINGS:
            self._flush()
            self.prefix = "#" * _HEADINGS[tag] + " "
        elif tag == "li":
            self._flush()
            self.prefix = "- "
        elif tag in _BLOCKS and self.cell is None:
            keep = self.prefix if not "".join(self.buf).strip() else ""
            self._flush()
            self.prefix = keep  # "<li><p>text" keeps the item's dash

    def handle_startendtag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "hr") and not self.skip and not self.pre and self.cell is None:
            self._flush()
        elif tag == "br" and self.pre and not self.skip:
            self.buf.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        if self.skip:
            if tag == self.skip[0]:
                self.skip.pop()
            return
        if tag == "pre" and self.pre:
            self.pre -= 1
            code = "".join(self.buf).strip("\n")
            self.buf = []
            if code.strip():
                self.blocks.append("```\n" + "\n".join(ln.rstrip() for ln in code.split("\n")) + "\n```")
            return
        if self.pre:
            return
        if tag in ("td", "th") and self.cell is not None:
            if self.row is not None:
                self.row.cells.append(" ".join("".join(self.cell).split()))
            self.cell = None
            return
        if tag == "tr" and self.row is not None:
            self._row(self.row)
            self.row = None
            return
        if tag in _HEADINGS or tag in _BLOCKS or tag == "li":
            self._flush()

    def _row(self, row: _Row) -> None:
        cells = [c for c in row.cells if c]
        if not cells or row.header:
            return  # a header row names the columns; it is not content
        if len(cells) == 1:
            self.blocks.append(cells[0])
        elif len(cells) == 2 and len(cells[0]) <= 60:
            self.blocks.append(f"- {cells[0]}: {cells[1]}")
        else:
            self.blocks.append("- " + " | ".join(cells))


def html_to_text(html: str, rules: DropRules | None = None) -> str:
    """The text of an HTML page, Markdown-like, blocks separated by a blank line."""
    conv = _Converter(rules or DropRules())
    conv.feed(html)
    conv.close()
    conv._flush()
    blocks = [b for b in conv.blocks if b.strip()]
    title = " ".join("".join(conv.title).split())
    if title and not any(b.startswith("#") for b in blocks[:3]):
        blocks.insert(0, "# " + title)
    text = ""
    for i, b in enumerate(blocks):  # a list's items on consecutive lines: one paragraph, as written
        sep = "\n" if b.startswith("- ") and i and blocks[i - 1].startswith("- ") else "\n\n"
        text += (sep if i else "") + b
    return re.sub(r"\n{3,}", "\n\n", text) + ("\n" if text else "")


def page_title(text: str) -> str:
    """The first heading of a converted page, without its ``#`` marks ("" when it has none)."""
    m = re.search(r"^#{1,6} (.+)$", text, flags=re.M)
    return m.group(1).strip() if m else ""
