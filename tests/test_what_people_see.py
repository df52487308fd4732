"""What people see, round two (issue 23): nothing false, no button lost. Each test drives the real
Application, the way the person on the phone would."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from flows import ask_for_conversation, invite_code, join_as_member, sweep_promises as _sweep

from bot.foundations.model import Span
from bot.foundations.settings import SettingsError, parse_working_hours

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday, 11:00 in Brussels


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def _alerts(offline) -> list[str]:
    return [p.get("text", "") for name, p in offline.calls if name == "answerCallbackQuery" and p.get("text")]


async def _coordinator(services, people, user_id=900, name="Griet"):
    boss = people(user_id, name)
    await boss.send(f"/start {await invite_code(services, 'coordinator')}")
    await boss.send(name)
    return boss


# 1. The news from the welcome ---------------------------------------------------------------------

async def test_following_the_news_from_the_welcome_keeps_the_welcome_and_its_urgent_button(people, offline, clock):
    emma = people(301, "Emma")
    await emma.send("/start")
    welcome = emma.last()
    text, before = welcome.text, welcome.button_data()
    assert "urgent" in before and "nwe:1" in before
    await emma.press("nwe:1", welcome)
    assert welcome.text == text  # the welcome itself is not rewritten
    assert welcome.button_data() == [d if d != "nwe:1" else "nwe:0" for d in before]
    labels = [b["text"] for row in welcome.buttons for b in row]
    assert "I need help now / I am not safe" in labels
    assert "✓ You hear what changes (tap to stop)" in labels
    assert _alerts(offline)[-1].startswith("You will hear here what changes thanks to the network")
    assert len(emma.inbox()) == 1  # and no message of its own
    await emma.press("nwe:0", welcome)
    assert welcome.button_data() == before and welcome.text == text


async def test_one_label_for_the_news_wherever_it_is_offered(people, clock):
    emma = people(301, "Emma")
    await emma.send("/start")
    await emma.send("/news")
    for message in emma.inbox():
        labels = [b["text"] for row in message.buttons for b in row if b["callback_data"].startswith("nwe:")]
        assert labels == ["Hear what changes thanks to the network"], message.text


async def test_an_older_welcome_news_button_changes_only_itself(people, offline, clock):
    """A welcome sent before this change carries 'news:1': it too keeps every other button."""
    emma = people(301, "Emma")
    await emma.send("/start")
    welcome = emma.last()
    welcome.buttons = [[{**b, "callback_data": "news:1"} if b["callback_data"] == "nwe:1" else b for b in row]
                       for row in welcome.buttons]
    welcome.raw["reply_markup"] = {"inline_keyboard": welcome.buttons}
    text = welcome.text
    await emma.press("news:1", welcome)
    assert welcome.text == text and "urgent" in welcome.button_data() and "nwe:0" in welcome.button_data()


# 2. Cancel on the note prompt ------------------------------------------------------------------

async def _claimed(services, people, first_message="Ik zit vast"):
    anna, emma = people(201, "Anna"), people(301, "Emma")
    await join_as_member(services, anna, "Anna")
    ref = await ask_for_conversation(emma, department=1, first_message=first_message)
    await anna.press(f"claim:{ref}")
    await anna.send("Hallo, ik luister.")
    return anna, emma, ref


async def test_cancel_on_the_note_prompt_after_the_note_was_saved_says_it_is_kept(services, people, clock):
    anna, emma, ref = await _claimed(services, people)
    await anna.send("/note")
    prompt = anna.last()
    assert "Write your note" in prompt.text
    await anna.send("Slaapt slecht sinds de reorganisatie")
    assert "Note saved" in anna.last().text
    await anna.press("Cancel", prompt)
    assert prompt.text == f"Your note on Colleague {ref} is saved already, so Cancel changes nothing. Only you can " \
                          "read it." and not prompt.buttons
    notes = await services.core.db.fetchval("SELECT COUNT(*) FROM case_notes")
    assert notes == 1

    # A new prompt, cancelled before writing: the earlier note does not count as written with it.
    await anna.send("/note")
    prompt = anna.last()
    await anna.press("Cancel", prompt)
    assert prompt.text == "No note was saved."
    await anna.send("Dit is geen notitie maar een bericht")
    assert "Dit is geen notitie maar een bericht" in emma.last().text  # the question is closed: relayed


async def test_cancel_on_an_older_note_prompt_says_only_what_is_known(services, people, clock):
    anna, emma, ref = await _claimed(services, people)
    await anna.send("/note")
    prompt = anna.last()
    await anna.send("Een notitie")
    prompt.buttons = [[{"text": "Cancel", "callback_data": f"note:{ref}:cancel"}]]  # as sent before this change
    prompt.raw["reply_markup"] = {"inline_keyboard": prompt.buttons}
    await anna.press("Cancel", prompt)
    assert prompt.text == "This question was closed already, so Cancel changes nothing."


# 3. Few listeners available: said when it is true and useful --------------------------------------

def _warnings(user) -> list[str]:
    return [m.text for m in user.inbox() if "Listeners available right now" in m.text]


async def _listener_from_nine(services, people, user_id=201, name="Anna"):
    anna = people(user_id, name)
    await join_as_member(services, anna, name)
    await anna.send("/hours")
    await anna.press("hrs:p:weekdays_9_17")
    return anna


async def test_no_night_warning_when_the_first_listener_starts_at_nine(services, people, clock):
    clock.move_to(datetime(2026, 11, 25, 3, 0, tzinfo=UTC))  # Wednesday 04:00 in Brussels
    boss = await _coordinator(services, people)
    await _listener_from_nine(services, people)
    assert "low_availability" not in await _sweep(services)
    ref = await ask_for_conversation(people(301, "Emma"))  # waits, and 09:00 is before its deadline
    assert "low_availability" not in await _sweep(services)
    assert _warnings(boss) == []

    clock.move_to(datetime(2026, 11, 25, 8, 30, tzinfo=UTC))  # 09:30: the organisation's day
    assert "low_availability" in await _sweep(services)
    assert _warnings(boss) == ["Listeners available right now: 1, below the warning level of 3. Requests waiting "
                               "for a listener: 1. /coverage shows the coming two weeks."]
    assert f"claim:{ref}" in people(201).last().button_data()  # offered to Anna as her hours began


async def test_a_night_warning_when_a_request_cannot_be_taken_before_its_deadline(services, people, clock):
    clock.move_to(datetime(2026, 11, 27, 19, 0, tzinfo=UTC))  # Friday 20:00: Anna is back on Monday
    boss = await _coordinator(services, people)
    await _listener_from_nine(services, people)
    assert "low_availability" not in await _sweep(services)
    ref = await ask_for_conversation(people(301, "Emma"))
    assert "low_availability" in await _sweep(services)
    assert _warnings(boss) == [
        "Listeners available right now: 0, below the warning level of 3. Requests waiting for a listener: 1. No "
        f"listener's hours begin before the deadline of {ref}. Next listener available: Mon 30 Nov "
        "09:00. /coverage shows the coming two weeks."]
    assert "24 hours" not in _warnings(boss)[0]
    assert "low_availability" not in await _sweep(services)  # once a day


async def test_working_hours_are_a_setting():
    assert parse_working_hours("MON-FRI 08:00-18:00") == tuple(Span(d, 480, 1080) for d in range(5))
    assert parse_working_hours("sat,sun 22:00-06:00") == (Span(0, 0, 360), Span(5, 1320, 1440), Span(6, 0, 360),
                                                          Span(6, 1320, 1440))
    assert parse_working_hours("always") is None
    with pytest.raises(SettingsError, match="WAAKZAAM_WORKING_HOURS"):
        parse_working_hours("weekdays")


def test_working_hours_may_run_across_sunday_and_never_start_where_they_end():
    assert parse_working_hours("SUN-THU 08:00-17:00") == tuple(Span(d, 480, 1020) for d in (0, 1, 2, 3, 6))
    assert parse_working_hours("fri-mon 09:00-10:00") == tuple(Span(d, 540, 600) for d in (0, 4, 5, 6))
    assert parse_working_hours("SUN-SUN 00:00-24:00") == (Span(6, 0, 1440),)
    for same in ("MON-FRI 18:00-18:00", "SAT 00:00-00:00"):
        with pytest.raises(SettingsError) as refused:
            parse_working_hours(same)
        assert str(refused.value) == (f"WAAKZAAM_WORKING_HOURS: {same} starts and ends at the same time; for the "
                                      "whole day write 00:00-24:00, or ALWAYS for every hour of the week.")


# 4. Urgent, and only the listener on call reached -----------------------------------------------

async def test_urgent_words_at_night_that_reach_only_the_listener_on_call_are_said_so(services, people, clock):
    clock.move_to(datetime(2026, 11, 29, 2, 0, tzinfo=UTC))  # Sunday 03:00 in Brussels
    boss = await _coordinator(services, people)
    anna = await _listener_from_nine(services, people)
    await boss.send("/oncall")
    await boss.press("Ask someone:")
    await boss.press("Anna")
    await anna.press("Yes, I will be on call")
    emma = people(301, "Emma")
    ref = await ask_for_conversation(emma, first_message="Ik ben niet veilig, ik wil er niet meer zijn")
    confirmation = emma.last().text
    assert "112" in confirmation and "the listener on call has been alerted" in confirmation
    assert "every available listener" not in confirmation.lower()
    assert boss.last().text == (f"Urgent request {ref}: the colleague says they are not safe. No listener was "
                                "available within their hours, so it has gone to Anna, on call, alone. Can you make "
                                "sure they answer, or reach another listener? The colleague has the emergency "
                                "numbers.")
    assert any(f"claim:{ref}" in m.button_data() for m in anna.inbox())


# 5. /report before any quarter is counted ----------------------------------------------------------

async def test_report_before_any_quarter_is_counted_is_one_true_statement(services, people, clock):
    """No table of dashes and zeros that would read as "0 listeners": /report offers only a
    released quarter, and before the first one it says so, in one line."""
    from steering_flows import steering
    sofie = await steering(services, people)
    await join_as_member(services, people(201, "Anna"), "Anna")  # the network has a listener: never "0 listeners"
    before = len(sofie.inbox())
    await sofie.send("/report")
    (said,) = sofie.inbox()[before:]
    assert said.text == ("No quarter has been counted yet: a quarter's figures are counted a week after it ends, and "
                         "come with that week's digest.")
    assert said.protect_content and "listeners" not in said.text


# 6. A double tap never replaces a confirmation ------------------------------------------------------

async def test_a_double_tap_on_being_on_call_keeps_the_confirmation(services, people, offline, clock):
    boss = await _coordinator(services, people)
    anna = await _listener_from_nine(services, people)
    await boss.send("/oncall")
    await boss.press("Ask someone:")
    asked = boss.last()
    await boss.press("Anna", asked)
    assert asked.text == "Asked. You will hear the answer here."
    question = anna.last()
    yes = next(d for d in question.button_data() if d.endswith(":yes"))
    await anna.press_data(yes, question)
    confirmation = question.text
    assert confirmation.startswith("Thank you: you are on call that week.")
    await anna.press_data(yes, question)  # the second tap of a double tap, sent before the edit arrived
    assert question.text == confirmation
    assert _alerts(offline)[-1] == "You answered this already."
    no = next(d for d in question.button_data() if d.endswith(":no")) if question.buttons else yes[:-3] + "no"
    await anna.press_data(no, question)  # a quick change of mind changes nothing either
    assert question.text == confirmation


async def test_a_double_tap_on_removing_a_listener_keeps_the_confirmation(services, people, offline, clock):
    boss = await _coordinator(services, people)
    await join_as_member(services, people(201, "Anna"), "Anna")
    await boss.send("/team")
    await boss.press("Remove Anna")
    confirm = boss.last()
    yes = next(d for d in confirm.button_data() if d.endswith(":yes"))
    await boss.press_data(yes, confirm)
    done = confirm.text
    assert done.startswith("Anna is no longer a listener.")
    await boss.press_data(yes, confirm)
    assert confirm.text == done
    assert _alerts(offline)[-1] == "This person no longer has that role, so nothing was changed."


# Walk 1, finding 10: a double tap on End adds nothing ---------------------------------------------

async def test_a_double_tap_on_end_adds_no_message(services, people, offline, clock):
    anna, emma = people(201, "Anna"), people(301, "Emma")
    await join_as_member(services, anna, "Anna")
    ref = await ask_for_conversation(emma)
    await anna.press(f"claim:{ref}")
    await emma.send("/start")
    status = emma.last()
    await emma.press_data(f"end:{ref}", status)
    ended, count = status.text, len(emma.inbox())
    assert f"The conversation {ref} has ended" in ended
    await emma.press_data(f"end:{ref}", status)
    assert len(emma.inbox()) == count and status.text == ended
    assert _alerts(offline)[-1] == "This conversation is already closed."
