"""Panic taps on "I need help now" (walk 1, finding 4): the numbers once, offers and coordinator
alerts once per request, not per tap; and when a waiting request is offered again or made urgent,
each listener has one offer to claim, not the old one beside the new."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flows import ask_for_conversation, coordinator_and_two_listeners, sweep_promises as sweep

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # a Monday, 10:00 in Brussels


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def _claimable(user, ref):
    return [m for m in user.inbox() if f"claim:{ref}" in m.button_data()]


def _alerts(offline) -> list[str]:
    return [p.get("text", "") for name, p in offline.calls if name == "answerCallbackQuery" and p.get("text")]


async def test_three_taps_raise_one_alarm(services, people, offline, clock):
    boss, anna, bart = await coordinator_and_two_listeners(services, people)
    finn = people(301, "Finn")
    await finn.send("/start")
    welcome = finn.last()
    for _ in range(3):
        await finn.press("urgent", welcome)
    request = await services.core.requests.open_for_requester((await services.core.people.find(finn.id)).id)
    numbers = [m for m in finn.inbox() if m.text.startswith("If you are in danger or thinking")]
    assert len(numbers) == 1
    assert len([m for m in finn.inbox() if "marked urgent" in m.text]) == 1
    assert len(_claimable(anna, request.ref)) == 1 and len(_claimable(bart, request.ref)) == 1
    assert len([m for m in boss.inbox() if f"Urgent request {request.ref}" in m.text]) == 1
    assert _alerts(offline).count(f"Your request {request.ref} is marked urgent already: nothing more needs "
                                  "pressing. If you are in danger, call one of the numbers above now.") == 2

    await finn.send("/urgent")  # typed again: said in a message, and still nothing sent again
    assert "marked urgent already" in finn.last().text
    assert len(_claimable(anna, request.ref)) == 1

    clock.move_to(T0 + timedelta(hours=1, minutes=1))  # the urgent deadline passed: a new press is a new alarm
    await finn.send("/urgent")
    assert len([m for m in finn.inbox() if m.text.startswith("If you are in danger or thinking")]) == 2
    request = await services.core.requests.by_ref(request.ref)
    assert request.deadline_at == T0 + timedelta(hours=2, minutes=1)  # a deadline ahead, which the sweep keeps
    assert "before Mon 30 Nov 12:01" in finn.last().text
    assert len([m for m in boss.inbox() if f"Urgent request {request.ref}" in m.text]) == 2
    assert len(_claimable(anna, request.ref)) == 1  # offered again, and the earlier message lost its buttons


async def test_a_waiting_request_made_urgent_leaves_one_offer_to_claim(services, people, clock):
    boss, anna, bart = await coordinator_and_two_listeners(services, people)
    emma = people(302, "Emma")
    ref = await ask_for_conversation(emma)
    first = _claimable(anna, ref)
    assert len(first) == 1 and len(_claimable(bart, ref)) == 1
    await emma.send("/urgent")
    for user in (anna, bart):
        offers = _claimable(user, ref)
        assert len(offers) == 1 and "URGENT" in offers[0].text
    assert first[0].text == f"Request {ref} was offered to you again: see the newer message below."
    assert first[0].buttons == []

    clock.move_to(T0 + timedelta(hours=1))  # a re-offer at the urgent deadline does the same
    await sweep(services)
    assert len(_claimable(anna, ref)) == 1 and len(_claimable(bart, ref)) == 1
    await anna.press(f"claim:{ref}", _claimable(anna, ref)[0])
    assert _claimable(bart, ref) == []  # his one offer says it was taken; no older one left to press
