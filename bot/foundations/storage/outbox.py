"""The persisted outbox: what the bot must deliver, until Telegram has it.

A row is written in the same transaction as the change that causes it, so a crash between
"claimed" and "told the requester" cannot lose the message. Before Telegram is called the row
is marked in flight (`sending_at`); a row found in flight after a crash may have reached
Telegram already, so it goes again marked as a possible repeat.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.foundations import clock
from bot.foundations.crypto import Vault
from bot.foundations.model import Payload
from bot.foundations.vocab import REPEAT_MARK

from .database import Database
from .sealed import insert_sealed, insert_sealed_many, next_ids


@dataclass(frozen=True)
class Delivery:
    id: int
    person_id: int
    request_id: int | None
    message_id: int | None
    edit_of_message: int | None  # Telegram message id to edit instead of sending
    attempts: int
    payload: Payload
    sealed: bytes  # as read: lets record_sent notice a rewrite made while this was in flight
    kind: str | None = None      # 'offer', 'reminder' or None: what to re-check before a late send
    offer_id: int | None = None
    possible_repeat: bool = False  # Telegram may have it already: a new message goes marked (an edit as it is)
    claimed: bool = False          # marked in flight already (when it was queued for sending at once)
    after_id: int | None = None    # goes only once this delivery was sent (a reaction after its message)
    after_sent: bool = True        # whether that one was sent (False: it is due in the same batch)
    chat_id: int | None = None     # where it goes (None: the person is gone)
    pressed: bool = False          # an edit of the message the person pressed (a direct answer)
    rewrites: int = 0              # the outbox's count of rewrites when this was read (see record_sent)

    @property
    def new_message(self) -> bool:
        """It shows as a new message in the chat (not an edit, a reaction, a press's answer, a menu)."""
        return self.edit_of_message is None and self.kind not in _NOT_MESSAGES


# Kinds that never show as a new message in the chat, so never hold back a later one.
_NOT_MESSAGES = ("reaction", "callback", "menu")


def _row(person_id: int, *, request_id: int | None = None, message_id: int | None = None,
         edit_of: int | None = None, kind: str | None = None, offer_id: int | None = None, sending: bool = False,
         after: int | None = None, origin: int | None = None, seq: int | None = None,
         edit_message: int | None = None) -> dict:
    """A new delivery's columns (its payload is sealed apart, bound to its id)."""
    now = clock.iso(clock.now())
    return {"person_id": person_id, "request_id": request_id, "message_id": message_id, "edit_of": edit_of,
            "not_before": now, "created_at": now, "kind": kind, "offer_id": offer_id,
            "sending_at": now if sending else None, "after_id": after, "origin": origin, "seq": seq,
            "edit_message": edit_message}


def _as_shown(text: str) -> str:
    """A text as the person's Telegram shows it, without a repeat marker's line: what a copy of
    the same message has in common with every other."""
    text = text.strip()
    if text.startswith(REPEAT_MARK):
        text = text.partition("\n")[2].strip()
    return text


@dataclass(frozen=True)
class Due:
    """One batch of deliveries that may go now; `more`: the batch was full, more may be due."""

    deliveries: list[Delivery]
    more: bool


BATCH = 50
_DIRECT = "'callback', 'answer'"  # the kinds of replies.py: said to the person acting
# The same, in SQL, for a table alias.
_NOT_A_MESSAGE = "COALESCE({0}.kind, '') IN (" + ", ".join(f"'{kind}'" for kind in _NOT_MESSAGES) + ")"


class OutboxRepository:
    def __init__(self, db: Database, vault: Vault) -> None:
        self.db = db
        self.vault = vault
        # Grows with every delivery queued (or queued again): lets the drain after an update
        # skip looking when the update queued nothing, or what it queued went out already.
        self.queued = 0
        # Grows with every payload rewritten while unsent (even in a transaction later undone):
        # the record of what went looks for a rewrite only when one was made since it was read.
        self.rewrites = 0

    async def enqueue(
        self,
        person_id: int,
        payload: Payload,
        *,
        request_id: int | None = None,
        message_id: int | None = None,
        edit_of: int | None = None,
        kind: str | None = None,
        offer_id: int | None = None,
        sending: bool = False,
        after: int | None = None,
        origin: int | None = None,
        seq: int | None = None,
        edit_message: int | None = None,
    ) -> int:
        """Queue a delivery. `sending`: it goes out right after this transaction, so it is marked
        in flight now (a crash before the send then shows it as a possible repeat: honest, and
        one commit fewer). `origin` and `seq`: said on behalf of that update (its inbox row), as
        the seq-th thing it said; the pair is unique. `edit_message`: edit this message of the
        person's chat (the one they pressed) rather than send a new one."""
        self.queued += 1
        return await insert_sealed(
            self.db, self.vault, "outbox",
            _row(person_id, request_id=request_id, message_id=message_id, edit_of=edit_of, kind=kind,
                 offer_id=offer_id, sending=sending, after=after, origin=origin, seq=seq,
                 edit_message=edit_message),
            {"payload": payload.dumps()},
        )

    async def enqueue_with_reaction(self, person_id: int, payload: Payload, *, request_id: int, message_id: int,
                                    author_id: int, reaction: Payload) -> int:
        """A relayed text, and the reaction on its author's message that says it arrived, which goes
        only after it: both queued in flight (see `enqueue`), in one statement. Returns the
        text's delivery."""
        async with self.db.one_write():
            relayed, _ = ids = await next_ids(self.db, "outbox", 2)
            await insert_sealed_many(self.db, self.vault, "outbox", [
                (_row(person_id, request_id=request_id, message_id=message_id, sending=True),
                 {"payload": payload.dumps()}),
                (_row(author_id, kind="reaction", after=relayed, sending=True), {"payload": reaction.dumps()}),
            ], ids=ids)
        self.queued += 2
        return relayed

    async def enqueue_said(self, origin: int, said: Sequence[tuple[int, Payload, str, int | None, int | None]]) -> None:
        """What an update said (person, payload, kind, message to edit, request), in order: keyed by
        the update's inbox row and that order, marked in flight (it goes right after this
        transaction). Two statements, however much was said. Should the same update be handled
        again after all, what it said under a key that is there already is not said again."""
        await insert_sealed_many(self.db, self.vault, "outbox", [
            (_row(person_id, request_id=request_id, kind=kind, sending=True, origin=origin, seq=seq,
                  edit_message=edit_message), {"payload": payload.dumps()})
            for seq, (person_id, payload, kind, edit_message, request_id) in enumerate(said)],
            on_conflict="ON CONFLICT (origin, seq) WHERE origin IS NOT NULL DO NOTHING")
        self.queued += len(said)

    async def rewrite(self, outbox_id: int, payload: Payload) -> bool:
        """Change what an unsent delivery says (False: it went, or is no longer pending)."""
        changed = await self.db.execute(
            "UPDATE outbox SET payload_enc = ? WHERE id = ? AND state = 'pending'",
            (self.vault.seal("outbox", "payload", outbox_id, payload.dumps()), outbox_id))
        self.rewrites += 1  # after it: a look at what is due made meanwhile read the old text
        return changed == 1

    async def replace_or_edit_many(self, changes: Sequence[tuple[int, int, Payload]]) -> None:
        """`replace_or_edit` for many messages (outbox id, person, new payload) at once, as when a
        claim retracts every other offer: three statements, whatever their number."""
        if not changes:
            return
        async with self.db.transaction():
            marks = ", ".join("?" * len(changes))
            rewritten = {row[0] for row in await self.db.fetchall(
                f"UPDATE outbox SET payload_enc = CASE id {' WHEN ? THEN ?' * len(changes)} END"
                f" WHERE id IN ({marks}) AND state = 'pending' RETURNING id",
                (*(value for outbox_id, _, payload in changes
                   for value in (outbox_id, self.vault.seal("outbox", "payload", outbox_id, payload.dumps()))),
                 *(outbox_id for outbox_id, _, _ in changes)))}
            self.rewrites += 1
            # As in replace_or_edit: each edit marked in flight at once.
            await insert_sealed_many(self.db, self.vault, "outbox", [
                (_row(person_id, edit_of=outbox_id, sending=True), {"payload": payload.dumps()})
                for outbox_id, person_id, payload in changes if outbox_id not in rewritten])
            self.queued += len(changes)

    async def replace_or_edit(self, outbox_id: int, person_id: int, payload: Payload) -> None:
        """Change a message: rewrite it while unsent, else queue an edit of the sent one. The edit
        is marked in flight at once: an edit made twice shows the same, so one found in flight
        after a crash simply goes (never marked as a repeat), and it needs no commit of its own
        before it goes."""
        async with self.db.transaction():
            if await self.rewrite(outbox_id, payload):
                self.queued += 1
            else:
                await self.enqueue(person_id, payload, edit_of=outbox_id, sending=True)

    async def due(self, limit: int = BATCH) -> Due:
        """What may go now, oldest first. A delivery that waits for another (`after_id`) is due
        once that one was sent, or in the same batch when that one is due too (it comes first,
        and the sender sends this one only if that one went). A person's new messages go in the
        order they were said: one that waits to be tried again holds back the later ones (a card
        never arrives before its header, a relayed text never before the one written earlier).
        What answers the person acting goes before what their update queued besides (the answer to
        a press first, so its spinner stops first; "welcome back" before the offers that wait)."""
        rewrites = self.rewrites  # before reading: a rewrite that lands meanwhile is looked for
        rows = await self.db.fetchall(
            "SELECT o.*, COALESCE(o.edit_message, e.telegram_message_id) AS edit_target, e.state AS edit_state,"
            " a.state AS after_state, p.chat_id_enc FROM outbox o LEFT JOIN outbox e ON e.id = o.edit_of"
            " LEFT JOIN outbox a ON a.id = o.after_id LEFT JOIN people p ON p.id = o.person_id"
            " WHERE o.state = 'pending' AND o.not_before <= ?1"
            " AND (a.id IS NULL OR a.state != 'pending' OR a.not_before <= ?1)"
            f" AND (o.edit_of IS NOT NULL OR o.edit_message IS NOT NULL OR {_NOT_A_MESSAGE.format('o')}"
            "  OR NOT EXISTS (SELECT 1 FROM outbox w WHERE w.state = 'pending' AND w.person_id = o.person_id"
            f"  AND w.id < o.id AND w.not_before > ?1 AND w.edit_of IS NULL AND w.edit_message IS NULL"
            f"  AND NOT {_NOT_A_MESSAGE.format('w')}))"
            f" ORDER BY COALESCE(o.kind, '') NOT IN ({_DIRECT}), o.id LIMIT ?2",
            (clock.iso(clock.now()), limit),
        )
        deliveries = []
        for row in rows:
            if row["edit_of"] is not None and row["edit_state"] != "sent":
                # The original never reached Telegram: nothing to edit.
                await self.finish(row["id"], "cancelled")
                continue
            if row["after_id"] is not None and row["after_state"] not in (None, "sent", "pending"):
                await self.finish(row["id"], "cancelled")  # what it waited for will not arrive
                continue
            payload = Payload.loads(self.vault.open("outbox", "payload", row["id"], row["payload_enc"]))
            chat_id = None
            if row["chat_id_enc"]:
                chat_id = int(self.vault.open("people", "chat_id", row["person_id"], row["chat_id_enc"]))
            deliveries.append(
                Delivery(
                    row["id"], row["person_id"], row["request_id"], row["message_id"],
                    row["edit_target"], row["attempts"], payload, row["payload_enc"],
                    row["kind"], row["offer_id"], bool(row["maybe_sent"]),
                    row["sending_at"] is not None, row["after_id"], row["after_state"] in (None, "sent"), chat_id,
                    row["edit_message"] is not None, rewrites,
                )
            )
        return Due(deliveries, more=len(rows) == limit)

    async def after_restart(self) -> int:
        """Deliveries in flight when the process stopped may have reached Telegram: they go again
        marked, and a message of a conversation keeps the fingerprint of what the person may have
        read already, so that a reply to that first copy still finds its conversation."""
        async with self.db.transaction():
            rows = await self.db.fetchall(
                "SELECT id, person_id, payload_enc FROM outbox WHERE state = 'pending' AND sending_at IS NOT NULL"
                " AND request_id IS NOT NULL AND edit_of IS NULL AND edit_message IS NULL"
                f" AND NOT {_NOT_A_MESSAGE.format('outbox')}")
            for row in rows:
                text = Payload.loads(self.vault.open("outbox", "payload", row["id"], row["payload_enc"])).text
                await self.db.execute("UPDATE outbox SET fingerprint = ? WHERE id = ?",
                                      (self.vault.copy_hash(row["person_id"], _as_shown(text)), row["id"]))
            return await self.db.execute(
                "UPDATE outbox SET maybe_sent = 1, sending_at = NULL WHERE state = 'pending' AND sending_at IS NOT NULL")

    async def mark_sending(self, outbox_ids: list[int]) -> None:
        """In flight from now: committed before Telegram is called."""
        if outbox_ids:
            await self.db.execute(
                f"UPDATE outbox SET sending_at = ?, attempts = attempts + 1 WHERE id IN ({', '.join('?' * len(outbox_ids))})",
                (clock.iso(clock.now()), *outbox_ids))

    async def unclaim(self, outbox_ids: list[int]) -> None:
        """Marked in flight but not tried after all (it waited for another that did not go)."""
        if outbox_ids:
            await self.db.execute(
                "UPDATE outbox SET sending_at = NULL, attempts = MAX(attempts - 1, 0)"
                f" WHERE id IN ({', '.join('?' * len(outbox_ids))})", outbox_ids)

    async def record_sent(self, sent: list[tuple[Delivery, int | None]]) -> None:
        """Telegram has them: in one commit, each payload goes and each relayed message counts as
        delivered. Not a durable commit of its own (see storage/database.py): should a power cut
        take this record, the deliveries are found in flight and go again, marked as possible
        repeats, exactly as after a crash just before it."""
        if not sent:
            return
        async with self.db.transaction(durable=False):  # inside a batch's record: a savepoint of it
            ids = [d.id for d, _ in sent]
            marks = ", ".join("?" * len(sent))
            # Rewritten while the old text was on its way? Only asked when a rewrite was made since.
            maybe = [d.id for d, _ in sent if d.rewrites != self.rewrites]
            current = {row["id"]: row["payload_enc"] for row in await self.db.fetchall(
                f"SELECT id, payload_enc FROM outbox WHERE id IN ({', '.join('?' * len(maybe))})", maybe)
            } if maybe else {}
            # Once sent, only the day is kept: exact times could be matched against other logs.
            # One statement for the batch, each row with its own Telegram message id.
            day = self.db.calendar.day()
            await self.db.execute(
                f"UPDATE outbox SET state = 'sent', telegram_message_id = CASE id {' WHEN ? THEN ?' * len(sent)} END,"
                f" payload_enc = x'', sending_at = NULL, created_at = ?, not_before = ? WHERE id IN ({marks})",
                (*(value for d, message_id in sent for value in (d.id, message_id)), day, day, *ids),
            )
            messages = [d.message_id for d, _ in sent if d.message_id is not None]
            if messages:
                await self.db.execute(
                    f"UPDATE messages SET delivered = 1 WHERE id IN ({', '.join('?' * len(messages))})", messages)
            for delivery, _ in sent:
                newer = current.get(delivery.id)
                if newer and newer != delivery.sealed:
                    # Rewritten while the old text was on its way: edit what was sent.
                    payload = Payload.loads(self.vault.open("outbox", "payload", delivery.id, newer))
                    await self.enqueue(delivery.person_id, payload, edit_of=delivery.id)

    async def retry_later(self, outbox_id: int, delay: timedelta, *, maybe_sent: bool = False,
                          shown: tuple[int, str] | None = None) -> None:
        """Try again after `delay`. maybe_sent: the call may have reached Telegram (a time-out, a
        reset, a 5xx), so the next attempt is marked as a possible repeat; `shown` (the person and
        the text they may have read) keeps that first copy's fingerprint, for a reply to it. (The
        next attempt is marked in flight durably before it goes, so this record needs no fsync of
        its own.)"""
        fingerprint = None if shown is None else self.vault.copy_hash(shown[0], _as_shown(shown[1]))
        async with self.db.transaction(durable=False):
            await self.db.execute(
                "UPDATE outbox SET not_before = ?, sending_at = NULL, maybe_sent = MAX(maybe_sent, ?),"
                " fingerprint = COALESCE(?, fingerprint) WHERE id = ?",
                (clock.iso(clock.now() + delay), int(maybe_sent), fingerprint, outbox_id),
            )

    async def finish(self, outbox_id: int, state: str) -> None:
        """End a delivery that will not be made: 'blocked', 'failed' or 'cancelled'."""
        day = self.db.calendar.day()
        await self.db.execute(
            "UPDATE outbox SET state = ?, payload_enc = CASE WHEN ? = 'blocked' THEN payload_enc ELSE x'' END,"
            " sending_at = NULL, created_at = ?, not_before = ? WHERE id = ?",
            (state, state, day, day, outbox_id),
        )

    async def has_blocked(self, person_id: int) -> bool:
        """Is anything kept for this person because they had blocked the bot?"""
        return bool(await self.db.fetchval(
            "SELECT 1 FROM outbox WHERE person_id = ? AND state = 'blocked' LIMIT 1", (person_id,)))

    async def requeue_blocked(self, person_id: int) -> list[int]:
        """Someone who had blocked the bot is back: their kept messages go out after all.

        Only relayed messages that were never delivered; notices of the time (offers, reminders)
        are stale by now. Returns the ids of the messages requeued.
        """
        if not await self.has_blocked(person_id):
            return []
        rows = await self.db.fetchall(
            "SELECT o.id, o.message_id FROM outbox o JOIN messages m ON m.id = o.message_id"
            " WHERE o.person_id = ? AND o.state = 'blocked' AND m.delivered = 0 ORDER BY o.id",
            (person_id,),
        )
        if rows:
            now = clock.iso(clock.now())
            self.queued += 1
            await self.db.execute(
                f"UPDATE outbox SET state = 'pending', not_before = ?, attempts = 0"
                f" WHERE id IN ({', '.join('?' * len(rows))})",
                (now, *(r["id"] for r in rows)),
            )
        await self.db.execute(
            "UPDATE outbox SET payload_enc = x'' WHERE person_id = ? AND state = 'blocked'", (person_id,))
        return [r["message_id"] for r in rows]

    async def cancel_offer_edits(self, offer_id: int) -> int:
        """Queued edits of this offer's messages are out of date (the offer reopened or was won)."""
        return await self.db.execute(
            "UPDATE outbox SET state = 'cancelled', payload_enc = x'' WHERE state = 'pending'"
            " AND edit_of IN (SELECT id FROM outbox WHERE offer_id = ?)",
            (offer_id,),
        )

    async def request_of_sent(self, person_id: int, telegram_message_id: int) -> int | None:
        """The request a delivered message belonged to: how a reply finds its case."""
        return await self.db.fetchval(
            "SELECT request_id FROM outbox WHERE person_id = ? AND telegram_message_id = ?"
            " AND request_id IS NOT NULL",
            (person_id, telegram_message_id),
        )

    async def request_of_copy(self, person_id: int, text: str) -> int | None:
        """The request of a message that went out twice, found by the text of a copy whose Telegram
        id was never recorded (the bot stopped, or lost Telegram's answer, after it went)."""
        hashes = self.vault.copy_hashes(person_id, _as_shown(text))
        return await self.db.fetchval(
            f"SELECT request_id FROM outbox WHERE person_id = ? AND fingerprint IN ({', '.join('?' * len(hashes))})"
            " AND request_id IS NOT NULL ORDER BY id DESC LIMIT 1",
            (person_id, *hashes),
        )

    async def oldest_due_seconds(self) -> int:
        """How long the oldest delivery that is due has waited: large only when sending is stuck."""
        oldest = await self.db.fetchval(
            "SELECT MIN(not_before) FROM outbox WHERE state = 'pending' AND not_before <= ?", (clock.iso(clock.now()),))
        if not oldest:
            return 0
        return max(0, int((clock.now() - datetime.fromisoformat(oldest)).total_seconds()))

    async def counts(self) -> dict[str, int]:
        """Deliveries by state (for the health check and the logs): counts only."""
        rows = await self.db.fetchall("SELECT state, COUNT(*) FROM outbox GROUP BY state")
        return {r[0]: r[1] for r in rows}
