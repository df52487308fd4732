"""The digest and the review through the real Application: schedule, delivery, /digest, buttons,
the releases made with it exactly once, and the counting behind them."""
from __future__ import annotations

import logging
import random
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from digest_cases import Case, TeamSignal, insert, insert_team_signals, people_for
from flows import join_as_member
from steering_flows import SLOT_W46, T0
from steering_flows import coordinator as _coordinator
from steering_flows import history as _history
from steering_flows import steering as _steering
from steering_flows import sweep as _sweep

from bot.foundations.calendar import parse_period
from bot.steering.releases import cells as C


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


# Delivery -----------------------------------------------------------------------------------------

async def test_a_steering_member_gets_the_digest_once_with_its_chart(running, services, people, offline, clock):
    sofie = await _steering(services, people)
    assert "The digest comes every Monday at 08:30" in sofie.texts()
    await _history(services)
    assert await _sweep(services) is None  # the first sweep only notes when the bot started
    clock.move_to(SLOT_W46 - timedelta(minutes=1))
    assert await _sweep(services) is None
    clock.move_to(SLOT_W46)
    before = len(sofie.inbox())
    assert await _sweep(services) == "2026-W46"
    text, chart = sofie.inbox()[before:]
    assert text.text.startswith("📊 Digest for the steering group, week 46 of 2026")
    assert "New this week: the final figures of July 2026, August 2026, September 2026, Q3 2026 and October 2026, " \
           "counted on 9 Nov 2026." in text.text
    assert "October 2026 (final)\n• Requests: " in text.text and "Late" not in text.text and text.protect_content
    released = await services.core.releases.labels()
    assert released == ["2026-07", "2026-08", "2026-09", "2026-Q3", "2026-10", "open/2026-11/2026-W46",
                        "review/2026-11"]
    assert "dga:2026-W46" in text.button_data()
    assert chart.photo.startswith(b"\x89PNG") and chart.protect_content and "week 46" in chart.text
    assert await _sweep(services) is None
    await running.restart()
    services = running.services
    assert await _sweep(services) is None  # a restart never sends a week twice, nor releases anything twice
    assert len(sofie.inbox()) == before + 2
    assert await services.core.db.fetchval("SELECT COUNT(*) FROM digests") == 1
    assert await services.core.releases.labels() == released and await services.core.releases.chain_intact()

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
    await _history(services)
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
    await _history(services)
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
    await _history(services)
    await _sweep(services)
    clock.move_to(SLOT_W46)

    def broken(*_):
        raise RuntimeError("no fonts")

    monkeypatch.setattr("bot.steering.digest.chart.render_chart", broken)
    assert await _sweep(services) == "2026-W46"
    assert sofie.last().text.startswith("📊") and sofie.last().photo is None
    assert "the chart could not be drawn (RuntimeError)" in caplog.text


async def test_a_digest_before_any_request_says_so_in_one_line_and_sends_no_chart(services, people, clock):
    sofie = await _steering(services, people)
    await _sweep(services)
    clock.move_to(SLOT_W46)
    assert await _sweep(services) == "2026-W46"
    digest = sofie.last()
    assert digest.photo is None
    assert "No month has been counted yet: a month's figures come with the digest a week after it ends." in digest.text
    assert "(final)" not in digest.text and await services.core.releases.labels() == []


async def test_digest_is_for_the_steering_group_and_says_when_the_first_comes(services, people, clock):
    emma = people(301, "Emma")
    await emma.send("/digest")
    assert "This is for the steering group" in emma.last().text
    sofie = await _steering(services, people)
    await sofie.send("/digest")
    assert "There is no digest yet. The first one comes on Mon 9 Nov 08:30" in sofie.last().text


async def test_a_digest_button_pressed_after_a_newer_digest_exists(services, people, clock):
    sofie = await _steering(services, people)
    await _history(services)
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
    await _history(services)
    await _sweep(services)
    clock.move_to(SLOT_W46)
    assert await _sweep(services) == "2026-W46"
    anna, bert, chris = listeners
    table = anna.last()
    assert table.text.startswith("🔎 The network's review (November 2026)") and table.protect_content
    assert "1. Production · High workload · to report 0, not 0" in table.text
    assert "conversations of 1 Oct – 31 Oct 2026, from different colleagues" in table.text
    assert not any(c.isdigit() for c in table.text.split("to report")[0].split("colleagues.")[-1])  # no counts
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
    assert "sent your suggestion on Production · High workload back" in anna.last().text

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
    assert ("• Production · High workload: reported in the review of November 2026, from at least 3 different "
            "colleagues.\n  Suggestion from the network: “Plan the peak weeks with the team leads.”") in digest.text
    assert "Jan" not in digest.text and "K7QF2" not in digest.text
    files = b"".join(p.read_bytes() for p in services.settings.db_path.parent.iterdir())
    assert b"peak weeks" not in files and b"Talk with Jan" not in files  # suggestions are sealed
    assert digest.text.index("Reported by the network") < digest.text.index("(final)")
    # What the round told a reader (that the cell reached WAAKZAAM_SIGNAL_MIN) is a release too.
    flags = await services.core.releases.get("review/2026-11")
    assert [(f["key"], f["st"]) for f in flags.body["figures"]] == [
        ("2026-Q4|flag|Production|workload", ["flag", 3, None])]

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


# Releases, exactly once ----------------------------------------------------------------------

async def test_releases_are_stored_in_the_digest_s_transaction_so_a_failure_leaves_neither(
        services, people, clock, monkeypatch):
    sofie = await _steering(services, people)
    await _history(services)
    await _sweep(services)
    clock.move_to(SLOT_W46)

    async def broken(*_args, **_kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(services.digests, "_queue", broken)  # after the releases are written, before commit
    with pytest.raises(RuntimeError):
        await services.digests.sweep()
    assert await services.core.releases.labels() == [] and not await services.core.digests.exists("2026-W46")
    assert await services.core.db.fetchval("SELECT COUNT(*) FROM figure_periods") == 0
    monkeypatch.undo()
    assert await _sweep(services) == "2026-W46"
    assert len(await services.core.releases.labels("period")) == 5
    assert sofie.inbox()[-2].text.startswith("📊 Digest for the steering group, week 46 of 2026")


async def test_a_release_never_changes_and_is_never_removed(services, clock):
    await _history(services)
    await _sweep(services)
    clock.move_to(SLOT_W46)
    await services.digests.sweep()
    db = services.core.db
    with pytest.raises(Exception, match="a release never changes"):
        await db.execute("UPDATE releases SET year = 2025 WHERE label = '2026-Q3'")
    with pytest.raises(Exception, match="a release is never removed"):
        await db.execute("DELETE FROM releases WHERE label = '2026-Q3'")
    with pytest.raises(Exception, match="a counted period is never removed"):
        await db.execute("DELETE FROM figure_periods WHERE label = '2026-Q3'")


# Counting --------------------------------------------------------------------------------------------

async def test_the_database_counts_what_the_cases_say(services, clock):
    """The counted cells of a quarter against the cases counted in memory (apart from the SQL)."""
    rng = random.Random(11)
    core = services.core
    ids = await people_for(core, 30, 6_000_000)
    start = datetime(2026, 7, 1, 6, 0, tzinfo=UTC)
    found = []
    for _ in range(160):
        outcome = rng.choice(("listened", "referred", "signposted", "no_reply", None))
        found.append(Case(start + timedelta(days=rng.randrange(92), hours=rng.randrange(10)),
                          rng.choice(("Production", "Logistics", "Office", "Maintenance", None)),
                          tuple(rng.sample(("workload", "stress", "private_problems", "bullying"), rng.randrange(3))),
                          rng.choice(("individual", "team", "organisation", None)), urgent=rng.random() < 0.2,
                          outcome=outcome, withdrawn=rng.random() < 0.05, breached=rng.random() < 0.2,
                          wait=rng.choice((None, rng.randrange(3000))),
                          referrals=tuple(rng.sample(("psychologist", "company_doctor"), rng.randrange(3))),
                          requester=rng.choice((None, rng.randrange(30))), concern=rng.random() < 0.2,
                          collective=rng.random() < 0.1, conversed=rng.choice((None, False))))
    found = [c for c in found if c.created < datetime(2026, 9, 30, 20, 0, tzinfo=UTC)]
    await insert(core, found, ids)
    team = [TeamSignal(f"2026-0{rng.choice((7, 8, 9))}-1{rng.randrange(9)}", rng.choice(("Production", "Logistics")),
                       tuple(rng.sample(("workload", "stress", "private_problems"), rng.randrange(1, 3))),
                       rng.choice(("individual", "team")), account=n) for n in range(40)]
    await insert_team_signals(core, team)
    quarter = parse_period("2026-Q3")
    cut = datetime(2026, 10, 12, 7, 0, tzinfo=UTC)
    counted = await services.releases.count_quarter(quarter, cut, {m.label: cut for m in quarter.months()})
    cells = counted["cells"]

    def total(block: str, *parts: str) -> int:
        return sum(n for cell, n in cells.items() if cell.split("|")[1] == block
                   and all(p in cell.split("|")[2:] for p in parts))

    conversations = [c for c in found if c.counted]
    assert conversations and total("a") == len(conversations)
    assert total("a", "concern") == sum(c.concern for c in conversations)
    for theme in ("workload", "stress", "bullying"):
        assert total("t", theme) == sum(theme in c.themes for c in conversations), theme
    assert cells.get(C.p("2026-Q3"), 0) == sum("private_problems" in c.themes for c in conversations)
    assert total("f", "psychologist") == sum("psychologist" in c.referrals for c in conversations)
    assert total("e") == len(found)
    assert total("e", "none") == len(found) - len(conversations)
    assert total("s", "workload") == sum("workload" in s.themes for s in team)
    levels = Counter(c.level or "unset" for c in conversations)
    assert {lv: total("a", lv) for lv in levels} == dict(levels)
