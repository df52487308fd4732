"""Removing a coordinator takes two coordinators and time: the first proposes, a second agrees,
and the removal takes effect at a moment the sweep reads; until then another coordinator can
stop it (bot/network/two_person.py says why)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.foundations import clock

from .database import Database

OPEN = ("proposed", "agreed")


@dataclass(frozen=True)
class Removal:
    id: int
    person_id: int
    role: str
    proposed_by: int | None
    decided_by: int | None   # the second coordinator, who agreed or said no
    stopped_by: int | None
    state: str               # proposed, agreed, done, declined, stopped or withdrawn
    takes_effect_at: datetime | None


_SELECT = "SELECT id, person_id, role, proposed_by, decided_by, stopped_by, state, takes_effect_at FROM removals"


def _removal(row) -> Removal:
    return Removal(*row[:7], clock.parse(row[7]) if row[7] else None)


class RemovalRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def propose(self, person_id: int, role: str, proposed_by: int) -> Removal | None:
        """A new proposal; None when one is open (proposed or agreed) for this person and role already."""
        new_id = await self.db.insert(
            "INSERT INTO removals (person_id, role, proposed_by, created_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING", (person_id, role, proposed_by, self.db.calendar.day()))
        return None if new_id is None else await self.get(new_id)

    async def get(self, removal_id: int) -> Removal | None:
        row = await self.db.fetchone(f"{_SELECT} WHERE id = ?", (removal_id,))
        return None if row is None else _removal(row)

    async def agree(self, removal_id: int, by: int, takes_effect_at: datetime) -> bool:
        """A second coordinator agrees: the removal waits for its moment; False when answered before."""
        return 1 == await self.db.execute(
            "UPDATE removals SET state = 'agreed', decided_by = ?, takes_effect_at = ? WHERE id = ? AND state = 'proposed'",
            (by, clock.iso(takes_effect_at), removal_id))

    async def decline(self, removal_id: int, by: int) -> bool:
        return 1 == await self.db.execute(
            "UPDATE removals SET state = 'declined', decided_by = ? WHERE id = ? AND state = 'proposed'",
            (by, removal_id))

    async def stop(self, removal_id: int, by: int) -> bool:
        """Another coordinator stops an agreed removal before it takes effect."""
        return 1 == await self.db.execute(
            "UPDATE removals SET state = 'stopped', stopped_by = ?, takes_effect_at = NULL"
            " WHERE id = ? AND state = 'agreed'", (by, removal_id))

    async def settle(self, removal_id: int, state: str) -> bool:
        """Close an open removal as done or withdrawn; False when it was settled before."""
        return 1 == await self.db.execute(
            "UPDATE removals SET state = ? WHERE id = ? AND state IN ('proposed', 'agreed')", (state, removal_id))

    async def due(self, now: datetime) -> list[Removal]:
        """Agreed removals whose moment has come, oldest first."""
        rows = await self.db.fetchall(
            f"{_SELECT} WHERE state = 'agreed' AND takes_effect_at <= ? ORDER BY takes_effect_at, id",
            (clock.iso(now),))
        return [_removal(r) for r in rows]

    async def withdraw_for(self, person_id: int, role: str) -> list[Removal]:
        """Someone's role ended: open removals of them in that role lapse, and so do those a
        coordinator proposed or agreed to when it is their coordinator role that ended. Returns the
        lapsed removals that had been agreed (the coordinators were told of those)."""
        where = "state IN ('proposed', 'agreed') AND ((person_id = ? AND role = ?)"
        params: tuple = (person_id, role)
        if role == "coordinator":
            where += " OR proposed_by = ? OR decided_by = ?"
            params += (person_id, person_id)
        where += ")"
        rows = await self.db.fetchall(f"{_SELECT} WHERE {where}", params)
        await self.db.execute(f"UPDATE removals SET state = 'withdrawn' WHERE {where}", params)
        return [r for r in map(_removal, rows) if r.state == "agreed"]
