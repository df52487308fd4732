"""The audit trail: who did what to which case, and when. Never text, never a requester."""
from __future__ import annotations

from bot.foundations import clock
from bot.foundations.model import AuditEntry

from .database import Database

ACTOR_ROLES = ("member", "coordinator", "requester", "system")


class AuditRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(self, actor_role: str, actor_id: int | None, action: str, ref: str | None = None) -> None:
        if actor_role not in ACTOR_ROLES:
            raise ValueError(actor_role)
        if actor_role == "requester":
            actor_id = None  # the trail never names a requester
        await self.db.execute(
            "INSERT INTO audit_log (actor_role, actor_id, action, request_ref, at) VALUES (?, ?, ?, ?, ?)",
            (actor_role, actor_id, action, ref, self.db.calendar.day()),
        )

    async def counts(self, first_day: str, end_day: str) -> dict[str, int]:
        """Actions per kind on the days first_day <= day < end_day."""
        rows = await self.db.fetchall(
            "SELECT action, COUNT(*) FROM audit_log WHERE at >= ? AND at < ? GROUP BY action ORDER BY action",
            (first_day, end_day),
        )
        return {r[0]: r[1] for r in rows}

    async def recent(self, end_day: str, limit: int = 20) -> list[AuditEntry]:
        """The latest entries of the days before end_day, newest first."""
        rows = await self.db.fetchall(
            "SELECT actor_role, actor_id, action, request_ref, at FROM audit_log WHERE at < ? ORDER BY id DESC LIMIT ?",
            (end_day, limit),
        )
        return [AuditEntry(r[0], r[1], r[2], r[3], clock.parse(r[4])) for r in rows]
