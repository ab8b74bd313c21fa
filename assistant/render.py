"""Answers as text, made from their statements where a person reads them (CLI, JSON, web, export).

Nothing here is parsed back: the web app links markers and highlights passages from the
statements and citations themselves.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from .records import Citation, Statement
from .safe_text import escape_markdown


def markers(st: Statement) -> str:
    return "".join(f" [{n}]" for n in st.cites)


def _blocks(statements: Sequence[Statement], body: Callable[[Statement], str],
            cite: Callable[[Statement], str]) -> list[str]:
    """Paragraphs: the lead and notices alone, running sentences together, bullets as one list."""
    blocks: list[str] = []
    prev = ""
    for st in statements:
        text = body(st) + cite(st)
        if st.form == "bullet":
            line = "• " + text.replace("\n", "\n  ")
            if prev == "bullet":
                blocks[-1] += "\n" + line
            else:
                blocks.append(line)
        elif st.form == "sentence" and prev == "sentence":
            blocks[-1] += " " + text
        else:
            blocks.append(text)
        prev = st.form
    return blocks


_BRACKETED = re.compile(r"\[(\d{1,3})\]")


def _own(text: str) -> str:
    """Source text for plain output: a bracketed number in it ("Volgens het onderzoek [7] …")
    would read as one of the answer's citation markers, so it shows as "(7)"."""
    return _BRACKETED.sub(r"(\1)", text)


def clip(text: str, limit: int) -> str:
    """``text`` on one line, at most ``limit`` characters: cut after the last whole word that fits,
    with "…" ("… samen spelen p" becomes "… samen spelen…"); a single over-long word is cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[:limit - 1]
    cut = head.rfind(" ") if not text[limit - 1].isspace() else len(head)
    head = head[:cut] if cut > 0 else head
    return head.rstrip(" ,;:-–—") + "…"


def plain_text(statements: Sequence[Statement]) -> str:
    """The answer as plain text, each cited statement followed by its ``[n]`` markers."""
    return "\n\n".join(_blocks(statements, lambda st: _own(st.text), markers))


def markdown(statements: Sequence[Statement], link: Callable[[int], str] | None = None) -> str:
    """The answer as Markdown: source text escaped, each marker a link made by ``link(n)``."""

    def cite(st: Statement) -> str:
        if link is None:
            return escape_markdown(markers(st))
        return "".join(f" [\\[{n}\\]]({link(n)})" for n in st.cites)

    return "\n\n".join(_blocks(statements, lambda st: escape_markdown(st.text), cite))


QUOTE_CHARS = 300  # a citation's quote in the terminal


def citation_lines(citations: Sequence[Citation]) -> list[str]:
    """The citations for a terminal: number, title, where, and the quote (cut at a word, with "…")."""
    out = []
    for c in citations:
        where = ", ".join(x for x in (c.section, f"p. {c.page}" if c.page else "") if x)
        out.append(f"[{c.n}] {c.title}" + (f" — {where}" if where else "") + f"\n    “{clip(c.quote, QUOTE_CHARS)}”")
    return out
