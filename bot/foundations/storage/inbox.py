"""The durable inbox: updates as Telegram sent them, stored before Telegram is told they
arrived, handled once each in the order they came."""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.foundations import clock
from bot.foundations.crypto import Vault

from .database import Database


@dataclass(frozen=True)
class Received:
    id: int          # the origin key of whatever handling this update creates
    update_id: int
    payload: str     # the update's JSON
    attempts: int    # before this one
    sender: bytes | None = None  # who sent it (a keyed hash): each person's updates keep their order


def sender_of(update: dict) -> int | None:
    """The Telegram id of who sent an update (as Telegram's JSON), if any."""
    for kind in ("message", "edited_message", "callback_query", "my_chat_member"):
        if kind in update:
            return (update[kind].get("from") or {}).get("id")
    return None


class InboxRepository:
    def __init__(self, db: Database, vault: Vault) -> None:
        self.db = db
        self.vault = vault

    async def record(self, update_id: int, sender: int | None, payload: str) -> bool:
        """Store an update; False when it was stored before (Telegram sent it again). The caller's
        transaction is durable: Telegram is told the update arrived only after it commits."""
        now = clock.iso(clock.now())
        return 1 == await self.db.execute(
            "INSERT INTO inbox (update_id, sender, payload_enc, not_before, received_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (update_id) DO NOTHING",
            (update_id, None if sender is None else self.vault.user_hash(sender),
             self.vault.seal("inbox", "payload", update_id, payload), now, now),
        )

    async def take(self, limit: int) -> tuple[list[Received], bool]:
        """Take up to `limit` updates that are due, oldest first, counting the attempt of each:
        committed before they are handled. Each person's updates keep their order: nobody's is
        taken while an earlier one of theirs waits to be tried again (and nobody waits behind
        someone else's retry). An update tried before (it may have stopped the process) is
        taken alone, so that it cannot take others with it; the batch ends before one.

        The commit needs no fsync of its own (storage/database.py): lost in a power cut, the
        attempts are counted again; the count guards against an update that kills the process,
        which loses nothing of it. Also says whether more may be due now (the batch was cut)."""
        rows = await self.db.fetchall(  # a read: no transaction (and no commit) when nothing is due
            "SELECT id, attempts FROM inbox i WHERE state = 'pending' AND not_before <= ?1"
            " AND NOT EXISTS (SELECT 1 FROM inbox e WHERE e.state = 'pending' AND e.sender IS i.sender"
            "  AND e.id < i.id AND e.not_before > ?1)"
            " ORDER BY id LIMIT ?2",
            (clock.iso(clock.now()), limit))
        if not rows:
            return [], False
        chosen = [rows[0]["id"]]
        if rows[0]["attempts"] == 0:
            chosen += [row["id"] for row in itertools.takewhile(lambda row: row["attempts"] == 0, rows[1:])]
        more = len(rows) == limit or len(chosen) < len(rows)
        async with self.db.transaction(durable=False):
            taken = await self.db.fetchall(
                f"UPDATE inbox SET attempts = attempts + 1 WHERE id IN ({', '.join('?' * len(chosen))})"
                " AND state = 'pending' RETURNING id, update_id, sender, payload_enc, attempts", chosen)
        return sorted((Received(row["id"], row["update_id"],
                                self.vault.open("inbox", "payload", row["update_id"], row["payload_enc"]),
                                row["attempts"] - 1, row["sender"]) for row in taken), key=lambda r: r.id), more

    async def untake(self, inbox_ids: list[int]) -> None:
        """Taken but not handled (the batch ended before them): as if never taken."""
        if inbox_ids:
            await self.db.execute(
                f"UPDATE inbox SET attempts = attempts - 1 WHERE id IN ({', '.join('?' * len(inbox_ids))})"
                " AND attempts > 0", inbox_ids)

    async def done(self, inbox_id: int, state: str = "done") -> None:
        """Handled (or given up on), in the transaction of its handling: the content goes, the
        update id stays to recognise a resend."""
        day = self.db.calendar.day()
        await self.db.execute(
            "UPDATE inbox SET state = ?, payload_enc = NULL, sender = NULL, received_at = ?, not_before = ?"
            " WHERE id = ?", (state, day, day, inbox_id))

    async def unlink(self, sender: bytes) -> int:
        """A person is erased: nothing in the inbox points to them any more."""
        return await self.db.execute("UPDATE inbox SET sender = NULL WHERE sender = ?", (sender,))

    async def retry_later(self, inbox_id: int, delay: timedelta) -> None:
        async with self.db.transaction(durable=False):
            await self.db.execute(
                "UPDATE inbox SET not_before = ? WHERE id = ?", (clock.iso(clock.now() + delay), inbox_id))

    async def left_records(self, inbox_id: int) -> bool:
        """Did handling this update keep anything the person wrote (a message, draft, note, request)?"""
        return bool(await self.db.fetchval(
            "SELECT EXISTS (SELECT 1 FROM messages WHERE origin = ?1) OR EXISTS (SELECT 1 FROM drafts WHERE origin = ?1)"
            " OR EXISTS (SELECT 1 FROM case_notes WHERE origin = ?1) OR EXISTS (SELECT 1 FROM requests WHERE origin = ?1)",
            (inbox_id,)))

    async def health(self) -> dict[str, int]:
        """Counts for the health check: updates waiting, and how long the oldest due one waits."""
        now = clock.iso(clock.now())
        row = await self.db.fetchone(
            "SELECT COUNT(*) AS pending, MIN(CASE WHEN not_before <= ? THEN received_at END) AS oldest"
            " FROM inbox WHERE state = 'pending'", (now,))
        return {"pending": row["pending"], "oldest_due_seconds": _age(row["oldest"])}

    async def forget_handled(self, cutoff: datetime) -> int:
        """Telegram resends an unconfirmed update for a day at most: older ids can go."""
        return await self.db.execute(
            "DELETE FROM inbox WHERE state != 'pending' AND received_at < ?", (self.db.calendar.day(cutoff),))


def _age(iso: str | None) -> int:
    if not iso:
        return 0
    return max(0, int((clock.now() - datetime.fromisoformat(iso)).total_seconds()))
