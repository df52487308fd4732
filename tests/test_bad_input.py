"""Bad input gets a clear, translated answer and changes nothing."""
from datetime import timedelta

import time_machine
from flows import ask_for_conversation, invite_code, join_as_member

from bot.network.membership import MAX_NAME


async def _state(services):
    db = services.core.db
    return [tuple(r) for r in await db.fetchall(
        "SELECT 'r', id, state, member_id FROM requests UNION ALL SELECT 'o', id, state, member_id FROM offers"
        " UNION ALL SELECT 'i', id, used_at, used_by FROM invites UNION ALL SELECT 'm', id, charter_accepted_at, left_at FROM members"
        " ORDER BY 1, 2")]


async def test_unknown_command(people):
    emma = people(301)
    await emma.send("/frobnicate")
    assert "I do not know that command" in emma.last().text


async def test_used_and_expired_invitations(services, people):
    code = await invite_code(services, "member")
    anna, bert = people(201), people(202)
    await anna.send(f"/start {code}")
    before = await _state(services)
    await bert.send(f"/start {code}")
    assert "already been used" in bert.last().text
    assert await services.core.members.by_person((await services.core.people.find(202)).id) is None
    assert await _state(services) == before

    late = await invite_code(services, "coordinator")
    with time_machine.travel(timedelta(days=8), tick=False):
        await bert.send(f"/start {late}")
    assert "expired" in bert.last().text
    assert not (await services.core.people.find(202)).roles

    await bert.send("/start iAAAAAAAAAAAAAAAAAAAAAA")
    assert "not valid" in bert.last().text


async def test_forged_and_stale_buttons(services, people, offline):
    anna, emma = people(201), people(301)
    await join_as_member(services, anna, "Anna")
    ref = await ask_for_conversation(emma)
    before = await _state(services)
    offer = anna.last()
    for forged in ("claim:ZZZZZ", "claim:'; DROP TABLE requests;--", "to:99:AAAAA", "inv:member",
                   "withdraw:ZZZZZ", "prof:g:alien", "ask:g:woman", "nonsense"):
        await anna.press_data(forged, offer)
    assert await _state(services) == before
    assert ref in offer.text and offer.edits == 0
    alerts = [p.get("text") for name, p in offline.calls if name == "answerCallbackQuery"]
    assert alerts.count("This button is no longer valid.") >= 6


async def test_non_member_cannot_claim(services, people, offline):
    anna, emma, eve = people(201), people(301), people(302)
    await join_as_member(services, anna, "Anna")
    ref = await ask_for_conversation(emma)
    before = await _state(services)
    await eve.send("/start")
    await eve.press_data(f"claim:{ref}", anna.last())
    alerts = [p.get("text") for name, p in offline.calls if name == "answerCallbackQuery"]
    assert "Only listeners of the network can claim requests." in alerts
    assert await _state(services) == before


async def test_second_open_request_is_refused(services, people):
    emma = people(301)
    await ask_for_conversation(emma)
    before = await _state(services)
    await emma.send("/start")
    assert "waiting for a listener" in emma.last().text
    await emma.press_data("ask:start", emma.last())
    assert "one at a time" in emma.inbox()[-2].text
    assert await _state(services) == before


async def test_overlong_text_is_refused(services, people):
    anna, emma = people(201), people(301)
    await join_as_member(services, anna, "Anna")
    await ask_for_conversation(emma)
    await anna.press("Claim")
    before = await services.core.db.fetchval("SELECT COUNT(*) FROM messages")
    await emma.send("x" * 4000)
    assert "too long" in emma.last().text
    assert await services.core.db.fetchval("SELECT COUNT(*) FROM messages") == before


async def test_role_commands_refuse_strangers(people):
    emma = people(301)
    await emma.send("/invite")
    assert "coordinators only" in emma.last().text
    await emma.send("/members")
    assert "coordinators only" in emma.last().text
    await emma.send("/cases")
    assert "for listeners" in emma.last().text
    await emma.send("/profile")
    assert "for listeners" in emma.last().text


async def test_text_without_conversation_and_non_text(services, people):
    emma = people(301)
    await emma.send("hello?")
    assert "no open conversation" in emma.last().text
    await emma.send_raw({"photo": [{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}]})
    assert "Photos and files are not passed on" in emma.last().text
    await emma.send_raw({"voice": {"file_id": "v", "file_unique_id": "w", "duration": 3}})
    assert "a voice or a face can tell who you are" in emma.last().text
    await emma.send_raw({"sticker": {"file_id": "s", "file_unique_id": "t", "width": 1, "height": 1,
                                     "is_animated": False, "is_video": False, "type": "regular"}})
    assert "only pass on text" in emma.last().text
    assert await services.core.db.fetchval("SELECT COUNT(*) FROM messages") == 0


async def test_group_chats_are_refused(services, people, offline):
    emma = people(301)
    await emma._process({"message": {
        "message_id": 1, "date": 0, "chat": {"id": -100123, "type": "supergroup", "title": "Team"},
        "from": emma.user, "text": "/start", "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
    }})
    assert "private chats" in offline.order[-1].text
    assert await services.core.db.fetchval("SELECT COUNT(*) FROM people") == 0


async def test_wrong_access_code(settings, offline):
    from dataclasses import replace

    from telegram_double import SimUser

    from bot.app import build_application

    app = build_application(replace(settings, access_code="ACME-2026"), request=offline, rate_limit=False)
    await app.initialize()
    await app.post_init(app)
    try:
        emma = SimUser(app, offline, 301)
        await emma.send("/start")
        assert "access code" in emma.last().text
        await emma.send("wrong")
        assert "not right" in emma.last().text
        await emma.send("/start")
        await emma.send("ACME-2026")
        assert "Ask for a conversation" in [b["text"] for row in emma.last().buttons for b in row]
        frank = SimUser(app, offline, 302)
        await frank.send("/start ACME-2026")
        assert "the code is right" in frank.inbox()[0].text
    finally:
        await app.shutdown()
        await app.post_shutdown(app)


async def test_a_name_too_long_is_asked_again_by_each_name_question(services, people):
    """A listener's name, a coordinator's, a volunteer's: the same answer to a bad one, the question
    still open, and the next good name closes it."""
    anna, boss, emma = people(201, "Anna"), people(900, "Boss"), people(301, "Emma")
    await anna.send(f"/start {await invite_code(services, 'member')}")
    await anna.press("charter:yes")
    await boss.send(f"/start {await invite_code(services, 'coordinator')}")
    await emma.send("/start")
    await emma.press("vol")
    for user, good, after in ((anna, "Anna", "Your gender"), (boss, "Boss", "Use /start to see what you can do"),
                              (emma, "Emma", "The coordinators have your wish")):
        await user.send("x" * (MAX_NAME + 1))
        assert user.last().text == f"Please send a name of 1 to {MAX_NAME} characters."
        await user.send(good)
        assert after in user.last().text, user.texts()
        assert await services.prompts.current(await services.core.people.find(user.id)) is None
