"""The durable inbox, and the bot's main loop around it.

Telegram hands out an update until a later getUpdates confirms it (offset). We confirm an
update only after it is stored, sealed, in the database; then handle it from that record, in
order, once: a resend of the same update_id changes nothing, and what an update creates
(a message, a draft, a note, a request) carries the inbox row as its origin, so an update
handled again after a crash finds its own records instead of making them twice.

When a handler fails, the update stays in the inbox and is tried again a few times when the
cause may pass (the network, a locked or full disk). Only then is the person told, truthfully,
whether what they sent was kept.
"""
from __future__ import annotations

import asyncio
import json
import logging
import signal
import sqlite3
import time
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from telegram import Update
from telegram.error import Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application

from bot.foundations import clock
from bot.foundations.i18n import Translator, pick_language
from bot.foundations.storage.inbox import Received, sender_of
from bot.services import Services

from .liveness import POLL_LATE, WORK_LATE, Liveness, notify

log = logging.getLogger(__name__)

ALLOWED_UPDATES = (Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER)
MAX_ATTEMPTS = 4
RETRY_DELAYS = (timedelta(seconds=2), timedelta(seconds=10), timedelta(seconds=30))
KEEP_HANDLED = timedelta(days=2)  # Telegram resends an unconfirmed update for a day at most
_STORAGE_TROUBLE = ("disk is full", "readonly", "read-only", "disk i/o error", "unable to open", "locked")


@dataclass
class Handling:
    """The update being handled: its inbox row (the origin key) and what went wrong, if anything."""

    inbox_id: int
    error: BaseException | None = None


current: ContextVar[Handling | None] = ContextVar("waakzaam_handling", default=None)


def origin() -> int | None:
    """The inbox row of the update being handled: the key that makes handling it again harmless."""
    handling = current.get()
    return None if handling is None else handling.inbox_id


def storage_trouble(error: BaseException) -> bool:
    """The database cannot be written right now (full, read-only, locked, gone)."""
    if isinstance(error, sqlite3.OperationalError | sqlite3.DatabaseError):
        return any(words in str(error).lower() for words in _STORAGE_TROUBLE)
    return isinstance(error, OSError)


def may_pass(error: BaseException) -> bool:
    """Worth trying again: the network, Telegram's rate limit, or storage trouble."""
    return isinstance(error, NetworkError | RetryAfter) or storage_trouble(error)


class Inbox:
    def __init__(self, app: Application, services: Services) -> None:
        self.app = app
        self.services = services
        self.store = services.core.inbox
        self.wake = asyncio.Event()
        self.confirmed: int | None = None  # the offset that confirms what is stored
        self._one_at_a_time = asyncio.Lock()  # updates are handled in order, one after the other

    # Receiving -----------------------------------------------------------------------

    async def receive(self, updates: Sequence[dict]) -> int:
        """Store updates (as Telegram's JSON) before they are confirmed; returns how many are new."""
        new = 0
        async with self.services.core.db.transaction():
            for update in updates:
                new += await self.store.record(int(update["update_id"]), sender_of(update),
                                               json.dumps(update, separators=(",", ":")))
        if new:
            self.wake.set()
        return new

    # Handling -------------------------------------------------------------------------

    async def handle_pending(self) -> int:
        """Handle every stored update that is due, oldest first; returns how many. An update
        handled without trouble is marked done in the same commit that takes the next one."""
        handled = 0
        async with self._one_at_a_time:
            finished: int | None = None
            while (received := await self.store.take_next(finished)) is not None:
                finished = await self._handle(received)
                handled += 1
                self._beat("work", WORK_LATE)  # a long backlog is work, not a stuck worker
        return handled

    async def _handle(self, received: Received) -> int | None:
        """Handle one update (its attempt is counted already); returns its inbox row when it
        went well and is still to be marked done, None when its end was recorded here."""
        update = Update.de_json(json.loads(received.payload), self.app.bot)
        if received.attempts >= MAX_ATTEMPTS:  # it failed the process itself before: stop here
            await self.store.done(received.id, "failed")
            await self._tell_truth(update, received.id)
            return None
        handling = Handling(received.id)
        token = current.set(handling)
        started = time.monotonic()
        try:
            await self.app.process_update(update)
        finally:
            current.reset(token)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("update #%d: %s, %s, %.1f ms%s", received.id, _kind(update), self._handler_name(update),
                      (time.monotonic() - started) * 1000,
                      "" if handling.error is None else f", failed ({handling.error.__class__.__name__})")
        if handling.error is None:
            return received.id
        if may_pass(handling.error) and received.attempts + 1 < MAX_ATTEMPTS:
            log.info("update #%d: failed (%s); tried again later", received.id, handling.error.__class__.__name__)
            await self.store.retry_later(received.id, RETRY_DELAYS[min(received.attempts, len(RETRY_DELAYS) - 1)])
        else:
            log.warning("update #%d: failed after %d attempts (%s); the person is told", received.id,
                        received.attempts + 1, handling.error.__class__.__name__)
            await self.store.done(received.id, "failed")
            await self._tell_truth(update, received.id)
        return None

    async def _tell_truth(self, update: Update, inbox_id: int) -> None:
        """After the last attempt: say whether what the person sent was kept."""
        chat = update.effective_chat
        if chat is None or update.effective_user is None:
            return
        t = await self._translator(update)
        if await self.store.left_records(inbox_id):
            text = t("Sorry, something went wrong on our side. What you sent was kept; there is no need to "
                     "send it again.")
        elif update.callback_query is not None:
            text = t("Sorry, something went wrong on our side and your choice was not saved. Please try again "
                     "in a moment.")
        else:
            text = t("Sorry, something went wrong on our side and what you just sent could not be handled: it "
                     "was not kept. Please send it again in a moment.")
        try:
            await self.app.bot.send_message(chat.id, text)
        except TelegramError as exc:
            log.warning("could not tell a person about a failed update (%s)", exc.__class__.__name__)

    async def _translator(self, update: Update) -> Translator:
        default = self.services.settings.default_language
        try:
            person = await self.services.core.people.find(update.effective_user.id)
        except Exception:  # noqa: BLE001 - the database may be what failed
            person = None
        return Translator(person.language if person else pick_language(update.effective_user.language_code, default))

    def _handler_name(self, update: Update) -> str:
        for handler in self.app.handlers.get(0, []):
            check = handler.check_update(update)
            if check is not None and check is not False:
                callback = handler.callback
                return f"{callback.__module__}.{callback.__qualname__}"
        return "no handler"

    # Polling ------------------------------------------------------------------------------

    async def poll(self, stop: asyncio.Event, *, timeout: int = 10, interval: float = 0.0) -> None:
        """Fetch updates until stopped; each batch is stored before the next call confirms it."""
        bot, offset, pause = self.app.bot, None, 1.0
        while not stop.is_set():
            self._beat("poll", timeout + POLL_LATE)
            try:
                updates = await bot.get_updates(offset=offset, timeout=timeout, allowed_updates=ALLOWED_UPDATES)
                pause = 1.0
            except RetryAfter as exc:
                self._beat("poll", _seconds(exc.retry_after) + POLL_LATE)
                await _sleep(stop, _seconds(exc.retry_after))
                continue
            except TimedOut:
                continue  # a long poll that ended without news
            except NetworkError as exc:
                log.warning("polling: network error (%s); trying again in %.0f s", exc.__class__.__name__, pause)
                self._beat("poll", pause + POLL_LATE)
                await _sleep(stop, pause)
                pause = min(pause * 2, 60.0)
                continue
            except (Forbidden, TelegramError) as exc:
                log.error("polling: Telegram refused getUpdates (%s); trying again in 30 s", exc.__class__.__name__)
                self._beat("poll", 30.0 + POLL_LATE)
                await _sleep(stop, 30.0)
                continue
            if updates:
                self.confirmed = updates[-1].update_id + 1
                raw = [u.to_dict() for u in updates]
                try:
                    await self.receive(raw)
                except Exception as exc:  # noqa: BLE001 - nothing can be stored: say so, then let go
                    if not storage_trouble(exc):
                        raise
                    log.error("inbox: cannot store %d updates (%s)", len(updates), exc.__class__.__name__)
                    await self._refuse(updates)
                offset = updates[-1].update_id + 1
            elif interval:
                self._beat("poll", interval + POLL_LATE)
                await _sleep(stop, interval)

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

    async def _refuse(self, updates: Sequence[Update]) -> None:
        """The database cannot take them: each person learns that nothing was kept."""
        default = self.services.settings.default_language
        told: set[int] = set()
        for update in updates:
            chat, user = update.effective_chat, update.effective_user
            if chat is None or user is None or chat.id in told or update.my_chat_member is not None:
                continue
            told.add(chat.id)
            t = Translator(pick_language(user.language_code, default))
            try:
                await self.app.bot.send_message(chat.id, t(
                    "Sorry, the bot cannot store anything right now. What you just sent was not kept: please "
                    "send it again later."))
            except TelegramError:
                pass

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


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


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
