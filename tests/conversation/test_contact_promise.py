"""The 24-hour promise, with the clock moved: reminders, widening, breach, urgent path, protection."""
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flows import ask_for_conversation, invite_code, join_as_member, sweep_promises as sweep
from telegram_double import SimUser

from bot.app import build_application

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)  # a Monday, 09:00 in Brussels


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


async def _coordinator(services, people, user_id=900):
    boss = people(user_id, "Coordinator")
    await boss.send(f"/start {await invite_code(services, 'coordinator')}")
    return boss


async def test_unclaimed_request_is_reoffered_at_checkpoints_once(services, people, clock):
    anna = people(201, "Anna")
    await join_as_member(services, anna, "Anna")
    ref = await ask_for_conversation(people(301))
    offers_before = len([m for m in anna.inbox() if ref in m.text])
    clock.move_to(T0 + timedelta(hours=11, minutes=59))
    assert await sweep(services) == {}
    clock.move_to(T0 + timedelta(hours=12))
    assert await sweep(services) == {"reoffer50": 1}
    assert await sweep(services) == {}
    clock.move_to(T0 + timedelta(hours=18))
    assert await sweep(services) == {"reoffer75": 1}
    offers = [m for m in anna.inbox() if ref in m.text]
    assert len(offers) == offers_before + 2
    assert f"claim:{ref}" in offers[-1].button_data()


async def test_claimed_without_contact_reminds_asks_then_releases(services, people, clock):
    anna, bert = people(201, "Anna"), people(202, "Bert")
    await join_as_member(services, anna, "Anna")
    await join_as_member(services, bert, "Bert", gender="man")
    emma = people(301, "Emma")
    ref = await ask_for_conversation(emma)
    clock.move_to(T0 + timedelta(hours=1))
    await anna.press_data(f"claim:{ref}", anna.last())
    clock.move_to(T0 + timedelta(hours=8, minutes=59))
    assert await sweep(services) == {}
    clock.move_to(T0 + timedelta(hours=9))
    assert await sweep(services) == {"confirm": 1}
    question = anna.last()
    assert f"release:{ref}" in question.button_data()
    clock.move_to(T0 + timedelta(hours=10, minutes=59))
    assert await sweep(services) == {}
    clock.move_to(T0 + timedelta(hours=11))
    assert await sweep(services) == {"release": 1}
    request = await services.core.requests.by_ref(ref)
    assert request.state == "offered" and request.member_id is None
    assert "could not make contact. Another listener will be asked" in emma.last().text
    assert f"claim:{ref}" in bert.last().button_data()  # Bert's offer is open again
    await anna.press_data(f"keep:{ref}", question)  # too late: not hers any more
    assert (await services.core.requests.by_ref(ref)).member_id is None
    await anna.press_data(f"claim:{ref}", anna.inbox()[0])
    assert (await services.core.requests.by_ref(ref)).member_id is None  # she is excluded now
    clock.move_to(T0 + timedelta(hours=12))
    assert await sweep(services) == {"reoffer50": 1}
    assert not any(f"claim:{ref}" in m.button_data() for m in anna.inbox()[-2:])


async def test_keeping_a_claim_stops_the_release(services, people, clock):
    anna = people(201, "Anna")
    await join_as_member(services, anna, "Anna")
    ref = await ask_for_conversation(people(301))
    await anna.press_data(f"claim:{ref}", anna.last())
    clock.move_to(T0 + timedelta(hours=8))
    assert "confirm" in await sweep(services)
    await anna.press("keep:" + ref)
    clock.move_to(T0 + timedelta(hours=11))
    steps = await sweep(services)
    assert "release" not in steps
    assert (await services.core.requests.by_ref(ref)).state == "claimed"


async def test_breach_escalates_without_content_and_is_honest(services, people, clock):
    boss = await _coordinator(services, people)
    anna = people(201, "Anna")
    await join_as_member(services, anna, "Anna", gender="woman")
    emma = people(301, "Emma")
    ref = await ask_for_conversation(emma, choices=("ask:g:man",), allow_widening=False,
                                     first_message="Mijn chef pest mij")
    assert not any(ref in m.text for m in anna.inbox())  # nobody fits and widening was refused
    assert f"Request {ref} is waiting, and no listener who fits the colleague's wishes can take it" in boss.last().text
    clock.move_to(T0 + timedelta(hours=4))
    assert "widen" not in await sweep(services)
    clock.move_to(T0 + timedelta(hours=24))
    assert await sweep(services) == {"breach": 1}
    escalation = boss.last().text
    assert ref in escalation and "24 h" in escalation and "Mijn chef" not in escalation
    assert "no listener has contacted you in time" in emma.last().text
    # As asked, no widening; and nobody who fits: said so, not "offered again to those who fit".
    assert "No listener who fits your wishes can take it in the coming week" in emma.last().text
    assert "offered again" not in emma.last().text
    assert "112" in emma.last().text
    assert "No listener who may take it can do so in the coming week" in escalation
    assert "offered to those again" not in escalation
    assert not any(f"claim:{ref}" in m.button_data() for m in anna.inbox())  # the refusal holds at breach too
    assert (await services.core.requests.by_ref(ref)).breached_at is not None
    assert await sweep(services) == {}  # once


async def test_widening_after_four_hours_when_allowed(services, people, clock):
    anna = people(201, "Anna")
    await join_as_member(services, anna, "Anna", gender="woman")
    ref = await ask_for_conversation(people(301), choices=("ask:g:man",))
    assert not any(ref in m.text for m in anna.inbox())
    clock.move_to(T0 + timedelta(hours=3, minutes=59))
    assert await sweep(services) == {}
    clock.move_to(T0 + timedelta(hours=4))
    assert await sweep(services) == {"widen": 1}
    assert f"claim:{ref}" in anna.last().button_data()


async def test_restart_before_a_reminder_sends_it_once_at_the_next_sweep(settings, app, services, people, offline, clock):
    anna = people(201, "Anna")
    await join_as_member(services, anna, "Anna")
    ref = await ask_for_conversation(people(301))
    await app.shutdown()
    await app.post_shutdown(app)

    clock.move_to(T0 + timedelta(hours=20))  # stopped through both checkpoints
    restarted = build_application(settings, request=offline, rate_limit=False)
    await restarted.initialize()
    await restarted.post_init(restarted)
    try:
        fresh = restarted.bot_data["services"]
        assert await sweep(fresh) == {"reoffer75": 1}  # late, once, only the latest
        assert await sweep(fresh) == {}
        assert sum(ref in m.text for m in SimUser(restarted, offline, 201).inbox()) == 2
    finally:
        await restarted.shutdown()
        await restarted.post_shutdown(restarted)
        await app.initialize()
        await app.post_init(app)


@pytest.mark.parametrize("local_start,expected_local_deadline", [
    # 25 October 2026: clocks go back (CEST -> CET). 24 real hours later is 11:00 local.
    (datetime(2026, 10, 24, 10, 0, tzinfo=UTC), "11:00"),
    # 29 March 2026: clocks go forward (CET -> CEST). 24 real hours later is 13:00 local.
    (datetime(2026, 3, 28, 11, 0, tzinfo=UTC), "13:00"),
])
async def test_deadline_is_24_real_hours_across_dst(services, people, local_start, expected_local_deadline):
    with time_machine.travel(local_start, tick=False) as traveller:
        anna = people(201, "Anna")
        await join_as_member(services, anna, "Anna")
        ref = await ask_for_conversation(people(301))
        request = await services.core.requests.by_ref(ref)
        assert request.deadline_at - request.created_at == timedelta(hours=24)
        assert expected_local_deadline in anna.last().text  # shown in Brussels time
        traveller.move_to(local_start + timedelta(hours=23, minutes=59))
        assert "breach" not in await sweep(services)
        traveller.move_to(local_start + timedelta(hours=24))
        assert await sweep(services) == {"breach": 1}


async def test_urgent_button_reaches_everyone_available_at_once(services, people, clock):
    boss = await _coordinator(services, people)
    members = [people(200 + i, f"M{i}") for i in range(3)]
    for i, member in enumerate(members):
        await join_as_member(services, member, f"M{i}", gender=("woman", "man", "other")[i])
    emma = people(301, "Emma")
    await emma.send("/start")
    await emma.press("urgent")
    numbers = emma.inbox()[-2].text
    assert "112" in numbers and "1813" in numbers
    request = await services.core.requests.open_for_requester((await services.core.people.find(301)).id)
    assert request.urgent and request.deadline_at - request.created_at == timedelta(hours=1)
    for member in members:
        assert "URGENT" in member.last().text and f"claim:{request.ref}" in member.last().button_data()
    assert request.ref in boss.last().text and "not safe" in boss.last().text


async def test_urgency_words_in_a_first_message_make_it_urgent(services, people, clock):
    anna = people(201, "Anna")
    await join_as_member(services, anna, "Anna", gender="woman")
    emma = people(301, "Emma")
    ref = await ask_for_conversation(emma, choices=("ask:g:man",), first_message="I want to kill myself")
    request = await services.core.requests.by_ref(ref)
    assert request.urgent
    assert "112" in emma.last().text
    assert f"claim:{ref}" in anna.last().button_data()  # wishes set aside for urgency


async def test_member_at_cap_gets_no_offer(services, people, clock):
    anna, bert = people(201, "Anna"), people(202, "Bert")
    await join_as_member(services, anna, "Anna")
    await join_as_member(services, bert, "Bert")
    await anna.send("/limit")
    await anna.press("limit:1")
    first = await ask_for_conversation(people(301))
    await anna.press_data(f"claim:{first}", next(m for m in anna.inbox() if first in m.text))
    second = await ask_for_conversation(people(302))
    assert not any(second in m.text for m in anna.inbox())
    assert any(second in m.text for m in bert.inbox())


async def test_pause_with_a_date_and_automatic_resume(services, people, clock):
    anna = people(201, "Anna")
    await join_as_member(services, anna, "Anna")
    await anna.send("/pause 2020-01-01")
    assert "in the past" in anna.last().text
    assert (await services.core.members.by_person((await services.core.people.find(201)).id)).paused_until is None
    await anna.send("/pause 2026-11-05")
    assert "paused until" in anna.last().text
    ref = await ask_for_conversation(people(301))
    assert not any(ref in m.text for m in anna.inbox())
    clock.move_to(datetime(2026, 11, 4, 23, 0, tzinfo=UTC))  # midnight in Brussels
    await sweep(services)
    assert "pause has ended" in anna.inbox()[-2].text
    assert f"claim:{ref}" in anna.last().button_data()  # then the breach re-offer reached her


async def _anna_holds_a_case(services, people):
    """Anna and Bert listen; Emma asks; Anna claims. Returns (anna, bert, emma, ref)."""
    anna, bert = people(201, "Anna"), people(202, "Bert")
    await join_as_member(services, anna, "Anna")
    await join_as_member(services, bert, "Bert")
    emma = people(301, "Emma")
    ref = await ask_for_conversation(emma)
    await anna.press_data(f"claim:{ref}", next(m for m in anna.inbox() if ref in m.text))
    return anna, bert, emma, ref


async def test_leaving_hands_back_every_open_case(services, people, clock):
    anna, bert, emma, ref = await _anna_holds_a_case(services, people)
    await anna.send("/leave")
    await anna.press("leave:yes")
    member = await services.core.members.by_person((await services.core.people.find(201)).id)
    assert member.left and member.open_cases == 0
    assert "could not make contact. Another listener will be asked" in emma.last().text
    assert f"claim:{ref}" in bert.last().button_data()
    await anna.press_data(f"claim:{ref}", bert.last())
    assert (await services.core.requests.by_ref(ref)).member_id is None


async def test_hand_back_with_a_reason(services, people, clock):
    anna, bert, emma, ref = await _anna_holds_a_case(services, people)
    await anna.send("Hello")
    await anna.send("/cases")
    await anna.press(f"back:{ref}")
    await anna.press(f"back:{ref}:knows_person")
    request = await services.core.requests.by_ref(ref)
    assert request.state == "offered" and request.contacted_at is None
    assert request.deadline_at == T0 + timedelta(hours=24)  # a fresh 24 h for the next listener
    assert "Another listener will take over" in emma.last().text
    assert f"claim:{ref}" in bert.last().button_data()
    reason = await services.core.db.fetchval("SELECT reason FROM request_exclusions")
    assert reason == "knows_person"


async def test_coordinators_warned_when_few_are_available_once_a_day(services, people, clock):
    boss = await _coordinator(services, people)
    anna = people(201, "Anna")
    await join_as_member(services, anna, "Anna")
    assert "low_availability" in await sweep(services)
    assert "Listeners available right now: 1" in boss.last().text
    assert "low_availability" not in await sweep(services)
    clock.move_to(T0 + timedelta(days=1))
    assert "low_availability" in await sweep(services)


async def test_checkin_reminder_after_ten_days(services, people, clock):
    anna = people(201, "Anna")
    await join_as_member(services, anna, "Anna")
    ref = await ask_for_conversation(people(301))
    await anna.press_data(f"claim:{ref}", anna.last())
    await anna.send("Hi, I am here")
    clock.move_to(T0 + timedelta(days=9, hours=23))
    assert "checkin" not in await sweep(services)
    clock.move_to(T0 + timedelta(days=10))
    assert "checkin" in await sweep(services)
    assert "check-in" in anna.last().text
    assert "checkin" not in await sweep(services)


async def test_due_requests_are_swept_in_one_commit_and_a_failing_one_keeps_what_came_before(
        services, people, clock, monkeypatch):
    anna = people(201, "Anna")
    await join_as_member(services, anna, "Anna")
    refs = [await ask_for_conversation(people(301 + n)) for n in range(3)]
    assert await sweep(services) == {}
    clock.move_to(T0 + timedelta(hours=12))
    db = services.core.db
    durable = db.durable_commits
    assert (await services.promise.sweep()).steps == {"reoffer50": 3}
    assert db.durable_commits == durable + 1  # the three reoffers: one durable commit for the lot
    await services.sender.flush()

    clock.move_to(T0 + timedelta(hours=18))
    stepping, calls = services.promise._step, []

    async def second_fails(request, *args):
        calls.append(request.ref)
        if len(calls) == 2:
            raise RuntimeError("a bug in one request's step")
        return await stepping(request, *args)

    monkeypatch.setattr(services.promise, "_step", second_fails)
    with pytest.raises(RuntimeError):
        await services.promise.sweep()
    monkeypatch.undo()
    # The first was reminded and is not looked at again; the failing one and the one after are.
    assert await sweep(services) == {"reoffer75": 2}
    assert calls[:2] == refs[:2]
