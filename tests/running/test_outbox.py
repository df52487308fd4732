"""Nothing is lost: retries, blocked recipients, and a restart with work pending."""
from datetime import timedelta

import pytest
import time_machine
from flows import ask_for_conversation, join_as_member
from telegram import ReactionTypeEmoji
from telegram.error import NetworkError
from telegram_double import SimUser

from bot.app import build_application
from bot.foundations.model import Payload
from bot.running.sender import inline_keyboard


async def _claimed(services, people):
    anna, emma = people(201, "Anna"), people(301, "Emma")
    await join_as_member(services, anna, "Anna")
    ref = await ask_for_conversation(emma)
    await anna.press("Claim")
    return anna, emma, ref


async def _states(services):
    return [r[0] for r in await services.core.db.fetchall("SELECT state FROM outbox ORDER BY id")]


async def test_network_error_is_retried_later(services, people, offline):
    anna, emma, ref = await _claimed(services, people)
    offline.fail_next["sendMessage"] = NetworkError("connection reset")
    await emma.send("are you there?")
    assert "pending" in await _states(services)
    assert not any("are you there?" in m.text for m in anna.inbox())
    assert "Not delivered yet" in emma.last().text
    assert await services.sender.flush() == 0  # not due yet: back-off
    with time_machine.travel(timedelta(minutes=1)):
        assert await services.sender.flush() == 2  # the message, then the reaction that says it arrived
    assert anna.last().text.endswith("are you there?")
    assert "pending" not in await _states(services)


async def test_blocked_member_means_requester_is_told(services, people, offline):
    anna, emma, ref = await _claimed(services, people)
    offline.fail_next["sendMessage"] = (403, "Forbidden: bot was blocked by the user")
    await emma.send("hello?")
    assert "blocked" in await _states(services)
    notice = emma.last()  # the one notice: it cannot go, and it is kept (no "not delivered yet" besides)
    assert "could not be delivered" in notice.text and ref in notice.text
    assert not any("Not delivered yet" in m.text for m in emma.inbox())
    message = await services.core.db.fetchone("SELECT delivered FROM messages ORDER BY id DESC")
    assert message["delivered"] == 0  # kept, visibly not delivered


async def test_pending_work_survives_a_restart(settings, app, services, people, offline):
    anna, emma, ref = await _claimed(services, people)
    offline.fail_next["sendMessage"] = NetworkError("down")
    await anna.send("I will call you tomorrow")
    assert not any("call you tomorrow" in m.text for m in emma.inbox())
    await app.shutdown()
    await app.post_shutdown(app)

    restarted = build_application(settings, request=offline, rate_limit=False)
    await restarted.initialize()
    await restarted.post_init(restarted)
    try:
        with time_machine.travel(timedelta(minutes=1)):
            assert await restarted.bot_data["services"].sender.flush() == 2  # message and reaction
        assert emma.last().text.endswith("I will call you tomorrow")
        # and the bot still knows everyone after the restart
        emma_again = SimUser(restarted, offline, 301)
        await emma_again.send("thanks")
        assert anna.last().text.endswith("thanks")
    finally:
        await restarted.shutdown()
        await restarted.post_shutdown(restarted)
        await app.initialize()  # let the fixture's teardown run cleanly
        await app.post_init(app)


@pytest.mark.parametrize("way", ["rewrite", "replace_or_edit", "replace_or_edit_many"])
async def test_every_way_of_rewriting_a_delivery_in_flight_ends_in_an_edit(services, people, offline, way):
    """An offer that changes while the sender is sending it ends up edited, not stale, whichever
    way it was rewritten: the record of what went looks for a rewrite only when one was made
    since the look at what was due, so each way must count it."""
    anna = people(201, "Anna")
    await join_as_member(services, anna, "Anna")
    person = await services.core.people.find(201)
    outbox = services.core.outbox
    first = await outbox.enqueue(person.id, Payload("old text"))

    async def rewrite_while_sending(endpoint, params):
        if endpoint == "sendMessage" and params["text"] == "old text":
            if way == "rewrite":
                assert await outbox.rewrite(first, Payload("new text"))
            elif way == "replace_or_edit":
                await outbox.replace_or_edit(first, person.id, Payload("new text"))
            else:
                await outbox.replace_or_edit_many([(first, person.id, Payload("new text"))])

    offline.during_call = rewrite_while_sending
    await services.sender.flush()
    if way == "rewrite":  # it tells the sender of nothing new queued: the edit goes at the next flush
        await services.sender.flush()
    assert anna.last().text == "new text"
    assert anna.last().edits == 1  # the message that went out was edited, not a second one sent


async def test_many_messages_changed_at_once_are_rewritten_while_unsent_and_edited_once_sent(services, people):
    anna, bert = people(201, "Anna"), people(202, "Bert")
    for member, name in ((anna, "Anna"), (bert, "Bert")):
        await join_as_member(services, member, name)
    a, b = await services.core.people.find(201), await services.core.people.find(202)
    outbox = services.core.outbox
    sent = await outbox.enqueue(a.id, Payload("offer to Anna"))
    await services.sender.flush()
    unsent = await outbox.enqueue(b.id, Payload("offer to Bert"))
    await outbox.replace_or_edit_many([(sent, a.id, Payload("taken, Anna")), (unsent, b.id, Payload("taken, Bert"))])
    edits = await services.core.db.fetchall("SELECT id, edit_of, payload_enc FROM outbox WHERE edit_of IS NOT NULL")
    assert [row["edit_of"] for row in edits] == [sent]  # only the sent one needs an edit
    assert b"taken" not in edits[0]["payload_enc"]  # sealed, and bound to its own row:
    assert services.core.vault.open("outbox", "payload", edits[0]["id"], edits[0]["payload_enc"])
    await services.sender.flush()
    assert anna.last().text == "taken, Anna" and anna.last().edits == 1
    assert bert.last().text == "taken, Bert" and bert.last().edits == 0  # the rewritten one went as it is now


async def test_a_picture_goes_through_the_outbox_sealed_and_protected(services, people, offline, settings):
    anna = people(201, "Anna")
    await join_as_member(services, anna, "Anna")
    person = await services.core.people.find(201)
    png = b"\x89PNG\r\n\x1a\n" + b"chart-bytes" * 50
    row = await services.core.outbox.enqueue(person.id, Payload("The chart", protect=True, photo=png))
    sealed = await services.core.db.fetchval("SELECT payload_enc FROM outbox WHERE id = ?", (row,))
    assert b"chart-bytes" not in sealed and b"The chart" not in sealed
    assert await services.sender.flush() == 1
    picture = anna.last()
    assert picture.photo == png and picture.text == "The chart" and picture.protect_content
    assert "sendPhoto" in offline.methods()
    assert await services.core.db.fetchval("SELECT payload_enc FROM outbox WHERE id = ?", (row,)) == b""


async def test_the_senders_calls_send_what_ptbs_own_methods_send(services, offline):
    """The sender makes its calls without building a Message of each answer (issue 26): each must
    send Telegram exactly what python-telegram-bot's own method sends, so an upgrade of PTB that
    changes what a method sends fails here first."""
    bot, call = services.sender.bot, services.sender._call
    markup = inline_keyboard([[("Claim", "claim:AB12"), ("Not now", "skip:AB12")]])
    before = inline_keyboard([[("Open", "open:AB12")]])
    cases = [
        (lambda m: bot.send_message(77, "hello", reply_markup=markup, protect_content=True),
         lambda m: call("sendMessage", chat_id=77, text="hello", reply_markup=markup, protect_content=True)),
        (lambda m: bot.send_message(77, "hello", reply_markup=None, protect_content=False),
         lambda m: call("sendMessage", chat_id=77, text="hello", reply_markup=None, protect_content=False)),
        (lambda m: bot.edit_message_text("changed", chat_id=77, message_id=m, reply_markup=markup),
         lambda m: call("editMessageText", chat_id=77, message_id=m, text="changed", reply_markup=markup)),
        (lambda m: bot.edit_message_text("plain", chat_id=77, message_id=m, reply_markup=None),
         lambda m: call("editMessageText", chat_id=77, message_id=m, text="plain", reply_markup=None)),
        (lambda m: bot.edit_message_reply_markup(chat_id=77, message_id=m, reply_markup=markup),
         lambda m: call("editMessageReplyMarkup", chat_id=77, message_id=m, reply_markup=markup)),
        (lambda m: bot.edit_message_reply_markup(chat_id=77, message_id=m, reply_markup=None),
         lambda m: call("editMessageReplyMarkup", chat_id=77, message_id=m, reply_markup=None)),
    ]
    for emoji in ("👌", "✍"):
        cases.append((lambda m, e=emoji: bot.set_message_reaction(77, m, e),
                      lambda m, e=emoji: call("setMessageReaction", chat_id=77, message_id=m,
                                              reaction=[ReactionTypeEmoji(e)])))
    for ptb, ours in cases:
        # Each edits a message of its own (Telegram refuses an edit that changes nothing).
        one, other = [(await bot.send_message(77, "as it was", reply_markup=before)).message_id for _ in "ab"]
        await ptb(one)
        endpoint, sent_by_ptb = offline.calls[-1]
        answer = await ours(other)
        assert offline.calls[-1] == (endpoint, {**sent_by_ptb, **({"message_id": other} if "message_id" in sent_by_ptb else {})})
        if endpoint == "setMessageReaction":
            assert answer is True
            continue
        # The message id Telegram gave (a new message) or kept (an edit) is read from its answer.
        assert answer["message_id"] == (offline.order[-1].message_id if endpoint == "sendMessage" else other)
