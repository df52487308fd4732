"""The persisted outbox: what the bot must deliver, until Telegram has it.

A row is written in the same transaction as the change that causes it, so a
crash between "claimed" and "told the requester" cannot lose the message.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from .. import clock
from ..crypto import Vault
from ..model import Payload
from .database import Database
from .sealed import insert_sealed

@dataclass(frozen=True)
class Delivery:
    id: int
    person_id: int
    request_id: int | None
    message_id: int | None
    edit_of_message: int | None  # Telegram message id to edit instead of sending
    attempts: int
    payload: Payload
    sealed: bytes  # as read: lets mark_sent notice a rewrite made while this was in flight


class OutboxRepository:
    def __init__(self, db: Database, vault: Vault) -> None:
        self.db = db
        self.vault = vault

    async def enqueue(
        self,
        person_id: int,
        payload: Payload,
        *,
        request_id: int | None = None,
        message_id: int | None = None,
        edit_of: int | None = None,
    ) -> int:
        now = clock.iso(clock.now())
        return await insert_sealed(
            self.db, self.vault, "outbox",
            {"person_id": person_id, "request_id": request_id, "message_id": message_id, "edit_of": edit_of,
             "not_before": now, "created_at": now},
            {"payload": payload.dumps()},
        )

    async def replace_or_edit(self, outbox_id: int, person_id: int, payload: Payload) -> None:
        """Change a message: rewrite it while unsent, else queue an edit of the sent one."""
        async with self.db.transaction():
            changed = await self.db.execute(
                "UPDATE outbox SET payload_enc = ? WHERE id = ? AND state = 'pending'",
                (self.vault.seal("outbox", "payload", outbox_id, payload.dumps()), outbox_id),
            )
            if not changed:
                await self.enqueue(person_id, payload, edit_of=outbox_id)

    async def due(self, limit: int = 50) -> list[Delivery]:
        rows = await self.db.fetchall(
            "SELECT o.*, e.telegram_message_id AS edit_target, e.state AS edit_state FROM outbox o"
            " LEFT JOIN outbox e ON e.id = o.edit_of"
            " WHERE o.state = 'pending' AND o.not_before <= ? ORDER BY o.id LIMIT ?",
            (clock.iso(clock.now()), limit),
        )
        deliveries = []
        for row in rows:
            if row["edit_of"] is not None and row["edit_state"] != "sent":
                # The original never reached Telegram: nothing to edit.
                await self.finish(row["id"], "cancelled")
                continue
            payload = Payload.loads(self.vault.open("outbox", "payload", row["id"], row["payload_enc"]))
            deliveries.append(
                Delivery(
                    row["id"], row["person_id"], row["request_id"], row["message_id"],
                    row["edit_target"], row["attempts"], payload, row["payload_enc"],
                )
            )
        return deliveries

    async def mark_sent(self, delivery: Delivery, telegram_message_id: int | None) -> None:
        # The payload is no longer needed once Telegram has the message.
        async with self.db.transaction():
            current = await self.db.fetchval(
                "SELECT payload_enc FROM outbox WHERE id = ?", (delivery.id,)
            )
            await self.db.execute(
                "UPDATE outbox SET state = 'sent', sent_at = ?, telegram_message_id = ?,"
                " payload_enc = x'' WHERE id = ?",
                (clock.iso(clock.now()), telegram_message_id, delivery.id),
            )
            if current and current != delivery.sealed:
                # Rewritten while the old text was on its way: edit what was sent.
                newer = Payload.loads(self.vault.open("outbox", "payload", delivery.id, current))
                await self.enqueue(delivery.person_id, newer, edit_of=delivery.id)

    async def retry_later(self, outbox_id: int, delay: timedelta) -> None:
        await self.db.execute(
            "UPDATE outbox SET attempts = attempts + 1, not_before = ? WHERE id = ?",
            (clock.iso(clock.now() + delay), outbox_id),
        )

    async def finish(self, outbox_id: int, state: str) -> None:
        """End a delivery that will not be made: 'blocked', 'failed' or 'cancelled'."""
        await self.db.execute(
            "UPDATE outbox SET state = ?, payload_enc = x'' WHERE id = ?", (state, outbox_id)
        )

    async def request_of_sent(self, person_id: int, telegram_message_id: int) -> int | None:
        """The request a delivered message belonged to: how a reply finds its case."""
        return await self.db.fetchval(
            "SELECT request_id FROM outbox WHERE person_id = ? AND telegram_message_id = ?"
            " AND request_id IS NOT NULL",
            (person_id, telegram_message_id),
        )
