"""The network's own meetings: the case discussion and intervision."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.foundations import clock

from .database import Database


@dataclass(frozen=True)
class Meeting:
    id: int
    kind: str   # case_discussion, intervision
    at: datetime


class MeetingRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def plan(self, kind: str, at: datetime, created_by: int) -> int:
        return await self.db.insert("INSERT INTO meetings (kind, at, created_by) VALUES (?, ?, ?)",
                                    (kind, clock.iso(at), created_by))

    async def upcoming(self, now: datetime) -> list[Meeting]:
        rows = await self.db.fetchall(
            "SELECT id, kind, at FROM meetings WHERE cancelled = 0 AND at >= ? ORDER BY at", (clock.iso(now),))
        return [Meeting(r[0], r[1], clock.parse(r[2])) for r in rows]

    async def cancel(self, meeting_id: int) -> bool:
        return 1 == await self.db.execute("UPDATE meetings SET cancelled = 1 WHERE id = ? AND cancelled = 0",
                                          (meeting_id,))

    async def due_reminders(self, until: datetime, now: datetime) -> list[Meeting]:
        """Meetings still ahead that start before `until` and were not reminded of yet."""
        rows = await self.db.fetchall(
            "SELECT id, kind, at FROM meetings WHERE reminded_at IS NULL AND cancelled = 0 AND at <= ? AND at > ?"
            " ORDER BY at", (clock.iso(until), clock.iso(now)))
        return [Meeting(r[0], r[1], clock.parse(r[2])) for r in rows]

    async def mark_reminded(self, meeting_id: int) -> bool:
        return 1 == await self.db.execute(
            "UPDATE meetings SET reminded_at = ? WHERE id = ? AND reminded_at IS NULL",
            (clock.iso(clock.now()), meeting_id))
