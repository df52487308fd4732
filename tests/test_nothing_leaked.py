"""Nothing leaked: removal and revocation, decisions that take two people, what /audit and the name
warning answer, routing by the requester's language, pauses,
metadata at rest, and deletions that are gone from the files at once."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import time_machine
from flows import ask_for_conversation, invite_code, join_as_member
from steering_flows import (
    SLOT_W46,
    T0,
    history,
    listeners,
    steering,
    sweep,
)

from bot.foundations import prompts
from bot.foundations.crypto import DecryptionError
from bot.foundations.model import Result
from bot.foundations.storage.sealed import SEALED_COLUMNS


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


async def test_removing_a_coordinator_takes_two_time_and_never_the_last(running, services, people):
    with time_machine.travel(T0, tick=False) as clock:
        one, two, three = await _coordinators(services, people, 901, 902, 903)
        clock.shift(timedelta(days=8))  # all three may take part in a decision that takes two people
        await one.send("/team")
        await one.press("Remove Coordinator 1")
        await one.press("Yes, remove")
        assert "asked to agree" in one.last().text
        assert "Do you agree?" in three.last().text
        proposal = three.last()
        await two.press_data(proposal.button_data()[0], proposal)  # the one it is about cannot agree
        await three.press("Yes, remove")
        assert "stops being a coordinator on" in three.last().text
        assert "decided to end your role as coordinator" in two.last().text
        assert "coordinator" in (await services.core.people.find(902)).roles  # not yet: the delay runs
        clock.shift(timedelta(hours=47, minutes=59))
        assert await services.membership.carry_out_removals() == 0
        await running.restart()  # the moment it takes effect is in the database, not in memory
        clock.shift(timedelta(minutes=1))
        assert await running.services.membership.carry_out_removals() == 1
        await running.services.sender.flush()
        # Told that two decided it, by both names (walk 1, finding 12), not "a coordinator ended it".
        assert two.last().text.startswith("Your role as coordinator in the vigilance network has ended, as "
                                          "Coordinator 0 (#1) and Coordinator 2 (#3) decided and nobody stopped.")
        assert "coordinator" not in (await running.services.core.people.find(902)).roles
        assert "Coordinator 1 (#2) is no longer a coordinator" in one.last().text

        await one.send("/team")
        await one.press("Remove Coordinator 2")
        await one.press("Yes, remove")
        assert "cannot be removed" in one.last().text  # nobody else left to agree
        assert len(await running.services.core.people.with_role("coordinator")) == 2


async def test_a_removal_agreed_by_someone_removed_meanwhile_lapses_and_everyone_is_told(services, people):
    with time_machine.travel(T0, tick=False) as clock:
        one, two, three, four = await _coordinators(services, people, 901, 902, 903, 904)
        clock.shift(timedelta(days=8))
        await one.send("/team")
        await one.press("Remove Coordinator 2")
        await one.press("Yes, remove")
        await four.press("Yes, remove")  # three goes in 48 hours
        clock.shift(timedelta(hours=1))
        await one.send("/team")
        await one.press("Remove Coordinator 1")
        await one.press("Yes, remove")
        await three.press("Yes, remove", next(m for m in reversed(three.inbox()) if "Do you agree?" in m.text))
        assert await services.core.db.fetchval("SELECT COUNT(*) FROM removals WHERE state = 'agreed'") == 2
        clock.shift(timedelta(hours=47))
        assert await services.membership.carry_out_removals() == 1  # three's removal
        await services.sender.flush()
        assert "coordinator" not in (await services.core.people.find(903)).roles
        assert any("The removal of Coordinator 1 (#2) as coordinator (proposed by Coordinator 0 (#1), agreed by "
                   "Coordinator 2 (#3)) did not take effect" in m.text for m in two.inbox()[-2:])
        clock.shift(timedelta(hours=2))
        assert await services.membership.carry_out_removals() == 0
        assert "coordinator" in (await services.core.people.find(902)).roles


def _alerts(user) -> list[str]:
    return [p.get("text", "") for name, p in user.request.calls if name == "answerCallbackQuery"]


async def test_a_coordinators_second_phone_is_not_a_second_coordinator(services, people):
    """A coordinator invites their second phone as a coordinator and uses it as "the second
    coordinator" to remove the others: the new account cannot take part for a week, every
    coordinator was told it joined and by whose invitation, every removal it agrees to is
    announced with both names and can be stopped, and the person removed is told at once."""
    with time_machine.travel(T0, tick=False) as clock:
        boss, chris, dana = await _coordinators(services, people, 901, 902, 903)
        clock.shift(timedelta(days=30))
        await boss.send("/invite")
        await boss.press("inv:coordinator")
        code = re.search(r"start=(\S+)", boss.last().text)[1]
        phone = people(904, "Boss2")
        await phone.send(f"/start {code}")
        assert "you can take part in them from Wed 9 Dec 09:00" in phone.inbox()[-2].text
        await phone.send("Coordinator 2")  # the same name as a colleague
        for colleague in (chris, dana):
            joined, named = colleague.inbox()[-2].text, colleague.last().text
            assert "Someone joined the network as coordinator: #4 (no name chosen yet), with an invitation from " \
                   "Coordinator 0 (#1)" in joined
            assert named.startswith("👤 #4, who joined recently, chose the name “Coordinator 2”.")

        await boss.send("/team")
        await boss.press("Remove Coordinator 1")
        await boss.press("Yes, remove")
        proposal = next(m for m in reversed(phone.inbox()) if "Do you agree?" in m.text)
        await phone.press("Yes, remove", proposal)
        assert "you can take part from Wed 9 Dec 09:00" in _alerts(phone)[-1]
        assert await services.core.db.fetchval("SELECT state FROM removals") == "proposed"
        assert "coordinator" in (await services.core.people.find(902)).roles

        clock.shift(timedelta(days=7))
        await phone.press("Yes, remove", proposal)
        assert "coordinator" in (await services.core.people.find(902)).roles  # not at once
        warned = chris.last().text
        assert "Coordinator 0 (#1) and Coordinator 2 (#4) decided to end your role as coordinator" in warned
        announced = dana.last()
        assert "Coordinator 1 (#2) stops being a coordinator on" in announced.text
        assert "Coordinator 0 (#1) proposed it and Coordinator 2 (#4) agreed" in announced.text
        removal = await services.core.db.fetchval("SELECT id FROM removals")
        assert not chris.last().buttons
        await chris.press_data(f"rms:{removal}", chris.last())  # forged: the person removed has no button
        assert "the one it is about cannot" in _alerts(chris)[-1]
        await dana.press("Stop this removal", announced)
        assert "You stopped it" in announced.text
        assert "Coordinator 2 (#3) stopped the removal of Coordinator 1 (#2)" in chris.last().text
        assert "Coordinator 2 (#3) stopped the removal" in boss.last().text
        clock.shift(timedelta(days=3))
        assert await services.membership.carry_out_removals() == 0
        assert "coordinator" in (await services.core.people.find(902)).roles
        assert await services.core.db.fetchval("SELECT stopped_by FROM removals") == \
            (await services.core.people.find(903)).id


async def test_a_second_account_approving_its_owners_message_is_announced_with_both_names(services, people):
    """A coordinator drafts a "you said, we did" and approves it with a second account: not for a
    week, and then every other coordinator and steering member reads who wrote and who approved."""
    with time_machine.travel(T0, tick=False) as clock:
        boss, chris = await _coordinators(services, people, 901, 902)
        sofie = await steering(services, people, name="Sofie")
        await join_as_member(services, people(201, "Anna"), "Anna")
        clock.shift(timedelta(days=30))
        await boss.send("/invite")
        await boss.press("inv:coordinator")
        code = re.search(r"start=(\S+)", boss.last().text)[1]
        phone = people(904, "Boss2")
        await phone.send(f"/start {code}")
        await phone.send("Kim")
        assert "Kim" not in sofie.texts()  # steering members are not told who joins; coordinators are

        await boss.send("/news")
        await boss.press("nwd")
        await boss.send("The canteen opens earlier now.")
        await boss.press("Ask a second person", boss.last())
        assert "Sent to 2 people who may approve it" in boss.last().text  # Chris and Sofie, not the new phone
        news_id = await services.core.db.fetchval("SELECT id FROM news")
        await phone.send("/news")
        await phone.press(f"nwv:{news_id}")
        await phone.press("Publish it")
        assert "you can take part from Wed 9 Dec 09:00" in _alerts(phone)[-1]
        assert await services.core.db.fetchval("SELECT state FROM news") == "pending"

        clock.shift(timedelta(days=7))
        await phone.press("Publish it")
        assert await services.core.db.fetchval("SELECT state FROM news") == "published"
        for colleague in (chris, sofie):
            told = next(m for m in reversed(colleague.inbox()) if "went to" in m.text).text
            # Kim is the fourth with a role (Anna, a listener, is not counted)
            assert "written by Coordinator 0 (#1), approved by Kim (#4)" in told, colleague.user
            assert "The canteen opens earlier now." in told
        assert not any("written by" in m.text for m in phone.inbox())  # the two know already


async def _coordinator_reviews(services, people, clock, boss):
    """The coordinator joins as a listener too, and Monday's digest opens the network's review: the
    review's table in their chat and the code of its first candidate's button."""
    await join_as_member(services, boss, "Boss")
    await listeners(services, people)
    await history(services)
    await sweep(services)
    clock.move_to(SLOT_W46)
    assert await sweep(services) == "2026-W46"
    table = next(m for m in reversed(boss.inbox()) if any(d.startswith("rvc:") for d in m.button_data()))
    return table, next(d for d in table.button_data() if d.startswith("rvc:"))


async def test_a_coordinator_who_is_also_a_listener_does_not_approve_their_own_suggestion(services, people):
    """One person, two roles: their suggestion for the digest needs another coordinator's yes."""
    with time_machine.travel(T0, tick=False) as clock:
        boss, chris = await _coordinators(services, people, 901, 902)
        table, first = await _coordinator_reviews(services, people, clock, boss)
        await boss.press(first, table)
        await boss.press(f"rvs:{first.split(':')[1]}", boss.last())
        await boss.send("Plan the peak weeks with the team leads.")
        assert not any("waits for your approval" in m.text for m in boss.inbox())
        request = next(m for m in reversed(chris.inbox()) if "waits for your approval" in m.text)
        await boss.press_data(request.button_data()[0], boss.last())  # forged: their own approval
        assert "your own suggestion" in _alerts(boss)[-1]
        assert await services.core.db.fetchval("SELECT state FROM suggestions") == "pending"
        await chris.press("Approve", request)
        assert await services.core.db.fetchval("SELECT state FROM suggestions") == "approved"


async def test_the_only_coordinator_who_is_also_a_listener_is_told_their_suggestion_has_no_approver(services,
                                                                                                    people):
    """Nobody approves their own suggestion: with no other coordinator it could only wait unseen, so
    the listener is told before writing, and can write it once a second coordinator joined."""
    with time_machine.travel(T0, tick=False) as clock:
        (boss,) = await _coordinators(services, people, 901)
        table, first = await _coordinator_reviews(services, people, clock, boss)
        await boss.press(first, table)
        candidate = boss.last()
        await boss.press(f"rvs:{first.split(':')[1]}", candidate)
        alone = ("You are the network's only coordinator, and nobody approves their own suggestion, so it could not "
                 "reach the steering group's digest. Please write it once a second coordinator has joined.")
        assert boss.last().text == alone
        me = await services.core.people.find(901)
        assert await services.prompts.current(me) is None  # no question open: a text now is not a suggestion
        # A question opened while a second coordinator was still there: the text is not kept either.
        await services.prompts.wait_for(me, prompts.SUGGESTION, ref=first.split(":")[1])
        await boss.send("Plan the peak weeks with the team leads.")
        assert boss.last().text == alone + " Your text was not kept."
        assert await services.core.db.fetchval("SELECT COUNT(*) FROM suggestions") == 0

        (chris,) = await _coordinators(services, people, 902)
        await boss.press(f"rvs:{first.split(':')[1]}", candidate)
        assert boss.last().text.startswith("Write your suggestion on ")
        await boss.send("Plan the peak weeks with the team leads.")
        assert any("waits for your approval" in m.text for m in chris.inbox())


async def test_a_warned_suggestion_sent_after_the_other_coordinator_left_is_not_left_waiting(services, people):
    """The coordinator-listener is warned (a name), the only other coordinator leaves, then "Send it
    anyway": nobody could approve it, so it is not sent to wait unseen; its author is told so, and
    the text is gone. The service says so too when asked directly."""
    with time_machine.travel(T0, tick=False) as clock:
        boss, chris = await _coordinators(services, people, 901, 902)
        table, first = await _coordinator_reviews(services, people, clock, boss)
        candidate = int(first.split(":")[1])
        await boss.press(f"rvc:{candidate}", table)
        await boss.press(f"rvs:{candidate}", boss.last())
        await boss.send("Talk with Jan about the Monday peaks")
        assert "it contains “Jan”" in boss.last().text
        warned = boss.last()
        heard = len(chris.inbox())
        assert await services.core.people.drop_role((await services.core.people.find(902)).id, "coordinator")

        await boss.press("Send it anyway", warned)
        assert boss.last().text == ("You are the network's only coordinator, and nobody approves their own suggestion, "
                                    "so it could not reach the steering group's digest. Please write it once a second "
                                    "coordinator has joined. Your text was not kept.")
        assert await services.core.db.fetchval("SELECT state FROM suggestions") == "returned"
        assert len(chris.inbox()) == heard

        me = await services.core.people.find(901)
        asked = await services.review.suggest(me, candidate, "Plan the peak weeks with the team leads.")
        assert asked.result is Result.LAST
        assert await services.core.db.fetchval("SELECT COUNT(*) FROM suggestions WHERE state != 'returned'") == 0


async def test_a_new_account_that_stops_a_removal_is_too_new(services, people):
    """The coordinator being removed invites a second phone to press "Stop": it is too new."""
    with time_machine.travel(T0, tick=False) as clock:
        boss, chris, dana = await _coordinators(services, people, 901, 902, 903)
        clock.shift(timedelta(days=30))
        await chris.send("/invite")
        await chris.press("inv:coordinator")
        code = re.search(r"start=(\S+)", chris.last().text)[1]
        await boss.send("/team")
        await boss.press("Remove Coordinator 1")
        await boss.press("Yes, remove")
        await dana.press("Yes, remove")
        phone = people(904, "Chris2")
        await phone.send(f"/start {code}")
        await phone.send("Chris too")
        await phone.press_data(f"rms:{await services.core.db.fetchval('SELECT id FROM removals')}", phone.last())
        assert "you can take part from" in _alerts(phone)[-1]
        assert await services.core.db.fetchval("SELECT state FROM removals") == "agreed"
        clock.shift(timedelta(hours=48))
        assert await services.membership.carry_out_removals() == 1
        assert "coordinator" not in (await services.core.people.find(902)).roles


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


# What the audit trail answers -----------------------------------------------------------------------

async def test_a_coordinator_polling_the_audit_learns_nothing_about_today(services, people):
    """A coordinator reads /audit every two minutes while a listener works on a case: every read
    of the day is the same as the first, made before anything happened; the day's entries appear
    the next day, dated to the day."""
    tuesday = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # 09:00 in Brussels
    with time_machine.travel(tuesday, tick=False) as clock:
        (boss,) = await _coordinators(services, people, 900)
        anna = people(201, "Anna")
        await join_as_member(services, anna, "Anna")
        emma = people(301, "Emma")
        ref = await ask_for_conversation(emma, first_message="hello")
        await anna.press(f"claim:{ref}")

        async def poll() -> str:
            clock.shift(timedelta(minutes=2))
            await boss.send("/audit")
            return boss.last().text

        first = await poll()
        reads = [first]
        await anna.send("/note she sounds tired")
        reads.append(await poll())
        await anna.send("/cases")
        await anna.press(f"close:{ref}")
        reads.append(await poll())
        await anna.press(f"out:{ref}:listened")
        reads.append(await poll())
        clock.move_to(datetime(2026, 12, 1, 22, 56, tzinfo=UTC))  # read at 23:58 in Brussels
        reads.append(await poll())
        assert reads == [first] * len(reads)
        assert ref not in first and "Today's entries appear tomorrow." in first

        clock.move_to(datetime(2026, 12, 1, 23, 5, tzinfo=UTC))  # 00:05 on Wednesday in Brussels
        await boss.send("/audit")
        wednesday = boss.last().text
        # Past midnight in Brussels, still Tuesday in UTC: what happens now is Wednesday's.
        await anna.send("/note called back after midnight")
        assert await poll() == wednesday
        assert await services.core.db.fetchval("SELECT COUNT(*) FROM audit_log WHERE at = '2026-12-02'") >= 2
    member = await services.core.members.by_person((await services.core.people.find(201)).id)
    for action in ("added a note", "closed the case"):
        assert f"Tue 1 Dec 2026 · listener #{member.id} · {action} · {ref}" in wednesday
    assert not re.search(r"\d\d:\d\d", wednesday)  # days, never times


# What a warning answers -------------------------------------------------------------------------

async def _warned(employee, text: str) -> bool:
    """An employee opens a concern about a colleague with this first message, reads whether the
    bot warns that it may name someone, and withdraws it (to probe again)."""
    await employee.send("/start")
    await employee.press("ask:concern")
    await employee.press("ask:next")
    if "ask:w:1" in employee.last().button_data():
        await employee.press("ask:w:1")
    await employee.press("ask:dep:-")
    await employee.send(text)
    confirmation = employee.last()
    warned = "may name someone" in confirmation.text
    withdraw = next(d for d in confirmation.button_data() if d.startswith("withdraw:"))
    await employee.press(withdraw, confirmation)  # the confirmation becomes "withdrawn"
    return warned


async def test_the_name_warning_tells_an_employee_nothing_about_who_holds_a_role(services, people):
    """An employee probes names: the warning is the same for the name of a coordinator, a steering
    member or a listener as for a name nobody in the network has, in every position."""
    boss = people(900, "Boss")
    await boss.send(f"/start {await invite_code(services, 'coordinator')}")
    await boss.send("Sofie Peeters")
    sam = people(500, "Sam")
    await sam.send(f"/start {await invite_code(services, 'steering')}")
    await sam.send("Karel")
    await join_as_member(services, people(201, "Anna"), "Anna")
    assert await services.core.people.name((await services.core.people.find(900)).id) == "Sofie Peeters"
    emma = people(301, "Emma")
    templates = ("{} slaapt slecht sinds de reorganisatie.", "Mijn collega {} huilt vaak.",
                 "Ik maak me zorgen om {}, al weken.")
    pairs = (("Sofie", "Wiebke"), ("Peeters", "Verhulst"), ("Karel", "Zoltan"), ("Anna", "Ilse"),
             ("sofie", "wiebke"), ("karel", "zoltan"))
    for template in templates:
        for known, unknown in pairs:
            assert await _warned(emma, template.format(known)) == await _warned(emma, template.format(unknown)), \
                (template, known)
    assert await _warned(emma, "Mijn collega Wiebke huilt vaak.")  # a capitalised name is warned about
    assert not await _warned(emma, "Mijn collega in Production huilt op Maandag.")  # a department, a day


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


async def _sealed_holding(services, marker: str) -> list[bytes]:
    """Every sealed value in the database that holds `marker`, opened with the key as an operator
    who has it would: the text itself, and each delivery or received update that carried it."""
    core, found = services.core, []
    for column in SEALED_COLUMNS:
        where = f" AND {column.only}" if column.only else ""
        rows = await core.db.fetchall(f"SELECT {column.row_key}, {column.stored} FROM {column.table}"
                                      f" WHERE length({column.stored}) > 0{where}")
        for row_id, sealed in rows:
            try:
                if marker.encode() in core.vault.open_bytes(column.table, column.name, row_id, bytes(sealed)):
                    found.append(bytes(sealed))
            except DecryptionError:
                continue
    return found


async def _in_the_files(services, settings, marker: str) -> list[bytes]:
    """The sealed copies of `marker`, each written to the database file (a checkpoint, as at night)."""
    copies = await _sealed_holding(services, marker)
    await services.core.db.checkpoint()
    assert copies and all(c in _files(settings) for c in copies), marker
    return copies


def _gone(settings, copies: list[bytes]) -> bool:
    files = _files(settings)
    return not any(c in files for c in copies)


async def _review_round(services, people, clock):
    """A coordinator, three listeners and the review round of week 46, open on one candidate."""
    boss = people(900, "Boss")
    await boss.send(f"/start {await invite_code(services, 'coordinator')}")
    await boss.send("Boss")
    team = await listeners(services, people)
    await history(services)
    await sweep(services)
    clock.move_to(SLOT_W46)
    assert await sweep(services) == "2026-W46"
    first = next(d for d in team[0].last().button_data() if d.startswith("rvc:"))
    for person in team:
        await person.press(first, person.last())
    return boss, team, int(first.split(":")[1])


async def test_a_suggestion_sent_back_taken_back_or_replaced_is_gone_from_the_files_at_once(
        services, people, settings):
    """An operator with the key and the files, right after each decision: no sealed copy of the
    text (the suggestion, the approval request, the listener's update) is left in the database or
    its write-ahead log."""
    with time_machine.travel(T0, tick=False) as clock:
        boss, (anna, bert, chris), candidate = await _review_round(services, people, clock)

        await anna.press(f"rvs:{candidate}", anna.last())
        await anna.send("Spread the night shifts markeralpha over more teams")
        copies = await _in_the_files(services, settings, "markeralpha")
        await boss.press("Send back", boss.last())
        assert "sent your suggestion" in anna.last().text
        assert _gone(settings, copies)  # sent back by a coordinator

        await bert.press(f"rvs:{candidate}", bert.last())
        await bert.send("Talk with Jan markerbravo about the peaks")
        assert "it contains “Jan”" in bert.last().text
        copies = await _in_the_files(services, settings, "markerbravo")
        await bert.press("Write it again")
        assert _gone(settings, copies)  # taken back by its author after the warning

        await chris.press(f"rvs:{candidate}", chris.last())
        await chris.send("Plan the peaks markercharlie with the team leads")
        copies = await _in_the_files(services, settings, "markercharlie")
        card = next(m for m in reversed(chris.inbox()) if f"rvs:{candidate}" in m.button_data())
        await chris.press(f"rvs:{candidate}", card)
        await chris.send("Plan the peak weeks with the team leads")
        assert "A coordinator reads your suggestion" in chris.last().text
        assert await services.core.db.fetchval("SELECT COUNT(*) FROM suggestions WHERE length(body_enc) > 0") == 1
        # The approval request the coordinator already holds stays on their phone; the bot keeps no copy.
        assert _gone(settings, copies)  # replaced by its author


async def test_a_you_said_we_did_sent_back_is_gone_from_the_files_at_once(services, people, settings):
    with time_machine.travel(T0, tick=False) as clock:
        sofie = await steering(services, people)
        boss = people(900, "Boss")
        await boss.send(f"/start {await invite_code(services, 'coordinator')}")
        await boss.send("Boss")
        clock.shift(timedelta(days=8))  # both may take part in a two-person decision by now
        await boss.send("/news")
        await boss.press("nwd")
        await boss.send("The canteen markerdelta opens earlier now.")
        await boss.press("Ask a second person", boss.last())
        copies = await _in_the_files(services, settings, "markerdelta")
        await sofie.press("Send it back", sofie.last())
        assert "You sent it back." in sofie.last().text
        assert _gone(settings, copies)


async def test_a_message_not_sent_anywhere_is_gone_from_the_files_at_once(services, people, settings):
    anna = people(201, "Anna")
    await join_as_member(services, anna, "Anna")
    for user_id in (301, 302):
        ref = await ask_for_conversation(people(user_id, "E"))
        await anna.press(f"claim:{ref}")
    await anna.send("markerecho for the wrong window")
    choice = anna.last()
    assert "Which conversation is this message for?" in choice.text
    copies = await _in_the_files(services, settings, "markerecho")
    await anna.press("Do not send it", choice)
    assert "Not sent" in choice.text
    assert await services.core.db.fetchval("SELECT COUNT(*) FROM drafts") == 0
    assert _gone(settings, copies)


async def test_a_team_signal_replaced_is_gone_from_the_files_at_once(services, people, settings):
    emma = people(301, "Emma")
    for department in (1, 2):  # Logistics, then Office
        await emma.send("/start")
        await emma.press("sig")
        await emma.press(f"sig:d:{department}")
        await emma.press("sig:t:workload:1")
        await emma.press("sig:n")
        await emma.press("sig:l:team")
        await emma.press("sig:s")
        if department == 1:
            await services.core.db.checkpoint()
            assert b"Logistics" in _files(settings)
    assert await services.core.db.fetchval("SELECT department FROM team_signals") == "Office"
    assert b"Logistics" not in _files(settings)  # the replaced signal's department, in the clear before


async def test_role_numbers_count_role_holders_only(services, people):
    """Walk 1, finding 11: the "#N" of announcements, /team and /audit numbers the people who got a
    coordinator or steering role, so no coordinator can count how many colleagues opened the bot
    between two role joins."""
    with time_machine.travel(T0, tick=False):
        boss = people(901, "Griet")
        await boss.send(f"/start {await invite_code(services, 'coordinator')}")
        await boss.send("Griet")
        for user_id in (301, 302, 303):  # three colleagues only press Start
            await people(user_id, "Colleague").send("/start")
        sofie = people(701, "Sofie")
        await sofie.send(f"/start {await invite_code(services, 'steering')}")
        assert "Someone joined the network as steering group member: #2 (no name chosen yet)" in boss.last().text
        await sofie.send("Sofie")
        assert boss.last().text.startswith("👤 #2, who joined recently, chose the name “Sofie”.")
        await boss.send("/team")
        assert "Sofie (#2): steering group member since" in boss.last().text
        assert "Griet (#1): coordinator since" in boss.last().text
        person = await services.core.people.find(701)
        assert person.id == 5 and await services.core.people.role_number(person.id) == 2  # not #5
