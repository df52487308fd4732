"""Who is on call for urgent requests, week by week, and the rota that asks them in turn."""
from __future__ import annotations

from dataclasses import dataclass

from .database import Database


@dataclass(frozen=True)
class Duty:
    id: int
    week: str       # ISO week, "2026-W48"
    member_id: int
    state: str      # asked, accepted, declined, withdrawn


class OnCallRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def ask(self, week: str, member_id: int, asked_by: int | None) -> Duty | None:
        """A new request to be on call; None when this listener was asked for that week already."""
        new_id = await self.db.insert(
            "INSERT INTO oncall (week, member_id, asked_by, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (week, member_id, asked_by, self.db.calendar.day()))
        return None if new_id is None else await self.get(new_id)

    async def was_asked(self, week: str, member_id: int) -> bool:
        """Asked for that week before, whatever the answer (a rota never asks twice)."""
        return bool(await self.db.fetchval(
            "SELECT 1 FROM oncall WHERE week = ? AND member_id = ? LIMIT 1", (week, member_id)))

    async def get(self, duty_id: int) -> Duty | None:
        row = await self.db.fetchone("SELECT id, week, member_id, state FROM oncall WHERE id = ?", (duty_id,))
        return None if row is None else Duty(*row)

    async def settle(self, duty_id: int, state: str, only_if: str = "asked") -> bool:
        return 1 == await self.db.execute(
            "UPDATE oncall SET state = ? WHERE id = ? AND state = ?", (state, duty_id, only_if))

    async def of_weeks(self, weeks: list[str]) -> list[Duty]:
        if not weeks:
            return []
        marks = ", ".join("?" * len(weeks))
        rows = await self.db.fetchall(
            f"SELECT id, week, member_id, state FROM oncall WHERE week IN ({marks}) AND state IN ('asked', 'accepted')"
            " ORDER BY week, id", weeks)
        return [Duty(*r) for r in rows]

    async def accepted(self, week: str) -> Duty | None:
        row = await self.db.fetchone(
            "SELECT id, week, member_id, state FROM oncall WHERE week = ? AND state = 'accepted'", (week,))
        return None if row is None else Duty(*row)

    async def open_for(self, member_id: int, from_week: str) -> list[Duty]:
        rows = await self.db.fetchall(
            "SELECT id, week, member_id, state FROM oncall WHERE member_id = ? AND week >= ?"
            " AND state IN ('asked', 'accepted') ORDER BY week", (member_id, from_week))
        return [Duty(*r) for r in rows]

    async def rota(self) -> list[int]:
        return [r[0] for r in await self.db.fetchall("SELECT member_id FROM rota ORDER BY position")]

    async def set_rota(self, member_ids: list[int]) -> None:
        async with self.db.transaction():
            await self.db.execute("DELETE FROM rota")
            for position, member_id in enumerate(member_ids):
                await self.db.execute("INSERT INTO rota (position, member_id) VALUES (?, ?)", (position, member_id))

    async def last_asked_from_rota(self) -> int | None:
        """The listener most recently asked for a week (where the rota goes on from)."""
        return await self.db.fetchval(
            "SELECT member_id FROM oncall WHERE member_id IN (SELECT member_id FROM rota) ORDER BY week DESC, id DESC LIMIT 1")
