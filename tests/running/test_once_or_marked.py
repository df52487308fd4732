"""Once per cause, or marked (issue 24): the minimal reproductions of what a person could read
twice unmarked, or what was retried that never could pass."""
from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
import time_machine
from flows import ask_for_conversation, join_as_member
from telegram.error import NetworkError
from telegram_double import Sent

from bot.running.sender import REPEAT_MARK


async def _claimed(running, people, first_message="hello"):
    anna, emma = people(201, "Anna"), people(301, "Emma")
    await join_as_member(running.services, anna, "Anna")
    ref = await ask_for_conversation(emma, first_message=first_message)
    await anna.press(f"claim:{ref}")
    return anna, emma, ref


def _sent_texts(offline, chat_id: int) -> list[str]:
    """Every text the bot asked Telegram to show in a chat, taken or not."""
    return [str(params.get("text", "")) for name, params in offline.calls
            if name == "sendMessage" and int(params.get("chat_id", 0)) == chat_id]


async def test_a_400_is_final_the_handler_is_not_run_again(running, people, offline):
    anna, emma, ref = await _claimed(running, people)
    offline.fail_next["sendMessage"] = (400, "Bad Request: can't parse entities")
    await anna.send("/cases")
    inbox = running.app.bot_data["inbox"]
    for seconds in (3, 15, 50, 100):
        with time_machine.travel(timedelta(seconds=seconds)):
            await inbox.handle_pending()
            await running.services.sender.flush()
    headers = [t for t in _sent_texts(offline, 201) if t.startswith("Your open conversations")]
    assert len(headers) == 1  # asked once: Telegram refused it, and a refusal is not tried again
    assert not any("went wrong" in m.text for m in anna.inbox())  # the cards went; the refusal is logged
    assert sum(1 for m in anna.inbox() if f"close:{ref}" in m.button_data()) == 1


async def test_a_relay_telegram_took_but_answered_502_goes_again_marked(running, people, offline):
    anna, emma, ref = await _claimed(running, people)
    offline.fail_next["sendMessage"] = (502, "Bad Gateway", True)  # Telegram sent it; the answer was lost
    await emma.send("did this arrive?")
    with time_machine.travel(timedelta(minutes=1)):
        await running.services.sender.flush()
    copies = [m.text for m in anna.inbox() if m.text.endswith("did this arrive?")]
    assert len(copies) == 2
    assert not copies[0].startswith(REPEAT_MARK) and copies[1].startswith(REPEAT_MARK)


async def test_a_reset_after_the_request_went_out_goes_again_marked(running, people, offline):
    anna, emma, ref = await _claimed(running, people)
    offline.fail_next["sendMessage"] = (NetworkError("httpx.RemoteProtocolError: Server disconnected"), True)
    await anna.send("call me")
    with time_machine.travel(timedelta(minutes=1)):
        await running.services.sender.flush()
    copies = [m.text for m in emma.inbox() if m.text.endswith("call me")]
    assert len(copies) == 2 and copies[1].startswith(REPEAT_MARK)


# One way out: what an update says is keyed by it, committed with it, and sent after it -------

async def _two_cases(running, people):
    anna, emma, ref = await _claimed(running, people)
    finn = people(302, "Finn")
    ref2 = await ask_for_conversation(finn, first_message="me too")
    await anna.press(f"claim:{ref2}")
    return anna, (ref, ref2)


def _cases_read(anna, since: int = 0) -> list[str]:
    """What /cases showed: "header", then the reference of each card, in order; 🔁 when marked."""
    shown = []
    for message in anna.inbox()[since:]:
        mark = "🔁 " if message.text.startswith(REPEAT_MARK) else ""
        if "Your open conversations" in message.text:
            shown.append(mark + "header")
        elif close := [d for d in message.button_data() if d.startswith("close:")]:
            shown.append(mark + close[0].partition(":")[2])
    return shown


async def test_every_answer_is_keyed_by_its_update_and_its_order(running, people):
    anna, refs = await _two_cases(running, people)
    since = len(anna.inbox())
    await anna.send("/cases")
    assert _cases_read(anna, since) == ["header", *refs]
    db = running.services.core.db
    origin = await db.fetchval("SELECT MAX(id) FROM inbox")
    rows = await db.fetchall("SELECT seq, kind, state FROM outbox WHERE origin = ? ORDER BY seq", (origin,))
    assert [tuple(r) for r in rows] == [(0, "answer", "sent"), (1, "answer", "sent"), (2, "answer", "sent")]
    assert await db.fetchval("SELECT state FROM inbox WHERE id = ?", (origin,)) == "done"


async def test_cases_stopped_by_a_crash_inside_the_handler_says_its_header_once(running, people, monkeypatch):
    """The issue's reproduction: the header was said, then the process died before the cards."""
    anna, refs = await _two_cases(running, people)
    casework = running.services.casework
    original = casework.routes

    def dies(*args, **kwargs):
        raise SystemExit  # the process is killed while the handler draws the first card

    monkeypatch.setattr(casework, "routes", dies)
    since = len(anna.inbox())
    with pytest.raises(SystemExit):
        await anna.send("/cases")
    assert anna.inbox()[since:] == []  # nothing was said before the handling was committed
    monkeypatch.setattr(casework, "routes", original)
    await running.restart()
    await running.app.bot_data["inbox"].handle_pending()
    assert _cases_read(anna, since) == ["header", *refs]


async def test_a_crash_while_a_card_is_on_its_way_sends_only_that_card_again_marked(running, people, offline):
    anna, refs = await _two_cases(running, people)
    handled = 0
    listener_cases = running.app.handlers[0]
    for handler in listener_cases:
        if getattr(handler, "commands", None) and "cases" in handler.commands:
            original = handler.callback

            async def counted(update, context, original=original):
                nonlocal handled
                handled += 1
                await original(update, context)

            handler.callback = counted

    async def crash_on_the_first_card(endpoint, params):
        if endpoint == "sendMessage" and f"close:{refs[0]}" in str(params.get("reply_markup")):
            offline.during_call = None
            offline._answer(endpoint, params)  # Telegram took it...
            raise SystemExit  # ...and the bot died before it heard so

    offline.during_call = crash_on_the_first_card
    since = len(anna.inbox())
    with pytest.raises(SystemExit):
        await anna.send("/cases")
    await running.restart()
    await running.app.bot_data["inbox"].handle_pending()
    await running.services.sender.flush()
    # What was in flight when the bot died goes again marked: the first card (Telegram had it) and
    # the second (it had not left yet, which nobody can know after a crash: honest over-marking).
    assert _cases_read(anna, since) == ["header", refs[0], f"🔁 {refs[0]}", f"🔁 {refs[1]}"]
    assert handled == 1  # the update was handled once: what it said went, or went again marked


async def test_a_502_on_one_card_sends_that_card_again_marked_and_nothing_else(running, people, offline):
    anna, refs = await _two_cases(running, people)
    calls = 0

    async def bad_gateway_on_the_first_card(endpoint, params):
        nonlocal calls
        if endpoint == "sendMessage" and f"close:{refs[0]}" in str(params.get("reply_markup")) and not calls:
            calls += 1
            offline.fail_next["sendMessage"] = (502, "Bad Gateway")

    offline.during_call = bad_gateway_on_the_first_card
    since = len(anna.inbox())
    await anna.send("/cases")
    assert _cases_read(anna, since) == ["header"]  # the second card waits for the first: never out of order
    with time_machine.travel(timedelta(seconds=30)):
        await running.services.sender.flush()
    assert _cases_read(anna, since) == ["header", f"🔁 {refs[0]}", refs[1]]


async def test_storage_trouble_after_an_answer_rolls_it_back_and_the_retry_says_it_once(running, people, monkeypatch):
    anna, refs = await _two_cases(running, people)
    casework = running.services.casework
    original = casework.routes
    failures = [sqlite3.OperationalError("database is locked")]

    def locked_once(*args, **kwargs):  # after the header was said
        if failures:
            raise failures.pop()
        return original(*args, **kwargs)

    monkeypatch.setattr(casework, "routes", locked_once)
    since = len(anna.inbox())
    await anna.send("/cases")
    assert anna.inbox()[since:] == []  # rolled back: the header it had said is gone with the rest
    with time_machine.travel(timedelta(seconds=3)):
        await running.app.bot_data["inbox"].handle_pending()
    assert _cases_read(anna, since) == ["header", *refs]


async def test_an_answer_to_a_press_on_a_message_that_is_gone_comes_as_a_new_message(running, people):
    anna, emma, ref = await _claimed(running, people)
    await anna.send("/cases")
    card = anna.last()
    gone = Sent(card.chat_id, 99_999, card.text, card.buttons, raw={**card.raw, "message_id": 99_999})
    before = len(anna.inbox())
    await anna.press_data(f"tags:{ref}", gone)  # the person deleted the card, Telegram still had the press
    fresh = anna.inbox()[before:]
    assert len(fresh) == 1 and "Themes and level are not free text" in fresh[0].text
    assert f"tags:{ref}:done" in fresh[0].button_data()


async def test_a_double_tap_changes_nothing_and_is_no_error(running, people, offline, caplog):
    anna, emma, ref = await _claimed(running, people)
    await anna.send("/cases")
    card = anna.last()
    await anna.press_data(f"tags:{ref}", card)
    edits = card.edits
    await anna.press_data(f"tags:{ref}", card)  # the same screen again: Telegram says "not modified"
    assert card.edits == edits
    assert not any("went wrong" in m.text for m in anna.inbox())
    assert "rejected by Telegram" not in caplog.text


async def test_an_alert_telegram_no_longer_takes_comes_as_a_message(running, people, offline):
    anna, emma, ref = await _claimed(running, people)
    offline.fail_next["answerCallbackQuery"] = (400, "Bad Request: query is too old and response timeout "
                                                     "expired or query ID is invalid")
    await anna.press_data("claim:NOPE1", anna.last())  # a stale button: its refusal is an alert
    assert anna.last().text == "This button is no longer valid."
    assert sum(1 for m in anna.inbox() if m.text == "This button is no longer valid.") == 1


async def test_every_press_is_answered_first_and_once(running, people, offline):
    anna, emma, ref = await _claimed(running, people)
    await anna.send("/cases")
    offline.calls.clear()
    await anna.press_data(f"tags:{ref}", anna.last())
    methods = offline.methods()
    assert methods[0] == "answerCallbackQuery" and methods.count("answerCallbackQuery") == 1


# A reply to a first copy whose Telegram id was never recorded ---------------------------------

@pytest.mark.parametrize("interruption", ["crash", "502"])
async def test_a_reply_to_the_first_unrecorded_copy_still_finds_its_conversation(running, people, offline,
                                                                                  interruption):
    anna, emma, ref = await _claimed(running, people)
    finn = people(302, "Finn")
    await anna.press(f"claim:{await ask_for_conversation(finn, first_message='me too')}")  # two cases: she must choose

    async def taken_then_crash(endpoint, params):
        if endpoint == "sendMessage" and str(params.get("text", "")).endswith("are you still there?"):
            offline.during_call = None
            offline._answer(endpoint, params)  # Telegram showed it to Anna...
            raise SystemExit  # ...and the bot died before it heard so

    if interruption == "crash":
        offline.during_call = taken_then_crash
        with pytest.raises(SystemExit):
            await emma.send("are you still there?")
        await running.restart()
    else:
        offline.fail_next["sendMessage"] = (502, "Bad Gateway", True)
        await emma.send("are you still there?")
    with time_machine.travel(timedelta(minutes=1)):
        await running.services.sender.flush()
    first, second = [m for m in anna.inbox() if m.text.endswith("are you still there?")]
    assert second.text.startswith(REPEAT_MARK)
    await anna.send("yes, I am here", reply_to=first)  # Telegram's reply, to the copy the bot never heard of
    assert not any("Which conversation" in m.text for m in anna.inbox())
    assert emma.last().text.endswith("yes, I am here") and not any("yes, I am here" in m.text for m in finn.inbox())
    fingerprints = await running.services.core.db.fetchall("SELECT fingerprint FROM outbox WHERE fingerprint IS NOT NULL")
    assert len(fingerprints) == 1 and b"still there" not in fingerprints[0][0]  # a keyed hash, nothing readable
