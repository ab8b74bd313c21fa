"""Preformatted text in a PDF: lines set wholly in a monospaced font (a word processor's code or
"preformatted" style) are fenced as a code block, so they keep their lines and are never read as
prose. pypdf tells the font of each piece of text it extracts (``visitor_text``)."""

from __future__ import annotations

import re
from typing import Any

# font names of monospaced faces (the subset prefix "EAAAAA+" aside)
MONO_FONT = re.compile(r"mono|courier|consol|menlo|typewriter|inconsolata|source ?code|fixed", re.I)
_SPACE = re.compile(r"\s+")
MAX_WORK = 50_000_000  # characters compared on one page (lines x monospaced text) before giving up


def page_text(page: Any) -> str:
    """pypdf's text of ``page``, with each run of lines set wholly in a monospaced font fenced."""
    runs: list[list[str]] = [[]]  # consecutive monospaced pieces, joined per run

    def visit(text: str, cm: Any, tm: Any, font: Any, size: Any) -> None:
        if not text.strip():
            return
        name = str(font.get("/BaseFont", "")) if font is not None else ""
        if MONO_FONT.search(name):
            runs[-1].append(text)
        elif runs[-1]:
            runs.append([])

    text = page.extract_text(visitor_text=visit) or ""
    mono = [_SPACE.sub("", "".join(r)) for r in runs if r]
    return fence_lines(text, mono) if mono else text


def fence_lines(text: str, mono: list[str]) -> str:
    r"""``text`` with its runs of monospaced lines fenced: a line is monospaced when all of it
    (spaces aside) lies in one run of monospaced text, and it is a command-like line of its own
    (a space or a sign in it, or after a line ending in ':' or another such line).

    >>> fence_lines("Typ het commando:\napt update\n(doe dit vaak)", ["aptupdate"])
    'Typ het commando:\n```\napt update\n```\n(doe dit vaak)'
    """
    lines = text.split("\n")
    joined = "\x00".join(mono)
    if len(joined) * len(lines) > MAX_WORK:
        return text  # a hostile page: read as prose rather than searched line by line
    code = [False] * len(lines)
    for i, line in enumerate(lines):
        key = _SPACE.sub("", line)
        if len(key) < 2 or key not in joined:
            continue
        code[i] = bool(re.search(r"\S\s+\S|[-/=|$<>.]", line.strip())) or (
            i > 0 and (lines[i - 1].rstrip().endswith(":") or code[i - 1]))
    out: list[str] = []
    for i, line in enumerate(lines):
        if code[i] and (i == 0 or not code[i - 1]):
            out.append("```")
        out.append(line.rstrip())
        if code[i] and (i + 1 == len(lines) or not code[i + 1]):
            out.append("```")
    return "\n".join(out)
