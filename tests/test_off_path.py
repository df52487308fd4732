"""Off the path (issue 23): typing inside a wizard that takes buttons only, editing a message the
bot does not read, going back from the list of listeners, and /coverage saying each gap once. Each
answer is in the terms of where the person is, and the wizard stays where it was."""
from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime

import pytest
import time_machine
from flows import ask_for_conversation, invite_code, join_as_member
from steering_flows import T0 as BEFORE_THE_DIGESTS
from steering_flows import digest_with_a_signal, last_digest

from bot.foundations import prompts

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday, 11:00 in Brussels
_edits = itertools.count(9000)


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


async def _edit(user, message_id: int, text: str) -> None:
    """The person edits a message they sent earlier."""
    await user._process({"edited_message": {
        "message_id": message_id, "date": int(time.time()), "edit_date": int(time.time()),
        "chat": {"id": user.id, "type": "private"}, "from": user.user, "text": text}})


async def _prompt(services, user):
    return await services.prompts.current(await services.core.people.find(user.id))


# Typing inside a wizard of buttons ---------------------------------------------------------------

async def test_typing_in_the_team_signal_wizard_is_answered_in_its_own_terms(services, people, clock):
    emma = people(301, "Emma")
    await emma.send("/start")
    await emma.press("Something is wrong in my team")
    wizard = emma.last()
    buttons = wizard.button_data()
    await emma.send("Logistics")
    assert emma.last().text == ("Please use the buttons above: telling the network about your team takes no text, "
                                "so nothing was sent.")
    assert "no open conversation" not in emma.last().text
    assert (await _prompt(services, emma)).kind == prompts.SIGNAL and wizard.button_data() == buttons
    await emma.press("sig:d:1", wizard)  # the wizard goes on where it was
    assert "sig:t:" in " ".join(wizard.button_data())


async def test_typing_in_the_request_wizard_before_its_last_step(services, people, clock):
    emma = people(301, "Emma")
    await emma.send("/start")
    await emma.press("ask:start")
    wizard = emma.last()
    await emma.send("Ik wil praten")
    assert emma.last().text == ("Please use the buttons above to ask for a conversation; you can write a first "
                                "message at the last step. Nothing was sent.")
    assert (await _prompt(services, emma)).kind == prompts.ASK
    assert await services.core.db.fetchval("SELECT COUNT(*) FROM requests") == 0
    assert "ask:next" in wizard.button_data()


async def test_someone_in_a_conversation_and_a_wizard_is_not_relayed_by_mistake(services, people, clock):
    anna, emma = people(201, "Anna"), people(301, "Emma")
    await join_as_member(services, anna, "Anna")
    ref = await ask_for_conversation(emma)
    await anna.press(f"claim:{ref}")
    welcome = next(m for m in emma.inbox() if "sig" in m.button_data())
    await emma.press("sig", welcome)  # her welcome still offers it
    before = len(anna.inbox())
    await emma.send("Production")
    assert len(anna.inbox()) == before  # not passed on to her listener
    assert emma.last().text.endswith("To write in your open conversation, first finish or cancel this above.")


async def test_typing_while_a_note_waits_for_its_conversation_reaches_nobody(services, people, clock):
    anna, emma, jan = people(201, "Anna"), people(301, "Emma"), people(302, "Jan")
    await join_as_member(services, anna, "Anna")
    for colleague in (emma, jan):
        await anna.press(f"claim:{await ask_for_conversation(colleague, first_message='Het gaat niet goed')}")
    from_jan = [m for m in anna.inbox() if m.protect_content][-1]  # his first message, as relayed
    await anna.send("/note Lijkt moe, volgende week opvolgen")
    choice = anna.last()
    assert choice.text == "Which conversation is this note for?"
    said = {colleague.id: len(colleague.inbox()) for colleague in (emma, jan)}
    await anna.send("en vraag naar de planning", reply_to=from_jan)  # the rest of the note
    assert anna.last().text == ("Please choose above which conversation your note is for: this text was not sent to "
                                "anyone, and not added to the note. To drop the note instead, send /start.")
    assert {colleague.id: len(colleague.inbox()) for colleague in (emma, jan)} == said
    assert (await _prompt(services, anna)).kind == prompts.NOTE_FOR
    await anna.press(choice.button_data()[0], choice)  # the note goes on where it was
    assert await services.core.db.fetchval("SELECT COUNT(*) FROM case_notes") == 1
    assert await _prompt(services, anna) is None


# Edits --------------------------------------------------------------------------------------------

async def test_an_edit_is_answered_by_what_the_message_was(services, people, clock):
    anna, emma = people(201, "Anna"), people(301, "Emma")
    await join_as_member(services, anna, "Anna")
    ref = await ask_for_conversation(emma)
    await anna.press(f"claim:{ref}")
    written = await anna.send("Hallo, ik luister")
    await _edit(anna, written, "Hallo, ik luister naar je")
    assert anna.last().text.startswith("Edits are not passed on: the other person still sees your message")
    started = await emma.send("/start")
    await _edit(emma, started, "/help")
    assert emma.last().text == ("The bot does not read edits, so nothing changed: it keeps your message as you first "
                                "sent it.")


@pytest.fixture
def steering_clock():
    with time_machine.travel(BEFORE_THE_DIGESTS, tick=False) as traveller:
        yield traveller


async def test_an_edited_title_in_the_action_wizard_is_answered_in_its_terms(services, people, steering_clock):
    sofie, _, _ = await digest_with_a_signal(services, people, steering_clock)
    digest = last_digest(sofie)
    await sofie.press("asw:2026-W47", digest)
    listing = sofie.last()
    await sofie.press(next(d for d in listing.button_data() if d.startswith("asg:")), listing)
    await sofie.press("Open an action", listing)
    title = await sofie.send("Plan the peak weks")
    step = sofie.last()
    assert "Who carries it?" in step.text
    await _edit(sofie, title, "Plan the peak weeks")
    assert sofie.last().text == ("The bot does not read edits, so the new action keeps what you first sent. You see "
                                 "all of it before you save, and can cancel there.")
    assert "other person" not in sofie.last().text
    assert (await _prompt(services, sofie)).data["title"] == "Plan the peak weks"  # where it was
    await sofie.send("production manager")
    assert "How urgent is it?" in sofie.last().text


# Back from the list of listeners ---------------------------------------------------------------------

async def test_back_from_the_list_of_listeners_keeps_the_wishes_in_the_same_message(services, people, clock):
    anna, emma = people(201, "Anna"), people(301, "Emma")
    await join_as_member(services, anna, "Anna")
    await emma.send("/start")
    await emma.press("ask:start")
    wizard = emma.last()
    await emma.press("ask:g:woman", wizard)
    await emma.press("ask:e:1", wizard)
    await emma.press("ask:m", wizard)
    assert "Choose the listener" in wizard.text
    count = len(emma.inbox())
    await emma.press("Back", wizard)
    assert len(emma.inbox()) == count  # no new message, so no live list left above it
    assert "Who would you be most comfortable talking to?" in wizard.text
    labels = [b["text"] for row in wizard.buttons for b in row]
    assert "✓ Woman" in labels and "✓ Neither HR nor management" in labels
    assert not any(d.startswith("ask:m:") for d in wizard.button_data())


# /coverage ------------------------------------------------------------------------------------------

async def test_coverage_says_each_gap_once_with_the_wishes_it_misses(services, people, clock):
    boss = people(900, "Griet")
    await boss.send(f"/start {await invite_code(services, 'coordinator')}")
    await boss.send("Griet")
    anna = people(201, "Anna")
    await join_as_member(services, anna, "Anna", gender="woman", languages=("nl",))
    await anna.send("/hours")
    await anna.press("hrs:p:weekdays_9_17")
    await boss.send("/coverage")
    lines = boss.last().text.splitlines()
    assert lines[0] == "Gaps in the coming two weeks (whole days):"
    spans = [line.split(": ")[0] for line in lines[1:]]
    assert len(spans) == len(set(spans))  # each stretch of days once
    weekend = next(line for line in lines if line.startswith("Sat 28 Nov 2026 to Sun 29 Nov 2026"))
    assert weekend.startswith("Sat 28 Nov 2026 to Sun 29 Nov 2026: nobody available")
    week = next(line for line in lines if line.startswith("Wed 25 Nov 2026 to Fri 27 Nov 2026"))
    assert week.startswith("Wed 25 Nov 2026 to Fri 27 Nov 2026: no man listener, nobody who speaks Français, nobody "
                           "who speaks English")
    assert "nobody available" not in week
