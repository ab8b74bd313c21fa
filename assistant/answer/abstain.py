"""Decide when the sources do not cover a question (or it is out of scope).

Evidence signals, calibrated on the evaluation set's unanswerable questions (see
``evals/README.md``): the best dense cosine similarity among the retrieved passages, the best
IDF-weighted share of the question's terms that one passage contains, and for how-many questions
whether the top passages hold a number about the thing asked. Requests for other work (code,
translations, recipes, lesson plans) and questions outside the field (no word of education or
collaboration, nor the sources' own words) are out of scope.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from ..bm25 import analyze
from ..profile import Profile, active, alternation
from ..records import ScoredChunk
from ..textutil import detect_language, fold, words
from ..units import units_of
from .support import TermStats

# Requests for other work than advice from the sources. Task verbs count only as a command or a
# request ("Schrijf …", "Kun je … schrijven", "Can you write …"). The words are the profile's
# (``[scope]`` in assistant/data/profiles/*.toml); the sentence shapes are the languages'.
_REQUEST = r"^\W*(?:(?:kun|kan|wil|zou)\s+(?:je|jij|u)\b|(?:can|could|would|will)\s+you\b|please\b|graag\b)?"


@lru_cache(maxsize=8)
def _scope_patterns(p: Profile) -> tuple[re.Pattern[str], ...]:
    obj = alternation(p.request_objects)
    return (
        # a command or request: "Schrijf een Python-script …", "Can you write me a lesson plan …"
        re.compile(_REQUEST + r"\W*" + alternation(p.command_verbs) + r"\b.{0,60}\b" + obj + r"\b", re.I),
        # a request with the verb at the end: "Kun je een lesplan schrijven …"
        re.compile(r"^\W*(?:kun|kan|wil|zou)\s+(?:je|jij|u)\b.{0,80}\b" + obj + r"\b.{0,60}"
                   r"\b" + alternation(p.request_end_verbs) + r"\b", re.I),
        # translating a text
        re.compile(r"^\W*(?:vertaal|translate)\b|^\W*(?:kun|kan|wil|zou)\s+(?:je|jij|u)\b.{0,80}\bvertalen\b|"
                   r"^\W*(?:can|could|would)\s+you\b.{0,40}\btranslate\b", re.I),
        # things no source of the field holds
        re.compile(r"\b" + alternation(p.off_field) + r"\b(?!.{0,40}\b" + alternation(p.off_field_unless) + ")",
                   re.I),
    )


def field_verdict(question: str, stats: TermStats | None = None, profile: Profile | None = None) -> bool | None:
    """Whether the question is in the field: True when it names something of the field, or speaks
    the sources' language — a name they mention, capitalised mid-sentence ("Wat zegt Wenger …?"), or
    at least half of its content words found in them ("Wat zijn faalfactoren?"); False when its
    content words mostly are not theirs; None when it has no content word to judge by ("Waarom
    niet?"). Everyday words occur in the sources too ("thuis", "samenvatting"), so one of them among
    several words the sources never use does not count."""
    p = profile or active()
    english = detect_language(question) == "en"
    for w in words(question):
        if english and w in p.not_in_english:
            continue  # "what kind of", not "het kind"
        if p.names_field(w):
            return True
    if stats is None:
        return None
    known = unknown = 0
    for m in re.finditer(r"[^\W\d_]+", question):
        raw = m.group()
        terms = analyze(raw)
        if not terms or fold(raw) in p.english_function_words:
            continue  # a stop word
        found = any(stats.df.get(t, 0) for t in terms)
        before = question[:m.start()].rstrip()
        mid_sentence = bool(before) and before[-1] not in ".?!:;\"'‘“("
        if found and raw[0].isupper() and not raw.isupper() and mid_sentence:
            return True  # a name or term the sources mention
        known += found
        unknown += not found
    if known == unknown == 0:
        return None
    return known > 0 and known >= unknown


def in_domain(question: str, stats: TermStats | None = None, profile: Profile | None = None) -> bool:
    """:func:`field_verdict` is True (a question without words to judge by is not in the field)."""
    return field_verdict(question, stats, profile) is True


# A how-many / which-article question asks for a fact that only a number in the sources can answer.
# The counted thing is the word right after "hoeveel" (or the cue's own noun); vague amounts ("hoeveel
# tijd", "hoeveel is genoeg") and "hoe lang / hoe vaak" are not judged: the sources answer those in words.
@lru_cache(maxsize=8)
def _quantity_patterns(p: Profile) -> tuple[re.Pattern[str], re.Pattern[str]]:
    quantity = re.compile(r"\bhoeveel\s+(\w+)|\bwelke?\s+(" + alternation(p.quantity_nouns) + r")\b", re.I)
    number = re.compile(r"\b(?!(?:19|20)\d\d\b)\d|%|\b(" + alternation(p.number_words) + r")\b", re.I)
    return quantity, number


@dataclass(frozen=True)
class Evidence:
    dense: float  # best cosine similarity of a retrieved passage
    coverage: float  # best IDF-weighted term coverage of a retrieved passage
    out_of_scope: bool = False  # a request for other work, or a question outside the field
    missing_number: bool = False  # a how-many question without a number about it in the top passages
    request: bool = False  # a request for other work (code, translations, recipes)

    def weak(self, min_dense: float, min_coverage: float) -> bool:
        return bool(self.reason(min_dense, min_coverage))

    def reason(self, min_dense: float, min_coverage: float) -> str:
        """Why the sources cannot answer, as a code ("" when they can): ``request`` (other work),
        ``out_of_scope`` (outside the field), ``missing_number`` (a how-many question without the
        number), ``weak_evidence`` (no passage close enough)."""
        if self.request:
            return "request"
        if self.out_of_scope:
            return "out_of_scope"
        if self.missing_number:
            return "missing_number"
        if self.dense < min_dense or self.coverage < min_coverage:
            return "weak_evidence"
        return ""


def out_of_scope(question: str, profile: Profile | None = None) -> bool:
    return any(p.search(question) for p in _scope_patterns(profile or active()))


def counted_terms(question: str, profile: Profile | None = None) -> list[str]:
    """What a how-many / which-article question counts (one folded word), else []."""
    p = profile or active()
    m = _quantity_patterns(p)[0].search(question)
    if not m:
        return []
    word = fold(m.group(1) or m.group(2))
    if word in p.vague_amounts or not analyze(word, stem=False):  # a stop word ("hoeveel is ...") counts nothing
        return []
    return [word]


def _same_word(term: str, word: str) -> bool:
    """Literal match allowing inflection: same 6-letter prefix, or the same Dutch stem."""
    if word.startswith(term[:6]) or (len(word) >= 4 and term.startswith(word[:6])):
        return True
    return analyze(term, stop=False) == analyze(word, stop=False)


def missing_number(question: str, contexts: Sequence[ScoredChunk], top: int = 3,
                   profile: Profile | None = None) -> bool:
    """A quantity question (Dutch: the words are matched literally) whose counted word appears in
    no sentence with a number (years do not count) in the top passages."""
    p = profile or active()
    terms = counted_terms(question, p)
    if not terms or detect_language(question) != "nl":
        return False
    number = _quantity_patterns(p)[1]
    for sc in contexts[:top]:
        for u in units_of(sc.chunk.text, 0):
            if number.search(u.text):
                words = analyze(u.text, stem=False, stop=False)
                if any(_same_word(t, w) for t in terms for w in words):
                    return False
    return True


def assess(question: str, contexts: Sequence[ScoredChunk], stats: TermStats, top: int = 3,
           asked: str | None = None, field: str | None = None, profile: Profile | None = None) -> Evidence:
    """Evidence for ``question`` (the retrieval query); ``asked``: what the user typed this turn,
    when the query also carries an earlier turn (the request checks look at this turn only);
    ``field``: for a follow-up, its conversation's questions, which decide whether it is in the
    field only when this turn's own words do not ("Waarom niet?" yes, "Hoe repareer ik mijn fiets?"
    no)."""
    asked = question if asked is None else asked
    p = profile or active()
    verdict = field_verdict(asked, stats, p)
    if verdict is None:
        verdict = field_verdict(field or question, stats, p)
    q_terms = set(analyze(question))
    dense = max((sc.dense_score for sc in contexts if sc.dense_score is not None), default=0.0)
    cov = max((stats.coverage(q_terms, set(analyze(f"{sc.chunk.section} {sc.chunk.text}")))
               for sc in contexts[:top]), default=0.0)
    request = out_of_scope(asked, p)
    return Evidence(dense=dense, coverage=cov, out_of_scope=request or verdict is not True,
                    missing_number=missing_number(asked, contexts, top, p), request=request)



def decide(ev: "Evidence | None", contexts: Sequence[ScoredChunk], min_dense: float, min_coverage: float) -> str:
    """The one place that decides whether to abstain: a reason code, or "" to answer."""
    if ev is None or not contexts:
        return "no_passages"
    return ev.reason(min_dense, min_coverage)


def nearest_topics(contexts: Sequence[ScoredChunk], n: int = 3) -> list[str]:
    """Distinct section (or title) names of the retrieved passages: what the sources do cover."""
    topics: list[str] = []
    for sc in contexts:
        name = sc.chunk.section.split(" › ")[-1] if sc.chunk.section else sc.chunk.title
        name = re.sub(r"^\d+(\.\d+)*\s*[.|]\s*", "", name).strip()
        if name.isupper():
            name = name.capitalize()
        if name and name.lower() not in {t.lower() for t in topics}:
            topics.append(name)
        if len(topics) >= n:
            break
    return topics
