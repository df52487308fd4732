"""Small facts about the installation itself (the key check, when a warning last went out)."""
from __future__ import annotations

from .database import Database

# A known text sealed with the active key version: opening it proves a key fits this database,
# and its first byte says which key version is active.
KEY_CHECK_NAME = "key_check"
KEY_CHECK = b"waakzaam key check"


class MetaRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def has_table(self) -> bool:
        return bool(await self.db.fetchval(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"))

    async def get(self, key: str) -> bytes | None:
        return await self.db.fetchval("SELECT value FROM meta WHERE key = ?", (key,))

    async def put(self, key: str, value: bytes) -> None:
        await self.db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    async def add(self, key: str, value: bytes) -> bool:
        """Store a value once; False when the key had one already."""
        return 1 == await self.db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", (key, value))

    async def counts(self) -> dict[str, int]:
        """Counts for the start-up log line (never content): people, listeners, open requests,
        updates and deliveries waiting."""
        row = await self.db.fetchone(
            "SELECT (SELECT COUNT(*) FROM people) AS people,"
            " (SELECT COUNT(*) FROM members WHERE left_at IS NULL AND profile_complete = 1) AS listeners,"
            " (SELECT COUNT(*) FROM requests WHERE state IN ('new', 'offered', 'claimed', 'contacted')) AS open_requests,"
            " (SELECT COUNT(*) FROM inbox WHERE state = 'pending') AS inbox_pending,"
            " (SELECT COUNT(*) FROM outbox WHERE state = 'pending') AS outbox_pending")
        return dict(row)
