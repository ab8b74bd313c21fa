"""Text that crosses the app's boundary: cleaned when it comes in, escaped when it is shown.

* :func:`clean_input` is applied once to every text a user or a request sends (questions, prep
  fields, upload details, file names, comments): lone surrogates become U+FFFD, control characters
  go, the text is NFC. Nothing downstream (JSON, SQLite, the browser) can then fail on it.
* :func:`escape_markdown` and :func:`escape_html` are the only ways text from a document, its
  metadata or a user is put into the web app's Markdown or HTML: the text shows literally, never as
  an image, link, autolink or element, so no address named in a document is ever requested by a
  browser. :func:`escape_markdown_file` does the same for a Markdown file a person opens in a
  viewer, escaping only what could become markup, so the file reads as text too.
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Any

# Characters other than tab and newline in the C0/C1 control ranges, plus DEL; \r\n and \r are
# turned into \n first so that line breaks survive.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")  # direction overrides: text that shows other than it reads


def clean_input(text: Any, multiline: bool = True) -> str:
    """``text`` (anything; None is "") as a safe str: surrogates -> U+FFFD, control characters and
    bidirectional overrides removed (newlines and tabs kept, or made spaces when ``multiline`` is
    False), NFC-normalised."""
    s = "" if text is None else text if isinstance(text, str) else str(text)
    s = _SURROGATE.sub("\ufffd", s)
    s = s.replace("\r\n", "\n").replace("\r", "\n")
    s = _BIDI.sub("", _CONTROL.sub("", s))
    if not multiline:
        s = s.replace("\n", " ").replace("\t", " ")
    return unicodedata.normalize("NFC", s)


def escape_html(text: Any) -> str:
    """Text for HTML (element content or a quoted attribute): ``<>&"'`` as entities, and ``{}$``
    too, which Gradio's HTML component would otherwise read as template syntax."""
    return (html.escape(clean_input(text), quote=True)
            .replace("{", "&#123;").replace("}", "&#125;").replace("$", "&#36;"))


# Every ASCII punctuation mark that Markdown (CommonMark + GFM + the chat's LaTeX delimiters) can
# read as syntax: images/links ``![]()``, autolinks (``http:``, ``www.``, ``a@b.c``), emphasis,
# code, tables, headings, lists, setext lines, ``$`` maths. A backslash before any ASCII punctuation
# is always a literal in CommonMark, so escaping more than needed changes nothing that is shown.
_MD_PUNCT = set("\\`*_~|#![](){}$+-.:@=^")
_HTML_CHARS = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def escape_markdown(text: Any) -> str:
    """Text for a Markdown component, shown literally: HTML specials as entities and Markdown
    punctuation backslash-escaped (in one pass, so an entity is never escaped twice)."""
    out = []
    for ch in clean_input(text):
        if ch in _HTML_CHARS:
            out.append(_HTML_CHARS[ch])
        elif ch in _MD_PUNCT:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


# For a Markdown file: the characters that start markup anywhere in a line (links and images need
# "[", HTML and autolinks "<", code "`", emphasis "*_", GFM strikethrough "~", maths "$", headings
# "#"); "|" only in text of several lines (a table needs a second line).
_FILE_ALWAYS = set("\\`*_[]<~$#")
_FILE_PATTERNS = re.compile(
    r"(?P<paren>(?<=\])\()"                              # "](" after an escaped "]": never a link target
    r"|(?P<entity>&(?=#?[A-Za-z0-9]+;))"                  # "&lt;" would show as "<"
    r"|(?P<scheme>(?<=[A-Za-z]):(?=\S))"                   # "http:", "mailto:", "javascript:": no GFM autolink
    r"|(?P<www>(?<![\w.])(?i:www)\.)"                     # "www.example.org"
    r"|(?P<at>(?<=\w)@(?=\w))"                            # "post@example.org"
    r"|(?P<block>^[ \t]{0,3}(?:[-+=>]|\d{1,9}[.)]))",    # a list, quote, setext line or number at a line's start
    re.MULTILINE,
)


def escape_markdown_file(text: Any) -> str:
    """Text for a Markdown file, shown literally by a Markdown viewer (CommonMark + GFM) and
    readable as plain text: only what could start a link, image, autolink, HTML, code, emphasis,
    table, heading or list gets a backslash ("mbo-instelling." stays as it is)."""

    def mark(m: re.Match[str]) -> str:
        s = m.group(0)
        return s[:-1] + "\\" + s[-1] if m.lastgroup in ("block", "www") else "\\" + s

    text = clean_input(text)
    special = _FILE_ALWAYS | {"|"} if "\n" in text else _FILE_ALWAYS
    out = "".join("\\" + ch if ch in special else ch for ch in text)
    return _FILE_PATTERNS.sub(mark, out)
