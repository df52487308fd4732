"""A request handed back or declined when nobody else fits (walk 1, finding 2): nobody is promised
"another listener, most likely now"; the colleague and the coordinators hear the truth at once; a
breach that reached nobody says so; a passed deadline is never quoted as one ahead."""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flows import ask_for_conversation, coordinator_and_two_listeners, join_as_member, \
    sweep_promises as sweep

from bot.foundations.model import Member, Preferences, Request
from bot.network import coverage

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # a Monday, 10:00 in Brussels


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def _claimable(user, ref):
    return [m for m in user.inbox() if f"claim:{ref}" in m.button_data()]


async def test_handed_back_when_nobody_else_fits_is_said_at_once_and_kept_true_after_the_deadline(
        services, people, clock):
    boss, anna, bart = await coordinator_and_two_listeners(services, people)
    zoe = people(301, "Zoë")
    ref = await ask_for_conversation(zoe, choices=("ask:g:woman",), allow_widening=False)
    await anna.press(f"claim:{ref}")
    await anna.send("Hello, I am Anna.")
    await anna.send("/cases")
    await anna.press(f"back:{ref}")
    await anna.press(f"back:{ref}:overload")
    assert "No other listener who fits can take it in the coming week, so the coordinators have been told." \
        in anna.last().text
    notice = zoe.last().text
    assert f"Your listener has handed over your conversation {ref}." in notice
    assert "No other listener who fits your wishes can take it in the coming week" in notice
    assert "Another listener will take over" not in notice
    assert f"Request {ref} is waiting again, and no listener who fits the colleague's wishes" in boss.last().text
    assert _claimable(bart, ref) == []  # nobody got it: nobody was promised it

    await zoe.send("/start")
    status = zoe.last().text
    assert "most likely" not in status and "No listener who fits your wishes can take requests" in status

    clock.move_to(T0 + timedelta(hours=25))
    assert (await sweep(services)).get("breach") == 1
    sorry = [m.text for m in zoe.inbox() if "We are sorry" in m.text][-1]
    assert "No listener who fits your wishes can take it in the coming week" in sorry
    assert "offered again" not in sorry and "every available listener" not in sorry
    alerts = [m.text for m in boss.inbox() if f"deadline for request {ref}" in m.text]
    assert len(alerts) == 1 and "offered to those again" not in alerts[0]
    assert "No listener who may take it can do so in the coming week" in alerts[0]
    assert not any(f"hours begin before the deadline of {ref}" in m.text for m in boss.inbox())

    clock.move_to(T0 + timedelta(hours=26))
    await zoe.send("/start")
    status = zoe.last().text
    deadline = (await services.core.requests.by_ref(ref)).deadline_at
    assert deadline < T0 + timedelta(hours=26)
    assert "We are sorry: no listener has contacted you by" in status and "as was promised" in status
    assert "will contact you here before" not in status and "if nobody contacts you before" not in status


async def test_the_only_listener_who_fits_declines_and_the_colleague_and_coordinators_hear_it(
        services, people, clock):
    boss, anna, bart = await coordinator_and_two_listeners(services, people)
    emma = people(302, "Emma")
    ref = await ask_for_conversation(emma, choices=("ask:g:man",), allow_widening=False)
    assert len(_claimable(bart, ref)) == 1 and _claimable(anna, ref) == []
    await emma.send("/start")
    assert "most likely now" in emma.last().text  # Bart fits and is free: true, for now
    await bart.press(f"decline:{ref}")
    assert bart.last().text == (f"You declined request {ref}. No other listener who fits can take it in the coming "
                                "week, so the coordinators have been told.")
    assert emma.last().text.startswith(f"An update on your request {ref}. No listener who fits your wishes can take "
                                       "it in the coming week")
    assert f"Request {ref} is waiting again" in boss.last().text and "(1)" in boss.last().text
    await emma.send("/start")
    assert "most likely" not in emma.last().text


async def test_a_decline_with_others_still_offered_promises_nothing_new(services, people, clock):
    boss, anna, bart = await coordinator_and_two_listeners(services, people)
    carl = people(203, "Carl")
    await join_as_member(services, carl, "Carl", gender="man")
    emma = people(302, "Emma")
    ref = await ask_for_conversation(emma, choices=("ask:g:man",), allow_widening=False)
    before = len(emma.inbox())
    await bart.press(f"decline:{ref}")
    assert bart.last().text == f"You declined request {ref}. It has gone to the other listeners who may take it."
    assert len(emma.inbox()) == before


def test_likely_reply_leaves_out_who_gave_it_back(services):
    anna = Member(id=1, person_id=11, handle="a", display_name="Anna", gender="woman", age_band=None, status=None,
                  department=None, languages=("en",), charter_accepted=True, profile_complete=True,
                  max_open_cases=3, paused_until=None, left=False)
    request = Request(id=1, ref="ABCDE", requester_id=99, state="offered", language="en", department=None,
                      preferences=Preferences(gender="woman"), urgent=False, member_id=None, created_at=T0,
                      deadline_at=T0 + timedelta(hours=24))
    tz = services.settings.timezone
    assert coverage.likely_reply([anna], request, T0, tz, 3) == T0
    assert coverage.likely_reply([anna], request, T0, tz, 3, excluded={1}) is None
    man = replace(anna, id=2, person_id=12, display_name="Bart", gender="man")
    assert coverage.likely_reply([man], request, T0, tz, 3) is None
    assert coverage.likely_reply([man], request, T0, tz, 3, widened=True) == T0


async def test_an_offer_after_a_missed_deadline_says_it_is_overdue(services, people, clock):
    """Walk 1, finding 8: never "make contact before <a time already past> (0 h left)"."""
    boss, anna, bart = await coordinator_and_two_listeners(services, people)
    await anna.send("/pause")
    await bart.send("/pause")
    emma = people(302, "Emma")
    ref = await ask_for_conversation(emma)
    clock.move_to(T0 + timedelta(hours=24))
    assert (await sweep(services)).get("breach") == 1
    clock.move_to(T0 + timedelta(hours=30))
    await anna.send("/resume")
    await sweep(services)
    offer = _claimable(anna, ref)[-1].text
    assert "Overdue: contact should have been made by" in offer
    assert "Make contact before" not in offer and "h left" not in offer
