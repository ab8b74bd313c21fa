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


def pieces(text: str) -> list[tuple[bool, str]]:
    r"""A text as (is_code, text) pieces: prose, and the lines of each fenced code block (the
    structure the document readers write: ``` lines around preformatted text), fences left out.

    >>> pieces("Typ dit:\n```\n  make deb-pkg\n```")
    [(False, 'Typ dit:'), (True, '  make deb-pkg')]
    """
    if "```" not in text:
        return [(False, text)]
    from .ingest.clean import fenced_blocks

    lines = text.split("\n")
    out: list[tuple[bool, str]] = []
    done = 0
    for a, b in fenced_blocks(lines):
        if "\n".join(lines[done:a]).strip():
            out.append((False, "\n".join(lines[done:a]).strip()))
        out.append((True, "\n".join(lines[a + 1:b])))
        done = b + 1
    if "\n".join(lines[done:]).strip():
        out.append((False, "\n".join(lines[done:]).strip()))
    return out


def has_code(text: str) -> bool:
    return "```" in text and any(code for code, _ in pieces(text))


def code_plain(code: str) -> str:
    """A code block for a terminal or a plain-text field: its lines as they are, indented by four
    spaces (no fences, no escapes)."""
    return "\n".join("    " + line if line.strip() else "" for line in code.split("\n"))


def code_markdown(code: str) -> str:
    """A code block for Markdown: fenced with more backticks than any run inside it, so nothing in
    it can close the block; its text is then shown literally, without escapes."""
    from .safe_text import clean_input

    code = clean_input(code)
    longest = max((len(m) for m in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{code}\n{fence}"


def _with_code(st: Statement, prose: Callable[[str], str], code: Callable[[str], str], cite: str) -> str:
    """A statement holding a code block: its lead-in with the citation markers, then the block
    (markers after a block would stand on its closing fence)."""
    parts = pieces(st.text)
    out: list[str] = []
    for i, (is_code, text) in enumerate(parts):
        last_prose = not is_code and not any(not c for c, _ in parts[i + 1:])
        out.append(code(text) if is_code else prose(text) + (cite if last_prose else ""))
    if all(c for c, _ in parts) and cite:
        out.append(cite.strip())
    return "\n\n".join(out)


def _blocks(statements: Sequence[Statement], body: Callable[[Statement], str],
            cite: Callable[[Statement], str], code: Callable[[Statement], str] | None = None) -> list[str]:
    """Paragraphs: the lead and notices alone, running sentences together, bullets as one list,
    a statement holding code as a block of its own."""
    blocks: list[str] = []
    prev = ""
    for st in statements:
        if code is not None and has_code(st.text):
            blocks.append(code(st))
            prev = "code"
            continue
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
    return "\n\n".join(_blocks(statements, lambda st: _own(st.text), markers,
                                lambda st: _with_code(st, _own, code_plain, markers(st))))


def markdown(statements: Sequence[Statement], link: Callable[[int], str] | None = None) -> str:
    """The answer as Markdown: source text escaped, each marker a link made by ``link(n)``."""

    def cite(st: Statement) -> str:
        if link is None:
            return escape_markdown(markers(st))
        return "".join(f" [\\[{n}\\]]({link(n)})" for n in st.cites)

    return "\n\n".join(_blocks(statements, lambda st: escape_markdown(st.text), cite,
                                lambda st: _with_code(st, escape_markdown, code_markdown, cite(st))))


QUOTE_CHARS = 300  # a citation's quote in the terminal


def citation_lines(citations: Sequence[Citation]) -> list[str]:
    """The citations for a terminal: number, title, where, and the quote (cut at a word, with "…")."""
    out = []
    for c in citations:
        where = ", ".join(x for x in (c.section, f"p. {c.page}" if c.page else "") if x)
        out.append(f"[{c.n}] {c.title}" + (f" — {where}" if where else "") + f"\n    “{clip(c.quote, QUOTE_CHARS)}”")
    return out
