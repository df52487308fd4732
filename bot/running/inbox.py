"""The durable inbox, and the bot's main loop around it.

Telegram hands out an update until a later getUpdates confirms it (offset). We confirm an
update only after it is stored, sealed, in the database; then handle it from that record, in
order, once: a resend of the same update_id changes nothing, and what an update creates
(a message, a draft, a note, a request) carries the inbox row as its origin, so an update
handled again after a crash finds its own records instead of making them twice.

The handling of an update is one durable transaction: what it changes, everything it says
(bot/running/replies.py: outbox rows keyed by the inbox row and their order) and the update
marked done commit together, and only then does the sender say it. Under load a few updates
share that transaction, each in a savepoint of its own, handled in one trip to the database's
thread (Database.step); one that fails there is handled again alone, on the event loop. A crash before the commit
leaves nothing said and nothing done: the update is handled again from scratch. After it,
the update is never handled again; what may have left when the bot stopped goes again marked.

When a handler fails for a cause that may pass (a locked or full disk), its transaction is
rolled back and the update is tried again a few times. A failure that will not pass (a bug)
keeps what completed, and the person is told, truthfully, whether what they sent was kept.
"""
from __future__ import annotations

import asyncio
import functools
import json
import logging
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from telegram import Bot, Update
from telegram.error import TelegramError, TimedOut
from telegram.ext import Application

from bot.foundations import clock
from bot.foundations.i18n import Translator, pick_language
from bot.foundations.model import Payload
from bot.foundations.storage.database import StepSuspended
from bot.foundations.storage.inbox import Received, sender_of
from bot.services import Services

from .faults import Fate, classify, passing, storage_trouble
from .liveness import POLL_LATE, WORK_LATE, Liveness, notify
from .replies import ANSWER, Direct, Handling, current

log = logging.getLogger(__name__)

ALLOWED_UPDATES = (Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER)
MAX_ATTEMPTS = 4
RETRY_DELAYS = (timedelta(seconds=2), timedelta(seconds=10), timedelta(seconds=30))
KEEP_HANDLED = timedelta(days=2)  # Telegram resends an unconfirmed update for a day at most
LET_GO_AFTER = timedelta(hours=23)  # ...and drops it after 24 hours: an hour before, its person is told
STORAGE_PAUSE_MAX = 30.0  # seconds between attempts to store what the database would not take
BATCH = 32             # updates handled in one durable transaction, at most...
BATCH_BUDGET = 0.025   # ...and for this long (seconds): a burst holds the database only briefly


class StorageStopped(RuntimeError):
    """Updates waited to be stored with others, and whoever stored them was stopped: not stored."""


class _Again(Exception):
    """The handling failed for a cause that may pass: roll it all back, try again later."""


@dataclass
class _Batch:
    """Updates taken together: those handled on the database's thread, and the rest, for the loop."""

    taken: list[Received] = field(default_factory=list)
    handlings: list[Handling] = field(default_factory=list)
    rest: list[Received] = field(default_factory=list)
    held: set[bytes] = field(default_factory=set)  # people whose earlier update waits to be tried again
    more: bool = True  # more may be due now: look again (False: it took all that was due, and left none)
    handled: bool = False  # its handling on the database's thread is committed


class Inbox:
    def __init__(self, app: Application, services: Services) -> None:
        self.app = app
        self.services = services
        self.store = services.core.inbox
        self.wake = asyncio.Event()
        self.confirmed: int | None = None  # the offset that confirms what is stored
        self._first_seen: dict[int, datetime] = {}  # updates fetched but not stored: when first seen
        self._one_at_a_time = asyncio.Lock()  # updates are handled in order, one after the other
        self._stored = 0  # how many new updates were stored: whether any came in during a batch
        self._to_store: list[tuple[list, asyncio.Future[int]]] = []  # arrived while a commit was under way
        self._storing = False

    # Receiving -----------------------------------------------------------------------

    async def receive(self, updates: Sequence[dict]) -> int:
        """Store updates (as Telegram's JSON) before they are confirmed, all in one commit and one
        trip to the database's thread; returns how many are new. Updates that arrive while a
        commit is under way (webhook requests, each its own) are stored together in the next
        one: each caller returns once its own are stored, or raises what stopped that commit."""
        rows = [(int(update["update_id"]), sender_of(update), json.dumps(update, separators=(",", ":")))
                for update in updates]
        stored = asyncio.get_running_loop().create_future()
        self._to_store.append((rows, stored))
        if not self._storing:
            self._storing = True
            try:
                while self._to_store:
                    together, self._to_store = self._to_store, []
                    try:
                        counts = await self.services.core.db.step(self._record, [rows for rows, _ in together])
                    except BaseException as exc:  # none of them is stored: each caller hears why
                        for _, waiting in together:
                            if not waiting.done() and waiting is not stored:
                                waiting.set_exception(exc if isinstance(exc, Exception) else StorageStopped())
                        if isinstance(exc, Exception) and not stored.done():
                            stored.set_exception(exc)
                        if not isinstance(exc, Exception):
                            raise
                        continue
                    for (_, waiting), new in zip(together, counts):
                        if not waiting.done():
                            waiting.set_result(new)
                    if new_ones := sum(counts):
                        self._stored += new_ones
                        self.wake.set()
            finally:
                self._storing = False
                for _, waiting in self._to_store:  # the one storing was stopped: the others are not stored
                    if not waiting.done() and waiting is not stored:
                        waiting.set_exception(StorageStopped())
                self._to_store = []
        return await stored

    async def _record(self, batches: list[list[tuple[int, int | None, str]]]) -> list[int]:
        counts = []
        for rows in batches:
            new = 0
            for update_id, sender, payload in rows:
                new += await self.store.record(update_id, sender, payload)
            counts.append(new)
        return counts

    # Handling -------------------------------------------------------------------------

    async def handle_pending(self) -> int:
        """Handle every stored update that is due, oldest first, a few at a time in one durable
        transaction, and what they said sent right after; returns how many."""
        handled = 0
        db = self.services.core.db
        async with self._one_at_a_time:
            while True:
                stored = self._stored
                batch = _Batch()
                try:
                    # The batch is taken and handled in the same trip to the database's thread as
                    # the sender's look at what is due, and what it said goes right after.
                    await self.services.sender.flush(first=functools.partial(self._take_and_handle, batch))
                except StepSuspended:  # something awaited more than the database: all of it on the loop
                    batch = _Batch(taken=batch.taken, rest=batch.taken)
                except Exception as exc:  # noqa: BLE001 - once handled, the outbox's tick tries again
                    if not batch.handled or storage_trouble(exc):
                        raise
                    log.error("outbox: a flush after an update failed", exc_info=exc)
                if not batch.taken:
                    break
                for received in batch.rest:
                    if received.sender is not None and received.sender in batch.held:
                        await db.step(self.store.untake, [received.id], durable=False)
                        batch.more = True
                        continue
                    handling = await self._handle(received)
                    if handling.again and received.sender is not None:
                        batch.held.add(received.sender)
                    batch.handlings.append(handling)
                handled += len(batch.handlings)
                await self._say_what_was_said(batch.handlings, flushed=not batch.rest)
                self._beat("work", WORK_LATE)  # a long backlog is work, not a stuck worker
                if not batch.more and self._stored == stored:
                    break  # it took all that was due, and nothing came in meanwhile: no trip to find that out
        return handled

    async def _take_and_handle(self, batch: "_Batch") -> None:
        """On the database's thread, in one trip: take a few due updates (their attempts counted and
        committed first), then handle them in one durable transaction, each in a savepoint of
        its own. An update that failed there for a cause that may pass is tried again later, as
        on the loop, and its person's later updates wait with it. An update that failed for
        another reason, would await more than the database, or stopped the bot before, is left
        in `batch.rest` with all after it, for the event loop to handle one by one as ever."""
        db = self.services.core.db
        taken, batch.more = await self.store.take(BATCH)
        batch.taken = taken
        if not taken:
            return
        started = time.monotonic()
        async with db.transaction():
            for n, received in enumerate(taken):
                if n and time.monotonic() - started > BATCH_BUDGET:  # the others wait for the next batch
                    await self.store.untake([r.id for r in taken[n:]])
                    batch.taken, batch.more = taken[:n], True
                    break
                if received.sender is not None and received.sender in batch.held:
                    await self.store.untake([received.id])
                    batch.more = True
                    continue
                if received.attempts >= MAX_ATTEMPTS or not await self._try(received, batch):
                    batch.rest = taken[n:]
                    break
        batch.handled = True

    async def _try(self, received: Received, batch: "_Batch") -> bool:
        """Handle one update on the database's thread, in a savepoint; False (and nothing of it
        kept) when it must be handled on the loop instead."""
        handling = Handling(received.id, self.services.core.outbox, trial=True)
        update = Update.de_json(json.loads(received.payload), self.app.bot)
        token = current.set(handling)
        started = time.monotonic()
        try:
            async with self.services.core.db.transaction():
                await self.app.process_update(update)
                if handling.error is not None:
                    raise _Again
                await self.store.done(received.id)
                await handling.write()
        except (_Again, StepSuspended):
            error = handling.error
            if error is None or not passing(error) or received.attempts + 1 >= MAX_ATTEMPTS:
                return False
            handling = await self._again_later(received, error)
            if received.sender is not None:
                batch.held.add(received.sender)
        finally:
            current.reset(token)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("update #%d: %s, %s, %.1f ms%s", received.id, _kind(update), self._handler_name(update),
                      (time.monotonic() - started) * 1000, ", tried again later" if handling.again else "")
        batch.handlings.append(handling)
        return True

    def outside(self) -> Handling:
        """A handling for an update processed without the inbox (no origin: tests of concurrency)."""
        return Handling(None, self.services.core.outbox)

    async def _handle(self, received: Received) -> Handling:
        """Handle one update (its attempt is counted already) in one durable transaction, on the
        event loop: an update that failed on the database's thread, or could not be handled there."""
        update = Update.de_json(json.loads(received.payload), self.app.bot)
        db = self.services.core.db
        handling = Handling(received.id, self.services.core.outbox)
        if received.attempts >= MAX_ATTEMPTS:  # it stopped the process itself before: not again
            log.warning("update #%d: stopped the bot %d times; given up, the person is told", received.id,
                        received.attempts)
            async with db.transaction():
                await self.store.done(received.id, "failed")
                await self._tell_truth(update, handling)
                await handling.write()
            return handling
        token = current.set(handling)
        started = time.monotonic()
        try:
            async with db.transaction():
                await self.app.process_update(update)
                if handling.error is not None and passing(handling.error):
                    raise _Again
                await self.store.done(received.id, "done" if handling.error is None else "failed")
                if handling.error is not None:  # a bug: what completed stays, and the truth is told
                    log.warning("update #%d: failed (%s); the person is told", received.id,
                                handling.error.__class__.__name__)
                    await self._tell_truth(update, handling)
                await handling.write()
        except _Again:  # nothing it did or said was kept
            error = handling.error
            if received.attempts + 1 < MAX_ATTEMPTS:
                handling = await self._again_later(received, error)
            else:
                handling = Handling(received.id, self.services.core.outbox)
                log.warning("update #%d: failed after %d attempts (%s); the person is told", received.id,
                            received.attempts + 1, error.__class__.__name__)
                async with db.transaction():
                    await self.store.done(received.id, "failed")
                    await self._tell_truth(update, handling)
                    await handling.write()
        finally:
            current.reset(token)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("update #%d: %s, %s, %.1f ms%s", received.id, _kind(update), self._handler_name(update),
                      (time.monotonic() - started) * 1000,
                      "" if handling.error is None else f", failed ({handling.error.__class__.__name__})")
        return handling

    async def _again_later(self, received: Received, error: BaseException) -> Handling:
        """A failure that may pass: nothing of the handling was kept; the update is tried again
        after a while, and its (empty) handling says so."""
        log.info("update #%d: failed (%s); tried again later", received.id, error.__class__.__name__)
        await self.store.retry_later(received.id, RETRY_DELAYS[min(received.attempts, len(RETRY_DELAYS) - 1)])
        return Handling(received.id, self.services.core.outbox, again=True)

    async def _say_what_was_said(self, handlings: list[Handling], *, flushed: bool = False) -> None:
        """After the commit: the sender delivers what the updates said (and whatever else is due;
        `flushed`: it did already); a refusal to a group goes once, directly."""
        try:
            if not flushed:
                await self.services.sender.flush()
        except Exception as exc:  # noqa: BLE001 - the outbox's tick tries again; the inbox goes on
            if storage_trouble(exc):
                raise
            log.error("outbox: a flush after an update failed", exc_info=exc)
        for handling in handlings:
            for said in handling.direct:
                await say_directly(self.app.bot, said)

    async def _tell_truth(self, update: Update, handling: Handling) -> None:
        """After the last attempt, in the transaction that records it: say whether what the person
        sent was kept (the next thing this update says)."""
        chat, user = update.effective_chat, update.effective_user
        if chat is None or user is None or user.is_bot or update.my_chat_member is not None:
            return
        person = await self.services.core.people.find(user.id)
        t = Translator(person.language if person else pick_language(user.language_code,
                                                                    self.services.settings.default_language))
        if await self.store.left_records(handling.inbox_id):
            text = t("Sorry, something went wrong on our side. What you sent was kept; there is no need to "
                     "send it again.")
        elif update.callback_query is not None:
            text = t("Sorry, something went wrong on our side and your choice was not saved. Please try again "
                     "in a moment.")
        else:
            text = t("Sorry, something went wrong on our side and what you just sent could not be handled: it "
                     "was not kept. Please send it again in a moment.")
        if person is None:  # nobody known to the bot (it failed before knowing them): once, directly
            handling.direct.append(Direct(chat.id, text))
            return
        handling.person_id = person.id
        await handling.enqueue(Payload(text), kind=ANSWER)

    def _handler_name(self, update: Update) -> str:
        for handler in self.app.handlers.get(0, []):
            check = handler.check_update(update)
            if check is not None and check is not False:
                callback = handler.callback
                return f"{callback.__module__}.{callback.__qualname__}"
        return "no handler"

    # Polling ------------------------------------------------------------------------------

    async def poll(self, stop: asyncio.Event, *, timeout: int = 10, interval: float = 0.0) -> None:
        """Fetch updates until stopped. A batch is confirmed to Telegram (the next call's offset)
        only once it is stored: while the database cannot take it (full, read-only, locked), the
        same offset is asked again, so Telegram keeps the updates and hands them out again, as it
        does in webhook mode. Nobody is told anything while Telegram still holds what they sent;
        only an update Telegram is about to drop (24 hours) is let go, and its person told."""
        bot, offset, pause, trouble = self.app.bot, None, 1.0, 0
        while not stop.is_set():
            self._beat("poll", timeout + POLL_LATE)
            try:
                updates = await bot.get_updates(offset=offset, timeout=timeout, allowed_updates=ALLOWED_UPDATES)
                pause = 1.0
            except TelegramError as exc:
                verdict = classify(exc)
                if verdict.fate is Fate.WAIT:
                    self._beat("poll", verdict.wait.total_seconds() + POLL_LATE)
                    await _sleep(stop, verdict.wait.total_seconds())
                elif isinstance(exc, TimedOut):
                    pass  # a long poll that ended without news
                elif verdict.passing and verdict.fate is not Fate.TOKEN:
                    log.warning("polling: network error (%s); trying again in %.0f s", exc.__class__.__name__, pause)
                    self._beat("poll", pause + POLL_LATE)
                    await _sleep(stop, pause)
                    pause = min(pause * 2, 60.0)
                else:
                    log.error("polling: Telegram refused getUpdates (%s); trying again in 30 s",
                              exc.__class__.__name__)
                    self._beat("poll", 30.0 + POLL_LATE)
                    await _sleep(stop, 30.0)
                continue
            if not updates:
                if interval:
                    self._beat("poll", interval + POLL_LATE)
                    await _sleep(stop, interval)
                continue
            try:
                await self.receive([u.to_dict() for u in updates])
            except Exception as exc:  # noqa: BLE001 - not stored: Telegram keeps them, and hands them out again
                if not storage_trouble(exc):
                    raise
                trouble += 1
                wait = min(2.0 ** (trouble - 1), STORAGE_PAUSE_MAX)
                (log.error if trouble == 1 else log.warning)(
                    "inbox: cannot store %d updates (%s); Telegram keeps them, asking again in %.0f s",
                    len(updates), exc.__class__.__name__, wait)
                if (dropped := await self._let_go_of_expiring(updates)) is not None:
                    offset = dropped + 1
                self._beat("poll", wait + POLL_LATE)
                await _sleep(stop, wait)
                continue
            if trouble:
                log.info("inbox: the database takes updates again")
            trouble = 0
            self._first_seen.clear()
            offset = self.confirmed = updates[-1].update_id + 1

    def _beat(self, loop: str, within: float) -> None:
        if (liveness := self.app.bot_data.get("liveness")) is not None:
            liveness.beat(loop, within)

    async def confirm_stored(self) -> None:
        """At a stop: tell Telegram the updates that are stored already arrived (no long poll)."""
        if self.confirmed is not None:
            try:
                await self.app.bot.get_updates(offset=self.confirmed, timeout=0, allowed_updates=ALLOWED_UPDATES)
            except TelegramError as exc:  # they come again at the next start and change nothing then
                log.info("could not confirm the last updates at stop (%s)", exc.__class__.__name__)

    async def _let_go_of_expiring(self, updates: Sequence[Update]) -> int | None:
        """The oldest updates Telegram is about to drop while the database still takes nothing: let
        go of them (the next call confirms them, so they cannot also be handled later) and tell
        each person, once, that what they sent was not kept. Returns the last one let go, if any."""
        now, last = clock.now(), None
        for update in updates:
            if now - self._received_at(update) < LET_GO_AFTER:
                break
            last = update.update_id
            chat, user = update.effective_chat, update.effective_user
            if chat is None or user is None or user.is_bot or update.my_chat_member is not None:
                continue
            t = Translator(pick_language(user.language_code, self.services.settings.default_language))
            await say_directly(self.app.bot, Direct(chat.id, t(
                "Sorry, the bot cannot store anything right now. What you just sent was not kept: please "
                "send it again later.")))
        if last is not None:
            log.error("inbox: let go of updates Telegram was about to drop; their people were told")
        return last

    def _received_at(self, update: Update) -> datetime:
        """When Telegram made the update: a message's date, else when this process first saw it."""
        message = update.message or update.edited_message
        if message is not None:
            return message.edit_date or message.date
        if update.my_chat_member is not None:
            return update.my_chat_member.date
        return self._first_seen.setdefault(update.update_id, clock.now())

    async def work(self, stop: asyncio.Event) -> None:
        """Handle stored updates as they come, until stopped (the current one is finished)."""
        while not stop.is_set():
            self.wake.clear()
            self._beat("work", WORK_LATE)
            try:
                await self.handle_pending()
            except Exception as exc:  # noqa: BLE001 - the loop must outlive a bad moment of the disk
                if not storage_trouble(exc):
                    raise
                log.error("inbox: the database cannot be used (%s); waiting 30 s", exc.__class__.__name__)
                self._beat("work", 30.0 + WORK_LATE)
                await _sleep(stop, 30.0)
                continue
            waiter = asyncio.ensure_future(self.wake.wait())
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait({waiter, stopper}, timeout=1.0, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            stopper.cancel()

    async def forget_handled(self) -> int:
        return await self.store.forget_handled(clock.now() - KEEP_HANDLED)


async def say_directly(bot: Bot, said: Direct) -> None:
    """Say what has no outbox row (see replies.Direct): once, a failure logged by its kind."""
    try:
        if said.query is not None:
            try:
                await bot.answer_callback_query(said.query, text=said.alert or None, show_alert=bool(said.alert))
            except TelegramError as exc:
                if classify(exc).fate is not Fate.QUERY_OLD:
                    raise
        if said.edit_message is not None and said.drop_buttons:
            try:
                await bot.edit_message_reply_markup(chat_id=said.chat_id, message_id=said.edit_message, reply_markup=None)
            except TelegramError as exc:
                if classify(exc).fate not in (Fate.NOT_MODIFIED, Fate.EDIT_GONE):
                    raise
            return
        if said.edit_message is not None:
            try:
                await bot.edit_message_text(said.text, chat_id=said.chat_id, message_id=said.edit_message)
                return
            except TelegramError as exc:
                if classify(exc).fate is not Fate.EDIT_GONE:
                    raise
        if said.text:
            await bot.send_message(said.chat_id, said.text)
    except TelegramError as exc:
        log.info("a direct answer was not taken (%s)", exc.__class__.__name__)


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass


def _kind(update: Update) -> str:
    for name in ("message", "edited_message", "callback_query", "my_chat_member"):
        if getattr(update, name) is not None:
            return name
    return "other"


class Intake(Protocol):
    """How updates reach the inbox while the bot runs: polling, or a webhook server."""

    async def open(self, app: Application, inbox: Inbox, stop: asyncio.Event) -> set[asyncio.Task]:
        """Start taking updates, after the application started; the tasks whose end stops the bot."""

    async def close(self) -> None:
        """Take no more updates (called again at the end of every run, whatever happened)."""


def stop_on_signals() -> asyncio.Event:
    """Set on SIGINT or SIGTERM: how an operator or systemd stops the bot."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def run(app: Application, intake: Intake, stop: asyncio.Event | None = None) -> None:
    """The bot's one start-up and shutdown, whichever way updates come in: the lifecycle
    run_polling would give, with the durable inbox in place of PTB's updater. It runs until
    SIGINT or SIGTERM (or `stop`); at the stop the intake closes first, then the worker finishes
    what is stored (30 s at most), then the application stops."""
    if stop is None:
        stop = stop_on_signals()
    await app.initialize()
    try:
        if app.post_init:
            await app.post_init(app)
        inbox: Inbox = app.bot_data["inbox"]
        await app.start()
        watched = await intake.open(app, inbox, stop)
        worker = asyncio.create_task(inbox.work(stop), name="inbox-work")
        watched.add(worker)
        done, _ = await asyncio.wait({*watched, asyncio.ensure_future(stop.wait())},
                                     return_when=asyncio.FIRST_COMPLETED)
        stop.set()
        await intake.close()
        await asyncio.wait_for(asyncio.shield(worker), timeout=30)
        for task in done & watched:
            if not task.cancelled() and task.exception():
                raise task.exception()
        await app.stop()
        log.info("stopped")
    finally:
        if (liveness := app.bot_data.get("liveness")) is not None:
            liveness.stopped()
        await intake.close()
        if app.running:
            await app.stop()
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)


class Polling:
    """Updates by getUpdates: each batch stored before the next call confirms it."""

    def __init__(self, *, timeout: int = 10, interval: float = 0.0) -> None:
        self.timeout, self.interval = timeout, interval
        self.inbox: Inbox | None = None
        self.poller: asyncio.Task | None = None

    async def open(self, app: Application, inbox: Inbox, stop: asyncio.Event) -> set[asyncio.Task]:
        try:  # a webhook left from webhook mode would make Telegram refuse getUpdates
            await app.bot.delete_webhook()
        except TelegramError as exc:
            log.warning("could not remove a webhook before polling (%s)", exc.__class__.__name__)
        liveness: Liveness = app.bot_data["liveness"]
        liveness.expect("poll")
        log.info("started; polling for updates")
        notify("READY=1\nSTATUS=polling for updates")
        self.inbox = inbox
        self.poller = asyncio.create_task(inbox.poll(stop, timeout=self.timeout, interval=self.interval),
                                          name="inbox-poll")
        return {self.poller}

    async def close(self) -> None:
        if self.poller is None:
            return
        poller, self.poller = self.poller, None
        poller.cancel()
        await asyncio.gather(poller, return_exceptions=True)
        await self.inbox.confirm_stored()


async def serve(app: Application, *, timeout: int = 10, interval: float = 0.0,
                stop: asyncio.Event | None = None) -> None:
    """Run the bot in polling mode until SIGINT or SIGTERM (or `stop`)."""
    await run(app, Polling(timeout=timeout, interval=interval), stop)
