"""Signals without a conversation: a department, themes and a level. No free text, no person."""
from __future__ import annotations

from .database import Database


class TeamSignalRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def put(self, dedupe: list[bytes], department: str, themes: list[str], level: str | None,
                  day: str | None = None) -> bool:
        """Store a signal under dedupe[0]; an earlier one under any of the dedupe keys (the same
        account) is replaced, so a burst counts once. True when it was new. `day`: today unless
        given (demonstrations and tests write history)."""
        marks = ", ".join("?" * len(dedupe))
        async with self.db.transaction():
            replaced = await self.db.execute(f"DELETE FROM team_signals WHERE dedupe IN ({marks})", dedupe)
            signal_id = await self.db.insert(
                "INSERT INTO team_signals (dedupe, department, level, created_at) VALUES (?, ?, ?, ?)",
                (dedupe[0], department, level, day or self.db.calendar.day()))
            for theme in sorted(set(themes)):
                await self.db.execute("INSERT INTO team_signal_themes (signal_id, theme) VALUES (?, ?)",
                                      (signal_id, theme))
            return not replaced

    async def exists(self, dedupe: list[bytes]) -> bool:
        marks = ", ".join("?" * len(dedupe))
        return await self.db.fetchval(f"SELECT 1 FROM team_signals WHERE dedupe IN ({marks})", dedupe) is not None

    async def delete(self, dedupe: list[bytes]) -> bool:
        marks = ", ".join("?" * len(dedupe))
        return bool(await self.db.execute(f"DELETE FROM team_signals WHERE dedupe IN ({marks})", dedupe))

    async def first_day(self) -> str | None:
        return await self.db.fetchval("SELECT MIN(created_at) FROM team_signals")

    async def delete_before(self, day: str) -> int:
        async with self.db.transaction():  # counted first: the DELETE's own count includes their themes
            signals = await self.db.fetchval("SELECT COUNT(*) FROM team_signals WHERE created_at < ?", (day,))
            await self.db.execute("DELETE FROM team_signals WHERE created_at < ?", (day,))
        return signals

    async def counts(self, first_day: str, end_day: str) -> dict[tuple[str, str], int]:
        """(department, theme) -> signals in the period (first_day <= day < end_day)."""
        rows = await self.db.fetchall(
            "SELECT s.department, t.theme, COUNT(*) FROM team_signals s JOIN team_signal_themes t"
            " ON t.signal_id = s.id WHERE s.created_at >= ? AND s.created_at < ? GROUP BY s.department, t.theme",
            (first_day, end_day))
        return {(r[0], r[1]): r[2] for r in rows}
