"""The durable inbox: updates as Telegram sent them, stored before Telegram is told they
arrived, handled once each in the order they came."""
from __future__ import annotations

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
    attempts: int


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

    async def take_next(self) -> Received | None:
        """Take the oldest update that is due and has no earlier one from the same person still
        waiting (each person's updates keep their order; nobody waits behind someone else's
        retry), counting the attempt: one statement, committed before the update is handled.

        The commit needs no fsync of its own (storage/database.py): lost in a power cut, the
        attempt is counted again; the count guards against an update that kills the process,
        which loses nothing of it."""
        async with self.db.transaction(durable=False):
            row = await self.db.fetchone(
                "UPDATE inbox SET attempts = attempts + 1 WHERE id = (SELECT id FROM inbox i"
                " WHERE state = 'pending' AND not_before <= ? AND NOT EXISTS (SELECT 1 FROM inbox e"
                "  WHERE e.state = 'pending' AND e.sender IS i.sender AND e.id < i.id)"
                " ORDER BY id LIMIT 1) RETURNING id, update_id, payload_enc, attempts",
                (clock.iso(clock.now()),),
            )
        if row is None:
            return None
        payload = self.vault.open("inbox", "payload", row["update_id"], row["payload_enc"])
        return Received(row["id"], row["update_id"], payload, row["attempts"] - 1)

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
