"""The digest and the review through the real Application: schedule, delivery, /digest, buttons."""
from __future__ import annotations

import logging
import random
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from digest_cases import (
    Case,
    TeamSignal,
    counts_of,
    department_requests,
    insert,
    insert_team_signals,
)
from digest_cases import team_departments as team_departments_of
from flows import join_as_member
from steering_flows import SLOT_W46, T0
from steering_flows import coordinator as _coordinator
from steering_flows import end_of_window as _end_of_window
from steering_flows import history as _history
from steering_flows import steering as _steering
from steering_flows import sweep as _sweep

from bot.steering.digest import digest as dg
from bot.steering.digest.schedule import slot_of_week, windows
from bot.steering.digest.signals import collect, dims_for, team_departments


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


# Delivery -----------------------------------------------------------------------------------------

async def test_a_steering_member_gets_the_digest_once_with_its_chart(running, services, people, offline, clock):
    sofie = await _steering(services, people)
    assert "The digest comes every Monday at 08:30" in sofie.texts()
    await _history(services, _end_of_window(services, SLOT_W46))
    assert await _sweep(services) is None  # the first sweep only notes when the bot started
    clock.move_to(SLOT_W46 - timedelta(minutes=1))
    assert await _sweep(services) is None
    clock.move_to(SLOT_W46)
    before = len(sofie.inbox())
    assert await _sweep(services) == "2026-W46"
    text, chart = sofie.inbox()[before:]
    assert text.text.startswith("📊 Digest for the steering group, week 46 of 2026")
    assert "Requests: " in text.text and "Late" not in text.text and text.protect_content
    assert "dga:2026-W46" in text.button_data()
    assert chart.photo.startswith(b"\x89PNG") and chart.protect_content and "week 46" in chart.text
    assert await _sweep(services) is None
    await running.restart()
    services = running.services
    assert await _sweep(services) is None  # a restart never sends a week twice
    assert len(sofie.inbox()) == before + 2
    assert await services.core.db.fetchval("SELECT COUNT(*) FROM digests") == 1

    await sofie.send("/digest")  # the latest one again, text and chart
    again = sofie.inbox()[-2:]
    assert again[0].text == text.text and again[0].protect_content
    assert again[1].photo == chart.photo and again[1].protect_content
    await sofie.press("dga:2026-W46", again[0])
    assert "How to read this digest" in again[0].text and "fewer than 5" in again[0].text
    await sofie.press("dgm:2026-W46", again[0])
    assert again[0].text == text.text


async def test_a_digest_missed_while_down_goes_out_once_late_and_says_so(running, services, people, clock):
    sofie = await _steering(services, people)
    await _history(services, _end_of_window(services, SLOT_W46 + timedelta(weeks=1)))
    await _sweep(services)
    await running.app.shutdown()
    await running.app.post_shutdown(running.app)
    clock.move_to(SLOT_W46 + timedelta(weeks=1, days=2))  # down through two slots
    await running.start()
    fresh = running.services
    assert await _sweep(fresh) == "2026-W47"  # only the newest, once
    digest = next(m for m in reversed(sofie.inbox()) if m.text.startswith("📊"))
    assert "⏰ Late: this digest was due Mon 16 Nov 08:30, when the bot was not running." in digest.text
    assert await _sweep(fresh) is None
    weeks = [r[0] for r in await fresh.core.db.fetchall("SELECT week FROM digests")]
    assert weeks == ["2026-W47"]


@pytest.mark.parametrize("start,end,slots", [
    # 29 March 2026: 02:30 does not exist in Brussels; the slot moves to 03:30 CEST (01:30 UTC).
    (datetime(2026, 3, 20, tzinfo=UTC), datetime(2026, 4, 7, tzinfo=UTC),
     [datetime(2026, 3, 22, 1, 30, tzinfo=UTC), datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
      datetime(2026, 4, 5, 0, 30, tzinfo=UTC)]),
    # 25 October 2026: 02:30 happens twice; the first (CEST, 00:30 UTC) is the slot.
    (datetime(2026, 10, 16, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC),
     [datetime(2026, 10, 18, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
      datetime(2026, 11, 1, 1, 30, tzinfo=UTC)]),
])
async def test_the_digest_fires_once_a_week_across_the_clock_changes_and_a_restart(
        settings, bots, start, end, slots):
    with time_machine.travel(start, tick=False) as traveller:
        bot = await bots(replace(settings, digest_weekday=6, digest_time=time(2, 30)))  # Sundays 02:30
        made = {}
        now = start
        while now < end:
            traveller.move_to(now)
            if now == slots[1] - timedelta(minutes=30):
                await bot.restart()  # in the night of the change
            if week := await bot.services.digests.sweep():
                made[week] = now
            now += timedelta(minutes=15)
        assert sorted(made.values()) == slots
        rows = await bot.services.core.db.fetchall("SELECT week, slot_at, late FROM digests ORDER BY week")
        assert [r["slot_at"] for r in rows] == [s.isoformat() for s in slots]
        assert not any(r["late"] for r in rows)


async def test_a_blocked_steering_member_is_reported_like_any_blocked_recipient(services, people, offline, clock,
                                                                                 caplog):
    _sofie, tom = await _steering(services, people), await _steering(services, people, 801)
    await _history(services, _end_of_window(services, SLOT_W46))
    await _sweep(services)
    clock.move_to(SLOT_W46)
    offline.fail_next["sendMessage"] = (403, "Forbidden: bot was blocked by the user")
    offline.fail_next["sendPhoto"] = (403, "Forbidden: bot was blocked by the user")
    caplog.set_level(logging.WARNING)
    assert await _sweep(services) == "2026-W46"
    first = await services.core.people.find(800)
    states = [r[0] for r in await services.core.db.fetchall(
        "SELECT state FROM outbox WHERE person_id = ? ORDER BY id DESC LIMIT 2", (first.id,))]
    assert states == ["blocked", "blocked"]
    assert tom.inbox()[-2].text.startswith("📊") and tom.last().photo is not None
    assert "recipient blocked the bot" in caplog.text

    boss = await _coordinator(services, people)  # a member who left the steering group gets nothing more
    removed = await services.membership.remove(await services.core.people.find(900), "steering",
                                               (await services.core.people.find(801)).id)
    assert removed.result.value == "ok"
    await services.sender.flush()
    before = len(tom.inbox())
    clock.move_to(SLOT_W46 + timedelta(weeks=1))
    assert await _sweep(services) == "2026-W47"
    assert len(tom.inbox()) == before
    assert boss is not None


async def test_when_the_chart_cannot_be_drawn_the_text_still_goes(services, people, clock, monkeypatch, caplog):
    sofie = await _steering(services, people)
    await _history(services, _end_of_window(services, SLOT_W46))
    await _sweep(services)
    clock.move_to(SLOT_W46)

    def broken(*_):
        raise RuntimeError("no fonts")

    monkeypatch.setattr("bot.steering.digest.chart.render_chart", broken)
    assert await _sweep(services) == "2026-W46"
    assert sofie.last().text.startswith("📊") and sofie.last().photo is None
    assert "the chart could not be drawn (RuntimeError)" in caplog.text


async def test_an_empty_window_says_so_in_one_line_and_sends_no_chart(services, people, clock):
    sofie = await _steering(services, people)
    await _sweep(services)
    clock.move_to(SLOT_W46)
    assert await _sweep(services) == "2026-W46"
    digest = sofie.last()
    assert digest.photo is None
    assert "Fewer than 5 requests in these 13 weeks, or too few to show without pointing at anyone" in digest.text
    assert "Use\n" not in digest.text and "Reported by the network" not in digest.text


async def test_digest_is_for_the_steering_group_and_says_when_the_first_comes(services, people, clock):
    emma = people(301, "Emma")
    await emma.send("/digest")
    assert "This is for the steering group" in emma.last().text
    sofie = await _steering(services, people)
    await sofie.send("/digest")
    assert "There is no digest yet. The first one comes on Mon 9 Nov 08:30" in sofie.last().text


async def test_a_digest_button_pressed_after_a_newer_digest_exists(services, people, clock):
    sofie = await _steering(services, people)
    await _history(services, _end_of_window(services, SLOT_W46))
    await _sweep(services)
    clock.move_to(SLOT_W46)
    await _sweep(services)
    old = next(m for m in reversed(sofie.inbox()) if "dga:2026-W46" in m.button_data())
    clock.move_to(SLOT_W46 + timedelta(weeks=1))
    assert await _sweep(services) == "2026-W47"
    await sofie.press("dga:2026-W46", old)
    assert "How to read this digest (week 46 of 2026)" in old.text
    assert "This is an older digest; the latest (week 47) is in /digest." in old.text
    await sofie.press("dgm:2026-W46", old)
    assert old.text.startswith("📊 Digest for the steering group, week 46")
    assert "the latest (week 47) is in /digest" in old.text


# The network's review ------------------------------------------------------------------------------

async def test_the_network_reviews_and_a_coordinator_approves_before_anything_reaches_the_digest(
        services, people, clock):
    boss = await _coordinator(services, people)
    listeners = [people(200 + i, name) for i, name in enumerate(("Anna", "Bert", "Chris"))]
    for listener, gender in zip(listeners, ("woman", "man", "woman")):
        await join_as_member(services, listener, listener.user["first_name"], gender=gender)
    sofie = await _steering(services, people)
    await _history(services, _end_of_window(services, SLOT_W46))
    await _sweep(services)
    clock.move_to(SLOT_W46)
    assert await _sweep(services) == "2026-W46"
    anna, bert, chris = listeners
    table = anna.last()
    assert table.text.startswith("🔎 The network's review (November 2026)") and table.protect_content
    assert "Production · High workload (13 weeks)" in table.text
    for person in listeners:  # every listener gets the table, in the same words
        assert person.last().text == table.text
    first = next(d for d in table.button_data() if d.startswith("rvc:"))
    candidate = int(first.split(":")[1])

    for person, choice in ((anna, "y"), (bert, "y"), (chris, "n")):
        await person.press(first, person.last())
        await person.press(f"rvv:{candidate}:{choice}", person.last())
    assert "Listeners so far: 2 to report it, 1 not." in chris.last().text

    # A suggestion with a name: the listener is warned, sends it anyway, a coordinator sends it back.
    await anna.press(f"rvs:{candidate}", anna.last())
    assert "nothing that points at a person" in anna.last().text
    await anna.send("Talk with Jan about the Monday peaks")
    assert "it contains “Jan”" in anna.last().text
    await anna.press("Send it anyway")
    assert "⚠ The bot warned the listener" in boss.last().text and "Talk with Jan" in boss.last().text
    await boss.press("Send back", boss.last())
    assert "sent your suggestion on Production · High workload (13 weeks) back" in anna.last().text

    # A case reference: written again, then clean, then approved.
    await chris.press(f"rvs:{candidate}", chris.last())
    await chris.send("Like in case K7QF2, plan the peaks")
    assert "“K7QF2”" in chris.last().text
    await chris.press("Write it again")
    await chris.send("x" * 501)
    assert "longer than 500 characters" in chris.last().text
    await chris.send("Plan the peak weeks with the team leads.")
    assert "A coordinator reads your suggestion" in chris.last().text
    assert "⚠" not in boss.last().text
    decision = boss.last()
    approve = next(d for d in decision.button_data() if d.endswith(":ok"))
    await boss.press_data(approve, decision)
    assert "You approved the suggestion" in decision.text
    assert "is approved" in chris.last().text
    await boss.press_data(approve, decision)  # a double tap (or a replay) changes nothing, the answer stays
    assert "You approved the suggestion" in decision.text
    assert [p.get("text") for n, p in boss.request.calls if n == "answerCallbackQuery"][-1] == \
        "This suggestion was already decided on, so nothing was changed."
    assert await services.core.db.fetchval("SELECT COUNT(*) FROM suggestions WHERE state = 'approved'") == 1

    clock.move_to(SLOT_W46 + timedelta(weeks=1))
    assert await _sweep(services) == "2026-W47"
    digest = next(m for m in reversed(sofie.inbox()) if m.text.startswith("📊"))
    assert "Production · High workload: " in digest.text and "from at least 3 different colleagues" in digest.text
    assert "“Plan the peak weeks with the team leads.”" in digest.text
    assert "Jan" not in digest.text and "K7QF2" not in digest.text
    files = b"".join(p.read_bytes() for p in services.settings.db_path.parent.iterdir())
    assert b"peak weeks" not in files and b"Talk with Jan" not in files  # suggestions are sealed
    assert digest.text.index("Reported by the network") < digest.text.index("Use")

    # December: a new round; the old one's buttons are closed.
    clock.move_to(datetime(2026, 12, 7, 7, 30, tzinfo=UTC))
    assert await _sweep(services) == "2026-W50"
    assert anna.last().text.startswith("🔎 The network's review (December 2026)")
    await anna.press_data(f"rvv:{candidate}:n", table)  # a button of November's round
    member = await services.core.members.by_person((await services.core.people.find(200)).id)
    assert await services.core.reviews.vote_of(candidate, member.id) is True
    await anna.send("/review")
    assert anna.last().text.startswith("🔎 The network's review (December 2026)")


async def test_the_review_is_for_listeners_and_says_when_there_is_none(services, people, clock):
    emma = people(301, "Emma")
    await emma.send("/review")
    assert "for listeners" in emma.last().text
    anna = people(201, "Anna")
    await join_as_member(services, anna, "Anna")
    await anna.send("/review")
    assert "There is no review yet" in anna.last().text


# Counting --------------------------------------------------------------------------------------------

async def test_the_database_counts_what_the_cases_say(services, clock):
    rng = random.Random(11)
    core = services.core
    ids = {i: (await core.people.ensure(6_000_000 + i, 6_000_000 + i, "en")).id for i in range(30)}
    cases = [Case(age=rng.randrange(60), dep=rng.choice(("Production", "Logistics", "Office", "Maintenance", None)),
                  themes=tuple(rng.sample(("workload", "stress", "private_problems", "bullying"), rng.randrange(3))),
                  level=rng.choice(("individual", "team", "organisation", None)), urgent=rng.random() < 0.2,
                  outcome=rng.choice((*dg.OUTCOME_KEYS, None)), withdrawn=rng.random() < 0.05,
                  breached=rng.random() < 0.2, wait=rng.choice((None, rng.randrange(3000))),
                  referrals=tuple(rng.sample(("psychologist", "company_doctor"), rng.randrange(3))),
                  requester=rng.choice((None, rng.randrange(30))), concern=rng.random() < 0.2,
                  collective=rng.random() < 0.1) for _ in range(220)]
    cases = [replace(c, outcome=None) if c.withdrawn else c for c in cases]
    team = [TeamSignal(age=rng.randrange(20), dep=rng.choice(("Production", "Logistics", "Maintenance")),
                       themes=tuple(rng.sample(("workload", "stress", "bullying", "private_problems"), rng.randrange(1, 3))),
                       level=rng.choice(("individual", "team", "organisation"))) for _ in range(60)]
    slot = slot_of_week("2026-W46", 0, time(8, 30), services.settings.timezone)
    wins = windows(slot, services.settings.timezone, 13, 4)
    await insert(core, cases, wins[0].end, ids)
    await insert_team_signals(core, team, wins[0].end)
    departments = dg.group_departments(await core.figures.departments(wins[0].span()), services.settings.departments,
                                       k=5, separate_before=None,
                                       team=await team_departments(core.figures, wins[0]))
    assert departments == dg.group_departments(department_requests(cases), services.settings.departments,
                                               k=5, separate_before=None, team=team_departments_of(team))
    counts, _ = await collect(core.figures, wins, departments, core.charter)
    work = {t.key for t in core.charter.work_themes}
    expected = counts_of(cases, departments, work, {t.key for t in core.charter.private_themes},
                         {lv.key for lv in core.charter.levels}, team)
    assert expected.team and expected.concerns and expected.collective  # the test counts something
    assert counts == expected
    dims = dims_for(wins, departments, core.charter)
    assert "Maintenance" in dims.deps or "Maintenance" not in departments.separate  # stored names are counted
