"""The organisation's charter data: member charter, emergency numbers, referrals, themes,
and the formal and informal routes the law offers.

The files in ``charter/`` are edited by the organisation, not by developers. Everything is
validated once at start-up so that a typo stops the bot with a message that names the file,
the entry and the fix, instead of failing in front of a colleague in difficulty.
"""

from __future__ import annotations

import copyreg
import hashlib
import re
import tomllib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, NoReturn

from .i18n import LANGUAGES

THEME_GROUPS = ("domain", "manifestation", "theme")
DEFAULT_FOLDER = Path(__file__).resolve().parents[2] / "charter"
MAX_CHARTER_CHARS = 3500
MAX_KEY_CHARS = 24
MIN_URGENCY_CHARS = 4  # shorter entries would match inside ordinary sentences
PLACEHOLDER_PREFIX = "TODO"  # contact still to be filled in by the coordinator

_LANG_NAMES = {"nl": "Dutch", "fr": "French", "en": "English"}


def _read_only(data: dict) -> MappingProxyType:
    return MappingProxyType(data)


# The charter's read-only mappings pickle as the dicts they show, so that a charter can be handed
# to a child process (bot/foundations/offload.py), which draws charts with its labels.
copyreg.pickle(MappingProxyType, lambda proxy: (_read_only, (dict(proxy),)))
_KEY_RE = re.compile(r"[a-z][a-z0-9_]*")
_COUNTRY_RE = re.compile(r"ALL|[A-Z]{2}")
_APOSTROPHES = dict.fromkeys(map(ord, "'’‘`´ʼ"))


class CharterError(Exception):
    """A charter file is missing or wrong. The message says where and how to fix it."""

    def __init__(self, file: Path | str, entry: str | None, problem: str, fix: str):
        self.file = Path(file)
        self.entry = entry
        where = f"{self.file}, {entry}" if entry else str(self.file)
        super().__init__(f"{where}: {problem}. Fix: {fix}.")


def _check_lang(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}, expected one of {LANGUAGES}")
    return lang


class _Labelled:
    labels: Mapping[str, str]

    def label(self, lang: str) -> str:
        return self.labels[_check_lang(lang)]


@dataclass(frozen=True)
class EmergencyLine(_Labelled):
    key: str
    country: str  # "ALL" or a two-letter country code
    number: str
    labels: Mapping[str, str] = field(hash=False, repr=False)
    languages: tuple[str, ...] = ()  # empty: the line serves every language

    def serves(self, lang: str) -> bool:
        _check_lang(lang)
        return not self.languages or lang in self.languages


@dataclass(frozen=True)
class Referral:
    key: str
    names: Mapping[str, str] = field(hash=False, repr=False)
    contacts: Mapping[str, str] = field(hash=False, repr=False)
    when_to_use_texts: Mapping[str, str] = field(hash=False, repr=False)
    shows_emergency: bool = False  # the bot also shows the emergency lines

    def name(self, lang: str) -> str:
        return self.names[_check_lang(lang)]

    def contact(self, lang: str) -> str:
        return self.contacts[_check_lang(lang)]

    def when_to_use(self, lang: str) -> str:
        return self.when_to_use_texts[_check_lang(lang)]

    @property
    def incomplete(self) -> bool:
        """The contact is still a placeholder and must not be shown to colleagues."""
        return any(c.startswith(PLACEHOLDER_PREFIX) for c in self.contacts.values())


@dataclass(frozen=True)
class Route:
    """A route under the law on psychosocial risks, to pass on when a case touches its themes."""
    key: str
    names: Mapping[str, str] = field(hash=False, repr=False)
    texts: Mapping[str, str] = field(hash=False, repr=False)
    referral: str | None = None  # the directory entry with the contact, if any

    def name(self, lang: str) -> str:
        return self.names[_check_lang(lang)]

    def text(self, lang: str) -> str:
        return self.texts[_check_lang(lang)]


@dataclass(frozen=True)
class Theme(_Labelled):
    group: str  # one of THEME_GROUPS
    key: str
    labels: Mapping[str, str] = field(hash=False, repr=False)
    # A risk the employer can influence (004:140-151). Private-life themes are counted apart
    # in the steering group's figures.
    work_related: bool = True


@dataclass(frozen=True)
class Level(_Labelled):
    key: str
    labels: Mapping[str, str] = field(hash=False, repr=False)


def normalise(text: str) -> str:
    """Lower case, no accents, no apostrophes, punctuation and runs of spaces as one space.

    Used on both the urgency words and the message, so "Zelfmoord!", "SUÏCIDE" and
    "I dont" match "zelfmoord", "suicide" and "I don't".
    """
    # Apostrophes first: NFKD would turn "´" into a space.
    text = unicodedata.normalize("NFKD", text.casefold().translate(_APOSTROPHES))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.findall(r"[^\W_]+", text))


class Charter:
    """Validated charter data. Build it with :meth:`Charter.load`."""

    def __init__(
        self,
        folder: Path,
        texts: Mapping[str, str],
        emergency: tuple[EmergencyLine, ...],
        referrals: tuple[Referral, ...],
        themes: tuple[Theme, ...],
        levels: tuple[Level, ...],
        urgency: Mapping[str, tuple[str, ...]],
        routes: tuple[Route, ...] = (),
        route_themes: frozenset[str] = frozenset(),
    ):
        self.folder = folder
        self._texts = MappingProxyType(dict(texts))
        self.emergency = emergency
        self.referrals = referrals
        self.themes = themes
        self.levels = levels
        self._urgency = MappingProxyType(dict(urgency))
        self.routes = routes
        self.route_themes = route_themes
        self._referral_by_key = {r.key: r for r in referrals}
        self._theme_by_key = {t.key: t for t in themes}
        self._level_by_key = {lv.key: lv for lv in levels}
        # One regex over every language: a Dutch speaker may well write in English.
        self._urgent_re = re.compile(
            "|".join(_urgency_pattern(w) for words in urgency.values() for w in words)
        )
        digest = hashlib.sha256("\0".join(self._texts[lang] for lang in LANGUAGES).encode())
        self.charter_version = digest.hexdigest()[:12]

    @classmethod
    def load(cls, folder: Path | None = None) -> Charter:
        folder = Path(folder) if folder is not None else DEFAULT_FOLDER
        referrals = _load_referrals(folder / "referrals.toml")
        themes = _load_themes(folder / "themes.toml")
        return cls(
            folder=folder,
            texts={lang: _load_text(folder / f"charter.{lang}.txt") for lang in LANGUAGES},
            emergency=_load_emergency(folder / "emergency.toml"),
            referrals=referrals,
            urgency=_load_urgency(folder / "urgency.toml"),
            **themes,
            **_load_routes(folder / "routes.toml", {t.key for t in themes["themes"]}, {r.key for r in referrals}),
        )

    def charter_text(self, lang: str) -> str:
        return self._texts[_check_lang(lang)]

    def emergency_lines(self, countries: Sequence[str], lang: str) -> list[EmergencyLine]:
        """Lines for "ALL" then each country in the given order, in file order within each.

        Lines restricted to other languages are left out, unless no line of that country
        speaks ``lang``: then all of them are shown, because a line in another language
        is better than none for someone in danger.
        """
        _check_lang(lang)
        if isinstance(countries, str):
            countries = (countries,)
        result: list[EmergencyLine] = []
        for country in dict.fromkeys(["ALL", *(c.upper() for c in countries)]):
            lines = [line for line in self.emergency if line.country == country]
            result += [line for line in lines if line.serves(lang)] or lines
        return result

    def referral(self, key: str) -> Referral | None:
        return self._referral_by_key.get(key)

    def theme(self, key: str) -> Theme | None:
        return self._theme_by_key.get(key)

    def themes_in(self, group: str) -> tuple[Theme, ...]:
        if group not in THEME_GROUPS:
            raise ValueError(f"unknown theme group {group!r}, expected one of {THEME_GROUPS}")
        return tuple(t for t in self.themes if t.group == group)

    def level(self, key: str) -> Level | None:
        return self._level_by_key.get(key)

    def routes_for(self, themes: frozenset[str] | set[str]) -> tuple[Route, ...]:
        """The routes to pass on for a case with these themes: all of them, or none."""
        return self.routes if self.route_themes & set(themes) else ()

    @property
    def work_themes(self) -> tuple[Theme, ...]:
        """Themes the employer can influence: what the steering group's theme figures count."""
        return tuple(t for t in self.themes if t.work_related)

    @property
    def private_themes(self) -> tuple[Theme, ...]:
        """Private-life themes: counted apart."""
        return tuple(t for t in self.themes if not t.work_related)

    def urgency_words(self, lang: str) -> tuple[str, ...]:
        return self._urgency[_check_lang(lang)]

    def looks_urgent(self, text: str) -> bool:
        return self._urgent_re.search(normalise(text)) is not None


# --- loading and validation -------------------------------------------------------------


def _urgency_pattern(word: str) -> str:
    stem = word.endswith("*")
    core = re.escape(normalise(word.rstrip("*")))
    # Whole words only, so "me tuer" does not fire inside "comme tuer".
    return rf"\b{core}" + ("" if stem else r"\b")


def _load_text(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise CharterError(path, None, "file is missing", f"create {path.name} with the text") from None
    except UnicodeDecodeError:
        raise CharterError(path, None, "file is not UTF-8 text", "save it as UTF-8") from None
    if not text:
        raise CharterError(path, None, "the charter text is empty", "write the text in this file")
    if len(text) > MAX_CHARTER_CHARS:
        raise CharterError(
            path, None, f"the charter text has {len(text)} characters, more than {MAX_CHARTER_CHARS}",
            "shorten it so that it stays readable on a phone",
        )
    return text


def _read_toml(path: Path, allowed: set[str]) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise CharterError(path, None, "file is missing", f"restore {path.name} in {path.parent}") from None
    except UnicodeDecodeError:
        raise CharterError(path, None, "file is not UTF-8 text", "save it as UTF-8") from None
    except tomllib.TOMLDecodeError as e:
        raise CharterError(
            path, None, f"this is not valid TOML ({e})",
            "correct the line shown; texts need straight double quotes and each key may appear once",
        ) from None
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise CharterError(
            path, None, f"unknown section(s) {', '.join(unknown)}",
            f"use only {', '.join(sorted(allowed))} (check the spelling)",
        )
    return data


class _Entry:
    """One [[table]] block, with helpers that raise a CharterError naming it."""

    def __init__(self, path: Path, table: str, number: int, data: Any, keys: dict[str, str]):
        self.path, self.data, self._keys = path, data, keys
        self.where = f"[[{table}]] #{number}"
        if not isinstance(data, dict):
            self.fail("is not a table", f"write it as a [[{table}]] block")
        if isinstance(data.get("key"), str):
            self.where += f' (key = "{data["key"]}")'

    def fail(self, problem: str, fix: str) -> NoReturn:
        raise CharterError(self.path, self.where, problem, fix)

    def check_fields(self, required: set[str], optional: set[str] = frozenset()) -> None:
        for name in sorted(required - set(self.data)):
            self.fail(f"'{name}' is missing", f"add {name} to this entry")
        for name in sorted(set(self.data) - required - optional):
            self.fail(f"unknown field '{name}'", f"use only {', '.join(sorted(required | optional))}")

    def key(self) -> str:
        key = self.data["key"]
        if not isinstance(key, str) or not _KEY_RE.fullmatch(key) or len(key) > MAX_KEY_CHARS:
            self.fail(
                f"key {key!r} is not valid",
                f"use lowercase ASCII letters, digits and _ only, starting with a letter, "
                f"at most {MAX_KEY_CHARS} characters",
            )
        if key in self._keys:
            self.fail(f'key "{key}" is already used by {self._keys[key]}', "give each entry its own key")
        self._keys[key] = self.where
        return key

    def string(self, name: str) -> str:
        value = self.data[name]
        if not isinstance(value, str) or not value.strip():
            self.fail(f"'{name}' is empty or not text", f'write {name} = "..."')
        return value.strip()

    def texts(self, name: str, allow_single: bool = False) -> Mapping[str, str]:
        """A text in all three languages; ``allow_single`` accepts one text for all."""
        value = self.data[name]
        if allow_single and isinstance(value, str):
            value = dict.fromkeys(LANGUAGES, value)
        if not isinstance(value, dict):
            wanted = ", ".join(f"{name}.{lang}" for lang in LANGUAGES)
            self.fail(f"'{name}' must have a text per language", f"write {wanted}")
        for lang in sorted(set(value) - set(LANGUAGES)):
            self.fail(f"'{name}.{lang}' is not a supported language", f"use only {', '.join(LANGUAGES)}")
        for lang in LANGUAGES:
            text = value.get(lang)
            if not isinstance(text, str) or not text.strip():
                self.fail(
                    f"'{name}.{lang}' is missing or empty",
                    f'add {name}.{lang} = "..." with the {_LANG_NAMES[lang]} text',
                )
        return MappingProxyType({lang: value[lang].strip() for lang in LANGUAGES})


def _entries(path: Path, data: dict[str, Any], table: str, keys: dict[str, str]) -> list[_Entry]:
    items = data.get(table)
    if not isinstance(items, list) or not items:
        raise CharterError(
            path, None, f"there are no [[{table}]] entries", f"add at least one [[{table}]] block"
        )
    return [_Entry(path, table, n, item, keys) for n, item in enumerate(items, 1)]


def _load_emergency(path: Path) -> tuple[EmergencyLine, ...]:
    data, keys, lines = _read_toml(path, {"line"}), {}, []
    for e in _entries(path, data, "line", keys):
        e.check_fields({"key", "country", "number", "label"}, {"languages"})
        country = e.string("country")
        if not _COUNTRY_RE.fullmatch(country):
            e.fail(f"country {country!r} is not valid", 'use "ALL" or a capital two-letter code like "BE"')
        languages = e.data.get("languages", [])
        if "languages" in e.data and (
            not isinstance(languages, list)
            or not languages
            or not all(isinstance(lang, str) and lang in LANGUAGES for lang in languages)
        ):
            e.fail(
                f"languages {languages!r} is not valid",
                f"list some of {', '.join(LANGUAGES)}, or remove it when the line serves everyone",
            )
        lines.append(EmergencyLine(
            key=e.key(), country=country, number=e.string("number"),
            labels=e.texts("label"), languages=tuple(dict.fromkeys(languages)),
        ))
    return tuple(lines)


def _load_referrals(path: Path) -> tuple[Referral, ...]:
    data, keys, referrals = _read_toml(path, {"referral"}), {}, []
    for e in _entries(path, data, "referral", keys):
        e.check_fields({"key", "name", "contact", "when_to_use"}, {"shows_emergency"})
        shows_emergency = e.data.get("shows_emergency", False)
        if not isinstance(shows_emergency, bool):
            e.fail("shows_emergency must be true or false", "write shows_emergency = true (no quotes)")
        referrals.append(Referral(
            key=e.key(), names=e.texts("name"), contacts=e.texts("contact", allow_single=True),
            when_to_use_texts=e.texts("when_to_use"), shows_emergency=shows_emergency,
        ))
    return tuple(referrals)


def _load_themes(path: Path) -> dict[str, Any]:
    data = _read_toml(path, {*THEME_GROUPS, "level"})
    keys: dict[str, str] = {}  # one namespace for the whole file, so a key says one thing
    themes = []
    for group in THEME_GROUPS:
        for e in _entries(path, data, group, keys):
            e.check_fields({"key", "label", "work_related"})
            work_related = e.data["work_related"]
            if not isinstance(work_related, bool):
                e.fail("work_related must be true or false",
                       "write work_related = true for a risk the employer can influence, false for private "
                       "life (no quotes)")
            themes.append(Theme(group=group, key=e.key(), labels=e.texts("label"), work_related=work_related))
    levels = []
    for e in _entries(path, data, "level", keys):
        e.check_fields({"key", "label"})
        levels.append(Level(key=e.key(), labels=e.texts("label")))
    return {"themes": tuple(themes), "levels": tuple(levels)}


def _load_routes(path: Path, theme_keys: set[str], referral_keys: set[str]) -> dict[str, Any]:
    data, keys, routes = _read_toml(path, {"themes", "route"}), {}, []
    themes = data.get("themes")
    if not isinstance(themes, list) or not themes or not all(isinstance(k, str) for k in themes):
        raise CharterError(path, "themes", "the list of themes is missing or empty",
                           'write themes = ["violence", ...] with keys from themes.toml')
    for key in themes:
        if key not in theme_keys:
            raise CharterError(path, "themes", f'"{key}" is not a key in themes.toml', "use a key from themes.toml")
    for e in _entries(path, data, "route", keys):
        e.check_fields({"key", "name", "text"}, {"referral"})
        referral = e.string("referral") if "referral" in e.data else None
        if referral is not None and referral not in referral_keys:
            e.fail(f'referral "{referral}" is not in referrals.toml', "use a key from referrals.toml, or remove it")
        routes.append(Route(key=e.key(), names=e.texts("name"), texts=e.texts("text"), referral=referral))
    return {"routes": tuple(routes), "route_themes": frozenset(themes)}


def _load_urgency(path: Path) -> dict[str, tuple[str, ...]]:
    data = _read_toml(path, set(LANGUAGES))
    urgency = {}
    for lang in LANGUAGES:
        words = data.get(lang)
        if not isinstance(words, list) or not words:
            raise CharterError(
                path, lang, "the word list is missing or empty",
                f'add {lang} = ["...", ...] with {_LANG_NAMES[lang]} phrases',
            )
        seen: set[str] = set()
        for word in words:
            where = f"{lang}: {word!r}"
            if not isinstance(word, str) or "*" in word.rstrip("*") or word.count("*") > 1:
                raise CharterError(
                    path, where, "entry is not valid", "write a quoted phrase; * is only allowed at the end"
                )
            core = normalise(word.rstrip("*"))
            if len(core) < MIN_URGENCY_CHARS:
                raise CharterError(
                    path, where, f"entry is shorter than {MIN_URGENCY_CHARS} letters",
                    "use a longer, more specific phrase to avoid false alarms",
                )
            if core in seen:
                raise CharterError(
                    path, where, "entry appears twice (ignoring case and accents)", "remove the duplicate"
                )
            seen.add(core)
        urgency[lang] = tuple(w.strip() for w in words)
    return urgency
