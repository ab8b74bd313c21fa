"""Small text helpers shared by chunking, BM25, answering and evaluation (pure functions)."""

from __future__ import annotations

import re
import unicodedata

# Abbreviations after which a period does not end a sentence (Dutch and English).
_ABBREV = {
    "bijv", "bv", "o.a", "e.a", "e.d", "enz", "etc", "i.p.v", "m.b.t", "t.a.v", "d.w.z", "z.g", "zgn",
    "dr", "drs", "ir", "ing", "mr", "prof", "dhr", "mevr", "nr", "p", "pp", "blz", "vgl", "w.o", "o.m",
    "resp", "ca", "jl", "e.g", "i.e", "vs", "fig", "st", "al", "mw", "ed", "eds",
}
_SENT_END = re.compile(r"(?<=[.!?…])[\"”’)]*\s+(?=[\"“‘(•\-–]?\s*[A-ZÀ-Ý0-9])")


def split_sentences(text: str) -> list[str]:
    """Split running text into sentences, respecting common abbreviations and initials.

    >>> split_sentences("Zie bijv. De Vries. J. van Swet schreef het. Klaar!")
    ['Zie bijv. De Vries.', 'J. van Swet schreef het.', 'Klaar!']
    """
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        return []
    out: list[str] = []
    start = 0
    for m in _SENT_END.finditer(text):
        end = m.start()  # right after the sentence's punctuation: never a space
        # the last word of the candidate, found from its end (a search for "\S+$" in the candidate
        # would rescan it at every match after an abbreviation: quadratic)
        space = text.rfind(" ", start, end)
        token = text[space + 1 if space >= start else start:end].lower().rstrip(".!?…\"”’)")
        # cheapest tests first (one call per sentence end): a single letter, then initials, which hold a "."
        if token in _ABBREV or (len(token) == 1 and "a" <= token <= "z") \
                or ("." in token and _INITIALS.fullmatch(token)):
            continue  # "bijv. De", "J. van Swet", "o.a. Kaats"
        candidate = text[start:end].strip()
        if candidate:
            out.append(candidate)
        start = m.end()
    tail = text[start:].strip()
    if tail:
        out.append(tail)
    return out


_INITIALS = re.compile(r"(?:[a-z]\.)+[a-z]?")


def fold(text: str) -> str:
    """Lowercase and strip accents (``ë`` -> ``e``)."""
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in text if not unicodedata.combining(c))


_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")


def words(text: str) -> list[str]:
    """Accent-folded lowercase word tokens."""
    return _WORD.findall(fold(text))


def alnum_key(text: str) -> str:
    """Everything but letters and digits removed, lowercased: used to match quotes robustly."""
    return re.sub(r"[^0-9a-z]", "", fold(text))


def detect_language(text: str) -> str:
    """'nl' or 'en' by counting frequent function words (enough for questions and answers)."""
    toks = words(text)
    nl = sum(t in _NL_HINTS for t in toks)
    en = sum(t in _EN_HINTS for t in toks)
    return "en" if en > nl else "nl"


_NL_HINTS = set(
    "de het een en van in is op te dat die voor met zijn aan er niet ook als bij wat hoe ik je we wij "
    "mijn onze hun kan kun kunnen moet moeten wordt worden welke waarom wanneer wie waar zo dit deze "
    "of om naar over nog dan meer heb hebben maak maken geef".split()
)
_EN_HINTS = set(
    "the a an and of in is on to that for with are be not also as at what how i you we my our their "
    "can could should must will would which why when who where this these or about more have do does "
    "make give there it".split()
)


def one_line(text: object) -> str:
    """``text`` as one tidy line: control and other unprintable characters become spaces, runs of
    whitespace one space, no space at either end."""
    return " ".join("".join(c if c.isprintable() else " " for c in str(text or "")).split())
