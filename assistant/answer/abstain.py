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

from ..bm25 import analyze
from ..records import ScoredChunk
from ..textutil import detect_language, fold, words
from ..units import units_of
from .support import TermStats

# Requests for other work than advice from the sources. Task verbs count only as a command or a
# request ("Schrijf …", "Kun je … schrijven", "Can you write …"): "Hoe vertalen we onze visie naar
# afspraken?" and "Hoe maken we samen een lesplan?" are questions about collaboration.
_REQUEST = r"^\W*(?:(?:kun|kan|wil|zou)\s+(?:je|jij|u)\b|(?:can|could|would|will)\s+you\b|please\b|graag\b)?"
_OBJECT = (r"(?:script|code|python|javascript|sql|html|functie|function|program|lesplan|lesson\s+plans?|"
           r"gedicht|poem|verhaal|story|essay|liedje|song|mop|grap|joke|recept|recipe)")
_OUT_OF_SCOPE = [
    # a command or request: "Schrijf een Python-script …", "Can you write me a lesson plan …"
    re.compile(_REQUEST + r"\W*(?:schrijf|maak|genereer|programmeer|write|generate|create|make|compose|draft|give)\b"
               r".{0,60}\b" + _OBJECT + r"\b", re.I),
    # a request with the verb at the end: "Kun je een lesplan schrijven …"
    re.compile(r"^\W*(?:kun|kan|wil|zou)\s+(?:je|jij|u)\b.{0,80}\b" + _OBJECT + r"\b.{0,60}"
               r"\b(?:schrijven|maken|geven|programmeren|bedenken)\b", re.I),
    # translating a text
    re.compile(r"^\W*(?:vertaal|translate)\b|^\W*(?:kun|kan|wil|zou)\s+(?:je|jij|u)\b.{0,80}\bvertalen\b|"
               r"^\W*(?:can|could|would)\s+you\b.{0,40}\btranslate\b", re.I),
    # things no source on collaboration holds
    re.compile(r"\b(?:recept|recipe|gedicht|poem|grap|joke|weerbericht|weather forecast)\b(?!.{0,40}\b(?:samenwerk|"
               r"collaborat|partner))", re.I),
]

# The product's field, education and collaboration, in words (accent-folded, Dutch and English). A
# question holding none of them that does not speak the sources' language either (:func:`in_domain`)
# is about something else ("Wat is de hoofdstad van Australië?", "Tips om beter te slapen?"): the
# passages retrieved for it would only be the least unrelated ones. The lists are deliberately broad;
# a word missing here costs nothing as long as the question uses the sources' own words. Measured on
# two blind sets in evals/README.md ("Questions outside the field").
_DOMAIN_WORDS = {  # whole words (abbreviations and short words)
    "ib", "iber", "ibers", "mr", "gmr", "po", "vo", "vso", "sbo", "mbo", "hbo", "wo", "roc", "swv", "opo",
    "alo", "ggd", "ggz", "cjg", "juf", "meester", "klas", "les", "lessen", "rol", "rollen", "samen", "intern",
    "kind", "kinderen", "care", "carer", "kid", "kids", "class", "classes", "board", "boards",
    # English words of the field that as prefixes would catch everyday ones ("organize")
    "vision", "visions", "organization", "organizations", "organisation", "organisations", "policy",
    "policies", "knowledge", "research", "culture", "cultures", "relationship", "relationships", "inclusion",
    "inclusive", "ambition", "ambitions", "mandate", "partnership", "partnerships",
}
_DOMAIN_PARTS = (  # anywhere in a word (compounds: basisschool, schoolleider, oudergesprek)
    "school", "onderwijs", "leraar", "leraren", "leerkracht", "leerling", "docent", "opleid", "pabo", "klassen",
    "student", "stagiair", "stage", "mentor", "jeugd", "kinder", "samenwerk", "partner", "netwerk", "overleg",
    "collega", "bestuur", "gemeente", "vergader", "teach", "pupil", "educat", "collaborat", "cooperat",
    "colleague", "classroom", "curricul", "lesson",
)
_DOMAIN_PREFIXES = (  # at the start of a word
    "ouder", "parent", "lesrooster", "lesgev", "lesplan", "lesprogramma", "lestijd", "kindgesprek", "zorg",
    "team", "directeur", "directie", "rector", "coordinat", "begeleid", "leer", "kennis", "profession",
    "innovat", "verander", "weerstand", "vertrouw", "communic", "gesprek", "conflict", "afspra", "convenant",
    "medezeggenschap", "universit", "hogeschool", "academ", "bibliothe", "wijk", "regio", "leider", "leiding",
    "visie", "ambitie", "strateg", "beleid", "organisa", "instelling", "cultuur", "relatie", "taak", "taken",
    "mandaat", "stuurgroep", "werkgroep", "project", "pilot", "evalu", "ontwikkel", "onderzoek", "praktijk",
    "communit", "passend", "inclusie", "thuiszit", "leerplicht", "opvoed", "gezin", "peuter", "kleuter",
    "puber", "jonger", "tiener", "child", "famil", "youth", "learn", "meeting", "trust", "network",
    "stakeholder", "governance", "municipal", "librar", "welfare", "counsel", "principal", "headteacher",
    "resistan", "leader", "staff", "training", "coach",
)
# English words that carry no topic (the Dutch analyser's stop list does not know them); they count
# neither for nor against a question being in the sources' language
_EN_FUNCTION = {
    "what", "whats", "how", "why", "who", "whom", "which", "when", "where", "whether", "do", "does", "did",
    "can", "could", "should", "would", "will", "shall", "may", "might", "must", "is", "are", "was", "were",
    "be", "been", "being", "am", "have", "has", "had", "the", "a", "an", "of", "to", "in", "on", "at", "for",
    "with", "about", "from", "by", "into", "and", "or", "but", "not", "no", "yes", "my", "your", "our",
    "their", "his", "her", "its", "i", "you", "we", "they", "he", "she", "it", "me", "us", "them", "this",
    "that", "these", "those", "there", "here", "some", "any", "all", "more", "most", "much", "many", "very",
    "so", "than", "then", "if", "best", "good", "get", "make", "way", "ways", "thing", "things", "tell",
    "give", "please", "mean", "means", "explain",
}


def field_verdict(question: str, stats: TermStats | None = None) -> bool | None:
    """Whether the question is in the field: True when it names something of the field, or speaks
    the sources' language — a name they mention, capitalised mid-sentence ("Wat zegt Wenger …?"), or
    at least half of its content words found in them ("Wat zijn faalfactoren?"); False when its
    content words mostly are not theirs; None when it has no content word to judge by ("Waarom
    niet?"). Everyday words occur in the sources too ("thuis", "samenvatting"), so one of them among
    several words the sources never use does not count."""
    english = detect_language(question) == "en"
    for w in words(question):
        if english and w == "kind":
            continue  # "what kind of", not "het kind"
        if w in _DOMAIN_WORDS or w.startswith(_DOMAIN_PREFIXES) or any(p in w for p in _DOMAIN_PARTS):
            return True
    if stats is None:
        return None
    known = unknown = 0
    for m in re.finditer(r"[^\W\d_]+", question):
        raw = m.group()
        terms = analyze(raw)
        if not terms or fold(raw) in _EN_FUNCTION:
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


def in_domain(question: str, stats: TermStats | None = None) -> bool:
    """:func:`field_verdict` is True (a question without words to judge by is not in the field)."""
    return field_verdict(question, stats) is True


# A how-many / which-article question asks for a fact that only a number in the sources can answer.
# The counted thing is the word right after "hoeveel" (or the cue's own noun); vague amounts ("hoeveel
# tijd", "hoeveel is genoeg") and "hoe lang / hoe vaak" are not judged: the sources answer those in words.
_QUANTITY = re.compile(r"\bhoeveel\s+(\w+)|\bwelke?\s+(artikel|bedrag|percentage|salarisschaal|schaal|datum)\b",
                       re.I)
_NUMBER = re.compile(r"\b(?!(?:19|20)\d\d\b)\d|%|\b(één|twee|drie|vier|vijf|zes|zeven|acht|negen|tien|elf|twaalf|"
                     r"twintig|dertig|veertig|vijftig|honderd|duizend|miljoen|procent|helft|half|kwart|dagelijks|"
                     r"wekelijks|maandelijks|jaarlijks)\b", re.I)
_VAGUE = {"tijd", "moeite", "aandacht", "energie", "ruimte", "genoeg", "veel", "meer", "minder"}


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


def out_of_scope(question: str) -> bool:
    return any(p.search(question) for p in _OUT_OF_SCOPE)


def counted_terms(question: str) -> list[str]:
    """What a how-many / which-article question counts (one folded word), else []."""
    m = _QUANTITY.search(question)
    if not m:
        return []
    word = fold(m.group(1) or m.group(2))
    if word in _VAGUE or not analyze(word, stem=False):  # a stop word ("hoeveel is ...") counts nothing
        return []
    return [word]


def _same_word(term: str, word: str) -> bool:
    """Literal match allowing inflection: same 6-letter prefix, or the same Dutch stem."""
    if word.startswith(term[:6]) or (len(word) >= 4 and term.startswith(word[:6])):
        return True
    return analyze(term, stop=False) == analyze(word, stop=False)


def missing_number(question: str, contexts: Sequence[ScoredChunk], top: int = 3) -> bool:
    """A quantity question (Dutch: the words are matched literally) whose counted word appears in
    no sentence with a number (years do not count) in the top passages."""
    terms = counted_terms(question)
    if not terms or detect_language(question) != "nl":
        return False
    for sc in contexts[:top]:
        for u in units_of(sc.chunk.text, 0):
            if _NUMBER.search(u.text):
                words = analyze(u.text, stem=False, stop=False)
                if any(_same_word(t, w) for t in terms for w in words):
                    return False
    return True


def assess(question: str, contexts: Sequence[ScoredChunk], stats: TermStats, top: int = 3,
           asked: str | None = None, field: str | None = None) -> Evidence:
    """Evidence for ``question`` (the retrieval query); ``asked``: what the user typed this turn,
    when the query also carries an earlier turn (the request checks look at this turn only);
    ``field``: for a follow-up, its conversation's questions, which decide whether it is in the
    field only when this turn's own words do not ("Waarom niet?" yes, "Hoe repareer ik mijn fiets?"
    no)."""
    asked = question if asked is None else asked
    verdict = field_verdict(asked, stats)
    if verdict is None:
        verdict = field_verdict(field or question, stats)
    q_terms = set(analyze(question))
    dense = max((sc.dense_score for sc in contexts if sc.dense_score is not None), default=0.0)
    cov = max((stats.coverage(q_terms, set(analyze(f"{sc.chunk.section} {sc.chunk.text}")))
               for sc in contexts[:top]), default=0.0)
    request = out_of_scope(asked)
    return Evidence(dense=dense, coverage=cov, out_of_scope=request or verdict is not True,
                    missing_number=missing_number(asked, contexts, top), request=request)



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
