""""Something is wrong in my team": a signal without a conversation (department, themes, a level;
never free text). It counts, never alone, in the steering group's digest beside the signals from
conversations, with the same suppression. Each account counts once: a new signal replaces its
earlier one, so a burst is one signal.
"""
from __future__ import annotations

from datetime import timedelta

from bot.foundations import clock
from bot.foundations.charter import Theme
from bot.foundations.core import Core
from bot.foundations.crypto import Vault
from bot.foundations.model import Person, Result

THEME_GROUPS = ("manifestation", "theme")  # what people see and bring; the legal domains are for listeners


def dedupe_keys(vault: Vault, person_id: int) -> list[bytes]:
    """Keyed hashes that find this account's signal, under every key version held (the active one
    first), so a key rotation does not reopen the door. Without the key they link nothing."""
    seed = f"team-signal:{person_id}"
    active = vault.code_hash(seed)
    return [active, *(h for h in vault.code_hashes(seed) if h != active)]


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
        new = await core.team_signals.put(dedupe_keys(core.vault, person.id), departments[department_index],
                                          themes, level)
        if not new:
            await core.db.checkpoint()  # the signal it replaced is gone from the files at once
        return Result.OK, not new

    async def sent(self, person: Person) -> bool:
        """Has this account a signal (a send handled again after a crash)?"""
        return await self.core.team_signals.exists(dedupe_keys(self.core.vault, person.id))

    async def forget_old(self) -> int:
        """Signals older than the trend (12 months by default) count nowhere: they go."""
        months = self.core.settings.trend_months
        return await self.core.team_signals.delete_before(self.core.calendar.day(clock.now() - timedelta(days=31 * months)))


__all__ = ["TeamSignals", "dedupe_keys"]
