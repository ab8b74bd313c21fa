"""Repairs for the damage that PDF-to-text extraction leaves in the corpus.

Each repair is a small pure function on text; :func:`clean_text` applies them in order and
:func:`strip_page_furniture` removes running headers/footers across the pages of one document.

Every pattern here costs time linear in its input (an upload of one long word must not hold the
interpreter for minutes): no quantifier may overlap another over the same characters, and where a
match needs the word around a spot, the spot is found first and the word scanned once from there.
Text is deleted only on evidence (a footnote marker only when its footnote is in the document),
never by the shape of a word alone.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Collection

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


def normalize_unicode(text: str) -> str:
    """NFC, line/paragraph separators and form feeds as newlines, no soft hyphens or zero-widths."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\u2028", "\n").replace("\u2029", "\n\n").replace("\f", "\n").replace("\r\n", "\n")
    text = text.replace("\r", "\n").replace("\u00ad", "").replace("\u200b", "").replace("\ufeff", "")
    return text.replace("\u00a0", " ")


def fix_mojibake(text: str) -> str:
    """Repair UTF-8 read as cp1252 (``â€™`` -> ``’``) and drop runs of replacement characters.

    >>> fix_mojibake("CafÃ© â€œjaâ€\ufffd, zegt J\ufffd\ufffd\ufffd")
    'Café “ja”, zegt '
    """
    if any(c in text for c in "âÃÂ"):
        # longest sequences first; no repair yields â, Ã or Â, so one pass per sequence equals one
        # pass of all of them (and costs no Python call per match)
        for bad in _MOJIBAKE_ORDER:
            text = text.replace(bad, _MOJIBAKE[bad])

    def drop_word(m: re.Match[str]) -> str:
        word = m.group(0)
        bad = word.count("\ufffd")
        return "" if bad * 2 >= len(word) else word.replace("\ufffd", "")

    if "\ufffd" in text:
        text = _FFFD_WORD.sub(drop_word, text)
    return _TRAILING_BLANKS.sub("\n", text)


_MOJIBAKE_ORDER = sorted(_MOJIBAKE, key=len, reverse=True)
# Both start only where a run starts (the lookbehinds): tried at every character of a run, each
# attempt would rescan the rest of it (quadratic on a long word or a long run of spaces).
_FFFD_WORD = re.compile(r"(?<!\S)\S*\ufffd\S*")
_TRAILING_BLANKS = re.compile(r"(?<![ \t])[ \t]+\n")


def fix_bullets(text: str) -> str:
    """Private-use bullet glyphs (U+F0B7 and friends) become '• '; other private-use chars go."""
    text = re.sub(rf"^([ \t]*)[{_PUA}][ \t]*", r"\1• ", text, flags=re.M)
    return re.sub(rf"[{_PUA}]", "", text)


# The hyphen at a line end and the word on the next line; the word before is found by scanning
# back from the hyphen (a pattern like ``\S*\w-`` is tried at every character of a long word).
_LINE_END_HYPHEN = re.compile(r"(?<=\w)-[ \t]*\n[ \t\n]*([A-Za-zÀ-ÿ][\w/]*)")


def _join_hyphenated(before: str, nxt: str, as_is: str) -> str:
    """``before-`` at a line end and ``nxt`` on the next line, joined (or ``as_is`` when the hyphen is real)."""
    if nxt.lower() in _KEEP_HYPHEN_BEFORE:
        return f"{before}- {nxt}"
    if ("://" in before or "www." in before) and _URL.search(before):  # a URL broken at one of its own hyphens
        return f"{before}-{nxt}"
    if len(before) >= 2 and before[-2:].isascii() and before[-2:].isupper() and before[-2:].isalpha() \
            and nxt[0].islower():
        return f"{before}-{nxt}"  # "RIF-aanvragen": acronym + word
    if nxt[0].isupper() and not (before[-1].isupper() and nxt.isupper()):
        return as_is  # "Noord-\nLimburg" style: a real hyphen before a capital
    return before + nxt


def dehyphenate(text: str) -> str:
    """Join words hyphenated across a line break (``samen-\\nwerking`` -> ``samenwerking``).

    An elliptical hyphen before a conjunction (``basis- en voortgezet``) is kept.

    >>> dehyphenate("samen-\\nwerking, basis-\\nen voortgezet, RIF-\\naanvragen, Noord-\\nLimburg")
    'samenwerking, basis- en voortgezet, RIF-aanvragen, Noord-\\nLimburg'
    """
    out: list[str] = []
    done = 0  # text[:done] is in out; the word after a join is not the word before the next one
    for m in _LINE_END_HYPHEN.finditer(text):
        hyphen = m.start()
        if hyphen - 1 < done:
            continue
        start = hyphen - 1
        while start > done and not text[start - 1].isspace():
            start -= 1
        out.append(text[done:start])
        out.append(_join_hyphenated(text[start:hyphen], m.group(1), text[start:m.end()]))
        done = m.end()
    out.append(text[done:])
    return "".join(out)


def drop_footnote_numbers(text: str) -> str:
    """Remove footnote/page numbers standing alone on a line."""
    return re.sub(r"^[ \t]*\d{1,3}[ \t]*$\n?", "", text, flags=re.M)


# A footnote as the document prints it: a line that opens with its number and a word
# ("3  Zie Dimensies 26", "1. Themanummer Zorg Primair"). 0 and leading zeros number no footnote.
_NOTE_LINE = re.compile(r"^[ \t]*([1-9]\d?)\.?[ \t]+[^\W\d_]", re.M)
# 1-2 digits glued to a word ("Zorgprimair1", "TECHNIEKONDERWIJS2.") or to a sentence end ("werkt.9 Daarna")
_GLUED_NUMBER = re.compile(r"(?:(?<=[a-zà-ÿ]{3})|(?<=[A-ZÀ-Ý]{6}))\d{1,2}(?=[ \t\n,;:)]|[.!?](?:\s|$))")
_SENTENCE_END_NUMBER = re.compile(r"(?<=[a-zà-ÿ)][.!?])\d{1,2}(?=[ \t]+[A-ZÀ-Ý\"“‘])")


def footnote_numbers(text: str) -> frozenset[str]:
    """The numbers of the footnotes a text holds: lines that open with a number and a word.

    >>> sorted(footnote_numbers("Tekst.\\n3  Zie Dimensies 26.\\n1. Themanummer Zorg Primair\\n12\\n0 tot 4 jaar"))
    ['1', '3']
    """
    return frozenset(_NOTE_LINE.findall(text))


def drop_footnote_markers(text: str, notes: Collection[str] | None = None) -> str:
    r"""Remove footnote reference numbers glued to a word or a sentence end, but only numbers whose
    footnote is in the document (``notes``; by default the footnote lines of ``text`` itself).
    Digits that belong to a word (``ext4``, ``python3``, ``Windows11``) have no footnote and stay.

    >>> notes = {"1", "6", "9"}
    >>> drop_footnote_markers("In Zorgprimair1 schetste ze, zegt Klaster6, dat het werkt.9 Daarna", notes)
    'In Zorgprimair schetste ze, zegt Klaster, dat het werkt. Daarna'
    >>> drop_footnote_markers("STERK TECHNIEKONDERWIJS2. met python3 en ext4\n2  Zie https://x.nl")
    'STERK TECHNIEKONDERWIJS. met python3 en ext4\n2  Zie https://x.nl'
    """
    notes = footnote_numbers(text) if notes is None else notes
    if not notes:
        return text

    def drop(m: re.Match[str]) -> str:
        return "" if m.group(0) in notes else m.group(0)

    return _SENTENCE_END_NUMBER.sub(drop, _GLUED_NUMBER.sub(drop, text))


_FOOTNOTE_START = re.compile(r"^\d{1,3}[ \t]+(?:(?:Zie|See|Vgl\.?|Cf\.?|Bron:?|Source:?)\s|https?://|www\.|"
                             r"[A-ZÀ-Ý][\w'’-]+(?: [a-z]+)*,(?: [A-ZÀ-Ý]\.)+)")


_NUMBERED_LINE = re.compile(r"^[^\S\n]*\d", re.M)  # not \s*: it would run over every blank line after each


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
    if not _NUMBERED_LINE.search(text):
        return text  # no line opens with a number: nothing to move (and no work per line)
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


_RUNNING_TITLE = re.compile(r"\d{1,3}[A-ZÀ-Ý][A-ZÀ-Ý .]{3,40}")  # digits glued to a caps running title
_DIGITS = re.compile(r"\d+")


def is_running_header(line: str) -> bool:
    """A page header/footer line: ``Whitepaper | Title | Org 2018 10`` or ``11ECBO DIMENSIES``."""
    return _is_header(line.strip())


def _is_header(s: str) -> bool:
    if s.count(" | ") >= 2 and s[-1:].isdecimal():
        return True
    return s[:1].isdecimal() and bool(_RUNNING_TITLE.fullmatch(s))


def drop_running_headers(text: str) -> str:
    """Remove header/footer lines recognised by shape, and any short line repeated 3+ times."""
    lines = text.split("\n")
    stripped = [s.strip() for s in lines]
    # digits ignored: "Whitepaper 12" and "Whitepaper 13" are one line (one pass over the whole text)
    keys = _DIGITS.sub("#", "\n".join(stripped).lower()).split("\n")
    counts = Counter(k for k, s in zip(keys, stripped) if 4 <= len(s) <= 120)
    bullets = tuple(_BULLET_CHARS)
    out = [line for line, s, k in zip(lines, stripped, keys)  # lines under 4 characters are neither
           if len(s) < 4 or not (_is_header(s) or (counts.get(k, 0) >= 3 and not _URL.fullmatch(s)
                                                   and not s.startswith(bullets)))]
    return "\n".join(out)


def dedupe_urls(text: str) -> str:
    r"""Remove lines that hold only URLs already given earlier (a footnote repeated by the PDF's
    layout); a URL broken over two lines counts as one, and goes or stays whole. A URL inside
    running text is text: it stays as it is.

    >>> dedupe_urls("Zie https://a.nl/x.\nhttps://a.nl/x\nOok https://a.nl/x hier.")
    'Zie https://a.nl/x.\nOok https://a.nl/x hier.'
    >>> dedupe_urls("Zie\nhttps://a.nl/2019/\nstuk.pdf\nhttps://a.nl/2019/\nstuk.pdf\nhttps://a.nl/2019/\nander.pdf")
    'Zie\nhttps://a.nl/2019/\nstuk.pdf\nhttps://a.nl/2019/\nander.pdf'
    """
    if "://" not in text and "www." not in text:
        return text
    seen: set[str] = set()
    out: list[str] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        urls = [u.rstrip(".,;") for u in _URL.findall(line)] if "://" in line or "www." in line else []
        only = bool(urls) and _URL.sub("", line).strip(" .;,") == ""
        n = 1
        if only and len(urls) == 1 and i + 1 < len(lines) and _url_broken(urls[0], lines[i + 1]):
            urls, n = [(urls[0] + lines[i + 1].strip()).rstrip(".,;")], 2
        if not (only and all(u in seen for u in urls)):
            seen.update(urls)
            out += lines[i:i + n]
        i += n
    return "\n".join(out)


def _url_broken(url: str, nxt: str) -> bool:
    """``nxt`` is the rest of ``url``, broken at a slash or hyphen: one word, not a new URL."""
    nxt = nxt.strip()
    return url.endswith(("/", "-", "_", "=", "?", "&")) and bool(nxt) and " " not in nxt \
        and not nxt.startswith(("http://", "https://", "www."))


_BLANKS = re.compile(r"[ \t]{2,}|\t")


def collapse_whitespace(text: str) -> str:
    """Runs of spaces/tabs become one space, lines are stripped, 3+ newlines become a blank line."""
    text = _BLANKS.sub(" ", text)  # a single space is left as it is (no work per word)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def fenced_blocks(lines: list[str]) -> list[tuple[int, int]]:
    """The fenced code blocks among ``lines``: (first, last) line numbers, fences included; a fence
    that is never closed opens nothing. Each closing fence is looked up, not scanned for (a text
    of unclosed fences would be scanned to its end from every one).

    >>> fenced_blocks(["```bash", "ls", "```", "```x", "tekst"])
    [(0, 2)]
    """
    from bisect import bisect_left

    fences = [j for j, line in enumerate(lines) if "```" in line and line.lstrip().startswith("```")]
    closers = [j for j in fences if lines[j].strip() == "```"]
    out: list[tuple[int, int]] = []
    after = -1  # the last line of the last block
    for i in fences:
        if i <= after:
            continue
        k = bisect_left(closers, i + 1)
        if k == len(closers):
            break  # no fence after this one closes it, nor any later one
        out.append((i, closers[k]))
        after = closers[k]
    return out


def clean_text(text: str, notes: Collection[str] | None = None) -> str:
    r"""All repairs in a safe order. Line structure is kept (the chunker reads it). Fenced code
    blocks are kept as they are (only Unicode and line ends normalised): a repair of prose would
    join, shorten or re-space a command.

    ``notes``: the footnote numbers of the whole document (:func:`footnote_numbers`) when ``text``
    is one page of it; by default the footnotes found in ``text``.

    >>> clean_text("Typ:\n```\n  ls  -l /home0\n```\nKlaar.")
    'Typ:\n\n```\n  ls  -l /home0\n```\n\nKlaar.'
    """
    text = normalize_unicode(text)
    if "```" not in text and not PROMPT.search(text):
        return _clean_prose(text, notes)
    notes = footnote_numbers(text) if notes is None else notes
    lines = text.split("\n")
    out, done = [], 0
    for a, b in code_blocks(lines):
        code = [ln.rstrip() for ln in lines[a:b + 1]]
        if not lines[a].lstrip().startswith("```"):
            code = ["```", *code, "```"]  # shell-prompt lines: fenced, so every reader after this sees code
        prose = "\n".join(lines[done:a])
        out += [_clean_prose(prose, notes) if prose.strip() else "", "\n\n", "\n".join(code), "\n\n"]
        done = b + 1
    prose = "\n".join(lines[done:])
    out.append(_clean_prose(prose, notes) if prose.strip() else "")
    return re.sub(r"\n{3,}", "\n\n", "".join(out)).strip("\n")


# a shell prompt opening a line: "$ apt update", "leraar@server:~$ ls", "root@tjener:/# df -h"
PROMPT = re.compile(r"^[ \t]*(?:\$|[\w.-]+@[\w.-]+:\S*[$#])[ \t]+\S", re.M)


def code_blocks(lines: list[str]) -> list[tuple[int, int]]:
    """Fenced blocks (:func:`fenced_blocks`) and runs of shell-prompt lines outside them, as
    (first, last) line numbers in order.

    >>> code_blocks(["Typ:", "$ df -h", "leraar@tjener:~$ ls", "```", "x", "```", "tekst"])
    [(1, 2), (3, 5)]
    """
    fenced = fenced_blocks(lines)
    inside = set()
    for a, b in fenced:
        inside.update(range(a, b + 1))
    out, i = list(fenced), 0
    while i < len(lines):
        if i not in inside and ("$" in lines[i] or "#" in lines[i]) and PROMPT.match(lines[i]):
            j = i
            while j + 1 < len(lines) and j + 1 not in inside and PROMPT.match(lines[j + 1]):
                j += 1
            out.append((i, j))
            i = j
        i += 1
    return sorted(out)


def _clean_prose(text: str, notes: Collection[str] | None = None) -> str:
    text = fix_mojibake(text)
    text = fix_bullets(text)
    text = drop_running_headers(text)
    notes = footnote_numbers(text) if notes is None else notes  # before lone numbers go
    text = drop_footnote_numbers(text)
    text = move_footnotes(text)
    text = drop_footnote_markers(text, notes)
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
