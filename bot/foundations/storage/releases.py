"""Counted periods and releases: written once, never changed, never removed (migration 18's
triggers refuse it).

A counted period holds the base cells of a month, a quarter or a year as they were on its counting
day; a release holds what was said about them (and about the month so far, and the network's
review flags). Both are sealed (zlib-compressed JSON), bound to their label. Releases carry a hash
chain over their plaintext bodies, in release order, so that a release changed or removed shows.
"""
from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import dataclass
from datetime import datetime

from bot.foundations import clock
from bot.foundations.crypto import Vault

from .database import Database


@dataclass(frozen=True)
class CountedPeriod:
    label: str
    kind: str
    first_day: str
    end_day: str
    counted_at: datetime
    k: int
    data: dict   # {"cells": {cell: n}, ...}: see bot/steering/releases/cells.py


@dataclass(frozen=True)
class StoredRelease:
    seq: int
    label: str
    kind: str
    year: int
    made_at: datetime
    body: dict   # figures_engine.Release.to_json()


def _pack(data: dict) -> bytes:
    return zlib.compress(json.dumps(data, separators=(",", ":"), sort_keys=True).encode(), 6)


def _unpack(raw: bytes) -> dict:
    return json.loads(zlib.decompress(raw))


class ReleaseRepository:
    def __init__(self, db: Database, vault: Vault) -> None:
        self.db = db
        self.vault = vault

    # Counted periods -------------------------------------------------------------------------

    def _period(self, row) -> CountedPeriod:
        data = _unpack(self.vault.open_bytes("figure_periods", "cells", row["label"], row["cells_enc"]))
        return CountedPeriod(row["label"], row["kind"], row["first_day"], row["end_day"],
                             clock.parse(row["counted_at"]), row["k"], data)

    async def add_period(self, label: str, kind: str, first_day: str, end_day: str, counted_at: datetime, k: int,
                         data: dict) -> bool:
        """False when the period was counted already (then nothing changes)."""
        sealed = self.vault.seal("figure_periods", "cells", label, _pack(data))
        return 1 == await self.db.execute(
            "INSERT INTO figure_periods (label, kind, first_day, end_day, counted_at, k, cells_enc)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (label) DO NOTHING",
            (label, kind, first_day, end_day, clock.iso(counted_at), k, sealed))

    async def period(self, label: str) -> CountedPeriod | None:
        row = await self.db.fetchone("SELECT * FROM figure_periods WHERE label = ?", (label,))
        return None if row is None else self._period(row)

    async def periods(self, year: int | None = None) -> list[CountedPeriod]:
        """The counted periods (of one calendar year), oldest first."""
        if year is None:
            rows = await self.db.fetchall("SELECT * FROM figure_periods ORDER BY first_day, end_day DESC")
        else:
            rows = await self.db.fetchall(
                "SELECT * FROM figure_periods WHERE first_day >= ? AND first_day < ? ORDER BY first_day, end_day DESC",
                (f"{year:04d}-01-01", f"{year + 1:04d}-01-01"))
        return [self._period(row) for row in rows]

    async def counted_at(self, kind: str) -> dict[str, datetime]:
        """label -> when it was counted, for every counted period of a kind (nothing opened)."""
        rows = await self.db.fetchall("SELECT label, counted_at FROM figure_periods WHERE kind = ?", (kind,))
        return {r[0]: clock.parse(r[1]) for r in rows}

    async def counted(self) -> set[str]:
        """The labels of every counted period."""
        return {r[0] for r in await self.db.fetchall("SELECT label FROM figure_periods")}

    # Releases --------------------------------------------------------------------------------

    def _release(self, row) -> StoredRelease:
        body = _unpack(self.vault.open_bytes("releases", "body", row["label"], row["body_enc"]))
        return StoredRelease(row["seq"], row["label"], row["kind"], row["year"], clock.parse(row["made_at"]), body)

    async def add(self, body: dict, made_at: datetime) -> bool:
        """Store a release at the end of the chain; False when one with its label exists already."""
        label = body["label"]
        if await self.db.fetchval("SELECT 1 FROM releases WHERE label = ?", (label,)):
            return False
        plain = _pack(body)
        previous = await self.db.fetchval("SELECT chain FROM releases ORDER BY seq DESC LIMIT 1") or b""
        chain = hashlib.sha256(bytes(previous) + plain).digest()
        return 1 == await self.db.execute(
            "INSERT INTO releases (label, kind, year, made_at, k, body_enc, chain) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (label, body["kind"], body["year"], clock.iso(made_at), body["k"],
             self.vault.seal("releases", "body", label, plain), chain))

    async def get(self, label: str) -> StoredRelease | None:
        row = await self.db.fetchone("SELECT * FROM releases WHERE label = ?", (label,))
        return None if row is None else self._release(row)

    async def of_year(self, year: int) -> list[StoredRelease]:
        """Every release about one calendar year, in release order."""
        rows = await self.db.fetchall("SELECT * FROM releases WHERE year = ? ORDER BY seq", (year,))
        return [self._release(row) for row in rows]

    async def labels(self, kind: str | None = None, *, like: str = "%") -> list[str]:
        """The labels released (of one kind, LIKE a pattern), in release order."""
        if kind is None:
            rows = await self.db.fetchall("SELECT label FROM releases WHERE label LIKE ? ORDER BY seq", (like,))
        else:
            rows = await self.db.fetchall("SELECT label FROM releases WHERE kind = ? AND label LIKE ? ORDER BY seq",
                                          (kind, like))
        return [r[0] for r in rows]

    async def newest(self, like: str) -> str | None:
        """The newest released period whose label is LIKE `like` ('%-Q_' for quarters)."""
        return await self.db.fetchval(
            "SELECT label FROM releases WHERE kind = 'period' AND label LIKE ? ORDER BY label DESC LIMIT 1", (like,))

    async def statements(self, label: str, keys: list[str]) -> tuple[dict[str, tuple[str, int, int | None]], dict]:
        """Some statements of one release, {key: (kind, low, high)}, and what it says beside them;
        for readers below the steering layer (/quality), which need no more of a release."""
        found = await self.get(label)
        if found is None:
            return {}, {}
        wanted = set(keys)
        return ({f["key"]: tuple(f["st"]) for f in found.body["figures"] if f["key"] in wanted},
                dict(found.body.get("extra", {})))

    async def years(self) -> list[int]:
        return [r[0] for r in await self.db.fetchall("SELECT DISTINCT year FROM releases ORDER BY year")]

    async def chain_intact(self) -> bool:
        """Does every release's chain follow from the one before and its own body?"""
        previous = b""
        for row in await self.db.fetchall("SELECT label, body_enc, chain FROM releases ORDER BY seq"):
            plain = self.vault.open_bytes("releases", "body", row["label"], row["body_enc"])
            if hashlib.sha256(previous + plain).digest() != bytes(row["chain"]):
                return False
            previous = bytes(row["chain"])
        return True
