"""Does a text seem to name someone? A careful guess, to warn before a name is kept.

Used wherever the bot asks people not to name anyone: a concern about a colleague (the
colleague is warned, the listener reminded not to note the name) and a listener's suggestion
to the steering group (warned before a coordinator sees it). It looks for a case reference, a
name of someone in the network, and a capitalised word in the middle of a sentence that is not
a department, a theme, a level, a day or a month. It can miss a name and flag a word that is
none: it warns, it never blocks.
"""
from __future__ import annotations

import re

from babel.dates import get_day_names, get_month_names

from .core import Core
from .i18n import LANGUAGES
from .storage.members import CODE_ALPHABET

_REF_LIKE = re.compile(r"\b[A-Za-z0-9]{5}\b")
_CAPITALISED = re.compile(r"(?<![\w'’-])([A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ'’-]+)")
_SENTENCE_START = re.compile(r"(^|[.!?:;\n•\-–“\"(]\s*)$")
# Words a sentence capitalises anywhere in the bot's languages.
_PRONOUNS = {"i", "ik", "je", "jij", "u", "il", "elle", "on", "hr", "rh", "ict", "it"}


class Naming:
    def __init__(self, core: Core) -> None:
        self.core = core
        self._ordinary: set[str] | None = None

    async def suspicious(self, text: str) -> list[str]:
        """The words that look like a case reference or a name, each once, in order."""
        found: list[str] = []
        for token in _REF_LIKE.findall(text):
            upper = token.upper()
            if all(c in CODE_ALPHABET for c in upper) and (
                    any(c.isdigit() for c in upper) or await self.core.requests.by_ref(upper) is not None):
                found.append(token)
        lowered = text.casefold()
        for name in await self._known_names():
            if re.search(rf"(?<!\w){re.escape(name.casefold())}(?!\w)", lowered):
                found.append(name)
        ordinary = self._ordinary_words()
        for match in _CAPITALISED.finditer(text):
            word = match.group(1)
            if word.casefold() in ordinary or _SENTENCE_START.search(text[:match.start()]):
                continue
            found.append(word)
        return list(dict.fromkeys(found))

    async def seems_to_name(self, text: str) -> bool:
        return bool(await self.suspicious(text))

    async def _known_names(self) -> set[str]:
        """Listeners' display names and the names coordinators and steering members gave."""
        names: set[str] = set()
        core = self.core
        for member in await core.members.active():
            if member.display_name:
                names.add(member.display_name)
                names.update(part for part in member.display_name.split() if len(part) >= 3)
        for role in ("coordinator", "steering"):
            for person_id in await core.people.with_role(role):
                if name := await core.people.name(person_id):
                    names.add(name)
                    names.update(part for part in name.split() if len(part) >= 3)
        return names

    def _ordinary_words(self) -> set[str]:
        """Departments, themes, levels, days and months in every language: capitalised, no name."""
        if self._ordinary is None:
            texts = list(self.core.settings.departments)
            for theme in self.core.charter.themes:
                texts += [theme.label(lang) for lang in LANGUAGES]
            for level in self.core.charter.levels:
                texts += [level.label(lang) for lang in LANGUAGES]
            for lang in LANGUAGES:
                texts += [*get_day_names("wide", locale=lang).values(), *get_month_names("wide", locale=lang).values()]
            words = set(_PRONOUNS)
            for text in texts:
                words.update(w.casefold() for w in re.findall(r"\w[\w'’-]*", text))
            self._ordinary = words
        return self._ordinary


__all__ = ["Naming"]
