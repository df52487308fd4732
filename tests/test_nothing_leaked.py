"""Nothing leaked: removal and revocation, routing by the requester's language, pauses,
metadata at rest, and deletions that are gone from the files at once."""
from __future__ import annotations

import re
from datetime import timedelta

import time_machine
from flows import ask_for_conversation, invite_code, join_as_member


async def _coordinators(services, people, *ids):
    found = []
    for number, user_id in enumerate(ids):
        boss = people(user_id, f"Boss{number}")
        await boss.send(f"/start {await invite_code(services, 'coordinator')}")
        await boss.send(f"Coordinator {number}")  # the name the others see
        found.append(boss)
    return found


def _files(settings) -> bytes:
    db = settings.db_path
    return b"".join(p.read_bytes() for p in db.parent.iterdir() if p.name.startswith(db.name))


# Removal and revocation ------------------------------------------------------------------

async def test_a_coordinator_removes_a_listener_and_their_buttons_die(services, people):
    (boss,) = await _coordinators(services, people, 900)
    anna, bert = people(201, "Anna"), people(202, "Bert")
    await join_as_member(services, anna, "Anna")
    await join_as_member(services, bert, "Bert", gender="man")
    emma = people(301, "Emma")
    ref = await ask_for_conversation(emma, first_message="hello")
    await anna.press(f"claim:{ref}")
    old_offer = next(m for m in bert.inbox() if ref in m.text)

    await boss.send("/team")
    await boss.press("Remove Anna")
    await boss.press("Yes, remove")
    assert "Anna is no longer a listener" in boss.last().text
    assert "handed to other listeners: 1" in boss.last().text
    assert "ended your role as listener" in anna.last().text
    assert "could not make contact. Another listener will be asked" in emma.last().text and "Anna" not in emma.last().text
    assert any(f"claim:{ref}" in m.button_data() for m in bert.inbox()[bert.inbox().index(old_offer) + 1:])

    before = len(emma.inbox())
    await anna.press_data(f"claim:{ref}", old_offer)  # an old button of a removed listener
    await anna.send("still there?")
    assert len(emma.inbox()) == before
    assert await services.core.db.fetchval("SELECT COUNT(*) FROM audit_log WHERE action = 'removed_member'") == 1


async def test_removing_a_coordinator_takes_two_and_never_the_last(services, people):
    one, two, three = await _coordinators(services, people, 901, 902, 903)
    await one.send("/team")
    await one.press("Remove Coordinator 1")
    await one.press("Yes, remove")
    assert "asked to agree" in one.last().text
    two_person = await services.core.people.find(902)
    assert "coordinator" in two_person.roles  # not yet
    assert "Do you agree?" in three.last().text
    proposal = three.last()
    await two.press_data(proposal.button_data()[0], proposal)  # the one it is about cannot agree
    assert "coordinator" in (await services.core.people.find(902)).roles
    await three.press("Yes, remove")
    assert "Coordinator 1 is no longer a coordinator" in three.last().text
    assert "ended your role as coordinator" in two.last().text
    assert "coordinator" not in (await services.core.people.find(902)).roles

    await one.send("/team")
    await one.press("Remove Coordinator 2")
    await one.press("Yes, remove")
    assert "cannot be removed" in one.last().text  # nobody else left to agree
    assert len(await services.core.people.with_role("coordinator")) == 2


async def test_a_steering_member_is_removed_and_an_invitation_cancelled(services, people):
    (boss,) = await _coordinators(services, people, 900)
    sam = people(500, "Sam")
    await sam.send(f"/start {await invite_code(services, 'steering')}")
    await sam.send("Sam S.")
    await boss.send("/invite")
    await boss.press("inv:member")
    code = re.search(r"start=(\S+)", boss.last().text)[1]
    await boss.send("/team")
    assert "Sam S." in boss.last().text and "Open invitation" in boss.last().text
    await boss.press("Cancel invitation")
    assert "cancelled" in boss.last().text
    late = people(203, "Late")
    await late.send(f"/start {code}")
    assert "was cancelled" in late.last().text
    assert await services.core.members.by_person((await services.core.people.find(203)).id) is None

    await boss.send("/team")
    await boss.press("Remove Sam S.")
    await boss.press("Yes, remove")
    assert "steering" not in (await services.core.people.find(500)).roles
    assert "ended your role as steering group member" in sam.last().text


async def test_only_coordinators_can_remove(services, people):
    await _coordinators(services, people, 900)
    anna = people(201, "Anna")
    await join_as_member(services, anna, "Anna")
    boss_person = await services.core.people.find(900)
    for forged in (f"rm:coordinator:{boss_person.id}:yes", f"rm:member:{boss_person.id}:yes", "invx:1", "rmd:1:yes"):
        await anna.press_data(forged, anna.last())
    assert "coordinator" in (await services.core.people.find(900)).roles
    assert "This is for coordinators only." in [a for _, p in anna.request.calls
                                                if _ == "answerCallbackQuery" for a in [p.get("text")]]


# Language and availability ----------------------------------------------------------------

async def test_only_listeners_who_speak_the_chosen_language_get_the_offer(services, people):
    anna, bert = people(201, "Anna"), people(202, "Bert")
    await join_as_member(services, anna, "Anna", languages=("nl", "fr"))
    await join_as_member(services, bert, "Bert", gender="man", languages=("en",))
    emma = people(301, "Emma", "en")
    ref = await ask_for_conversation(emma)
    assert not any(ref in m.text for m in anna.inbox())
    offer = next(m for m in bert.inbox() if ref in m.text)
    assert "Their language: English" in offer.text
    await anna.press_data(f"claim:{ref}", anna.last())
    assert (await services.core.requests.by_ref(ref)).state == "offered"

    # Chosen in the wizard: Dutch this time, although Telegram says English.
    finn = people(302, "Finn", "en")
    ref2 = await ask_for_conversation(finn, choices=("ask:l:nl",), allow_widening=False)
    assert any(ref2 in m.text for m in anna.inbox()) and not any(ref2 in m.text for m in bert.inbox())


async def test_widening_relaxes_the_language_only_with_consent(services, people):
    anna = people(201, "Anna")
    await join_as_member(services, anna, "Anna", languages=("nl",))
    with time_machine.travel(timedelta(0), tick=False) as clock:
        asked = await ask_for_conversation(people(301, "Emma", "en"), allow_widening=True)
        refused = await ask_for_conversation(people(302, "Finn", "en"), allow_widening=False)
        clock.shift(timedelta(hours=4, minutes=1))
        await services.promise.sweep()
        await services.sender.flush()
    assert any(asked in m.text for m in anna.inbox())
    assert not any(refused in m.text for m in anna.inbox())


async def test_a_paused_listener_loses_open_offers_and_cannot_claim_old_ones(services, people):
    anna, bert = people(201, "Anna"), people(202, "Bert")
    await join_as_member(services, anna, "Anna")
    await join_as_member(services, bert, "Bert", gender="man")
    ref = await ask_for_conversation(people(301, "Emma"))
    offer = next(m for m in anna.inbox() if ref in m.text)
    await anna.send("/pause")
    assert "You paused, so request" in offer.text and offer.buttons == []
    await anna.press_data(f"claim:{ref}", offer)
    assert (await services.core.requests.by_ref(ref)).state == "offered"
    await anna.send("/resume")
    assert f"claim:{ref}" in anna.last().button_data()  # back: what still waits reaches her


async def test_a_listener_who_left_gives_the_access_code_like_anyone(tmp_path, running, settings, offline):
    from dataclasses import replace

    from telegram_double import SimUser

    bot = type(running)(replace(settings, access_code="open-sesame", db_path=tmp_path / "c" / "w.db"), offline)
    await bot.start()
    try:
        anna = SimUser(bot.app, offline, 201, "Anna")
        await join_as_member(bot.services, anna, "Anna")
        await anna.send("/leave")
        await anna.press("leave:yes")
        await anna.send("/start")
        assert "access code" in anna.last().text
    finally:
        await bot.app.shutdown()
        await bot.app.post_shutdown(bot.app)


# Metadata at rest and deletion ----------------------------------------------------------------

async def test_a_copy_without_the_key_has_no_message_times_wishes_or_languages(services, people, settings):
    anna = people(201, "Anna")
    await join_as_member(services, anna, "Anna", languages=("fr", "en"))
    emma = people(301, "Emma", "fr")
    ref = await ask_for_conversation(emma, choices=("ask:g:woman", "ask:l:fr"), first_message="bonjour")
    await anna.press(f"claim:{ref}")
    await anna.send("Je vous écoute")
    await emma.send("merci")
    await anna.send("/note mal au dos")
    db = services.core.db
    columns = {r[1] for r in await db.fetchall("PRAGMA table_info(requests)")}
    assert not columns & {"language", "pref_gender", "pref_status", "pref_language", "pref_member_id", "allow_widening"}
    assert not {r[1] for r in await db.fetchall("PRAGMA table_info(messages)")} & {"created_at", "delivered_at"}
    assert not {r[1] for r in await db.fetchall("PRAGMA table_info(people)")} & {"language"}
    days = []
    for sql in ("SELECT created_at FROM case_notes", "SELECT at FROM audit_log", "SELECT created_at FROM people",
                "SELECT created_at FROM drafts", "SELECT created_at FROM outbox WHERE state != 'pending'",
                "SELECT not_before FROM outbox WHERE state != 'pending'", "SELECT received_at FROM inbox WHERE state != 'pending'"):
        days += [r[0] for r in await db.fetchall(sql)]
    assert days and all(re.fullmatch(r"\d{4}-\d\d-\d\d", d) for d in days), days
    assert await db.fetchval("SELECT COUNT(*) FROM outbox WHERE sent_at IS NOT NULL") == 0


async def test_notes_refused_at_a_hand_over_are_gone_from_the_files_at_once(services, people, settings):
    anna, bert = people(201, "Anna"), people(202, "Bert")
    await join_as_member(services, anna, "Anna")
    await join_as_member(services, bert, "Bert", gender="man")
    emma = people(301, "Emma")
    ref = await ask_for_conversation(emma)
    await anna.press(f"claim:{ref}")
    await anna.send("/note hidden detail")
    sealed = bytes(await services.core.db.fetchval("SELECT body_enc FROM case_notes"))
    await services.core.db.checkpoint()
    assert sealed in _files(settings)
    await anna.send("/cases")
    await anna.press(f"back:{ref}")
    await anna.press(f"back:{ref}:overload")
    await emma.press(f"hc:{ref}:n")
    assert sealed not in _files(settings)  # right after, not after the nightly checkpoint


async def test_a_draft_that_was_sent_is_gone_from_the_files_at_once(services, people, settings):
    anna = people(201, "Anna")
    await join_as_member(services, anna, "Anna")
    for user_id in (301, 302):
        ref = await ask_for_conversation(people(user_id, "E"))
        await anna.press(f"claim:{ref}")
    await anna.send("for one of you")
    sealed = bytes(await services.core.db.fetchval("SELECT body_enc FROM drafts"))
    await services.core.db.checkpoint()
    assert sealed in _files(settings)
    choice = anna.last()
    await anna.press_data(choice.button_data()[0], choice)
    assert sealed not in _files(settings)
