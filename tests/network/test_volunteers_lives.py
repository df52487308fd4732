"""A network that fits volunteers' lives: hours, on call, honest expectations, coverage, make-up,
joining freely, meetings; with the clock moved, across both 2026 clock changes."""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flows import ask_for_conversation, invite_code, join_as_member, sweep_promises as sweep

from bot.network import hours
from bot.network.coverage import forecast

TZ = ZoneInfo("Europe/Brussels")
SUNDAY_NIGHT = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)     # Sunday 03:00 in Brussels
MONDAY_0800 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)      # Monday 08:00 in Brussels


@pytest.fixture
def clock():
    with time_machine.travel(SUNDAY_NIGHT, tick=False) as traveller:
        yield traveller


async def _listener(services, people, user_id, name, preset=None, **profile):
    user = people(user_id, name)
    await join_as_member(services, user, name, **profile)
    if preset:
        await user.send("/hours")
        await user.press(f"hrs:p:{preset}")
    return user


async def _coordinator(services, people, user_id=900):
    boss = people(user_id, "Boss")
    await boss.send(f"/start {await invite_code(services, 'coordinator')}")
    await boss.send("Boss")
    return boss


def _offers(user, ref):
    return [m for m in user.inbox() if ref in m.text and any(d.startswith("claim:") for d in m.button_data())]


# Hours --------------------------------------------------------------------------------------

async def test_an_offer_at_night_waits_for_the_listeners_hours(services, people, clock):
    anna = await _listener(services, people, 201, "Anna", "weekdays_8_18")
    assert "Weekdays" not in anna.last().text and "08:00–18:00" in anna.last().text
    ref = await ask_for_conversation(people(301, "Emma"))
    assert _offers(anna, ref) == []  # Sunday 03:00: nobody woken
    clock.move_to(MONDAY_0800 - timedelta(minutes=1))
    await sweep(services)
    assert _offers(anna, ref) == []
    clock.move_to(MONDAY_0800)
    await sweep(services)
    assert len(_offers(anna, ref)) == 1
    clock.move_to(MONDAY_0800 + timedelta(minutes=30))
    await sweep(services)
    assert len(_offers(anna, ref)) == 1  # once


async def test_the_promise_still_runs_outside_everyones_hours(services, people, clock):
    boss = await _coordinator(services, people)
    await _listener(services, people, 201, "Anna", "weekday_evenings")
    emma = people(301, "Emma")
    ref = await ask_for_conversation(emma)
    clock.move_to(SUNDAY_NIGHT + timedelta(hours=24))
    steps = await sweep(services)
    assert "breach" in steps
    assert "no listener has contacted you in time" in emma.last().text
    assert any(ref in m.text and "deadline" in m.text for m in boss.inbox())


async def test_reminders_wait_for_the_listeners_hours(services, people, clock):
    clock.move_to(datetime(2026, 11, 26, 16, 55, tzinfo=UTC))  # Thursday 17:55 in Brussels
    anna = await _listener(services, people, 201, "Anna", "weekdays_8_18")
    ref = await ask_for_conversation(people(301, "Emma"))
    await anna.press(f"claim:{ref}")
    before = len(anna.inbox())
    clock.move_to(datetime(2026, 11, 27, 5, 0, tzinfo=UTC))  # Friday 06:00: past the 50% mark
    await sweep(services)
    assert len(anna.inbox()) == before  # no reminder before her hours
    clock.move_to(datetime(2026, 11, 27, 7, 0, tzinfo=UTC))  # Friday 08:00
    await sweep(services)
    reminders = [m.text for m in anna.inbox()[before:]]
    assert len(reminders) == 2 and "Reminder" in reminders[0] and "Will you still make contact" in reminders[1]


SPRING_SATURDAY = datetime(2026, 3, 28, 16, 0, tzinfo=UTC)  # 17:00 in Brussels; clocks go forward that night
SPRING_SUNDAY_0800 = datetime(2026, 3, 29, 6, 0, tzinfo=UTC)  # 08:00 summer time (07:00 UTC in winter time)


async def _claimed_before_the_night(services, people, clock):
    """Anna takes offers every day from 08:00 to 20:00, claims a request at 17:10 on the Saturday
    before the spring clock change, and makes no contact: the question whether she still will
    (01:10) and the 50% reminder (06:00) fall due in the night."""
    clock.move_to(SPRING_SATURDAY)
    anna = await _listener(services, people, 201, "Anna", "every_day_8_20")
    ref = await ask_for_conversation(people(301, "Emma"))
    clock.move_to(SPRING_SATURDAY + timedelta(minutes=10))
    await anna.press(f"claim:{ref}")
    await sweep(services)
    request = await services.core.requests.by_ref(ref)
    return anna, ref, request.id


async def _sweep_at(services, request_id):
    return await services.core.db.fetchval("SELECT sweep_at FROM requests WHERE id = ?", (request_id,))


async def test_a_case_outside_its_listeners_hours_is_not_looked_at_through_the_night(services, people, clock,
                                                                                      monkeypatch):
    anna, ref, request_id = await _claimed_before_the_night(services, people, clock)
    # Next looked at when her hours begin, in summer time: not at 01:10, nor every sweep after.
    assert await _sweep_at(services, request_id) == SPRING_SUNDAY_0800.isoformat()
    read = []
    get = services.core.requests.get

    async def counted(request_id):
        read.append(request_id)
        return await get(request_id)

    monkeypatch.setattr(services.core.requests, "get", counted)
    before = len(anna.inbox())
    moment = SPRING_SATURDAY + timedelta(minutes=30)
    while moment < SPRING_SUNDAY_0800:  # every half hour through the night of the change
        clock.move_to(moment)
        assert await sweep(services) == {}
        moment += timedelta(minutes=30)
    clock.move_to(SPRING_SUNDAY_0800 - timedelta(seconds=1))
    assert await sweep(services) == {}
    assert read == [] and len(anna.inbox()) == before  # never read, nobody woken

    clock.move_to(SPRING_SUNDAY_0800)
    assert await sweep(services) == {"remind50": 1, "confirm": 1}
    reminders = [m.text for m in anna.inbox()[before:]]
    assert len(reminders) == 2 and "Reminder" in reminders[0] and "Will you still make contact" in reminders[1]
    assert set(read) == {request_id}  # looked at when her hours begin


async def test_a_listener_who_changes_her_hours_at_night_gets_what_waited_at_once(services, people, clock):
    anna, ref, request_id = await _claimed_before_the_night(services, people, clock)
    clock.move_to(SPRING_SATURDAY + timedelta(hours=9))  # 02:10 winter time: past the question's time
    assert await sweep(services) == {}
    before = len(anna.inbox())
    await anna.send("/hours")
    await anna.press("hrs:p:any")
    assert await sweep(services) == {"confirm": 1}
    assert "Will you still make contact" in anna.inbox()[before + 1].text


def test_hours_that_cross_midnight_and_a_start_the_clock_change_skips():
    night = hours.build([4], 22 * 60, 2 * 60)  # Friday 22:00 to Saturday 02:00
    assert hours.is_within(night, datetime(2026, 11, 28, 0, 30, tzinfo=UTC), TZ)  # Saturday 01:30
    assert not hours.is_within(night, datetime(2026, 11, 28, 2, 0, tzinfo=UTC), TZ)  # Saturday 03:00
    early = hours.build([6], 2 * 60 + 30, 5 * 60)  # Sunday 02:30-05:00; 02:30 does not exist on 29 March
    start = hours.next_start(early, datetime(2026, 3, 28, 12, tzinfo=UTC), TZ)
    assert start == datetime(2026, 3, 29, 1, 30, tzinfo=UTC) and hours.is_within(early, start, TZ)
    autumn = hours.next_start(early, datetime(2026, 10, 24, 12, tzinfo=UTC), TZ)
    assert autumn.astimezone(TZ).hour == 2 and autumn.astimezone(TZ).minute == 30


async def test_across_both_clock_changes_nothing_is_offered_twice_or_lost(services, people):
    for offset, change in enumerate((datetime(2026, 3, 28, 20, 0, tzinfo=UTC),
                                     datetime(2026, 10, 24, 20, 0, tzinfo=UTC))):
        with time_machine.travel(change, tick=False) as clock:
            night = await _listener(services, people, 2000 + offset, f"Night{offset}")
            await night.send("/hours")
            await night.press("hrs:d:0")  # my own days and hours: Sunday, 01:00 to 06:00
            await night.press("hrs:d:64")
            await night.press("hrs:f:64")
            await night.press("hrs:u:64:1")
            await night.press("hrs:s:64:1:6")
            ref = await ask_for_conversation(people(3000 + offset, "E"))
            for _ in range(24):  # every half hour through the night of the change
                clock.shift(timedelta(minutes=30))
                await sweep(services)
            assert len(_offers(night, ref)) == 1
            await night.press(f"claim:{ref}")
            await night.send("/leave")
            await night.press("leave:yes")


# On call ---------------------------------------------------------------------------------------

async def _on_call(services, people, boss, user, clock):
    await boss.send("/oncall")
    await boss.press("Ask someone:")
    await boss.press(user.user["first_name"])
    await user.press("Yes, I will be on call")
    assert "is on call" in boss.last().text


async def test_an_urgent_request_at_night_reaches_the_listener_on_call_at_once(services, people, clock):
    boss = await _coordinator(services, people)
    anna = await _listener(services, people, 201, "Anna", "weekdays_8_18")
    await _on_call(services, people, boss, anna, clock)
    emma = people(301, "Emma")
    await emma.send("/start")
    await emma.press("urgent")
    urgent = [m for m in anna.inbox() if "URGENT" in m.text]
    assert len(urgent) == 1 and any(d.startswith("claim:") for d in urgent[0].button_data())
    assert "Every available listener" not in emma.last().text  # only one listener was reached: said so
    assert "No listener is within their hours right now, so the listener on call has been alerted" \
        in emma.last().text
    assert "so it has gone to Anna, on call, alone" in boss.last().text


async def test_an_urgent_request_with_nobody_on_call_is_told_so_at_once(services, people, clock):
    boss = await _coordinator(services, people)
    await _listener(services, people, 201, "Anna", "weekdays_8_18")
    emma = people(301, "Emma")
    await emma.send("/start")
    await emma.press("urgent")
    assert "112" in emma.inbox()[-2].text  # the numbers first
    assert "Right now no listener of the network can take request" in emma.last().text
    assert "no listener can take it now" in boss.last().text


async def test_a_listener_on_call_who_pauses_is_no_longer_on_call(services, people, clock):
    boss = await _coordinator(services, people)
    anna = await _listener(services, people, 201, "Anna", "weekdays_8_18")
    await _on_call(services, people, boss, anna, clock)
    await anna.send("/pause")
    assert "nobody is on call for urgent requests now" in boss.last().text
    assert await services.oncall.on_duty() is None


async def test_a_rota_asks_in_turn_and_names_a_hole(services, people, clock):
    boss = await _coordinator(services, people)
    anna = await _listener(services, people, 201, "Anna")
    bert = await _listener(services, people, 202, "Bert", gender="man")
    await boss.send("/oncall")
    await boss.press("Set the rota")
    await boss.press("Anna")
    await boss.press("Bert")
    await boss.press("Save this rota")
    asked = {"Anna": 0, "Bert": 0}
    for _ in range(4):  # each sweep asks the next in turn; everyone says no
        await sweep(services)
        for name, user in (("Anna", anna), ("Bert", bert)):
            for message in [m for m in user.inbox() if "Will you be on call" in m.text and m.buttons]:
                asked[name] += 1
                await user.press("No, not that week", message)
    assert asked == {"Anna": 2, "Bert": 2}  # each asked once for each of the two weeks, in turn
    holes = [m.text for m in boss.inbox() if "Nobody on the rota can be on call" in m.text]
    assert len(holes) == 2  # one per week, said once


# Honest expectations ------------------------------------------------------------------------

async def test_the_expected_reply_follows_the_hours(services, people, clock):
    clock.move_to(datetime(2026, 11, 29, 19, 0, tzinfo=UTC))  # Sunday 20:00
    await _listener(services, people, 201, "Anna", "weekdays_8_18")
    emma = people(301, "Emma")
    await ask_for_conversation(emma)
    confirmation = emma.last().text
    assert "most likely tomorrow (morning)" in confirmation  # Sunday night; Anna starts Monday 08:00


async def test_no_promise_the_hours_make_impossible(services, people, clock):
    await _listener(services, people, 201, "Anna", "weekday_evenings", gender="woman")
    clock.move_to(datetime(2026, 11, 27, 21, 30, tzinfo=UTC))  # Friday 22:30, after her evening
    emma = people(301, "Emma")
    await ask_for_conversation(emma, choices=("ask:g:woman",), allow_widening=False)
    text = emma.last().text
    assert "can next take requests on Monday 30 November (evening)" in text
    assert "later than" in text and "the coordinators are told" in text


# Coverage and make-up ---------------------------------------------------------------------------

async def test_the_coverage_forecast_names_a_gap_and_who_could_be_asked(services, people, clock):
    boss = await _coordinator(services, people)
    await _listener(services, people, 201, "Anna", gender="woman", languages=("nl", "en"))
    await _listener(services, people, 202, "Bert", gender="man", languages=("nl", "en"))
    anna = people(201, "Anna")
    await anna.send("/pause 2026-12-03")
    await boss.send("/coverage")
    text = boss.last().text
    assert "no woman listener" in text and "could be asked: Anna" in text
    assert "nobody who speaks Français" in text
    gaps = forecast(await services.core.members.active(), datetime(2026, 11, 29).date(), TZ, ("nl",))
    woman = [g for g in gaps if ("gender", "woman") in g.wishes]
    assert [(g.first.isoformat(), g.last.isoformat()) for g in woman] == [("2026-11-29", "2026-12-02")]


async def test_the_make_up_beside_the_headcount_and_what_to_recruit(services, people, running, settings, clock):
    boss = await _coordinator(services, people)
    await _listener(services, people, 201, "Anna", gender="woman", department=0)
    await _listener(services, people, 202, "Bert", gender="man", status="manager", department=0)
    running.settings = replace(settings, headcount={"Production": 1, "Logistics": 40})
    await running.restart()
    await boss.send("/makeup")
    text = boss.last().text
    assert "Production 2 of 1 staff ⚠" in text  # a headcount smaller than the network is flagged
    assert "Logistics 0 of 40 staff" in text and "To recruit for:" in text and "Office" in text
    assert any(b["text"].startswith("Call for ") for row in boss.last().buttons for b in row)


# Joining freely ------------------------------------------------------------------------------------

async def test_an_employee_volunteers_and_is_invited_through_the_bot(services, people, clock):
    boss = await _coordinator(services, people)
    gus = people(310, "Gus")
    await gus.send("/start")
    await gus.press("vol")
    await gus.send("Gus from Logistics")
    assert "The coordinators have your wish" in gus.last().text
    wish = boss.last()
    assert "Gus from Logistics would like to become a listener" in wish.text
    send = wish.button_data()[0]
    await boss.press("Send an invitation", wish)
    link = gus.last().text
    assert "https://t.me/waakzaam_test_bot?start=" in link, gus.texts()
    code = link.rsplit("start=", 1)[1]
    await gus.send(f"/start {code}")
    assert "charter:yes" in gus.last().button_data()
    await boss.press_data(send, wish)  # a second answer changes nothing, and the confirmation stays
    assert wish.text == "Gus from Logistics has been sent an invitation to join as a listener."
    assert [p.get("text") for n, p in boss.request.calls if n == "answerCallbackQuery"][-1] == \
        "Gus from Logistics was answered already, so nothing was changed."


async def test_a_call_for_volunteers_reaches_only_those_who_follow_the_news(services, people, clock):
    boss = await _coordinator(services, people)
    await _listener(services, people, 201, "Anna", department=0)
    fan, other = people(311, "Fan"), people(312, "Other")
    await fan.send("/start")
    await fan.press("nwe:1")
    await other.send("/start")
    await boss.send("/makeup")
    await boss.press("Call for people from Logistics")
    await boss.press("Send the call")
    assert "went to 1 employees" in boss.last().text
    assert "especially people from Logistics" in fan.last().text and "vol" in fan.last().button_data()
    assert not any("looking for new listeners" in m.text for m in other.inbox())
    await fan.send("/forget")
    await fan.press("forget:yes")
    assert await services.core.volunteers.subscribers("news") == []


# Meetings -------------------------------------------------------------------------------------------

async def test_listeners_are_reminded_of_a_meeting_the_day_before_with_no_case_content(services, people, clock):
    boss = await _coordinator(services, people)
    anna = await _listener(services, people, 201, "Anna")
    bert = await _listener(services, people, 202, "Bert", gender="man")
    ref = await ask_for_conversation(people(301, "Emma"), first_message="Mijn chef pest mij")
    await anna.press(f"claim:{ref}")
    await anna.send("Dag, ik luister.")
    await boss.send("/meetings")
    await boss.press("meet:case_discussion")
    await boss.send("2026-12-03 14:00")
    assert "Planned" in boss.last().text
    clock.move_to(datetime(2026, 12, 2, 12, 59, tzinfo=UTC))
    await sweep(services)
    assert not any("Reminder: the case discussion" in m.text for m in bert.inbox())
    clock.move_to(datetime(2026, 12, 2, 13, 0, tzinfo=UTC))
    await sweep(services)
    reminder = bert.last().text
    assert "Reminder: the case discussion" in reminder and f"Colleague {ref}" in reminder
    assert "Mijn chef" not in reminder and "Anna 1/3" in reminder
    await sweep(services)
    assert sum("Reminder: the case discussion" in m.text for m in bert.inbox()) == 1


async def test_a_wish_from_a_listener_or_after_forget(services, people, clock):
    boss = await _coordinator(services, people)
    anna = await _listener(services, people, 201, "Anna")
    await anna.press_data("vol", anna.last())
    assert "listener already" in " ".join(a for n, p in anna.request.calls
                                          if n == "answerCallbackQuery" for a in [p.get("text") or ""])
    gus = people(310, "Gus")
    await gus.send("/start")
    await gus.press("vol")
    await gus.send("Gus")
    wish = boss.last()
    await gus.send("/forget")
    await gus.press("forget:yes")
    await boss.press("Send an invitation", wish)
    assert "no longer there" in boss.last().text
