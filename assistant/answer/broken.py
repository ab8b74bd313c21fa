"""Units that are never shown, whatever they score: each a small pure test with its example.

A quote must stand on its own. A unit that runs on after a question, starts inside a citation or
a bracket, or ends in a colon without the list it introduces is a piece of extraction or of
splitting, not a statement a reader can act on. (A sentence that leans on the one before it is
handled where the units are chosen: ``extractive._coherent`` keeps it with that one or drops it.)
"""

from __future__ import annotations

import re

_QUESTION_THEN_MORE = re.compile(r"\?\s*\S")
_TAIL_START = re.compile(r"^\s*(?:et al\b|[a-zà-ÿ]{0,12}[,;]?\s*\d{4}[a-z]?\)|\d{4}[a-z]?\))")


def question_then_more(text: str) -> bool:
    """A question followed by more text in one unit.

    >>> question_then_more("Hoe zorg je ervoor dat het werkbaar is? et al, 2009) beschrijft dit:")
    True
    >>> question_then_more("Hoe zorg je ervoor dat het werkbaar is?")
    False
    """
    body = text.strip()
    m = _QUESTION_THEN_MORE.search(body)
    return bool(m) and not body.startswith(("•", "-")) and "\n" not in body[:m.end()]


def starts_inside_a_citation(text: str) -> bool:
    """A unit that starts with the tail of a reference or with a closing bracket before any opening.

    >>> starts_inside_a_citation("et al, 2009) beschrijft in competentie 6 het samenwerken.")
    True
    >>> starts_inside_a_citation("2011) laat zien dat scholen samenwerken.")
    True
    >>> starts_inside_a_citation("Wenger (2007) noemt zes eigenschappen.")
    False
    """
    if _TAIL_START.match(text):
        return True
    close, open_ = text.find(")"), text.find("(")
    return close != -1 and (open_ == -1 or close < open_) and close < 40


def dangling_lead_in(text: str, is_list: bool) -> bool:
    """A lead-in that ends in a colon, shown without the list or block it introduces.

    >>> dangling_lead_in("Eigenschappen van een leerwerkgemeenschap zijn:", False)
    True
    >>> dangling_lead_in("Eigenschappen zijn:\\n• variëteit\\n• een doel", True)
    False
    """
    return not is_list and text.rstrip().endswith(":")


def never_shown(text: str, is_list: bool = False) -> bool:
    """Whether a unit breaks one of the rules above."""
    return question_then_more(text) or starts_inside_a_citation(text) or dangling_lead_in(text, is_list)
