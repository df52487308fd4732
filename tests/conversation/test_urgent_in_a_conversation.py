""""I am not safe" from a conversation a listener holds (walk 1, finding 1): it reaches someone who
can act now, everyone is told the truth about who was reached, and the urgent deadline is kept by
the sweep. A contact made before the urgent word does not count: a listener must write after it."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flows import ask_for_conversation, invite_code, join_as_member, sweep_promises as sweep

MONDAY_1000 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)   # Monday 10:00 in Brussels
TUESDAY_0300 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)   # the night after, 03:00 in Brussels


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY_1000, tick=False) as traveller:
        yield traveller


async def _listener(services, people, user_id, name, preset="every_day_8_20", **profile):
    user = people(user_id, name)
    await join_as_member(services, user, name, **profile)
    await user.send("/hours")
    await user.press(f"hrs:p:{preset}")
    return user


async def _coordinator(services, people):
    boss = people(900, "Boss")
    await boss.send(f"/start {await invite_code(services, 'coordinator')}")
    await boss.send("Boss")
    return boss


async def _in_conversation(services, people):
    """Zoë talks with Bart (the only listener when she asked); Bart wrote first long before."""
    bart = await _listener(services, people, 202, "Bart", gender="man")
    zoe = people(301, "Zoë")
    ref = await ask_for_conversation(zoe)
    await bart.press(f"claim:{ref}")
    await bart.send("Hello, I am Bart. How are you?")
    assert (await services.core.requests.by_ref(ref)).state == "contacted"
    return bart, zoe, ref


def _take_over_offers(user, ref):
    return [m for m in user.inbox() if ref in m.text and f"claim:{ref}" in m.button_data()]


async def test_at_night_the_listener_on_call_is_alerted_and_may_take_the_conversation_over(services, people, clock):
    boss = await _coordinator(services, people)
    bart, zoe, ref = await _in_conversation(services, people)
    anna = await _listener(services, people, 201, "Anna")
    await boss.send("/oncall")
    await boss.press("Ask someone:")
    await boss.press("Anna")
    await anna.press("Yes, I will be on call")
    clock.move_to(TUESDAY_0300)  # Bart sleeps (08:00-20:00); Anna is on call
    await zoe.send("/urgent")
    assert "112" in zoe.inbox()[-2].text
    assert zoe.last().text.startswith(f"Your request {ref} is marked urgent. Your listener cannot answer right now, "
                                      "so the listener on call has been alerted as well")
    assert "Please make contact now" in bart.last().text  # told too, for when he wakes
    offers = _take_over_offers(anna, ref)
    assert len(offers) == 1 and "URGENT" in offers[0].text
    assert "if you claim it, you take the conversation over" in offers[0].text
    alert = boss.last().text
    assert "Bart, their listener, is outside their hours." in alert
    assert "has gone to Anna, on call, alone, to take the conversation over" in alert

    await anna.press(f"claim:{ref}", offers[0])
    request = await services.core.requests.by_ref(ref)
    anna_member = await services.core.members.by_person((await services.core.people.find(anna.id)).id)
    assert request.member_id == anna_member.id and request.urgent_contact_by is None
    assert "Anna has taken the conversation over" in bart.last().text
    bart_member = await services.core.members.by_person((await services.core.people.find(bart.id)).id)
    assert (await services.core.requests.offer(request.id, bart_member.id)).state == "taken"  # may come back to him
    assert "Anna from the vigilance network takes over your conversation" in zoe.last().text
    assert "May the listener who takes over read your conversation so far?" in zoe.inbox()[-2].text
    await anna.send("Hello, I am Anna, I am here now.")
    assert "Hello, I am Anna" in zoe.last().text
    await zoe.send("It is better now")
    assert "It is better now" in anna.last().text and "It is better now" not in bart.texts()


async def test_a_paused_listener_in_the_day_brings_every_available_listener_and_an_answer_retracts_the_offers(
        services, people, clock):
    boss = await _coordinator(services, people)
    bart, zoe, ref = await _in_conversation(services, people)
    anna = await _listener(services, people, 201, "Anna")
    carl = await _listener(services, people, 203, "Carl", gender="man")
    await bart.send("/pause")
    assert "You are paused" in bart.last().text
    await zoe.send("/urgent")
    assert "so every available listener has been alerted as well" in zoe.last().text
    assert len(_take_over_offers(anna, ref)) == 1 and len(_take_over_offers(carl, ref)) == 1
    assert "Bart, their listener, is paused." in boss.last().text
    assert "has gone to every available listener, to take the conversation over" in boss.last().text
    await bart.send("I am here, Zoë. Tell me.")  # a paused listener can still answer his own case
    assert "I am here" in zoe.last().text
    for user in (anna, carl):
        assert _take_over_offers(user, ref) == []
        assert "their listener has answered" in user.last().text
    await anna.press_data(f"claim:{ref}", anna.inbox()[-1])
    assert (await services.core.requests.by_ref(ref)).member_id != \
        (await services.core.members.by_person((await services.core.people.find(anna.id)).id)).id
    clock.move_to(MONDAY_1000 + timedelta(hours=3))
    assert "urgent_unanswered" not in await sweep(services)


async def test_no_word_within_the_urgent_deadline_reaches_the_others_and_an_earlier_contact_does_not_count(
        services, people, clock):
    boss = await _coordinator(services, people)
    bart, zoe, ref = await _in_conversation(services, people)
    anna = await _listener(services, people, 201, "Anna")
    await zoe.send("/urgent")  # Bart is within his hours: he alone is alerted
    assert zoe.last().text.startswith(f"Your request {ref} is marked urgent: your listener has been alerted to "
                                      "contact you now. If they have not written by")
    assert _take_over_offers(anna, ref) == []
    assert "Bart has been alerted to make contact now. If nobody has written to the colleague by" in boss.last().text
    clock.move_to(MONDAY_1000 + timedelta(minutes=59))
    assert "urgent_unanswered" not in await sweep(services)
    clock.move_to(MONDAY_1000 + timedelta(hours=1))
    assert (await sweep(services)).get("urgent_unanswered") == 1
    assert len(_take_over_offers(anna, ref)) == 1
    assert "no listener has written to them since" in boss.last().text
    assert "has gone to every available listener, to take the conversation over" in boss.last().text
    assert "Your listener has not written to you yet since you said you are not safe" in zoe.last().text
    assert "112" in zoe.last().text
    assert "urgent_unanswered" not in await sweep(services)  # said once
    await anna.press(f"claim:{ref}")
    assert "Anna from the vigilance network takes over your conversation" in zoe.last().text
    assert (await services.core.requests.by_ref(ref)).contacted_at is None  # her first word is the contact


async def test_pressed_again_after_the_listener_answered_it_is_a_new_alarm(services, people, clock):
    bart, zoe, ref = await _in_conversation(services, people)
    await zoe.send("/urgent")
    await bart.send("I am here.")
    assert (await services.core.requests.by_ref(ref)).urgent_contact_by is None
    clock.move_to(MONDAY_1000 + timedelta(hours=2))
    alerts = len([m for m in bart.inbox() if "Please make contact now" in m.text])
    await zoe.send("/urgent")
    assert len([m for m in bart.inbox() if "Please make contact now" in m.text]) == alerts + 1
    assert (await services.core.requests.by_ref(ref)).urgent_contact_by == MONDAY_1000 + timedelta(hours=3)
