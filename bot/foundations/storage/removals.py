"""Removing a coordinator takes two coordinators: the first proposes, a second agrees."""
from __future__ import annotations

from dataclasses import dataclass

from .database import Database


@dataclass(frozen=True)
class Removal:
    id: int
    person_id: int
    role: str
    proposed_by: int | None
    state: str


class RemovalRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def propose(self, person_id: int, role: str, proposed_by: int) -> Removal | None:
        """A new proposal; None when one is open for this person and role already."""
        new_id = await self.db.insert(
            "INSERT INTO removals (person_id, role, proposed_by, created_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING", (person_id, role, proposed_by, self.db.calendar.day()))
        return None if new_id is None else await self.get(new_id)

    async def get(self, removal_id: int) -> Removal | None:
        row = await self.db.fetchone(
            "SELECT id, person_id, role, proposed_by, state FROM removals WHERE id = ?", (removal_id,))
        return None if row is None else Removal(*row)

    async def settle(self, removal_id: int, state: str) -> bool:
        """Close an open proposal as done, declined or withdrawn; False when it was settled before."""
        return 1 == await self.db.execute(
            "UPDATE removals SET state = ? WHERE id = ? AND state = 'proposed'", (state, removal_id))

    async def withdraw_for(self, person_id: int) -> int:
        return await self.db.execute(
            "UPDATE removals SET state = 'withdrawn' WHERE state = 'proposed' AND (person_id = ? OR proposed_by = ?)",
            (person_id, person_id))
