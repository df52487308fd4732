"""Small facts about the installation itself (the key check, when a warning last went out)."""
from __future__ import annotations

from .database import Database


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
