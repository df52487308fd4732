"""The steering group's digests: one row per week, written with its deliveries.

What a digest published is sealed (digests.published, bound to its week); the figures ledger
and the departments that stood alone stay readable, because they hold nothing the request
columns do not already show.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from bot.foundations import clock
from bot.foundations.crypto import Vault

from .database import Database


@dataclass(frozen=True)
class StoredDigest:
    week: str
    slot_at: datetime
    made_at: datetime
    late: bool
    ledger: dict
    separate: list[str]
    published: dict


class DigestRepository:
    def __init__(self, db: Database, vault: Vault) -> None:
        self.db = db
        self.vault = vault

    def _digest(self, row) -> StoredDigest:
        published = json.loads(self.vault.open("digests", "published", row["week"], row["published_enc"]))
        return StoredDigest(row["week"], clock.parse(row["slot_at"]), clock.parse(row["made_at"]), bool(row["late"]),
                            json.loads(row["ledger"]), json.loads(row["separate"]), published)

    async def exists(self, week: str) -> bool:
        return bool(await self.db.fetchval("SELECT 1 FROM digests WHERE week = ?", (week,)))

    async def get(self, week: str) -> StoredDigest | None:
        row = await self.db.fetchone("SELECT * FROM digests WHERE week = ?", (week,))
        return None if row is None else self._digest(row)

    async def latest(self, before: str | None = None) -> StoredDigest | None:
        """The newest digest, or the newest one before the week `before` (ISO week labels sort)."""
        if before is None:
            row = await self.db.fetchone("SELECT * FROM digests ORDER BY week DESC LIMIT 1")
        else:
            row = await self.db.fetchone("SELECT * FROM digests WHERE week < ? ORDER BY week DESC LIMIT 1",
                                         (before,))
        return None if row is None else self._digest(row)

    async def newest_week(self) -> str | None:
        return await self.db.fetchval("SELECT MAX(week) FROM digests")

    async def add(self, week: str, *, slot_at: datetime, made_at: datetime, late: bool, ledger: dict,
                  separate: list[str], published: dict, recipients: int) -> bool:
        """Record the week's digest; False when it exists already (then nothing may be sent)."""
        sealed = self.vault.seal("digests", "published", week, json.dumps(published, separators=(",", ":")))
        return 1 == await self.db.execute(
            "INSERT INTO digests (week, slot_at, made_at, late, ledger, separate, published_enc, recipients)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (week) DO NOTHING",
            (week, clock.iso(slot_at), clock.iso(made_at), int(late), json.dumps(ledger, separators=(",", ":")),
             json.dumps(sorted(separate)), sealed, recipients))
