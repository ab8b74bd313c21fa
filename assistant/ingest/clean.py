"""Repairs for the damage that PDF-to-text extraction leaves in the corpus.

Each repair is a small pure function on text; :func:`clean_text` applies them in order and
:func:`strip_page_furniture` removes running headers/footers across the pages of one document.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

# Dutch words that follow an elliptical hyphen ("opleidings- en onderwijs") and keep it.
_KEEP_HYPHEN_BEFORE = {"en", "of", "tot", "als", "noch", "en/of"}

_PUA = "\ue000-\uf8ff"
_BULLET_CHARS = "•◦▪▫●○■□➢➤►–·"
_URL = re.compile(r"https?://\S+|www\.\S+")

# Common UTF-8-read-as-cp1252 sequences (mojibake) and their repair.
_MOJIBAKE = {
    "â€™": "’", "â€˜": "‘", "â€œ": "“", "â€\x9d": "”", "â€": "”", "â€“": "–", "â€”": "—",
    "â€¦": "…", "Ã©": "é", "Ã«": "ë", "Ã¯": "ï", "Ã¨": "è", "Ã¶": "ö", "Ã¼": "ü", "Ã¡": "á",
    "Ã³": "ó", "Ã‰": "É", "Ã ": "à", "Ã§": "ç", "Ãª": "ê", "Ã®": "î", "Ã´": "ô", "Ã»": "û",
    "Â ": " ", "Â": "",
}
_MOJIBAKE_RE = re.compile("|".join(re.escape(k) for k in sorted(_MOJIBAKE, key=len, reverse=True)))


def normalize_unicode(text: str) -> str:
    """NFC, line/paragraph separators and form feeds as newlines, no soft hyphens or zero-widths."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\u2028", "\n").replace("\u2029", "\n\n").replace("\f", "\n").replace("\r\n", "\n")
    text = text.replace("\r", "\n").replace("\u00ad", "").replace("\u200b", "").replace("\ufeff", "")
    return text.replace("\u00a0", " ")


def fix_mojibake(text: str) -> str:
    """Repair UTF-8 read as cp1252 (``â€™`` -> ``’``) and drop runs of replacement characters."""
    text = _MOJIBAKE_RE.sub(lambda m: _MOJIBAKE[m.group(0)], text)

    def drop_word(m: re.Match[str]) -> str:
        word = m.group(0)
        bad = word.count("\ufffd")
        return "" if bad * 2 >= len(word) else word.replace("\ufffd", "")

    text = re.sub(r"\S*\ufffd\S*", drop_word, text)
    return re.sub(r"[ \t]+\n", "\n", text)


def fix_bullets(text: str) -> str:
    """Private-use bullet glyphs (U+F0B7 and friends) become '• '; other private-use chars go."""
    text = re.sub(rf"^([ \t]*)[{_PUA}][ \t]*", r"\1• ", text, flags=re.M)
    return re.sub(rf"[{_PUA}]", "", text)


def dehyphenate(text: str) -> str:
    """Join words hyphenated across a line break (``samen-\\nwerking`` -> ``samenwerking``).

    An elliptical hyphen before a conjunction (``basis- en voortgezet``) is kept.
    """

    def join(m: re.Match[str]) -> str:
        before, nxt = m.group(1), m.group(2)
        if nxt.lower() in _KEEP_HYPHEN_BEFORE:
            return f"{before}- {nxt}"
        if _URL.search(before):  # a URL broken at one of its own hyphens
            return f"{before}-{nxt}"
        if re.search(r"[A-Z]{2,}$", before) and nxt[0].islower():  # "RIF-aanvragen": acronym + word
            return f"{before}-{nxt}"
        if nxt[0].isupper() and not (before[-1].isupper() and nxt.isupper()):
            return m.group(0)  # "Noord-\nLimburg" style: a real hyphen before a capital
        return before + nxt

    return re.sub(r"(\S*\w)-[ \t]*\n[ \t\n]*([A-Za-zÀ-ÿ][\w/]*)", join, text)


def drop_footnote_numbers(text: str) -> str:
    """Remove footnote/page numbers standing alone on a line."""
    return re.sub(r"^[ \t]*\d{1,3}[ \t]*$\n?", "", text, flags=re.M)


def drop_footnote_markers(text: str) -> str:
    r"""Remove footnote reference numbers glued to a word or a sentence end.

    >>> drop_footnote_markers("In Zorgprimair1 schetste ze, zegt Klaster6, dat het werkt.9 Daarna")
    'In Zorgprimair schetste ze, zegt Klaster, dat het werkt. Daarna'
    >>> drop_footnote_markers("groep 8, CO2, p.30 en 2016; STERK TECHNIEKONDERWIJS2.")
    'groep 8, CO2, p.30 en 2016; STERK TECHNIEKONDERWIJS.'
    """
    text = re.sub(r"(?:(?<=[a-zà-ÿ]{3})|(?<=[A-ZÀ-Ý]{6}))\d{1,2}(?=[ \t\n,;:)]|[.!?](?:\s|$))", "", text)
    return re.sub(r"(?<=[a-zà-ÿ)][.!?])\d{1,2}(?=[ \t]+[A-ZÀ-Ý\"“‘])", "", text)


_FOOTNOTE_START = re.compile(r"^\d{1,3}[ \t]+(?:(?:Zie|See|Vgl\.?|Cf\.?|Bron:?|Source:?)\s|https?://|www\.|"
                             r"[A-ZÀ-Ý][\w'’-]+(?: [a-z]+)*,(?: [A-ZÀ-Ý]\.)+)")


def _url_goes_on(prev: str, line: str) -> bool:
    """``line`` continues the URL that ``prev`` holds (one token after a URL broken over lines)."""
    return bool(_URL.fullmatch(prev.strip())) and bool(line.strip()) and " " not in line.strip()


def move_footnotes(text: str) -> str:
    r"""Move footnote blocks that the extraction put inside running text to the end of the page.

    A block opens with a number and a footnote opener ("Zie", "See", a URL, "Surname, I.") and runs
    to the next blank line; URL-only lines right after it belong to it too.

    >>> move_footnotes("je weet welke kant\n\n3  Zie Dimensies 26.\nhttp://x.nl/a\nje op wilt.")
    'je weet welke kant\nje op wilt.\n\n3  Zie Dimensies 26.\nhttp://x.nl/a'
    """
    lines = text.split("\n")
    body: list[str] = []
    notes: list[list[str]] = []
    i = 0
    while i < len(lines):
        if not _FOOTNOTE_START.match(lines[i].strip()):
            body.append(lines[i])
            i += 1
            continue
        block = [lines[i].strip()]
        i += 1
        while i < len(lines) and lines[i].strip() and not _FOOTNOTE_START.match(lines[i].strip()) \
                and (_URL.fullmatch(lines[i].strip()) or (len(block) < 4 and not _URL.fullmatch(block[-1]))
                     or _url_goes_on(block[-1], lines[i])):
            block.append(lines[i].strip())
            i += 1
        while i + 1 < len(lines) and not lines[i].strip() and _URL.fullmatch(lines[i + 1].strip()):
            i += 1  # one blank line, then the footnotes' URL lines
            while i < len(lines) and (_URL.fullmatch(lines[i].strip()) or _url_goes_on(block[-1], lines[i])):
                block.append(lines[i].strip())
                i += 1
        notes.append(block)
        if body and not body[-1].strip() and i < len(lines):
            if lines[i].strip():
                body.pop()  # the block interrupted a paragraph: close the gap
            else:
                i += 1  # the blank lines around the block become one
    if not notes:
        return text
    return "\n".join(body).rstrip("\n") + "\n\n" + "\n\n".join("\n".join(b) for b in notes)


def is_running_header(line: str) -> bool:
    """A page header/footer line: ``Whitepaper | Title | Org 2018 10`` or ``11ECBO DIMENSIES``."""
    s = line.strip()
    if s.count(" | ") >= 2 and re.search(r"\d\s*$", s):
        return True
    return bool(re.fullmatch(r"\d{1,3}[A-ZÀ-Ý][A-ZÀ-Ý .]{3,40}", s))  # digits glued to a caps running title


def drop_running_headers(text: str) -> str:
    """Remove header/footer lines recognised by shape, and any short line repeated 3+ times."""
    lines = text.split("\n")
    key = lambda s: re.sub(r"\d+", "#", s.strip().lower())  # noqa: E731
    counts = Counter(key(s) for s in lines if 4 <= len(s.strip()) <= 120)
    out = []
    for line in lines:
        k = key(line)
        if is_running_header(line) or (counts.get(k, 0) >= 3 and not _URL.fullmatch(line.strip())
                                       and not line.strip().startswith(tuple(_BULLET_CHARS))):
            continue
        out.append(line)
    return "\n".join(out)


def dedupe_urls(text: str) -> str:
    """Keep the first occurrence of each URL; later lines holding only a repeated URL are removed,
    repeats inside running text are shortened to their host."""
    seen: set[str] = set()
    out = []
    for line in text.split("\n"):
        urls = _URL.findall(line)
        if urls and _URL.sub("", line).strip(" .;,") == "":
            if all(u.rstrip(".,;") in seen for u in urls):
                continue
        for u in urls:
            u = u.rstrip(".,;")
            if u in seen and not _URL.sub("", line).strip(" .;,") == "":
                host = re.sub(r"^https?://", "", u).split("/")[0]
                line = line.replace(u, host)
            seen.add(u)
        out.append(line)
    return "\n".join(out)


def collapse_whitespace(text: str) -> str:
    """Runs of spaces/tabs become one space, lines are stripped, 3+ newlines become a blank line."""
    text = re.sub(r"[ \t]+", " ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def clean_text(text: str) -> str:
    """All repairs in a safe order. Line structure is kept (the chunker reads it)."""
    text = normalize_unicode(text)
    text = fix_mojibake(text)
    text = fix_bullets(text)
    text = drop_running_headers(text)
    text = drop_footnote_numbers(text)
    text = move_footnotes(text)
    text = drop_footnote_markers(text)
    text = dehyphenate(text)
    text = dedupe_urls(text)
    return collapse_whitespace(text)


def strip_page_furniture(pages: list[str]) -> list[str]:
    """Remove lines that repeat at the top or bottom of most pages (digits ignored)."""
    if len(pages) < 3:
        return pages
    key = lambda s: re.sub(r"\d+", "#", s.strip().lower())  # noqa: E731
    edge: Counter[str] = Counter()
    for p in pages:
        lines = [s for s in p.split("\n") if s.strip()]
        for s in set(lines[:2] + lines[-2:]):
            edge[key(s)] += 1
    furniture = {k for k, n in edge.items() if n >= max(3, len(pages) // 2) and k.strip("# ")}
    if not furniture:
        return pages
    return ["\n".join(s for s in p.split("\n") if key(s) not in furniture) for p in pages]
