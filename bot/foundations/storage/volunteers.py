"""Employees who would like to become listeners, and what employees chose to hear about."""
from __future__ import annotations

from dataclasses import dataclass

from bot.foundations.crypto import Vault

from .database import Database


@dataclass(frozen=True)
class Volunteer:
    person_id: int
    name: str
    state: str  # waiting, invited, declined


class VolunteerRepository:
    def __init__(self, db: Database, vault: Vault) -> None:
        self.db = db
        self.vault = vault

    async def offer(self, person_id: int, name: str) -> None:
        await self.db.execute(
            "INSERT INTO volunteers (person_id, name_enc, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT (person_id) DO UPDATE SET name_enc = excluded.name_enc, state = 'waiting',"
            " created_at = excluded.created_at",
            (person_id, self.vault.seal("volunteers", "name", person_id, name), self.db.calendar.day()))

    async def get(self, person_id: int) -> Volunteer | None:
        row = await self.db.fetchone("SELECT person_id, name_enc, state FROM volunteers WHERE person_id = ?",
                                     (person_id,))
        if row is None:
            return None
        return Volunteer(row[0], self.vault.open("volunteers", "name", row[0], row[1]), row[2])

    async def settle(self, person_id: int, state: str) -> bool:
        return 1 == await self.db.execute(
            "UPDATE volunteers SET state = ? WHERE person_id = ? AND state = 'waiting'", (state, person_id))

    async def forget(self, person_id: int) -> None:
        await self.db.execute("DELETE FROM volunteers WHERE person_id = ?", (person_id,))
        await self.db.execute("DELETE FROM subscriptions WHERE person_id = ?", (person_id,))

    async def subscribe(self, person_id: int, topic: str, wanted: bool) -> None:
        if wanted:
            await self.db.execute("INSERT INTO subscriptions (person_id, topic) VALUES (?, ?) ON CONFLICT DO NOTHING",
                                  (person_id, topic))
        else:
            await self.db.execute("DELETE FROM subscriptions WHERE person_id = ? AND topic = ?", (person_id, topic))

    async def subscribed(self, person_id: int, topic: str) -> bool:
        return bool(await self.db.fetchval(
            "SELECT 1 FROM subscriptions WHERE person_id = ? AND topic = ?", (person_id, topic)))

    async def subscribers(self, topic: str) -> list[int]:
        return [r[0] for r in await self.db.fetchall(
            "SELECT person_id FROM subscriptions WHERE topic = ? ORDER BY person_id", (topic,))]
