"""The steering group acts on a signal and follows its actions up, through the real Application:
the digest's button, the signal's answers, the new-action wizard, the card, the digest's
follow-up section (stall flag, unanswered signals) and the reminder before the due date."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from steering_flows import (
    SLOT_W47,
    T0,
    coordinator,
    digest_with_a_signal,
    last_digest,
    open_action,
    steering,
    sweep,
)


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def _signal_button(message) -> str:
    return next(d for d in message.button_data() if d.startswith("asg:"))


def _alerts(offline) -> list[str]:
    return [params.get("text", "") for name, params in offline.calls if name == "answerCallbackQuery"]


async def _to_signal_card(sofie, digest):
    """From the digest message to the card of its signal: the list comes below the digest, which stays."""
    await sofie.press("asw:2026-W47", digest)
    listing = sofie.last()
    assert "The signals of the digest of week 47 of 2026" in listing.text and listing is not digest
    await sofie.press(_signal_button(listing), listing)
    return listing


async def test_from_a_signal_in_the_digest_to_an_action_and_its_effect(running, services, people, offline, clock):
    sofie, boss, _ = await digest_with_a_signal(services, people, clock)
    digest = last_digest(sofie)
    assert "asw:2026-W47" in digest.button_data()  # the digest itself offers to answer its signals
    text, edits = digest.text, digest.edits
    await sofie.press("asw:2026-W47", digest)
    listing = sofie.last()
    assert "Production · High workload: no answer yet" in listing.text and listing.protect_content
    assert (digest.text, digest.edits) == (text, edits) and "asw:2026-W47" in digest.button_data()  # it stays
    card = await _to_signal_card(sofie, digest)
    assert card.text.startswith("🔔 Production · High workload")
    assert "Reported by the network in the digest of week 47 of 2026." in card.text and "No answer yet." in card.text

    await sofie.press("Open an action", card)
    assert "New action on Production · High workload." in sofie.last().text and "Step 1 of 7." in sofie.last().text
    await sofie.send("x")  # too short for a title: refused, the question stays
    assert "empty" in sofie.last().text
    await sofie.send("Plan the peak weeks with the team leads")
    assert "Who carries it? A function, not a person's name" in sofie.last().text
    await sofie.send("production manager")
    question = sofie.last()
    await sofie.press("awu:high", question)
    assert "How feasible is it" in question.text  # a button's answer edits the question into the next one
    await sofie.press("awf:quick", question)
    assert "By when?" in question.text
    await sofie.send("1/10/2026")  # a due date in the past: refused, nothing changes
    assert "That date is in the past" in sofie.last().text
    await sofie.send("someday")
    assert "not a date I can read" in sofie.last().text
    await sofie.send("15/12/2026")
    await sofie.send("Two meetings with the team leads; HR joins the second.")
    await sofie.press("aws")  # no feedback text
    summary = sofie.last()
    assert "📌 “Plan the peak weeks with the team leads”" in summary.text and "Due: Tue 15 Dec 2026" in summary.text
    assert "Priorities with a schedule · urgency: urgent · feasibility: quick win" in summary.text
    await sofie.press("awk:save", summary)
    assert summary.text.startswith("📌 “Plan the peak weeks with the team leads”")
    assert "Owner: production manager" in summary.text and "Status: planned · due Tue 15 Dec 2026" in summary.text
    assert "How: Two meetings with the team leads; HR joins the second." in summary.text
    assert "Followed up by: Sofie" in summary.text
    await sofie.press_data("awk:save", summary)  # a double tap saves nothing more
    assert await services.core.db.fetchval("SELECT COUNT(*) FROM actions") == 1

    # Every text is the steering group's own words: sealed.
    files = b"".join(p.read_bytes() for p in services.settings.db_path.parent.iterdir())
    assert b"peak weeks" not in files and b"production manager" not in files

    # The digest's signal list now says it has an action.
    await sofie.press_data("asw:2026-W47", digest)
    assert "Production · High workload: action: planned" in sofie.last().text

    action = summary
    await sofie.press("In progress", action)
    assert "Status: in progress" in action.text
    await sofie.press("Add an update", action)
    await sofie.send("First meeting held; the second is planned.")
    assert "The update is kept, dated today." in sofie.last().text
    await sofie.press("Open the action", sofie.last())
    action = sofie.last()
    assert "“First meeting held; the second is planned.”" in action.text
    await sofie.press("Done", action)
    assert "is done. What is its effect so far?" in action.text
    await sofie.press("Too early to say", action)
    assert "Status: done on Mon 16 Nov 2026 · effect: too early to say" in action.text
    assert re.search(r"History:\n• Mon 16 Nov 2026: planned\n• Mon 16 Nov 2026: in progress\n"
                     r"• Mon 16 Nov 2026: “First meeting held; the second is planned\.”\n"
                     r"• Mon 16 Nov 2026: done, effect: too early to say", action.text), action.text
    assert "act:" in " ".join(action.button_data())  # closed: tell staff what changed

    # A closed action changes no more, even with an old button.
    stale = [d for d in action.button_data() if d.startswith("acs:")]
    assert stale == []
    action_id = await services.core.db.fetchval("SELECT id FROM actions")
    await sofie.press_data(f"acs:{action_id}:in_progress", action)
    assert "This action is closed, so nothing was changed." in _alerts(offline)[-1]
    assert await services.core.db.fetchval("SELECT status FROM actions") == "done"

    # Coordinators read /actions; they change nothing, whatever they press.
    await boss.send("/actions")
    listing = boss.last()
    assert "📌 Actions of the steering group" in listing.text and "Closed actions: 1" in listing.text
    await boss.press_data(f"acv:{action_id}", listing)
    assert listing.text.startswith("📌 “Plan the peak weeks") and "acs:" not in " ".join(listing.button_data())
    await boss.press_data(f"ack:{action_id}", listing)
    assert await services.core.db.fetchval("SELECT keeper FROM actions") != (
        await services.core.people.find(900)).id


async def test_acknowledge_or_not_now_with_a_reason_and_strangers_change_nothing(services, people, clock):
    sofie, boss, team = await digest_with_a_signal(services, people, clock)
    card = await _to_signal_card(sofie, last_digest(sofie))
    signal_id = await services.core.db.fetchval("SELECT id FROM signals")
    for outsider in (boss, team[0], people(301, "Emma")):  # a coordinator, a listener, an employee
        await outsider.press_data(f"asa:{signal_id}:ack", card)
        await outsider.press_data(f"asa:{signal_id}:act", card)
    assert await services.core.db.fetchval("SELECT answer FROM signals") is None
    assert await services.core.db.fetchval("SELECT COUNT(*) FROM prompts WHERE kind = 'action'") == 0

    await sofie.press("Not now…", card)
    assert "Why not now?" in sofie.last().text
    await sofie.send("y" * 301)
    assert "longer than 300 characters" in sofie.last().text
    await sofie.send("The reorganisation of the shifts settles first; we come back to it in March.")
    assert "Noted: not now" in sofie.last().text
    await sofie.press("The signal", sofie.last())
    assert "Not now (since Mon 16 Nov 2026): “The reorganisation of the shifts settles first" in sofie.last().text
    await sofie.press("Acknowledge", sofie.last())
    assert "Acknowledged on Mon 16 Nov 2026." in sofie.last().text
    assert await services.core.db.fetchval("SELECT reason_enc FROM signals") is None  # the reason went with it


async def test_the_day_on_a_card_is_the_organisations_day(services, people, clock):
    sofie, _, _ = await digest_with_a_signal(services, people, clock)
    card = await _to_signal_card(sofie, last_digest(sofie))
    clock.move_to(datetime(2026, 11, 22, 23, 49, tzinfo=UTC))  # still Sunday in UTC, Monday 00:49 in Brussels
    await sofie.press("Acknowledge", card)
    assert "Acknowledged on Mon 23 Nov 2026." in card.text


async def test_the_digest_flags_a_stalled_action_once_and_lists_unanswered_signals(services, people, clock):
    sofie, _, _ = await digest_with_a_signal(services, people, clock)
    tom = await steering(services, people, 801, "Tom")
    assert tom is not None
    # An action without a signal, directly through the service (the wizard is tested above).
    person = await services.core.people.find(800)
    draft = {"title": "Quiet room in the office", "owner": "facility manager", "urgency": "low",
             "feasibility": "structural", "due": "2027-06-30", "plan": "", "feedback": ""}
    result, action_id = await services.actions.open_action(person, draft)
    assert result.value == "ok"

    # Four weeks on, no answer to the signal and no update of the action: both show, each once.
    for week, expect_stalled in ((2, False), (4, False), (5, True), (6, True)):
        clock.move_to(SLOT_W47 + timedelta(weeks=week))
        assert await sweep(services)
        text = last_digest(sofie).text
        section = text.split("Follow-up by the steering group\n", 1)[1].split("\n\n", 1)[0]
        lines = [line for line in section.splitlines() if "Quiet room in the office" in line]
        assert len(lines) == 1, section
        assert lines[0].count("⚠") == (1 if expect_stalled else 0), section
        assert "Long-term challenges:" in section
        unanswered = "Production · High workload (reported since week 47)" in section
        assert unanswered == (week >= 4), section
    assert "stalled: no update for 35 days" in lines[0] or "stalled: no update for 42 days" in lines[0]

    # An update: the flag goes at the next digest; the action is listed once all the same.
    await services.actions.add_note(person, action_id, "The architect came by.")
    clock.move_to(SLOT_W47 + timedelta(weeks=7))
    assert await sweep(services)
    section = last_digest(sofie).text.split("Follow-up by the steering group\n", 1)[1]
    assert section.count("Quiet room in the office") == 1 and "⚠" not in section.split("\n\n")[0]


async def test_the_keeper_is_reminded_once_before_the_due_date(running, services, people, clock):
    sofie = await steering(services, people)
    tom = await steering(services, people, 801, "Tom")
    person = await services.core.people.find(800)
    draft = {"title": "Peak weeks", "owner": "production manager", "urgency": "high", "feasibility": "quick",
             "due": "2026-12-01", "plan": "", "feedback": ""}
    _, action_id = await services.actions.open_action(person, draft)
    due_minus_7 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # 09:00 in Brussels, seven days before
    clock.move_to(due_minus_7 - timedelta(minutes=1))
    assert await services.actions.sweep() == 0
    clock.move_to(due_minus_7)
    assert await services.actions.sweep() == 1
    await services.sender.flush()
    assert sofie.last().text.startswith("⏰ The action “Peak weeks” (owner: production manager) is due on Tue 1 Dec")
    assert sofie.last().protect_content and f"acv:{action_id}" in sofie.last().button_data()
    assert not any("Peak weeks" in m.text for m in tom.inbox())  # only the steering member who follows it up
    await running.restart()
    assert await running.services.actions.sweep() == 0  # once, whatever restarts

    # A new due date brings a new reminder; when the keeper left the steering group, every member gets it.
    services = running.services
    await services.actions.set_due(person, action_id, "2027-01-15")
    boss = await coordinator(services, people)
    removed = await services.membership.remove(await services.core.people.find(900), "steering", person.id)
    assert removed.result.value == "ok"
    clock.move_to(datetime(2027, 1, 8, 8, 0, tzinfo=UTC))
    assert await services.actions.sweep() == 1
    await services.sender.flush()
    assert tom.last().text.startswith("⏰ The action “Peak weeks”")
    assert boss is not None


async def test_a_due_date_that_passed_while_the_wizard_was_open_is_asked_again(services, people, clock):
    sofie, _, _ = await digest_with_a_signal(services, people, clock)
    card = await _to_signal_card(sofie, last_digest(sofie))
    await sofie.press("Open an action", card)
    await open_action(sofie, due="17/11/2026", plan="Talk first.")
    # saved on the 16th: fine. Now one left open overnight.
    card = await _to_signal_card(sofie, last_digest(sofie))
    await sofie.press("Open an action", card)
    await sofie.send("Second action")
    await sofie.send("HR")
    await sofie.press("awu:medium")
    await sofie.press("awf:means")
    await sofie.send("17/11/2026")
    await sofie.press("aws")
    await sofie.press("aws")
    clock.move_to(datetime(2026, 11, 17, 23, 30, tzinfo=UTC))  # the 18th in Brussels
    await sofie.press("awk:save")
    assert "By when?" in sofie.last().text  # asked again, nothing saved
    assert await services.core.db.fetchval("SELECT COUNT(*) FROM actions") == 1
    await sofie.press("awd:1")
    await sofie.press("aws")
    await sofie.press("aws")
    await sofie.press("awk:save")
    assert await services.core.db.fetchval("SELECT due FROM actions ORDER BY id DESC LIMIT 1") == \
        date(2026, 12, 18).isoformat()


async def test_an_action_on_a_signal_the_newest_digest_no_longer_reports(services, people, clock):
    sofie, _, _ = await digest_with_a_signal(services, people, clock)
    old = last_digest(sofie)
    # December: a new review round in which nobody reports anything, so W50 publishes no signal.
    clock.move_to(datetime(2026, 12, 7, 7, 30, tzinfo=UTC))
    assert await sweep(services) == "2026-W50"
    clock.move_to(datetime(2026, 12, 14, 7, 30, tzinfo=UTC))
    assert await sweep(services) == "2026-W51"
    assert "asw:" not in " ".join(last_digest(sofie).button_data())
    await sofie.press("asw:2026-W47", old)  # the old digest's button still answers its signals
    listing = sofie.last()
    await sofie.press(_signal_button(listing), listing)
    assert "The latest digest no longer reports it; you can still answer it." in listing.text
    await sofie.press("Open an action", listing)
    await open_action(sofie)
    assert sofie.last().text.startswith("📌 “Plan the peak weeks") and "Signal: Production · High workload" in \
        sofie.last().text
