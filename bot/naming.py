"""Does a text seem to name someone? A careful guess, to warn before a name is kept.

Used where the bot asks people not to name anyone (a concern about a colleague, a suggestion to
the steering group). It looks for a case reference, a listener's display name, and a word with
a capital letter that does not start a sentence and is not a word everyone capitalises. It can
miss a name and can flag a word that is none: it warns, it never blocks.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

_WORD = re.compile(r"[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ'’-]{1,}")
_REFERENCE = re.compile(r"\b[A-HJ-NP-Z2-9]{5}\b")
# Words a sentence may capitalise anywhere: days, months, pronouns, the company's usual nouns.
_COMMON = {
    "ik", "i", "je", "jij", "hij", "zij", "wij", "ze", "u", "il", "elle", "nous", "vous", "ils", "elles", "on",
    "he", "she", "we", "they", "you", "hr", "ict", "it",
    "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag",
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
    "november", "december", "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
    "septembre", "octobre", "novembre", "décembre", "january", "february", "march", "may", "june", "july",
    "august", "october", "covid", "corona",
}


def seems_to_name(text: str, known: Iterable[str] = (), departments: Iterable[str] = ()) -> bool:
    """True when the text may name a person or point at a case."""
    if _REFERENCE.search(text):
        return True
    lowered = text.casefold()
    if any(name and name.casefold() in lowered for name in known):
        return True
    skip = {d.casefold() for d in departments} | _COMMON
    for sentence in re.split(r"(?<=[.!?…])\s+|\n+", text):
        words = sentence.split()
        for word in words[1:]:  # the first word of a sentence is capitalised anyway
            match = _WORD.fullmatch(word.strip(".,;:!?()\"'«»"))
            if match and match.group().casefold() not in skip:
                return True
    return False
