""""Something is wrong in my team": a signal without a conversation (department, themes, a level;
never free text). It counts, never alone, in the steering group's figures beside the signals from
conversations, with the same suppression. A burst from one account counts once per period.
"""
from __future__ import annotations

from datetime import date

from . import clock
from .core import Core
from .model import Person, Result

PERIOD_DAYS = 91  # the digest's 13-week window: one account, one signal per period


class TeamSignals:
    def __init__(self, core: Core) -> None:
        self.core = core

    def themes(self):
        """What a signal may name: the manifestations and the themes people bring."""
        charter = self.core.charter
        return [*charter.themes_in("manifestation"), *charter.themes_in("theme")]

    def _dedupe(self, person: Person) -> list[bytes]:
        """Keyed: the same account in the same period finds its earlier signal (under every key
        version held, so a key rotation does not reopen the door); without the key, nobody can
        tell whose it is or link two periods. The active version's hash comes first."""
        period = (clock.now().date() - date(2000, 1, 1)).days // PERIOD_DAYS
        seed = f"team-signal:{person.id}:{period}"
        vault = self.core.vault
        return [vault.code_hash(seed), *(h for h in vault.code_hashes(seed) if h != vault.code_hash(seed))]

    async def record(self, person: Person, department_index: int | None, themes: list[str], level: str | None
                     ) -> tuple[Result, bool]:
        """(result, replaced): replaced when this account's earlier signal of the period made way."""
        core = self.core
        departments = core.settings.departments
        if department_index is None or not 0 <= department_index < len(departments):
            return Result.INVALID, False  # a signal without a department says nothing about where
        allowed = {t.key for t in self.themes()}
        if not themes:
            return Result.EMPTY, False
        if any(key not in allowed for key in themes) or level is None or core.charter.level(level) is None:
            return Result.UNKNOWN, False
        new = await core.team_signals.put(self._dedupe(person), departments[department_index], themes, level)
        return Result.OK, not new

    async def sent(self, person: Person) -> bool:
        """Has this account a signal in the current period (a send handled again after a crash)?"""
        return await self.core.team_signals.exists(self._dedupe(person))
