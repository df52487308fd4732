"""Does a text seem to name someone? A careful guess, to warn before a name is kept.

Used wherever the bot asks people not to name anyone: a concern about a colleague (the
colleague is warned, the listener reminded not to note the name), a listener's suggestion to
the steering group and a "you said, we did" (their authors are warned before anyone else sees
them). It looks at the text alone: something shaped like a case reference, and a capitalised
word in the middle of a sentence that is not a department, a theme, a level, a day or a month.

It never asks who exists. A guess that consulted the names of listeners, coordinators or
steering members (or the case references in use) would answer a question: whoever writes
"Sofie" and sees the warning, or not, would learn whether a Sofie holds a role. So every
capitalised name is treated alike, known or not, and a name written in lower case or at the
start of a sentence is missed alike. It can miss a name and flag a word that is none: it
warns, it never blocks.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from babel.dates import get_day_names, get_month_names

from .charter import Charter
from .i18n import LANGUAGES
from .storage.members import CODE_ALPHABET

_REF_LIKE = re.compile(r"\b[A-Za-z0-9]{5}\b")
_CAPITALISED = re.compile(r"(?<![\w'’-])([A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ'’-]+)")
_SENTENCE_START = re.compile(r"(^|[.!?:;\n•\-–“\"(]\s*)$")
# Words a sentence capitalises anywhere in the bot's languages.
_PRONOUNS = {"i", "ik", "je", "jij", "u", "il", "elle", "on", "hr", "rh", "ict", "it"}


def looks_like_reference(token: str) -> bool:
    """Five characters of the reference alphabet, with a digit or written in capitals (K7QF2, ABCDE):
    what a case reference looks like, whether or not one exists."""
    upper = token.upper()
    return all(c in CODE_ALPHABET for c in upper) and (any(c.isdigit() for c in upper) or token == upper)


class Naming:
    def __init__(self, departments: Iterable[str], charter: Charter) -> None:
        self._ordinary = _ordinary_words(departments, charter)

    def suspicious(self, text: str) -> list[str]:
        """The words that look like a case reference or a name, each once, in order."""
        found = [token for token in _REF_LIKE.findall(text) if looks_like_reference(token)]
        for match in _CAPITALISED.finditer(text):
            word = match.group(1)
            if word.casefold() in self._ordinary or _SENTENCE_START.search(text[:match.start()]):
                continue
            found.append(word)
        return list(dict.fromkeys(found))

    def seems_to_name(self, text: str) -> bool:
        return bool(self.suspicious(text))


def _ordinary_words(departments: Iterable[str], charter: Charter) -> frozenset[str]:
    """Departments, themes, levels, days and months in every language: capitalised, no name."""
    texts = list(departments)
    for theme in charter.themes:
        texts += [theme.label(lang) for lang in LANGUAGES]
    for level in charter.levels:
        texts += [level.label(lang) for lang in LANGUAGES]
    for lang in LANGUAGES:
        texts += [*get_day_names("wide", locale=lang).values(), *get_month_names("wide", locale=lang).values()]
    words = set(_PRONOUNS)
    for text in texts:
        words.update(w.casefold() for w in re.findall(r"\w[\w'’-]*", text))
    return frozenset(words)


__all__ = ["Naming", "looks_like_reference"]
