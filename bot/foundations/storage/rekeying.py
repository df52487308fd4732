"""Key rotation, the storage half: re-sealing every sealed value and re-keying the id hashes.

Each step is a short transaction of at most `limit` rows, guarded by the value it read, so a
rotation killed at any point leaves every value whole, sealed with either the old or the new
key version; run again, it goes on where it stopped. The target version is a `meta` row
(`rotation`) from the start until the last value carries it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from bot.foundations.crypto import DecryptionError, Vault

from .database import Database
from .inbox import sender_of
from .sealed import SEALED_COLUMNS, SealedColumn

ROTATION_KEY = "rotation"


@dataclass
class Rehashed:
    """Id hashes looked at in one step: re-keyed now, and those that could not be proved."""

    last_id: int
    seen: int = 0
    rekeyed: int = 0
    unproven: int = 0


def _sealed_rows(column: SealedColumn) -> str:
    only = f" AND {column.only}" if column.only else ""
    return f"{column.stored} IS NOT NULL AND length({column.stored}) > 0{only}"


class Rekeying:
    def __init__(self, db: Database, vault: Vault) -> None:
        self.db = db
        self.vault = vault  # active version: the one values are re-sealed with

    # The rotation's own record ------------------------------------------------------------

    async def target(self) -> int | None:
        """The version an unfinished rotation goes to, or None."""
        value = await self.db.fetchval("SELECT value FROM meta WHERE key = ?", (ROTATION_KEY,))
        return None if value is None else int(bytes(value).decode())

    async def begin(self, version: int) -> None:
        await self.db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (ROTATION_KEY, str(version).encode()))

    async def finish(self) -> None:
        await self.db.execute("DELETE FROM meta WHERE key = ?", (ROTATION_KEY,))

    # Sealed values --------------------------------------------------------------------------

    async def versions_in_use(self) -> dict[int, int]:
        """How many sealed values each key version holds, over every sealed column."""
        counts: dict[int, int] = {}
        for column in SEALED_COLUMNS:
            rows = await self.db.fetchall(
                f"SELECT hex(substr({column.stored}, 1, 1)) AS h, COUNT(*) AS n FROM {column.table}"
                f" WHERE {_sealed_rows(column)} GROUP BY h")
            for row in rows:
                version = int(row["h"], 16)
                counts[version] = counts.get(version, 0) + row["n"]
        return dict(sorted(counts.items()))

    async def left(self) -> int:
        """Sealed values not yet sealed with the active version."""
        return sum(n for version, n in (await self.versions_in_use()).items() if version != self.vault.key_version)

    async def reseal(self, column: SealedColumn, after: int, limit: int) -> tuple[int, int, int]:
        """Re-seal up to `limit` values of `column` after rowid `after` with the active version,
        in one transaction; returns (last rowid looked at, rows looked at, rows re-sealed)."""
        version = bytes([self.vault.key_version])
        done = 0
        async with self.db.transaction():
            rows = await self.db.fetchall(
                f"SELECT rowid AS rid, {column.row_key} AS row_key, {column.stored} AS sealed FROM {column.table}"
                f" WHERE rowid > ? AND {_sealed_rows(column)} AND substr({column.stored}, 1, 1) != ?"
                " ORDER BY rowid LIMIT ?", (after, version, limit))
            for row in rows:
                plain = self.vault.open_bytes(column.table, column.name, row["row_key"], row["sealed"])
                done += await self.db.execute(
                    f"UPDATE {column.table} SET {column.stored} = ? WHERE rowid = ? AND {column.stored} = ?",
                    (self.vault.seal(column.table, column.name, row["row_key"], plain), row["rid"], row["sealed"]))
        return (rows[-1]["rid"] if rows else after), len(rows), done

    # Keyed hashes of Telegram ids -------------------------------------------------------------

    def _rekey(self, stored: bytes, user_id: int) -> bytes | None:
        """The hash under the active version when `stored` is proved to be this id's hash under
        another version held; None when it is current already or cannot be proved."""
        new = self.vault.user_hash(user_id)
        if stored == new:
            return None
        if any(stored == self.vault.user_hash(user_id, v) for v in self.vault.versions):
            return new
        raise LookupError

    async def rehash_people(self, after: int, limit: int) -> Rehashed:
        """people.user_hash: in a private chat the chat id is the user id, and the chat id is
        sealed beside the hash, so the hash can be recomputed, after proving it matches."""
        step = Rehashed(after)
        async with self.db.transaction():
            rows = await self.db.fetchall(
                "SELECT id, user_hash, chat_id_enc FROM people WHERE id > ? ORDER BY id LIMIT ?", (after, limit))
            for row in rows:
                step.seen, step.last_id = step.seen + 1, row["id"]
                try:
                    chat_id = int(self.vault.open("people", "chat_id", row["id"], row["chat_id_enc"]))
                    new = self._rekey(row["user_hash"], chat_id)
                except (LookupError, ValueError, DecryptionError):
                    step.unproven += 1  # re-keyed when the person next writes (PeopleRepository.find)
                    continue
                if new is not None:
                    step.rekeyed += await self.db.execute(
                        "UPDATE people SET user_hash = ? WHERE id = ? AND user_hash = ?", (new, row["id"], row["user_hash"]))
        return step

    async def rehash_inbox(self, after: int, limit: int) -> Rehashed:
        """inbox.sender of updates still waiting: the sender's id is in the sealed update."""
        step = Rehashed(after)
        async with self.db.transaction():
            rows = await self.db.fetchall(
                "SELECT id, update_id, sender, payload_enc FROM inbox WHERE id > ? AND state = 'pending'"
                " AND sender IS NOT NULL AND payload_enc IS NOT NULL ORDER BY id LIMIT ?", (after, limit))
            for row in rows:
                step.seen, step.last_id = step.seen + 1, row["id"]
                try:
                    update = json.loads(self.vault.open("inbox", "payload", row["update_id"], row["payload_enc"]))
                    new = self._rekey(row["sender"], int(sender_of(update)))
                except (LookupError, ValueError, TypeError, DecryptionError):
                    step.unproven += 1
                    continue
                if new is not None:
                    step.rekeyed += await self.db.execute(
                        "UPDATE inbox SET sender = ? WHERE id = ? AND sender = ?", (new, row["id"], row["sender"]))
        return step
