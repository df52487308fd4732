"""Delivers the outbox through Telegram, honestly.

- Everything the bot says goes this way: relays, notices, offers, and the direct answers of a
  handled update (bot/running/replies.py). The sender is the only place that calls Telegram to
  say something, and it does so only after what it says was committed.
- A delivery is marked in flight before Telegram is called; one found in flight after a crash
  (or after a failure that may have come after Telegram took it: a read time-out, a reset, a
  5xx) goes again with a short marker that it may be a repeat. Telegram has no idempotency key,
  so the reader is told rather than left to wonder. An edit goes again as it is: made twice, it
  shows the same.
- A person's new messages go in the order they were said: one that waits holds back the later
  ones.
- Every call earns its place (Telegram takes about 30 a second from a bot): under load, a 👌
  that a later 👌 to the same author, or the other side's answer, says already is not sent.
- Time alone never ends a delivery: through an outage it is retried with back-off capped at
  a few minutes. Only a final answer of Telegram ends it (bot/running/faults.py), handled where
  it happens: a blocked person or a gone chat is recorded (the author of a relayed message is
  told, and it goes after all when that person writes again); an edit of a message that is gone
  or takes no text becomes a new message (the pressed message) or is dropped (an old offer); a
  double tap that changes nothing is done; an alert Telegram no longer takes comes as a message;
  a refusal of the message itself is logged by kind.
- An offer or reminder that waited is re-checked when it goes: an offer that was taken,
  withdrawn or no longer fits, or a reminder about contact already made, is not sent stale.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReactionTypeEmoji,
)
from telegram.error import TelegramError

from bot.conversation.casework import Casework
from bot.conversation.requests import RequestDesk
from bot.conversation.talking import Talk
from bot.foundations.core import Core
from bot.foundations.menus import Menus
from bot.foundations.model import Button
from bot.foundations.storage.outbox import Delivery, Due
from bot.foundations.vocab import DELIVERED, QUESTION_KINDS, REPEAT_MARK

from .faults import Fate, Verdict, classify
from .replies import CALLBACK

log = logging.getLogger(__name__)
MAX_BACKOFF = timedelta(minutes=5)


def inline_keyboard(rows: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup | None:
    """Rows of (label, callback data) as Telegram's inline keyboard; None for no buttons."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def backoff(attempts: int) -> timedelta:
    return min(MAX_BACKOFF, timedelta(seconds=5 * 2 ** min(attempts, 10)))


class Sender:
    """Drains the outbox. One drain at a time, so nothing is sent twice by this process."""

    def __init__(self, core: Core, bot: Bot, desk: RequestDesk, talk: Talk, menus: Menus, casework: Casework) -> None:
        self.core = core
        self.bot = bot
        self.desk = desk
        self.talk = talk
        self.menus = menus
        self.casework = casework
        self._lock = asyncio.Lock()
        self._looked_at = -1  # the outbox's `queued` count when a flush last looked

    async def flush(self, *, only_if_queued: bool = False, first: Callable[[], Awaitable[object]] | None = None) -> int:
        """Send everything due now; returns how many went out. only_if_queued: do not even look
        when nothing was queued since the last flush looked (the drain after each update).
        first: work for the database's thread that what is due follows from (the inbox's handling
        of a batch of updates), done in the same trip as the first look, with this sender's lock
        held; should it raise, nothing is sent and its exception is raised here.

        Never inside a transaction: what it would send is not committed yet (and the outbox tick
        waiting for the database would wait for this task). The inbox flushes after each commit.

        Each batch costs one trip to the database's thread: it (does `first` and) reads what is due,
        re-checks what waited and marks in flight (one durable commit, only when something was not
        marked already) what is about to go. Every outcome of the batch is recorded together: when
        all went, with whatever transaction comes next (Database.later: the next update's storing,
        under load); after a failure, at once, in a trip and a commit of its own, since its record
        may queue a notice (a relayed message not delivered yet) that goes in this flush."""
        outbox, db = self.core.outbox, self.core.db
        if db.in_transaction() or (only_if_queued and outbox.queued == self._looked_at):
            return 0
        sent = 0
        async with self._lock:
            while True:
                due, queued = await db.on_thread(self._look, first)
                first = None
                # What happens to each delivery is recorded once per batch, together, whatever
                # happens meanwhile: a delivery left in flight here would go again marked.
                outcomes = _Outcomes()
                held: set[int] = set()  # people whose earlier message waits: their later ones wait too
                waiting = tried = False
                # A 👌 that something later in this batch may make needless waits for the end of it.
                maybe_needless = _maybe_needless(due.deliveries)
                try:
                    for delivery in due.deliveries:
                        if delivery.id in maybe_needless:
                            continue
                        if (not delivery.after_sent and delivery.after_id not in outcomes.sent_ids) or (
                                delivery.new_message and delivery.person_id in held):
                            # What it waits for did not go (yet), or an earlier message of this
                            # person waits: the next batch decides. It was not tried.
                            waiting = True
                            outcomes.untried.append(delivery)
                            continue
                        tried = True
                        if await self._deliver(delivery, outcomes) is _AGAIN and delivery.new_message:
                            held.add(delivery.person_id)
                    # The latest first, so that a 👌 knows whether a later one went.
                    for delivery in sorted(maybe_needless.values(), key=lambda d: d.id, reverse=True):
                        if not delivery.after_sent and delivery.after_id not in outcomes.sent_ids:
                            waiting = True  # its message did not go (yet): the next batch decides
                            outcomes.untried.append(delivery)
                        elif any(later in outcomes.sent_ids for later in maybe_needless.later[delivery.id]):
                            # The author sees their message arrived from what went after it: a 👌
                            # on a later message of theirs, or the other side's answer.
                            log.debug("outbox %s: reaction needless", delivery.id)
                            outcomes.finished.append((delivery.id, "cancelled"))
                        else:
                            tried = True
                            await self._deliver(delivery, outcomes)
                finally:
                    if outcomes.troubled():  # a failure: its record may queue a notice, to go now
                        await db.step(self._record, outcomes, durable=False)
                    elif outcomes:  # all went: the record rides along with the next transaction
                        db.later(self._record, outcomes)
                sent += outcomes.counted
                # Done when nothing was due, or only deliveries waiting for others that did not go,
                # or when this batch held all that was due and nothing was queued meanwhile (a
                # rewrite of a delivery in flight queues an edit).
                if not tried or (not due.more and not waiting and outbox.queued == queued):
                    break
        return sent

    async def _look(self, first: Callable[[], Awaitable[object]] | None) -> tuple[Due, int]:
        """On the database's thread: `first`, then what may go now (`_claim`), and how many
        deliveries had been queued when it looked."""
        if first is not None:
            await first()
        self._looked_at = queued = self.core.outbox.queued
        return await self._claim(), queued

    async def _claim(self) -> Due:
        """On the database's thread: what may go now, without what is no longer current (an offer
        taken meanwhile, a reminder about contact already made, a person gone: cancelled), and
        marked in flight, committed durably before Telegram is called."""
        outbox = self.core.outbox
        due = await outbox.due()
        going, stale = [], []
        for delivery in due.deliveries:
            if delivery.chat_id is None or not await self._still_current(delivery):
                stale.append(delivery.id)
                log.debug("outbox %s: cancelled (no longer current)", delivery.id)
            else:
                going.append(delivery)
        unclaimed = [delivery.id for delivery in going if not delivery.claimed]
        if stale or unclaimed:
            async with self.core.db.transaction():
                for delivery_id in stale:
                    await outbox.finish(delivery_id, "cancelled")
                await outbox.mark_sending(unclaimed)
        return Due(going, due.more)

    async def _record(self, outcomes: "_Outcomes") -> None:
        """On the database's thread, in one commit: what each delivery of a batch came to."""
        outbox = self.core.outbox
        await outbox.record_sent(outcomes.sent)
        await outbox.unclaim([delivery.id for delivery in outcomes.untried if not delivery.claimed])
        for delivery, delay, maybe_sent, shown in outcomes.retries:
            await outbox.retry_later(delivery.id, delay, maybe_sent=maybe_sent, shown=shown)
        for delivery_id, state in outcomes.finished:
            await outbox.finish(delivery_id, state)
        for delivery, state in outcomes.given_up:
            await self._give_up(delivery, state)
        for message_id in outcomes.not_yet:
            await self.talk.not_delivered_yet(message_id)  # its author sees it is kept, not lost

    async def _deliver(self, delivery: Delivery, outcomes: "_Outcomes") -> "_Sent | _Again | None":
        """Send one delivery (marked in flight already); what it came to (taken by Telegram, a
        refusal, a retry) is added to the batch's outcomes, and returned."""
        chat_id = delivery.chat_id
        payload = delivery.payload
        started = time.monotonic()
        try:
            if payload.reaction:
                await self._call("setMessageReaction", chat_id=chat_id, message_id=payload.react_to,
                                 reaction=[ReactionTypeEmoji(payload.reaction)])
                message_id = None
            elif delivery.kind == "menu":
                await self._set_menu(delivery.person_id, chat_id)
                message_id = None
            elif delivery.kind == CALLBACK:
                await self.bot.answer_callback_query(payload.query, text=payload.text or None,
                                                     show_alert=payload.alert)
                message_id = None
            elif payload.markup_only:
                await self._call("editMessageReplyMarkup", chat_id=chat_id, message_id=delivery.edit_of_message,
                                 reply_markup=inline_keyboard(payload.buttons))
                message_id = delivery.edit_of_message
            elif delivery.edit_of_message is not None:
                await self._call("editMessageText", chat_id=chat_id, message_id=delivery.edit_of_message,
                                 text=payload.text, reply_markup=inline_keyboard(payload.buttons))
                message_id = delivery.edit_of_message
            else:
                message_id = await self._send_new(delivery, chat_id)
        except TelegramError as exc:
            verdict = classify(exc)
            if not self._as_message_instead(delivery, verdict):
                return self._failed(delivery, verdict, exc, outcomes)
            # The pressed message is gone or takes no text, or Telegram no longer takes the
            # alert: what it had to say comes as a new message.
            try:
                message_id = await self._send_new(delivery, chat_id)
            except TelegramError as again:
                return self._failed(delivery, classify(again), again, outcomes, as_message=True)
        log.debug("outbox %s: %s in %.0f ms", delivery.id, "edited" if delivery.edit_of_message else "sent",
                  (time.monotonic() - started) * 1000)
        return outcomes.took(delivery, _Sent(message_id))

    async def _send_new(self, delivery: Delivery, chat_id: int) -> int:
        payload = delivery.payload
        text = payload.text
        if delivery.possible_repeat:
            t = await self.core.translator(delivery.person_id)
            text = f"{REPEAT_MARK} {t('Possibly a repeat: sent again after an interruption.')}\n{text}"
        markup = None if delivery.kind == CALLBACK else inline_keyboard(payload.buttons)
        if payload.photo is not None:  # a chart, now and then: PTB's method, which uploads the file
            message = await self.bot.send_photo(chat_id, payload.photo, caption=text or None, reply_markup=markup,
                                                protect_content=payload.protect)
            return message.message_id
        message = await self._call("sendMessage", chat_id=chat_id, text=text, reply_markup=markup,
                                   protect_content=payload.protect)
        return message["message_id"]

    async def _call(self, endpoint: str, **data: Any) -> Any:
        """One Bot API call made as PTB's own method makes it (the same parameters, through its
        rate limiter, with its errors), with Telegram's answer left as the JSON it is: building a
        whole Message of it was two thirds of a call's work (issue 26), and the sender needs its id
        at most. tests/running/test_outbox.py holds each such call to what PTB's method sends."""
        return await self.bot._post(endpoint, data)

    @staticmethod
    def _as_message_instead(delivery: Delivery, verdict: Verdict) -> bool:
        if verdict.fate is Fate.EDIT_GONE:
            return delivery.pressed and not delivery.payload.markup_only
        if verdict.fate is Fate.QUERY_OLD:
            return delivery.payload.alert and bool(delivery.payload.text)
        return False

    def _failed(self, delivery: Delivery, verdict: Verdict, error: TelegramError, outcomes: "_Outcomes", *,
                as_message: bool = False) -> "_Sent | _Again | None":
        """Decide on a failed call where it failed: a passing failure is tried again (marked when
        Telegram may have it), a final one ends the delivery, each in its own way. (Recorded with
        the batch.)"""
        fate = verdict.fate
        shown = as_message or delivery.new_message
        if fate is Fate.WAIT:
            log.info("outbox %s: Telegram asks to wait %.0f s", delivery.id, verdict.wait.total_seconds())
            outcomes.retries.append((delivery, verdict.wait, False, None))
        elif verdict.passing:
            if fate is Fate.TOKEN:
                log.error("outbox %s: Telegram refused the bot's token or address (%s); will retry",
                          delivery.id, error.__class__.__name__)
            else:
                log.info("outbox %s: %s (%s); will retry", delivery.id, fate.value, error.__class__.__name__)
            # What Telegram may have shown goes again marked; an edit or a reaction made twice shows the
            # same. (A press's answer: should it come as a message after all, that one is marked.)
            maybe = fate is Fate.MAYBE_SENT and (shown or delivery.kind == CALLBACK)
            first_copy = (delivery.person_id, delivery.payload.text) if maybe and delivery.request_id else None
            outcomes.retries.append((delivery, backoff(delivery.attempts), maybe, first_copy))
        elif fate is Fate.NOT_MODIFIED and delivery.edit_of_message is not None:
            # A double tap shows the same again.
            return outcomes.took(delivery, _Sent(delivery.edit_of_message, counts=0))
        elif fate is Fate.GONE:
            # The person blocked the bot or deleted their account: stop until they write again.
            log.warning("outbox %s: recipient blocked the bot (or the chat is gone)", delivery.id)
            outcomes.given_up.append((delivery, "blocked"))
            return None
        elif not shown:
            # An edit of a message the person deleted, a reaction on one, a press Telegram no longer
            # takes an answer for, a menu it refuses: nothing is lost.
            log.info("outbox %s: %s not accepted (%s)", delivery.id, delivery.kind or "edit", fate.value)
            outcomes.finished.append((delivery.id, "cancelled"))
            return None
        else:
            log.error("outbox %s: rejected by Telegram (%s, %s)", delivery.id, error.__class__.__name__, fate.value)
            outcomes.given_up.append((delivery, "failed"))
            return None
        if delivery.message_id is not None and delivery.attempts == 0:
            outcomes.not_yet.append(delivery.message_id)
        return _AGAIN

    async def _set_menu(self, person_id: int, chat_id: int) -> None:
        """The commands this person's phone offers, for their roles, in their language."""
        scope = BotCommandScopeChat(chat_id)
        commands = await self.menus.commands_for(person_id)
        if commands:
            await self.bot.set_my_commands([BotCommand(name, text) for name, text in commands], scope=scope)
        else:
            await self.bot.delete_my_commands(scope=scope)  # the default menu applies again

    async def _still_current(self, delivery: Delivery) -> bool:
        if delivery.kind == "offer" and delivery.offer_id is not None:
            return await self.desk.offer_is_current(delivery.offer_id)
        if delivery.kind == "reminder" and delivery.request_id is not None:
            return await self.desk.reminder_is_current(delivery.request_id, delivery.person_id)
        return True

    async def _give_up(self, delivery: Delivery, state: str) -> None:
        async with self.core.db.transaction():  # inside the batch's record: a savepoint
            if delivery.kind in QUESTION_KINDS:
                # A question nobody can answer is not kept to go out later: it is answered
                # 'unreachable' now and whoever waits for it is told.
                await self.core.outbox.finish(delivery.id, "cancelled")
                await self.casework.unreachable(delivery.kind, delivery.request_id)
                return
            await self.core.outbox.finish(delivery.id, state)
            if delivery.message_id is not None:
                await self.talk.undeliverable(delivery.message_id, blocked=state == "blocked")


@dataclass(frozen=True)
class _Sent:
    """Telegram took a delivery: the message id it got (None for a reaction or a menu)."""

    message_id: int | None
    counts: int = 1  # 0: an edit that changed nothing


class _Again:
    """The delivery is tried again later (a passing failure)."""


@dataclass
class _Outcomes:
    """What a batch of deliveries came to, recorded together."""

    sent: list[tuple[Delivery, int | None]] = field(default_factory=list)
    untried: list[Delivery] = field(default_factory=list)  # waited for another: not tried this time
    retries: list[tuple[Delivery, timedelta, bool, tuple[int, str] | None]] = field(default_factory=list)
    finished: list[tuple[int, str]] = field(default_factory=list)  # ended: 'cancelled'
    given_up: list[tuple[Delivery, str]] = field(default_factory=list)  # 'blocked' or 'failed'
    not_yet: list[int] = field(default_factory=list)  # relayed messages whose authors learn they are kept
    sent_ids: set[int] = field(default_factory=set)    # the ids of `sent`, to look up
    counted: int = 0                                   # how many of `sent` count as gone out

    def took(self, delivery: Delivery, sent: _Sent) -> _Sent:
        """Telegram took it: recorded with the batch."""
        self.sent.append((delivery, sent.message_id))
        self.sent_ids.add(delivery.id)
        self.counted += sent.counts
        return sent

    def __bool__(self) -> bool:
        return any((self.sent, self.untried, self.retries, self.finished, self.given_up, self.not_yet))

    def troubled(self) -> bool:
        """Did a delivery fail (to be tried again, or given up)?"""
        return any((self.retries, self.given_up, self.not_yet))


class _Needless(dict[int, Delivery]):
    """👌 reactions of a batch that something later in it may make needless: by id, and for each,
    the later deliveries any of which, sent, says the same."""

    def __init__(self) -> None:
        super().__init__()
        self.later: dict[int, list[int]] = {}


def _maybe_needless(deliveries: Sequence[Delivery]) -> _Needless:
    """Under load, fewer calls to Telegram (which takes about 30 a second from a bot): a 👌 that
    says a relayed text arrived is needless when, in the same batch, its author gets a 👌 on a
    later message of theirs, or the other side's answer in the same conversation. Only ever after
    the text it is about went; if what would make it needless does not go, it goes after all."""
    needless = _Needless()
    by_id = {delivery.id: delivery for delivery in deliveries}
    for n, delivery in enumerate(deliveries):
        if delivery.kind != "reaction" or delivery.payload.reaction != DELIVERED or delivery.payload.replaces:
            continue  # a 👌 in the place of a ✍ always goes
        relayed = by_id.get(delivery.after_id) if delivery.after_id is not None else None
        later = [other.id for other in deliveries[n + 1:] if other.person_id == delivery.person_id and (
            (other.kind == "reaction" and other.payload.reaction == DELIVERED)
            or (relayed is not None and relayed.request_id is not None and other.new_message
                and other.message_id is not None and other.request_id == relayed.request_id))]
        if later:
            needless[delivery.id] = delivery
            needless.later[delivery.id] = later
    return needless


_AGAIN = _Again()

__all__ = ["REPEAT_MARK", "Sender", "backoff", "inline_keyboard"]
