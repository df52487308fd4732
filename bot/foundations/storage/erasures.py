"""The erasure log: the random tag of each person who asked to be forgotten, and the day, for as
long as a copy made before may be restored. A restore erases them again in the copy it puts in
place. A tag links to nobody in the live database (the person's row is gone, and the tag was
random); only a copy that still holds the person holds the same tag."""
from __future__ import annotations

from dataclasses import dataclass

from .database import Database


@dataclass(frozen=True)
class Erased:
    tag: bytes   # people.erasure_tag of the person erased
    day: str


class ErasureLog:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(self, entry: Erased) -> None:
        await self.db.execute("INSERT INTO erasures (tag, day) VALUES (?, ?)", (entry.tag, entry.day))

    async def entries(self) -> list[Erased]:
        rows = await self.db.fetchall("SELECT tag, day FROM erasures ORDER BY id")
        return [Erased(bytes(r[0]), r[1]) for r in rows]

    async def add_missing(self, entries: list[Erased]) -> int:
        """Entries another copy of the database knew: each kept once."""
        known = set(await self.entries())
        new = [e for e in entries if e not in known]
        await self.db.executemany("INSERT INTO erasures (tag, day) VALUES (?, ?)", [(e.tag, e.day) for e in new])
        return len(new)

    async def forget_before(self, day: str) -> int:
        return await self.db.execute("DELETE FROM erasures WHERE day < ?", (day,))
