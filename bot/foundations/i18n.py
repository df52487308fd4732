"""The translation layer: gettext catalogs (nl, fr, en) read with Babel.

Source strings are English msgids with `{named}` placeholders. Catalogs are read
straight from the .po files at start-up, so a fresh clone needs no compile step.
"""
from __future__ import annotations

from datetime import date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

LANGUAGES = ("nl", "fr", "en")
LOCALES_DIR = Path(__file__).resolve().parent / "locales"
DOMAIN = "waakzaam"


def N_(message: str) -> str:
    """Marks a string for extraction where it is translated later (labels, tables)."""
    return message


@cache
def catalog(lang: str) -> Catalog:
    with open(LOCALES_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po", "rb") as handle:
        return read_po(handle, locale=lang)


@cache
def _table(lang: str) -> dict[str, str]:
    return {m.id: m.string for m in catalog(lang) if m.id and isinstance(m.id, str) and m.string}


def pick_language(telegram_code: str | None, default: str) -> str:
    """The user's Telegram language when we speak it, else the configured default."""
    code = (telegram_code or "").split("-")[0].lower()
    return code if code in LANGUAGES else default


class Translator:
    __slots__ = ("lang",)

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else "en"

    def __call__(self, message: str, **values: object) -> str:
        text = _table(self.lang).get(message, message)
        return text.format(**values) if values else text

    def when(self, moment: datetime, tz: ZoneInfo) -> str:
        """A deadline as people read it, in the organisation's time zone."""
        return format_datetime(moment, "EEE d MMM HH:mm", tzinfo=tz, locale=self.lang)

    def language_name(self, code: str) -> str:
        """A language as this reader names it in running text: 'Dutch', 'néerlandais', 'Nederlands'."""
        return Locale.parse(self.lang).languages.get(code, code)

    def day(self, moment: date | datetime, *, short: bool = False) -> str:
        """A day as people read it (what is kept of times that must not be exact); `short` for a
        button, where the weekday and the year would not fit."""
        return format_date(moment if isinstance(moment, date) and not isinstance(moment, datetime)
                           else moment.date(), "d MMM" if short else "EEE d MMM y", locale=self.lang)
