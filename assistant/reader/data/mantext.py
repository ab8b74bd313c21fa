"""Manual pages as Markdown-like text: rendered by groff, section names as ``##`` headings,
tagged paragraphs (an option and what it does) as ``- `` items, wrapped lines joined.

>>> man_to_text("LS(1)   Manual   LS(1)\\n\\nNAAM\\n       ls - toon inhoud\\n\\n"
...             "       -a     toon ook\\n              verborgen bestanden\\n\\n       --tag  met label\\n\\nGNU   2020   LS(1)\\n")
'## NAAM\\n\\nls - toon inhoud\\n\\n- -a: toon ook verborgen bestanden\\n- --tag: met label\\n'
"""

from __future__ import annotations

import gzip
import os
import re
import subprocess
from pathlib import Path

# groff options: UTF-8 in (-k) and out, no hyphenation, left-adjusted lines 100 wide, no escapes
_GROFF = ["groff", "-k", "-Tutf8", "-man", "-rHY=0", "-dAD=l", "-rLL=100n", "-P-cbou"]


def render_man(path: Path) -> str:
    """The page at ``path`` (gzipped roff) as groff renders it for a terminal."""
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    env = {**os.environ, "LC_ALL": "C.UTF-8", "MANWIDTH": "100"}
    done = subprocess.run(_GROFF, input=data, capture_output=True, env=env, timeout=60, check=False)
    if done.returncode != 0:
        raise ValueError(f"groff failed on {path}: {done.stderr.decode(errors='replace')[:200]}")
    return done.stdout.decode("utf-8", errors="replace")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


_ONE_LINE_OPTION = re.compile(r"([-+]\S*(?:,? [-+]\S+)*)\s+(\S.*)$")


def _paragraph(lines: list[str]) -> str:
    """One rendered paragraph as one line: a tagged paragraph (the tag alone, or followed by its
    text, on a line less indented than the rest) becomes an item ``- tag: text``."""
    first = lines[0]
    rest = " ".join(" ".join(ln.split()) for ln in lines[1:])
    one = _ONE_LINE_OPTION.match(first.strip())
    if len(lines) == 1 and one:  # "--tag  een controlesom genereren": an option and its text
        return f"- {one.group(1)}: {one.group(2)}"
    if len(lines) > 1 and _indent(first) < _indent(lines[1]):
        m = re.match(r"(\S.*?)\s{3,}(\S.*)$", first.strip())  # "-a     toon ook" on one line
        tag, text = (m.group(1), m.group(2) + " " + rest) if m else (first.strip(), rest)
        return f"- {' '.join(tag.split())}: {' '.join(text.split())}"
    return " ".join(" ".join(ln.split()) for ln in lines)


def man_to_text(rendered: str) -> str:
    """The rendered page as text: running header and footer dropped, headings marked."""
    lines = rendered.rstrip("\n").split("\n")
    body = [ln.rstrip() for ln in lines]
    nonblank = [i for i, ln in enumerate(body) if ln.strip()]
    if len(nonblank) >= 2:  # the running header ("LS(1)  Manual  LS(1)") and footer lines
        body = body[nonblank[0] + 1:nonblank[-1]]
    blocks: list[str] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            blocks.append(_paragraph(para))
            para.clear()

    for ln in body:
        if not ln.strip():
            flush()
        elif _indent(ln) == 0:
            flush()
            blocks.append("## " + ln.strip())
        elif _indent(ln) <= 4 and not para:
            flush()  # a short line between sections is a subheading, a longer one a paragraph
            short = len(ln.strip()) <= 60 and not ln.rstrip().endswith((":", ".", ";"))
            blocks.append(("### " if short else "") + " ".join(ln.split()))
        else:
            para.append(ln)
    flush()
    out = ""
    for i, b in enumerate(blocks):  # consecutive items are one list
        out += ("\n" if b.startswith("- ") and i and blocks[i - 1].startswith("- ") else "\n\n" if i else "") + b
    return out + "\n" if out else ""


def man_title(rendered_text: str, name: str) -> str:
    """``# name — what the NAME section says`` for the page's first line."""
    m = re.search(r"^## \S+\n\n(.+)$", rendered_text, flags=re.M)
    return f"# {m.group(1).strip()}" if m else f"# {name}"
