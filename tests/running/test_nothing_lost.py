"""Nothing lost, nothing repeated: restarts with a question open, updates handled twice,
sends cut off by a crash, outages, blocked people, and errors that tell the truth."""
from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from dataclasses import replace
from datetime import timedelta

import time_machine
from flows import ask_for_conversation, invite_code, join_as_member
from telegram.error import NetworkError, TimedOut
from telegram_double import SimUser

from bot.running.sender import REPEAT_MARK

NOTE = "Private: she mentioned her manager twice"


async def _claimed(running, people, first_message="hello"):
    anna, emma = people(201, "Anna"), people(301, "Emma")
    await join_as_member(running.services, anna, "Anna")
    ref = await ask_for_conversation(emma, first_message=first_message)
    await anna.press(f"claim:{ref}")
    return anna, emma, ref


async def _count(running, sql, *params):
    return await running.services.core.db.fetchval(sql, params)


# What the bot waits for survives a restart ------------------------------------------------

async def test_a_note_typed_after_a_restart_is_kept_not_relayed(running, people):
    anna, emma, ref = await _claimed(running, people)
    await anna.send("/note")
    assert "Write your note" in anna.last().text
    await running.restart()
    before = len(emma.inbox())
    await anna.send(NOTE)
    assert "Note saved" in anna.last().text
    assert len(emma.inbox()) == before and not any(NOTE in m.text for m in emma.inbox())
    assert await _count(running, "SELECT COUNT(*) FROM case_notes") == 1


async def test_nothing_about_a_person_is_kept_in_memory_between_updates(running, people):
    """Who is acting is resolved for each update and kept with that update only: PTB's user and
    chat data, which a restart loses, hold nothing, so nothing the bot relies on can be lost."""
    anna, emma, ref = await _claimed(running, people)
    await emma.send("/language")
    await emma.press("lang:nl", emma.last())
    await anna.send("/note")
    assert "Write your note" in anna.last().text
    await emma.send("hello again")
    assert anna.last().text.endswith("hello again")
    app = running.app
    assert not any(app.user_data.values()) and not any(app.chat_data.values())


async def test_a_note_waiting_for_its_case_survives_a_restart(running, people):
    anna, emma, ref = await _claimed(running, people)
    finn = people(302, "Finn")
    ref2 = await ask_for_conversation(finn, first_message="me too")
    await anna.press(f"claim:{ref2}")
    await anna.send(f"/note {NOTE}")
    choice = anna.last()
    assert "Which conversation is this note for?" in choice.text
    await running.restart()
    await anna.press(f"notefor:{ref2}", choice)
    assert "Note saved" in anna.last().text
    notes = await running.services.casework.notes(await running.services.core.people.find(201), ref2)
    assert [n.body for n in notes[2]] == [NOTE]
    assert not any(NOTE in m.text for m in emma.inbox() + finn.inbox())


async def test_the_request_wizard_and_its_first_message_survive_a_restart(running, people):
    anna, emma = people(201, "Anna"), people(301, "Emma")
    await join_as_member(running.services, anna, "Anna")
    await emma.send("/start")
    await emma.press("ask:start")
    await emma.press("ask:g:woman")
    await running.restart()
    await emma.press("ask:next")
    await emma.press("ask:w:1")
    await emma.press("ask:dep:1")
    await running.restart()
    await emma.send("I cannot sleep any more")
    assert "has been received" in emma.last().text
    request = await running.services.core.requests.by_ref(emma.last().text.split("request ")[1][:5])
    assert (request.preferences.gender, request.department) == ("woman", "Logistics")
    await anna.press("Claim")
    assert any(m.text.endswith("I cannot sleep any more") for m in anna.inbox())


async def test_a_name_a_comment_and_the_access_code_survive_a_restart(running, people, settings):
    anna, emma, ref = await _claimed(running, people)
    bert = people(202, "Bert")
    await bert.send(f"/start {await invite_code(running.services, 'member')}")
    await bert.press("charter:yes")
    await running.restart()
    await bert.send("Bert V.")
    assert "Your gender" in bert.last().text
    member = await running.services.core.members.by_person((await running.services.core.people.find(202)).id)
    assert member.display_name == "Bert V."

    await anna.press_data(f"close:{ref}", anna.last())
    await anna.press(f"out:{ref}:listened")
    await emma.press(f"fb:{ref}:4")
    await running.restart()
    await emma.send("It helped a lot")
    assert "Your comment is kept" in emma.last().text
    assert await _count(running, "SELECT COUNT(*) FROM feedback WHERE comment_enc IS NOT NULL") == 1
    assert not any("It helped a lot" in m.text for m in anna.inbox())


async def test_the_access_code_question_survives_a_restart(running, settings, tmp_path, offline):
    coded = replace(settings, access_code="open-sesame", db_path=tmp_path / "coded" / "w.db")
    bot = type(running)(coded, offline)  # a second bot, set up with an access code
    await bot.start()
    try:
        emma = SimUser(bot.app, offline, 301)
        bot.users.append(emma)
        await emma.send("hello")
        assert "access code" in emma.last().text
        await bot.restart()
        await emma.send("open-sesame")
        assert "the code is right" in emma.inbox()[-2].text
    finally:
        await bot.app.shutdown()
        await bot.app.post_shutdown(bot.app)


async def test_an_answer_to_a_question_that_no_longer_holds_is_never_relayed(running, people):
    anna, emma, ref = await _claimed(running, people)
    await anna.send("/note")
    await emma.send("/start")
    await emma.press(f"end:{ref}")  # the case closes while Anna is typing her note
    await running.restart()
    before = len(emma.inbox())
    await anna.send(NOTE)
    assert "closed, so nothing was changed" in anna.last().text
    assert len(emma.inbox()) == before


# The durable inbox: each update once ----------------------------------------------------

async def test_an_update_sent_again_by_telegram_changes_nothing(running, people):
    anna, emma, ref = await _claimed(running, people)
    inbox = running.app.bot_data["inbox"]
    update = {"update_id": 999_001, "message": {
        "message_id": 77, "date": 0, "chat": {"id": 301, "type": "private"},
        "from": {"id": 301, "is_bot": False, "first_name": "Emma"}, "text": "once only"}}
    assert await inbox.receive([update]) == 1
    assert await inbox.receive([json.loads(json.dumps(update))]) == 0  # Telegram resends it
    await inbox.handle_pending()
    await inbox.receive([update])
    await inbox.handle_pending()
    assert [m.text for m in anna.inbox()].count(f"💬 Colleague {ref}:\nonce only") == 1


async def _replay_last_update(running):
    """What a crash after the handler's work but before the inbox's 'done' looks like."""
    db = running.services.core.db
    last = await db.fetchval("SELECT MAX(id) FROM inbox")
    await db.execute("UPDATE inbox SET state = 'pending', payload_enc = ? WHERE id = ?",
                     (running._kept_payload, last))
    await running.app.bot_data["inbox"].handle_pending()


async def _keep_payloads(running, monkeypatch):
    """Remember the sealed payload of each update so a test can replay it after 'done'."""
    store = running.services.core.inbox
    original = store.done

    async def done(inbox_id, state="done"):
        running._kept_payload = await store.db.fetchval("SELECT payload_enc FROM inbox WHERE id = ?", (inbox_id,))
        await original(inbox_id, state)

    monkeypatch.setattr(store, "done", done)


async def test_a_relay_handled_again_after_a_crash_is_not_relayed_twice(running, people, monkeypatch):
    anna, emma, ref = await _claimed(running, people)
    await _keep_payloads(running, monkeypatch)
    await emma.send("are you there?")
    await _replay_last_update(running)
    assert [m.text for m in anna.inbox()].count(f"💬 Colleague {ref}:\nare you there?") == 1
    assert await _count(running, "SELECT COUNT(*) FROM messages WHERE author = 'requester'") == 2


async def test_a_first_message_handled_again_is_stored_once(running, people, monkeypatch):
    anna, emma = people(201, "Anna"), people(301, "Emma")
    await join_as_member(running.services, anna, "Anna")
    await _keep_payloads(running, monkeypatch)
    await ask_for_conversation(emma, first_message="only once please")
    await _replay_last_update(running)
    assert await _count(running, "SELECT COUNT(*) FROM requests") == 1
    assert await _count(running, "SELECT COUNT(*) FROM messages") == 1


async def test_notes_drafts_and_theme_taps_handled_again_change_nothing(running, people, monkeypatch):
    anna, emma, ref = await _claimed(running, people)
    await _keep_payloads(running, monkeypatch)
    await anna.send(f"/note {NOTE}")
    await _replay_last_update(running)
    assert await _count(running, "SELECT COUNT(*) FROM case_notes") == 1
    finn = people(302, "Finn")
    await anna.press(f"claim:{await ask_for_conversation(finn)}")
    await anna.send("which one?")
    await _replay_last_update(running)
    assert await _count(running, "SELECT COUNT(*) FROM drafts") == 1
    await anna.send("/cases")
    await anna.press(f"tags:{ref}")
    await anna.press(f"tags:{ref}:theme")
    await anna.press(f"tag:{ref}:workload:1")
    await _replay_last_update(running)
    assert await _count(running, "SELECT COUNT(*) FROM case_themes") == 1


# An honest outbox ----------------------------------------------------------------------------

async def test_a_send_cut_off_by_a_crash_goes_again_marked_as_a_possible_repeat(running, people, offline):
    anna, emma, ref = await _claimed(running, people)

    async def crash_during_send(endpoint, params):
        if endpoint == "sendMessage" and "mid-crash" in params["text"]:
            offline.during_call = None
            raise SystemExit  # the process dies with the message on its way

    offline.during_call = crash_during_send
    try:
        await anna.send("mid-crash")
    except SystemExit:
        pass
    await running.restart()
    await running.services.sender.flush()
    copies = [m.text for m in emma.inbox() if "mid-crash" in m.text]
    assert len(copies) == 1 and copies[0].startswith(REPEAT_MARK)
    assert copies[0].endswith("💬 Anna:\nmid-crash")


async def test_a_time_out_is_retried_and_the_retry_says_it_may_be_a_repeat(running, people, offline):
    anna, emma, ref = await _claimed(running, people)
    offline.fail_next["sendMessage"] = TimedOut("read timeout")
    await anna.send("slow network")
    assert not any("slow network" in m.text for m in emma.inbox())
    with time_machine.travel(timedelta(seconds=30)):
        await running.services.sender.flush()
    assert emma.last().text.startswith(REPEAT_MARK) and emma.last().text.endswith("slow network")


async def test_a_three_hour_outage_loses_nothing(running, people, offline):
    anna, emma, ref = await _claimed(running, people)
    bert = people(202, "Bert")
    await join_as_member(running.services, bert, "Bert", gender="man")

    async def outage(endpoint, params):
        if endpoint in ("sendMessage", "editMessageText"):
            raise NetworkError("connection refused")

    offline.during_call = outage
    await anna.send("still here for you")  # stored; nothing reaches anyone while Telegram is away
    assert await _count(running, "SELECT COUNT(*) FROM messages WHERE delivered = 0") == 1
    finn = people(302, "Finn")
    offline.during_call = None
    ref2 = await ask_for_conversation(finn)
    offline.during_call = outage
    await running.services.desk.offer_to_members(await running.services.core.requests.by_ref(ref2), remind=True)
    with time_machine.travel(timedelta(hours=3)):
        for _ in range(40):
            await running.services.sender.flush()
        states = await _count(running, "SELECT COUNT(*) FROM outbox WHERE state IN ('failed', 'blocked')")
        assert states == 0  # time alone never gives up
        delays = await running.services.core.db.fetchall("SELECT not_before FROM outbox WHERE state = 'pending'")
        assert delays
        offline.during_call = None
    with time_machine.travel(timedelta(hours=3, minutes=6)):
        await running.services.sender.flush()
    assert emma.last().text.endswith("still here for you")
    assert any(f"claim:{ref2}" in m.button_data() for m in bert.inbox())


async def test_an_offer_that_waited_through_an_outage_is_not_sent_stale(running, people, offline):
    anna, bert = people(201, "Anna"), people(202, "Bert")
    await join_as_member(running.services, anna, "Anna")
    await join_as_member(running.services, bert, "Bert", gender="man")
    bert_chat = 202

    async def bert_unreachable(endpoint, params):
        if endpoint == "sendMessage" and int(params["chat_id"]) == bert_chat:
            raise NetworkError("down")

    offline.during_call = bert_unreachable
    ref = await ask_for_conversation(people(301, "Emma"))
    await anna.press(f"claim:{ref}")  # taken while Bert's offer still waits
    offline.during_call = None
    with time_machine.travel(timedelta(minutes=10)):
        await running.services.sender.flush()
    assert not any(ref in m.text for m in bert.inbox())
    assert await _count(running, "SELECT COUNT(*) FROM outbox WHERE kind = 'offer' AND state = 'cancelled'") == 1


async def test_a_kept_message_goes_out_when_the_blocked_person_writes_again(running, people, offline):
    anna, emma, ref = await _claimed(running, people)
    offline.fail_next["sendMessage"] = (403, "Forbidden: bot was blocked by the user")
    await anna.send("are you ok?")
    assert any("could not be delivered" in m.text for m in anna.inbox())
    await emma.send("sorry, I had blocked you")
    texts = [m.text for m in emma.inbox()]
    assert any(t.endswith("are you ok?") for t in texts)
    assert "can be reached again" in anna.inbox()[-2].text or "can be reached again" in anna.last().text


async def test_a_stale_taken_edit_never_overwrites_the_winner(running, people, offline):
    anna, bert = people(201, "Anna"), people(202, "Bert")
    await join_as_member(running.services, anna, "Anna")
    await join_as_member(running.services, bert, "Bert", gender="man")
    ref = await ask_for_conversation(people(301, "Emma"))
    bert_offer = bert.last()

    async def no_edits(endpoint, params):
        if endpoint == "editMessageText" and int(params["chat_id"]) == 202:
            raise NetworkError("down")

    offline.during_call = no_edits
    await anna.press(f"claim:{ref}")  # Bert's "taken by another listener" edit waits
    await anna.send("/cases")
    await anna.press(f"back:{ref}")
    await anna.press(f"back:{ref}:overload")  # back to the pool: Bert's offer opens again
    offline.during_call = None
    await bert.press(f"claim:{ref}", bert_offer)
    assert "You took the request of" in bert_offer.text
    with time_machine.travel(timedelta(minutes=10)):
        await running.services.sender.flush()
    assert "You took the request of" in bert_offer.text


# Double taps and errors that tell the truth --------------------------------------------------

async def test_double_taps_are_harmless(running, people, offline):
    anna, emma, ref = await _claimed(running, people)
    await anna.send("/cases")
    card = anna.last()
    while "close:" not in " ".join(card.button_data()):
        card = anna.inbox()[anna.inbox().index(card) - 1]
    await anna.press_data(f"tags:{ref}", card)
    await anna.press_data(f"tags:{ref}", card)  # the same screen again: "not modified" is fine
    await anna.press_data(f"tags:{ref}:level", card)
    await anna.press_data(f"lvl:{ref}:team", card)
    await anna.press_data(f"lvl:{ref}:team", card)
    assert not any("went wrong" in m.text for m in anna.inbox())


async def test_a_failing_handler_tells_the_truth_about_what_was_kept(running, people, monkeypatch):
    anna, emma, ref = await _claimed(running, people)
    talk = running.services.talk
    original = talk.relay

    async def broken(*args, **kwargs):
        await original(*args, **kwargs)
        raise RuntimeError("a bug after the relay was stored")

    monkeypatch.setattr(talk, "relay", broken)
    await emma.send("please answer")
    assert emma.last().text.startswith("Sorry, something went wrong on our side. What you sent was kept")
    assert any(m.text.endswith("please answer") for m in anna.inbox())
    monkeypatch.setattr(talk, "relay", original)

    async def broken_relay(*args, **kwargs):
        raise RuntimeError("a bug before anything was stored")

    monkeypatch.setattr(talk, "relay", broken_relay)
    await emma.send("second try")
    assert "it was not kept. Please send it again" in emma.last().text


def _update(update_id: int, chat: int, text: str, date: int) -> dict:
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": date, "chat": {"id": chat, "type": "private"},
        "from": {"id": chat, "is_bot": False, "first_name": "Emma", "language_code": "en"}, "text": text}}


async def _poll_until(inbox, condition, *, limit: int = 40) -> None:
    """Run the polling loop until `condition()` holds (each call to getUpdates is one step)."""
    stop = asyncio.Event()
    task = asyncio.create_task(inbox.poll(stop, timeout=0, interval=0.001))
    try:
        for _ in range(limit * 10):
            await asyncio.sleep(0.01)
            if condition():
                break
        assert condition()
    finally:
        stop.set()
        await task


async def test_a_full_disk_while_polling_confirms_nothing_and_tells_nobody(running, people, offline, monkeypatch):
    """Issue 25.3: what cannot be stored stays with Telegram (the offset does not move), as in
    webhook mode; nobody is told anything while Telegram still holds what they sent."""
    anna, emma, ref = await _claimed(running, people)
    inbox = running.app.bot_data["inbox"]
    monkeypatch.setattr("bot.running.inbox._sleep", lambda stop, seconds: asyncio.sleep(0))
    stored = inbox.receive
    full = [sqlite3.OperationalError("database or disk is full")] * 3

    async def receive(updates):
        if full:
            raise full.pop()
        return await stored(updates)

    monkeypatch.setattr(inbox, "receive", receive)
    before = len(emma.inbox())
    offline.updates.append(_update(700_001, 301, "kept by Telegram", int(time.time())))
    offline.calls.clear()
    await _poll_until(inbox, lambda: offline.confirmed == [700_001])
    offsets = [params.get("offset") for name, params in offline.calls if name == "getUpdates"]
    assert offsets[:4] == [None, None, None, None]  # asked again and again: confirmed only once stored
    assert offsets[4] == 700_002
    assert emma.inbox()[before:] == []  # nothing said while Telegram held it
    await inbox.handle_pending()
    assert anna.last().text.endswith("kept by Telegram")


async def test_an_update_telegram_is_about_to_drop_is_let_go_and_its_person_told(running, people, offline,
                                                                                  monkeypatch):
    anna, emma, ref = await _claimed(running, people)
    inbox = running.app.bot_data["inbox"]
    monkeypatch.setattr("bot.running.inbox._sleep", lambda stop, seconds: asyncio.sleep(0))

    async def full(updates):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(inbox, "receive", full)
    now = int(time.time())
    offline.updates += [_update(700_011, 301, "sent a day ago", now - 23 * 3600 - 60),
                        _update(700_012, 301, "sent just now", now)]
    await _poll_until(inbox, lambda: 700_011 in offline.confirmed)
    told = [m.text for m in emma.inbox() if "was not kept" in m.text]
    assert told == ["Sorry, the bot cannot store anything right now. What you just sent was not kept: please send "
                    "it again later."]
    assert 700_012 not in offline.confirmed  # the fresh one stays with Telegram


async def test_storage_trouble_during_handling_is_retried_then_told(running, people, monkeypatch):
    anna, emma, ref = await _claimed(running, people)
    talk = running.services.talk

    async def locked(*args, **kwargs):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(talk, "relay", locked)
    await emma.send("hello again")
    assert not any("went wrong" in m.text for m in emma.inbox())  # tried again later, quietly
    inbox = running.app.bot_data["inbox"]
    for seconds in (3, 15, 50, 100):
        with time_machine.travel(timedelta(seconds=seconds)):
            await inbox.handle_pending()
    assert "it was not kept" in emma.last().text
    assert await _count(running, "SELECT state FROM inbox ORDER BY id DESC LIMIT 1") == "failed"
