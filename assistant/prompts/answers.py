"""Answer texts: the lines around extractive answers, abstentions and the meeting preparation."""

from __future__ import annotations

# --- extractive answers -------------------------------------------------------------------
# The line before an extractive answer to an English question (the quotes stay Dutch), per intent.
LEAD = {
    "en": {
        "howto": "What the sources (in Dutch) advise:",
        "meeting": "What the sources (in Dutch) suggest for the meeting:",
        "whatis": "What the sources (in Dutch) say it is:",
        "which": "What the sources (in Dutch) list:",
        "why": "What the sources (in Dutch) say about why:",
    },
}

ABSTAIN = {
    "nl": "De bronnen gaan hier niet over, dus ik kan deze vraag niet onderbouwd beantwoorden.",
    "en": "The sources do not cover this, so I cannot answer it with evidence.",
}
ABSTAIN_TOPICS = {
    "nl": "Wel behandelen de bronnen onder meer: {topics}.",
    "en": "The sources do cover, among other things: {topics}.",
}
OUT_OF_SCOPE = {
    "nl": "Dat valt buiten wat ik doe: ik beantwoord vragen over samenwerken in het onderwijs, met bronvermelding.",
    "en": "That is outside what I do: I answer questions about collaboration in education, citing my sources.",
}
OPEN_PARTS = {
    "nl": "Waar de bronnen niet op ingaan: {parts}",
    "en": "What the sources do not cover: {parts}",
}
UNSUPPORTED_NOTE = {
    "nl": "Let op: {n} zin(nen) zijn weggelaten omdat de aangehaalde bron ze niet ondersteunt.",
    "en": "Note: {n} sentence(s) were left out because the cited source does not support them.",
}

# --- meeting preparation ----------------------------------------------------------------------
# the sections' titles and queries are the domain profile's ([[prep]] in assistant/data/profiles/)
PREP_TITLE = "Voorbereiding overleg: {topic}"
PREP_PARTNERS = "Partners: {partners}"
PREP_GOAL = "Doel van het overleg: {goal}"
PREP_EMPTY = "De bronnen geven hier geen onderbouwde punten voor."
PREP_SOURCES = "Bronnen"
