"""Every failure class of a Telegram call, injected into a handler that answers several times.

The real bot runs in this process (its own HTTP layer, python-telegram-bot's httpx request, the
rate limiter) against the Telegram-faithful double; a listener with two open conversations types
/cases, which answers three times: a header and two cards. One answer meets a fault: a time-out
before or after Telegram did the work, a 5xx or a reset before or after, a 429 with retry_after,
a 400, a 403; and a press meets "message is not modified" or "message to edit not found". Each
test asserts what the listener finally reads: nothing twice unmarked, nothing lost but what
Telegram refused, no retry of a refusal; and the disk full while polling: nothing confirmed to
Telegram before it is stored.

Retries are made quick (back-off 0.3 s, the outbox looked at every 0.3 s); nothing else is
changed from a production bot.
"""
from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from double import BotMessage, Fault, TelegramDouble
from flows import invite_code
from kill_driver import (
    DEPARTMENTS,
    MARK,
    ask_for_conversation,
    claim,
    join_as_listener,
)
from telegram.request import HTTPXRequest

import bot.app
import bot.running.inbox
import bot.running.sender
from bot.app import build_application
from bot.foundations.settings import Settings
from bot.running.inbox import serve

QUICK = timedelta(seconds=0.3)
READ_TIMEOUT = 1.0  # the bot's; a "time-out" answers later than this
LATE = 2.0          # how late a delayed answer (or a delayed processing) comes


class InProcessBot:
    """The bot in a thread of its own, with its own event loop; `call` runs a coroutine there."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.loop = asyncio.new_event_loop()
        self.stop_event: asyncio.Event | None = None
        self.app = None
        self.failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="bot", daemon=True)
        self._ready = threading.Event()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        request = HTTPXRequest(connection_pool_size=8, read_timeout=READ_TIMEOUT, write_timeout=READ_TIMEOUT,
                               connect_timeout=READ_TIMEOUT, pool_timeout=READ_TIMEOUT)
        self.app = build_application(self.settings, request=request)

        async def main() -> None:
            self.stop_event = asyncio.Event()
            self._ready.set()
            await serve(self.app, timeout=1, interval=0.05, stop=self.stop_event)

        try:
            self.loop.run_until_complete(main())
        except BaseException as exc:  # noqa: BLE001 - reported by stop()
            self.failure = exc
            self._ready.set()

    def start(self, double: TelegramDouble) -> InProcessBot:
        since = time.monotonic()
        self._thread.start()
        self._ready.wait(30)
        double.wait_for_poll(after=since, timeout=30)
        return self

    def call(self, make, timeout: float = 10.0):
        return asyncio.run_coroutine_threadsafe(make(), self.loop).result(timeout)

    @property
    def services(self):
        return self.app.bot_data["services"]

    def stop(self) -> None:
        if self.stop_event is not None:
            self.loop.call_soon_threadsafe(self.stop_event.set)
        self._thread.join(60)
        assert self.failure is None, repr(self.failure)


@dataclass
class World:
    double: TelegramDouble
    bot: InProcessBot
    listener: object
    refs: tuple[str, str]

    def settle(self, extra: float = 0.0) -> None:
        """Until everything Telegram handed out is stored, handled and delivered, and the double
        heard nothing but polls for a moment."""
        core = self.bot.services.core

        async def nothing_waits() -> bool:
            async with core.db.transaction(durable=False):  # one snapshot of both
                return not await core.db.fetchval(
                    "SELECT (SELECT COUNT(*) FROM inbox WHERE state = 'pending')"
                    " + (SELECT COUNT(*) FROM outbox WHERE state = 'pending')")

        def quiet() -> bool:
            return (not self.double.pending_updates() and self.bot.call(nothing_waits)
                    and time.monotonic() - self.double.last_activity > 0.5)
        self.double.wait_until(quiet, 30, "the bot to deliver everything")
        if extra:
            time.sleep(extra)

    def cases(self, fault: Fault | None = None, *, extra: float = 0.0) -> list[str]:
        """/cases, with a fault on one of its answers; what the listener reads of it, in order:
        "header", then each card's reference, "🔁 " before a copy marked as a possible repeat."""
        self.settle()
        since = len(self.listener.inbox())
        if fault is not None:
            self.double.inject(fault)
        self.listener.send("/cases")
        self.settle(extra)
        self.double.clear_faults()
        return [read(m) for m in self.listener.inbox()[since:]]


def read(message: BotMessage) -> str:
    mark = "🔁 " if message.text.startswith(MARK) else ""
    if "Your open conversations" in message.text:
        return mark + "header"
    if close := [d for d in message.button_data if d.startswith("close:")]:
        return mark + close[0].partition(":")[2]
    return mark + message.text[:40]


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bot.running.sender, "backoff", lambda attempts: QUICK)
        patch.setattr(bot.app, "OUTBOX_INTERVAL", QUICK)
        patch.setattr(bot.running.inbox, "RETRY_DELAYS", (QUICK,) * 3)
        double = TelegramDouble(latency=(0.01, 0.02)).start()
        folder: Path = tmp_path_factory.mktemp("faults")
        settings = Settings(token=double.token, api_base_url=double.api_base_url, db_path=folder / "data" / "w.db",
                            key_file=folder / "keys" / "master.key", departments=DEPARTMENTS,
                            contact_deadline=timedelta(hours=24))
        runner = InProcessBot(settings).start(double)
        try:
            listener = double.user(6_100_000_001, first_name="Jozef", language_code="en")
            join_as_listener(listener, runner.call(lambda: invite_code(runner.services, "member")))
            refs = []
            for n, first in enumerate(("Ik wil graag eens praten", "Mag ik iets vragen")):
                employee = double.user(6_200_000_001 + n, first_name=f"E{n}", language_code="en")
                ref = ask_for_conversation(employee, first)
                claim(listener, employee, ref)
                refs.append(ref)
            world = World(double, runner, listener, tuple(refs))
            world.settle()
            yield world
        finally:
            runner.stop()
            double.stop()
        assert not double.internal_errors, double.internal_errors


def _texts_sent(world: World, ref: str) -> int:
    """How often the bot asked Telegram to show this case's card (taken or not)."""
    return sum(1 for c in world.double.calls_of("sendMessage") if f"close:{ref}" in str(c.params.get("reply_markup")))


def _headers_sent(world: World) -> int:
    return sum(1 for c in world.double.calls_of("sendMessage") if "Your open conversations" in str(c.params.get("text")))


CARD = 1    # the first card: the second of the three answers
HEADER = 0

# (fault, what the listener reads when it meets the first card A; B is the second card)
AMBIGUOUS = {
    "a time-out after Telegram took it": (
        Fault("delay", "sendMessage", seconds=LATE, processed=True), ["header", "A", "🔁 A", "B"]),
    "a 502 after Telegram took it": (
        Fault("status", "sendMessage", status=502, processed=True), ["header", "A", "🔁 A", "B"]),
    "a reset after Telegram took it": (
        Fault("drop", "sendMessage", processed=True), ["header", "A", "🔁 A", "B"]),
    # Telegram did not have it: the one copy is marked all the same (nobody can know): honest over-marking.
    "a 502 before Telegram took it": (Fault("status", "sendMessage", status=502), ["header", "🔁 A", "B"]),
    "a 500 before Telegram took it": (Fault("status", "sendMessage", status=500), ["header", "🔁 A", "B"]),
    "a reset before Telegram took it": (Fault("drop", "sendMessage"), ["header", "🔁 A", "B"]),
    # Telegram does it after the bot gave up waiting: the first copy shows up last.
    "a time-out before Telegram took it": (
        Fault("delay", "sendMessage", seconds=LATE, processed=False), ["header", "🔁 A", "B", "A"]),
}


def _expected(reads: list[str], refs: tuple[str, str]) -> list[str]:
    names = {"A": refs[0], "B": refs[1]}
    return [" ".join(names.get(word, word) for word in r.split(" ")) for r in reads]


@pytest.mark.parametrize("name", list(AMBIGUOUS))
def test_an_answer_whose_fate_is_unknown_goes_again_marked(world, name):
    fault, reads = AMBIGUOUS[name]
    fault.skip = CARD
    before = _headers_sent(world)
    assert world.cases(fault, extra=LATE if fault.kind == "delay" and not fault.processed else 0) == _expected(reads, world.refs)
    assert _headers_sent(world) == before + 1  # the handler ran once: its header was never said again


@pytest.mark.parametrize("name", ["a time-out after Telegram took it", "a 502 after Telegram took it",
                                  "a reset after Telegram took it"])
def test_a_header_whose_fate_is_unknown_goes_again_marked_and_the_cards_wait_for_it(world, name):
    fault, _ = AMBIGUOUS[name]
    fault = Fault(fault.kind, fault.method, seconds=fault.seconds, status=fault.status, processed=True)
    reads = world.cases(fault, extra=LATE if fault.kind == "delay" and not fault.processed else 0)
    assert reads == ["header", "🔁 header", *world.refs]


def test_a_rate_limit_waits_and_nothing_is_marked(world):
    fault = Fault("status", "sendMessage", status=429, retry_after=1, skip=CARD)
    assert world.cases(fault) == ["header", *world.refs]


@pytest.mark.parametrize("target", [HEADER, CARD])
def test_a_400_is_final_nothing_is_tried_again_and_the_rest_arrives(world, target):
    before_a, before_headers = _texts_sent(world, world.refs[0]), _headers_sent(world)
    fault = Fault("status", "sendMessage", status=400, description="Bad Request: can't parse entities",
                  skip=target)
    reads = world.cases(fault)
    missing = "header" if target == HEADER else world.refs[0]
    assert reads == [r for r in ["header", *world.refs] if r != missing]
    assert _texts_sent(world, world.refs[0]) == before_a + 1 and _headers_sent(world) == before_headers + 1
    assert not any("went wrong" in m.text for m in world.listener.inbox())


def test_a_403_records_the_person_as_unreachable_and_tries_nothing_again(world):
    before = _texts_sent(world, world.refs[0])
    fault = Fault("status", "sendMessage", status=403, description="Forbidden: bot was blocked by the user",
                  skip=CARD)
    assert world.cases(fault) == ["header", world.refs[1]]
    assert _texts_sent(world, world.refs[0]) == before + 1
    db = world.bot.services.core.db
    assert world.bot.call(lambda: db.fetchval("SELECT COUNT(*) FROM outbox WHERE state = 'blocked'")) == 1


def _card(world: World, ref: str) -> BotMessage:
    return [m for m in world.listener.inbox() if f"close:{ref}" in m.button_data][-1]


def test_a_double_tap_that_changes_nothing_is_done_and_answered(world):
    ref = world.refs[1]
    world.cases()
    card = _card(world, ref)
    since, edits = len(world.listener.inbox()), len(world.double.calls_of("editMessageText"))
    with world.double._cond:  # two taps before the bot saw either: the second shows the same again
        first = world.listener.press(card, f"tags:{ref}")
        second = world.listener.press(card, f"tags:{ref}")
    world.settle()
    assert world.listener.callback_answer(first) is not None and world.listener.callback_answer(second) is not None
    assert world.listener.inbox()[since:] == []  # nothing new: no "something went wrong", no copy
    tried = world.double.calls_of("editMessageText")[edits:]
    assert [c.status for c in tried] == [200, 400]  # the second refused as "not modified", and not tried again


def test_an_edit_of_a_message_that_is_gone_comes_as_a_new_message_once(world):
    ref = world.refs[0]
    world.cases()
    card = _card(world, ref)
    with world.double._cond:
        query = world.listener.press(card, f"tags:{ref}")
        world.double.messages[(card.chat_id, card.message_id)].deleted = True  # the listener deleted the card
        since = len(world.listener.inbox())
    world.settle()
    assert world.listener.callback_answer(query) is not None
    fresh = world.listener.inbox()[since:]
    assert len(fresh) == 1 and f"tags:{ref}:done" in fresh[0].button_data


def test_a_full_disk_while_polling_confirms_nothing_until_it_is_stored(world, monkeypatch):
    inbox = world.bot.app.bot_data["inbox"]
    stored, failures = inbox.receive, [sqlite3.OperationalError("database or disk is full")] * 2

    async def full_then_fine(updates):
        if failures:
            raise failures.pop()
        return await stored(updates)

    monkeypatch.setattr(bot.running.inbox, "STORAGE_PAUSE_MAX", 0.2)
    inbox.receive = full_then_fine
    try:
        assert world.cases() == ["header", *world.refs]  # nobody was told anything, and nothing was lost
    finally:
        inbox.receive = stored
    record = [u for u in world.double.updates if u.update.get("message", {}).get("text") == "/cases"][-1]
    assert record.handed_out == 3  # handed out again until the bot could store it
    assert record.confirmed_at is not None and record.confirmed_at > record.handed_at[-1]
