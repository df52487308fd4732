"""The erasure log: who asked to be forgotten (a keyed hash) and when, for as long as a copy made
before may be restored. A restore erases them again in the copy it puts in place."""
from __future__ import annotations

from dataclasses import dataclass

from .database import Database


@dataclass(frozen=True)
class Erased:
    user_hash: bytes   # HMAC of the Telegram id under key version `key_version`
    key_version: int
    day: str


class ErasureLog:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(self, entry: Erased) -> None:
        await self.db.execute("INSERT INTO erasures (user_hash, key_version, day) VALUES (?, ?, ?)",
                              (entry.user_hash, entry.key_version, entry.day))

    async def entries(self) -> list[Erased]:
        rows = await self.db.fetchall("SELECT user_hash, key_version, day FROM erasures ORDER BY id")
        return [Erased(bytes(r[0]), r[1], r[2]) for r in rows]

    async def add_missing(self, entries: list[Erased]) -> int:
        """Entries another copy of the database knew: each kept once."""
        known = set(await self.entries())
        new = [e for e in entries if e not in known]
        await self.db.executemany("INSERT INTO erasures (user_hash, key_version, day) VALUES (?, ?, ?)",
                                  [(e.user_hash, e.key_version, e.day) for e in new])
        return len(new)

    async def forget_before(self, day: str) -> int:
        return await self.db.execute("DELETE FROM erasures WHERE day < ?", (day,))
