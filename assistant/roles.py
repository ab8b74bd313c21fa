"""The role of an answer unit: question, meta, or what kind of content (advice, definition, list,
finding, background).

Decided by rules on the form of the unit, never by this corpus's topics: a "?" at the end, an
interrogative opening, a URL or e-mail address, a citation or reference entry, a number next to a
statistic symbol, a footnote marker, a heading, a piece that does not start like a sentence. The
words that play those parts (Dutch and English) are data, in ``assistant/data/roles.toml``.

:func:`role_of` is a pure function of a unit's text, its neighbours and whether it is a list, so
tagging at answer time gives what the index stored. Measured on hand-labelled units of documents
held out: see docs/decisions.md, "Unit roles", and ``python -m assistant.evaluation.roles``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ROLES = ("question", "meta", "advice", "definition", "list", "finding", "background")
CONTENT_DEFAULT = "background"
SHOWABLE = frozenset({"advice", "definition", "list"})

_DATA = Path(__file__).parent / "data" / "roles.toml"
# The patterns below start a run of characters only where the run starts (lookbehinds), or anchor
# on a fixed character (the "@"): tried at every character of a long word, a pattern that begins
# with a run would rescan the rest of it each time (quadratic).
_URL = re.compile(r"https?://\S+|www\.\S+|(?<!\S)\S+\.(?:pdf|html?|docx?|pptx?)\b"
                  r"|(?<![\w.-])[.-]*\w[\w.-]*\.(?:nl|com|org|be|eu|net)/\S*", re.I)
_EMAIL = re.compile(r"\w[.+-]*@[\w-]+\.[\w.-]+\b")  # the name before the "@" holds a letter or digit
_PHONE = re.compile(r"(?:\+\d{2}|\b0\d{1,3})[\s-]?\d{2,4}[\s-]?\d{2,4}[\s-]?\d{0,4}\b")
_YEAR_CITE = re.compile(r"\([^()]{0,120}?\b(?:19|20)\d{2}[a-z]?(?:[,:;][^()]*)?\)|\bet al\b")
_REF_HEAD = re.compile(r"^(.{2,160}?)\(\s*(?:19|20)\d{2}[a-z]?\s*\)[.,:]?")
_INITIAL = re.compile(r"(?:^|[\s,(&])[A-ZÀ-Ý]\.")
_LEAD = re.compile(r"^[\s\"“”‘’'(\[•\-–*]+")
_TRAIL = re.compile(r"(?<![\s\"“”‘’'])[\s\"“”‘’']+$")
_PUBLISHER = re.compile(r"^[A-ZÀ-Ý][\w'’-]+(?: [A-ZÀ-Ý][\w'’-]+)?: [A-ZÀ-Ý][^.:;?!]{1,60}\.$")  # "Deventer: Kluwer."
_TERMINAL = (".", "!", "?", ":", ";", "…", ")")
_SPECIFIERS = {"die", "dat", "waarin", "waarbij", "waarmee", "waar", "voor", "van", "om", "tussen", "which", "that",
               "who", "where", "whereby", "for", "of", "to", "between"}
_NON_LETTERS = re.compile(r"[\W\d_]")
_CAMEL = re.compile(r"^[a-z]+[A-Z]")
_NOTE_NUMBER = re.compile(r"^\d{1,3}\s+(\S+)")
_PERCENT = re.compile(r"\d\s?%")
_COPULA = re.compile(r"^((?:\S+\s){1,5}?)(?:\([^)]*\)\s)?(?:is|zijn|are)\s+(?:een|a|an)\s+(\S+)\s+(\S+)\s*(\S*)")
_PRONOUNS = {"dat", "dit", "wat", "het", "die", "er", "that", "this", "what", "it", "which"}
_CONJ = {"en", "maar", "of", "dus", "want", "and", "but", "or", "so"}


@dataclass(frozen=True)
class Cues:
    """The cue-word lists of roles.toml as compiled patterns."""

    q_openers: frozenset[str]
    q_announce: Phrases
    navigation: Phrases
    structure: re.Pattern[str]
    footnote_openers: frozenset[str]
    contact: Phrases
    publication: Phrases
    statistic: re.Pattern[str]
    method_nouns: Phrases
    method_verbs: Phrases
    authors: Phrases
    finding: Phrases
    research: Phrases
    definition: Phrases
    imperatives: frozenset[str]
    advice: Phrases


_TOKEN = re.compile(r"\w+|[^\w\s]")
_WORD_RUN = re.compile(r"\S+")


@lru_cache(maxsize=4096)
def tokens(text: str) -> tuple[str, ...]:
    """Lowercase word and punctuation tokens: ``"Zie p. 3"`` -> ``('zie', 'p', '.', '3')``."""
    return tuple(_TOKEN.findall(text.lower()))


@lru_cache(maxsize=4096)
def token_set(text: str) -> frozenset[str]:
    return frozenset(tokens(text))


class Phrases:
    """Whole-word, case-insensitive phrase lookup on tokens (one set lookup per n-gram; a regex
    alternation of 60 phrases tried at every character was 7x the cost of splitting the units)."""

    def __init__(self, words: list[str]):
        self.grams = {tokens(w) for w in words if tokens(w)}
        self.sizes = sorted({len(g) for g in self.grams})
        self.first = {g[0] for g in self.grams}

    def starts(self, text: str) -> list[int]:
        """Token indices where one of the phrases starts."""
        if self.first.isdisjoint(token_set(text)):
            return []  # the common case, without a walk over the tokens per phrase list
        toks = tokens(text)
        return [i for i, w in enumerate(toks) if w in self.first
                and any(toks[i:i + n] in self.grams for n in self.sizes)]

    def search(self, text: str) -> bool:
        return bool(self.starts(text))

    def findall(self, text: str) -> list[int]:
        return self.starts(text)


def phrases(words: list[str]) -> Phrases:
    """The phrases of ``words``, matched as whole words.

    >>> phrases(["laat zien"]).search("Onderzoek laat zien dat"), phrases(["zien"]).search("bezien")
    (True, False)
    """
    return Phrases(words)


def statistic_pattern(symbols: list[str]) -> re.Pattern[str]:
    """A statistic symbol followed by a number: ``alpha=.88``, ``p < .05``, ``N = 247``."""
    alts = "|".join(re.escape(s.strip()) for s in sorted(set(symbols), key=len, reverse=True))
    return re.compile(rf"(?<![^\W\d])(?:{alts})\s*(?:[=<>≤≥]\s*)?[-−]?\.?\d", re.I)  # one run of spaces at a time


@lru_cache(maxsize=4)
def load_cues(path: Path = _DATA) -> Cues:
    """The cues of ``roles.toml`` (read once per path)."""
    d = tomllib.loads(path.read_text(encoding="utf-8"))
    q, m, c = d["question"], d["meta"], d["content"]
    return Cues(
        q_openers=frozenset(q["openers"]), q_announce=phrases(q["announce"]),
        navigation=phrases(m["navigation"]),
        structure=re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, m["structure"])) + r")\s+\d", re.I),
        footnote_openers=frozenset(m["footnote_openers"]),
        contact=phrases(m["contact"]), publication=phrases(m["publication"]),
        statistic=statistic_pattern(m["statistic_symbols"]), method_nouns=phrases(m["method_nouns"]),
        method_verbs=phrases(m["method_verbs"]), authors=phrases(m["authors"]), finding=phrases(c["finding"]), research=phrases(c["research"]),
        definition=phrases(c["definition"]), imperatives=frozenset(c["imperatives"]), advice=phrases(c["advice"]),
    )


@lru_cache(maxsize=8192)
def core(text: str) -> str:
    """The unit without leading bullets, quotes or brackets and trailing quotes or brackets.

    >>> core('• “Wat nu?”')
    'Wat nu?'
    """
    t = text.strip()
    t = _TRAIL.sub("", t[1:-1] if t.startswith("(") and t.endswith(")") else t)
    return _TRAIL.sub("", _LEAD.sub("", t))


def first_words(text: str, n: int = 3) -> list[str]:
    """The first ``n`` lowercase words, leading conjunctions (``En wie ...``) skipped."""
    ws: list[str] = []
    for m in _WORD_RUN.finditer(core(text)):  # only as far as needed (a unit may be one long line)
        w = m.group().strip(",;:“”\"'‘’()").lower()
        if ws or w not in _CONJ:
            ws.append(w)
            if len(ws) == n:
                break
    return ws


def opens_question(text: str, cues: Cues) -> bool:
    """Starts with an interrogative word: ``Hoe de overheid ...``, ``What works ...``."""
    ws = first_words(text, 3)
    return bool(ws) and (ws[0] in cues.q_openers or " ".join(ws[:2]) in cues.q_openers
                         or " ".join(ws[:3]) in cues.q_openers)


def is_question(text: str, prev: str, nxt: str, cues: Cues) -> bool:
    """A question the text asks, not answers.

    Ends with "?" (a statement before a colon counts only when it is short or announces the
    question: "Een belangrijke vraag is: hoe pak je het aan?"); or opens with an interrogative word,
    is short and stands in a series of questions ("Hoe de overheid zich kan verhouden tot ...").
    """
    t = core(text)
    if t.endswith("?"):
        if ":" not in t:
            return True
        head, tail = t.rsplit(":", 1)
        nh = len(head.split())
        # "Macht: wie ...?", "Een belangrijke vraag is: ...?" ask; a long statement that ends in
        # a question answers it ("Wil je samen leren, dan zul je ... moeten investeren: wat ...?")
        return nh <= 4 or (nh <= 15 and bool(cues.q_announce.search(head)))
    ws = [w.strip(",;:“”\"'‘’()").lower() for w in t.split()[:1]]
    if ws and ws[0] in _CONJ:
        return False  # "Of wanneer ..." continues a sentence
    if t.endswith(".") and opens_question(t, cues) and len(t.split()) <= 20 and "," not in t:
        return any(core(n).endswith("?") for n in (prev, nxt) if n)
    return False


def is_fragment(text: str) -> bool:
    """A piece that does not start like a sentence: ``et al, 2009) beschrijft``, ``20).``, ``3.``,
    ``denken, nr 7, 2016.`` (a list item may start in lowercase)."""
    s = text.strip()
    if s.startswith("•"):
        return False
    t = _LEAD.sub("", s)
    if not t or len(_NON_LETTERS.sub("", t)) < 3:
        return True  # only numbers and punctuation
    if t[0] in ",;:.)]}":
        return True
    return t[0].islower() and not _CAMEL.match(t)  # "iPad" starts a sentence


def is_heading(text: str) -> bool:
    """A short line without a sentence end: a (glued-off) heading or a title."""
    t = core(text)
    return bool(t) and not t.endswith(_TERMINAL) and len(t.split()) <= 12 and (t[0].isupper() or t[0].isdigit())


def is_reference(text: str, cues: Cues) -> bool:
    """A bibliography entry or footnote: ``Hooge, E. e.a. (2017). Titel.``, ``2 Zie https://...``,
    ``Wenger, E. (1998). Communities of practice. Cambridge University Press.``"""
    t = core(text)
    m = _REF_HEAD.match(t)
    if m and len(m.group(1).split()) <= 14 and (_INITIAL.search(m.group(1)) or ("&" in m.group(1) and m.group(0)[-1] in ".,:")):
        return True
    first = t.split()[0].lower().rstrip(".:,") if t.split() else ""
    if first in cues.footnote_openers and (text.lstrip().startswith("(") or _URL.search(t) or _YEAR_CITE.search(t)):
        return True  # "(Zie ...)", "See https://...": a cross-reference
    fm = _NOTE_NUMBER.match(t)
    if fm:
        w = fm.group(1).lower().rstrip(".:,")
        if w in cues.footnote_openers or _URL.match(fm.group(1)) or _REF_HEAD.match(t[fm.start(1):]):
            return True
    return len(cues.publication.findall(t)) >= 2 or (bool(cues.publication.search(t)) and bool(_YEAR_CITE.search(t))
                                                     and len(t.split()) <= 25)


def is_meta(text: str, cues: Cues) -> bool:
    """Navigation, contact, references and footnotes, method and statistics, fragments, headings."""
    t = core(text)
    if is_fragment(text) or is_reference(text, cues):
        return True
    if _EMAIL.search(t) or (cues.contact.search(t) and _PHONE.search(t)):
        return True
    if _URL.search(t) and len(_URL.sub(" ", t).split()) < 15:
        return True
    if cues.navigation.search(t) or cues.structure.search(t) or cues.statistic.search(t):
        return True
    if not text.lstrip().startswith("•") and not cues.finding.search(t) and (
            (cues.method_nouns.search(t) and (cues.method_verbs.search(t) or counted(t, cues)))
            or (cues.method_verbs.search(t) and cues.authors.search(t))):
        return True  # how a study was done: "In 2015 hebben we 247 respondenten gevraagd ..."
    if t.endswith(":") and len(t.split()) <= 20:
        return True  # announces what follows (a quote, an example, a speaker)
    return is_heading(text)


def counted(text: str, cues: Cues) -> bool:
    """A research noun right after a number: ``247 respondenten``, ``12 interviews``."""
    toks = tokens(text)
    return any(any(toks[j].isdigit() for j in (i - 1, i - 2) if j >= 0) for i in cues.method_nouns.starts(text))


def content_role(text: str, is_list: bool, cues: Cues) -> str:
    """advice, definition, list, finding or background (the default when nothing is clear)."""
    t = core(text)
    if is_list:
        return "list"
    research = bool(_YEAR_CITE.search(t) or cues.method_nouns.search(t) or _PERCENT.search(t) or cues.research.search(t))
    if cues.finding.search(t) and research:
        return "finding"
    if _defines(t) or any(_subject_cue(t, i) for i in cues.definition.starts(t)):
        return "definition"
    ws = first_words(text, 2)
    if (ws and ws[0] in cues.imperatives and not t.endswith("?")) or cues.advice.search(t):
        return "advice"
    if cues.finding.search(t):
        return "finding"
    return CONTENT_DEFAULT


def _subject_cue(t: str, at: int) -> bool:
    """A definition cue (at token ``at``) right after a short subject: "Samenwerken betekent ...",
    "Met X bedoelen we" (not "dat betekent ...": a pronoun defines nothing)."""
    before = [w for w in tokens(t)[:at] if w[0].isalnum()]
    return 0 < len(before) <= 8 and before[-1] not in _PRONOUNS


def _defines(t: str) -> bool:
    """``X is een Y die/voor ...``: a short subject, a copula, a noun and what specifies it.

    >>> _defines("Een netwerk is een groep organisaties die samen leren.")
    True
    >>> _defines("Samenwerking is een belangrijk instrument, maar ook niet meer dan dat.")
    False
    """
    m = _COPULA.match(t)
    if not m:
        return False
    subject = m.group(1).split()
    if len(subject) == 1 and subject[0].lower() in _PRONOUNS | {"er", "there"}:
        return False  # "Er is een ...": existence, not a definition
    return m.group(3).lower().strip(",") in _SPECIFIERS or m.group(4).lower().strip(",") in _SPECIFIERS


# A unit is a sentence or a list (lists longer than ~1,100 characters are split); text without
# sentence ends can make one unit of a whole upload. Its role is read from its first characters,
# so that tagging it costs no more than tagging a long sentence (the corpus's longest unit: 930).
ROLE_CHARS = 4000


def role_of(text: str, prev: str = "", nxt: str = "", is_list: bool = False) -> str:
    """The role of one unit, given the units before and after it in its passage."""
    text, prev, nxt = text[:ROLE_CHARS], prev[:ROLE_CHARS], nxt[:ROLE_CHARS]
    cues = load_cues()
    lines = text.split("\n")
    items = [ln for ln in lines if ln.startswith("•")]
    if is_list and len(items) == 1 and len(lines) <= 2:
        # one bullet is no list (often a marker the layout left): the role of its sentence(s)
        return role_of(" ".join(ln.lstrip("• ") for ln in lines), prev, nxt)
    if is_list:
        intro = " ".join(ln for ln in lines if not ln.startswith("•"))
        asks = sum(core(i).endswith("?") or opens_question(i, cues) for i in items)
        if items and asks * 2 > len(items) and bool(cues.q_announce.search(intro)):
            return "question"  # a list of questions
        if intro and (is_fragment(intro) or is_reference(intro, cues)):
            return "meta"  # footnotes the layout turned into a list
        imperative = sum(bool(first_words(i, 1)) and first_words(i, 1)[0] in cues.imperatives for i in items)
        if imperative * 2 > len(items) or (first_words(intro, 1) and first_words(intro, 1)[0] in cues.imperatives):
            return "advice"  # a list of things to do
        return "list"
    if is_fragment(text) or is_reference(text, cues) or _PUBLISHER.match(core(text)):
        return "meta"
    if is_question(text, prev, nxt, cues):
        return "question"
    if is_meta(text, cues):
        return "meta"
    return content_role(text, is_list, cues)


def roles_of(texts: list[str], lists: list[bool] | None = None) -> list[str]:
    """The roles of a passage's units in order (each seeing its neighbours). The short pieces
    that follow a reference entry (its title, its publisher) are part of it: meta."""
    lists = lists or [False] * len(texts)
    cues = load_cues()
    out: list[str] = []
    in_ref = 0
    texts = [t[:ROLE_CHARS] for t in texts]
    for i, t in enumerate(texts):
        role = role_of(t, texts[i - 1] if i else "", texts[i + 1] if i + 1 < len(texts) else "", lists[i])
        if is_reference(t, cues):
            in_ref = 3
        elif in_ref and role != "question" and len(core(t).split()) <= 12:
            role, in_ref = "meta", in_ref - 1
        else:
            in_ref = 0
        out.append(role)
    return out
