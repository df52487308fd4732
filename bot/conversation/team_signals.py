""""Something is wrong in my team": a signal without a conversation (department, themes, a level;
never free text). It counts, never alone, in the figures of each closed quarter beside the
conversations, shown from k+1 so that one person's own signal is taken off first. Each account
counts once per quarter: a new signal replaces its earlier one of the same quarter, so a burst is
one signal, and one account moves a figure by at most one per quarter. A signal in a new quarter
leaves last quarter's as it was; once a quarter is counted, its signals are deleted (the counted
figures keep what was released).
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from bot.foundations import clock
from bot.foundations.calendar import parse_period, quarter_of
from bot.foundations.charter import Theme
from bot.foundations.core import Core
from bot.foundations.crypto import Vault
from bot.foundations.model import Person, Result

THEME_GROUPS = ("manifestation", "theme")  # what people see and bring; the legal domains are for listeners


def dedupe_keys(vault: Vault, person_id: int, quarter: str) -> list[bytes]:
    """Keyed hashes that find this account's signal of one quarter ('2026-Q3'), under every key
    version held (the active one first), so a key rotation does not reopen the door. Without the
    key they link nothing."""
    seed = f"team-signal:{person_id}:{quarter}"
    active = vault.code_hash(seed)
    return [active, *(h for h in vault.code_hashes(seed) if h != active)]


def every_key(vault: Vault, person_id: int, quarters: Iterable[str]) -> list[bytes]:
    """This account's keys for each of the quarters (to erase all its signals)."""
    return [key for quarter in quarters for key in dedupe_keys(vault, person_id, quarter)]


class TeamSignals:
    def __init__(self, core: Core) -> None:
        self.core = core

    def themes(self) -> list[Theme]:
        """What a signal may name: the work-related manifestations and themes people bring."""
        charter = self.core.charter
        return [t for group in THEME_GROUPS for t in charter.themes_in(group) if t.work_related]

    async def record(self, person: Person, department_index: int | None, themes: list[str], level: str | None
                     ) -> tuple[Result, bool]:
        """(result, replaced): replaced when this account's earlier signal made way."""
        core = self.core
        departments = core.settings.departments
        if department_index is None or not 0 <= department_index < len(departments):
            return Result.INVALID, False  # a signal without a department says nothing about where
        allowed = {t.key for t in self.themes()}
        if not themes:
            return Result.EMPTY, False
        if any(key not in allowed for key in themes) or level is None or core.charter.level(level) is None:
            return Result.UNKNOWN, False
        quarter = quarter_of(core.calendar.today()).label
        new = await core.team_signals.put(dedupe_keys(core.vault, person.id, quarter), departments[department_index],
                                          themes, level)
        if not new:
            await core.db.checkpoint()  # the signal it replaced is gone from the files at once
        return Result.OK, not new

    async def sent(self, person: Person) -> bool:
        """Has this account a signal (a send handled again after a crash)?"""
        quarter = quarter_of(self.core.calendar.today()).label
        return await self.core.team_signals.exists(dedupe_keys(self.core.vault, person.id, quarter))

    async def forget(self, person_id: int) -> bool:
        """Delete every signal of this account, whatever its quarter (/forget)."""
        core = self.core
        first = await core.team_signals.first_day()
        if first is None:
            return False
        quarters, day = [], quarter_of(date.fromisoformat(first))
        while day.start <= core.calendar.today():
            quarters.append(day.label)
            day = day.next()
        return await core.team_signals.delete(every_key(core.vault, person_id, quarters))

    async def forget_old(self) -> int:
        """Signals of a counted quarter count nowhere any more (the quarter's figures keep what was
        released): they go. Without any counted quarter, those older than 400 days."""
        counted = await self.core.releases.counted_at("quarter")
        ends = [parse_period(label).end for label in counted]
        cutoff = max(ends) if ends else self.core.calendar.date_of(clock.now() - timedelta(days=400))
        return await self.core.team_signals.delete_before(cutoff.isoformat())


__all__ = ["TeamSignals", "dedupe_keys", "every_key"]
