"""A conversation handed over no longer starts blind (issue 23): when a listener leaves, is removed
or hands it back, the colleague says whether the next listener may read the earlier conversation
(and the notes); the next listener is told plainly that it is handed over, since when, and what
they may read; nothing confidential moves without the colleague's word; retention and /forget
take it all."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flows import ask_for_conversation, invite_code, join_as_member

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # Tuesday 24 November, 10:00 in Brussels
FIRST = "Mijn ploegbaas kleineert mij elke ochtend"
LINES = ("Dag, ik luister naar je.", "Het gebeurt vooral bij de briefing.", "Hoe lang al?", "Sinds maart.")
NOTE = "Briefing 7u, ploegbaas"


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


async def _talked(services, people):
    """Emma and Anna talked (Anna kept a note); Bert is the listener who may take over."""
    anna, bert, emma = people(201, "Anna"), people(202, "Bert"), people(301, "Emma")
    await join_as_member(services, anna, "Anna")
    ref = await ask_for_conversation(emma, department=1, first_message=FIRST)
    await join_as_member(services, bert, "Bert", gender="man")
    await anna.press(f"claim:{ref}")
    for number, line in enumerate(LINES):
        await (anna if number % 2 == 0 else emma).send(line)
    await anna.send(f"/note {NOTE}")
    return anna, bert, emma, ref


async def _leave(user):
    await user.send("/leave")
    await user.press("leave:yes")


def _transcripts(user):
    return [m for m in user.inbox() if m.text.startswith("📜 The earlier conversation")]


async def _notes_of(bert, ref):
    await bert.send("/cases")
    await bert.press(f"notes:{ref}")
    return bert.last().text


async def test_the_colleague_says_yes_and_the_next_listener_reads_what_came_before(services, people, clock):
    anna, bert, emma, ref = await _talked(services, people)
    before = len(emma.inbox())
    await _leave(anna)
    (question,) = emma.inbox()[before:]  # the notice and the question: one message
    assert question.text.startswith(f"Your listener has handed over your conversation {ref}.")
    assert "May the listener who takes over read your conversation so far, and the notes" in question.text
    assert question.button_data() == [f"hc:{ref}:y", f"hc:{ref}:n"]
    offer = next(m for m in reversed(bert.inbox()) if f"claim:{ref}" in m.button_data())
    assert FIRST not in offer.text and LINES[1] not in offer.text  # nothing moves before their word
    assert "Handed over: another listener talked with this colleague before." in offer.text

    await emma.press(f"hc:{ref}:y", question)
    assert question.text.endswith("✓ Your answer: yes. The listener who takes over may read what came before.")
    assert not question.buttons
    start = len(bert.inbox())
    await bert.press(f"claim:{ref}", offer)
    brief, transcript = bert.inbox()[start:]
    assert brief.text.startswith(f"A handed-over conversation: Colleague {ref} asked the network on Tue 24 Nov 2026 "
                                 "and talked with another listener before you.")
    assert f"Colleague {ref} agreed that you read the earlier conversation: it follows, protected." in brief.text
    assert "The earlier listener's notes are yours to read too" in brief.text
    assert transcript.protect_content and transcript.text.startswith(
        f"📜 The earlier conversation with Colleague {ref}, for you alone to read:")
    said = [FIRST, *LINES]
    positions = [transcript.text.index(line) for line in said]
    assert positions == sorted(positions)  # in the order it was said
    assert f"24 Nov · Colleague {ref}:\n{FIRST}" in transcript.text
    assert f"24 Nov · the earlier listener:\n{LINES[0]}" in transcript.text
    assert "Anna" not in transcript.text  # read as the earlier listener, not by name
    assert emma.last().text == (f"Bert from the vigilance network takes over your conversation {ref} and will write "
                                "to you here. Anything you write here goes only to Bert. As you allowed, Bert can "
                                "read your conversation so far.")
    assert NOTE in await _notes_of(bert, ref)

    # The conversation goes on where it was.
    await emma.send("Dank je, Bert.")
    assert "Dank je, Bert." in bert.last().text
    assert len(_transcripts(bert)) == 1


async def test_the_colleague_says_no_and_the_next_listener_starts_afresh(services, people, clock):
    anna, bert, emma, ref = await _talked(services, people)
    await _leave(anna)
    question = emma.last()
    await emma.press(f"hc:{ref}:n", question)
    assert question.text.endswith("✓ Your answer: no. The listener who takes over starts afresh, without what came "
                                  "before.")
    start = len(bert.inbox())
    await bert.press(f"claim:{ref}")
    (brief,) = bert.inbox()[start:]
    texts = brief.text
    assert f"Colleague {ref} chose that you start afresh: you do not see the earlier conversation." in brief.text
    assert "The earlier listener's notes were deleted at their word." in brief.text
    assert not _transcripts(bert) and FIRST not in texts and not any(line in texts for line in LINES)
    assert "As you chose, Bert has not seen your earlier conversation." in emma.last().text
    assert await services.core.db.fetchval("SELECT COUNT(*) FROM case_notes") == 0
    assert NOTE not in await _notes_of(bert, ref)
    await emma.press_data(f"hc:{ref}:y", question)  # a second answer changes nothing
    assert not _transcripts(bert)


async def test_no_answer_before_the_claim_then_yes_brings_it_to_the_new_listener(services, people, clock):
    anna, bert, emma, ref = await _talked(services, people)
    await _leave(anna)
    question = emma.last()
    await emma.send("Is er nog iemand?")  # written after the hand-over: for the next listener, not history
    start = len(bert.inbox())
    await bert.press(f"claim:{ref}")
    arrived = bert.inbox()[start:]
    assert f"Colleague {ref} has been asked whether you may read the earlier conversation. Until they say yes you " \
           "do not see it" in arrived[0].text
    assert "Is er nog iemand?" in arrived[1].text  # what was written for the next listener reaches them
    assert not _transcripts(bert) and not any(FIRST in m.text for m in arrived)
    assert "Bert does not see your earlier conversation unless you say yes to the question above." in emma.last().text

    start = len(bert.inbox())
    await emma.press(f"hc:{ref}:y", question)
    told, transcript = bert.inbox()[start:]
    assert told.text.startswith(f"Colleague {ref} agreed that you read the earlier conversation")
    assert "A handed-over conversation" not in told.text
    assert FIRST in transcript.text and LINES[-1] in transcript.text
    assert "Is er nog iemand?" not in transcript.text  # what came after the hand-over is not "before"
    assert NOTE in await _notes_of(bert, ref)


async def test_a_listener_removed_by_a_coordinator_hands_over_the_same_way(services, people, clock):
    anna, bert, emma, ref = await _talked(services, people)
    boss = people(900, "Griet")
    await boss.send(f"/start {await invite_code(services, 'coordinator')}")
    await boss.send("Griet")
    await boss.send("/team")
    await boss.press("Remove Anna")
    await boss.press(next(d for d in boss.last().button_data() if d.endswith(":yes")))
    assert "Open conversations handed to other listeners: 1." in boss.last().text
    question = emma.last()
    assert question.button_data() == [f"hc:{ref}:y", f"hc:{ref}:n"]
    assert not any(FIRST in m.text or NOTE in m.text for m in boss.inbox())  # coordinators read nothing


async def test_a_request_released_before_any_word_has_nothing_to_ask(services, people, clock):
    anna, bert, emma = people(201, "Anna"), people(202, "Bert"), people(301, "Emma")
    await join_as_member(services, anna, "Anna")
    ref = await ask_for_conversation(emma)
    await join_as_member(services, bert, "Bert", gender="man")
    await anna.press(f"claim:{ref}")
    await anna.send("/cases")
    await anna.press(f"back:{ref}")
    await anna.press(f"back:{ref}:overload")
    assert emma.last().text.startswith(f"The listener who took your request {ref} could not make contact.")
    assert not emma.last().buttons
    start = len(bert.inbox())
    await bert.press(f"claim:{ref}")
    assert bert.inbox()[start].text == (f"The request of Colleague {ref} was handed over to you: another listener had "
                                        "it before you, but they had not talked yet.")
    assert emma.last().text.startswith("Good news: Bert from the vigilance network has taken your request")


async def test_handed_over_twice_the_colleague_is_asked_again_for_everything_before(services, people, clock):
    anna, bert, emma, ref = await _talked(services, people)
    chris = people(203, "Chris")
    await _leave(anna)
    await emma.press(f"hc:{ref}:y")
    await bert.press(f"claim:{ref}")
    await bert.send("Ik ben Bert, ik neem het over.")
    await join_as_member(services, chris, "Chris")
    await _leave(bert)
    question = emma.last()
    assert question.button_data() == [f"hc:{ref}:y", f"hc:{ref}:n"]  # a new listener: a new yes
    start = len(chris.inbox())
    await chris.press(f"claim:{ref}")
    assert not _transcripts(chris)
    await emma.press(f"hc:{ref}:y", question)
    (transcript,) = _transcripts(chris)
    assert FIRST in transcript.text and "Ik ben Bert, ik neem het over." in transcript.text
    assert chris.inbox()[start].text.startswith(f"A handed-over conversation: Colleague {ref} asked the network")


async def test_retention_takes_the_earlier_conversation_and_the_answer_with_the_case(services, people, clock):
    anna, bert, emma, ref = await _talked(services, people)
    await _leave(anna)
    question = emma.last()
    await emma.press(f"hc:{ref}:y", question)
    await bert.press(f"claim:{ref}")
    await bert.send("/cases")
    await bert.press(f"close:{ref}")
    await bert.press(f"out:{ref}:listened")
    request_id = (await services.core.requests.by_ref(ref)).id
    transcript_rows = await services.core.db.fetchval(
        "SELECT COUNT(*) FROM outbox WHERE request_id = ? AND payload_enc IS NOT NULL", (request_id,))
    assert transcript_rows
    clock.move_to(T0 + services.settings.retention + timedelta(days=1))
    await services.retention.run()
    assert await services.core.db.fetchval("SELECT COUNT(*) FROM messages WHERE request_id = ?", (request_id,)) == 0
    assert await services.core.db.fetchval("SELECT COUNT(*) FROM outbox WHERE request_id = ?", (request_id,)) == 0
    row = await services.core.db.fetchone("SELECT history_consent, history_until FROM requests WHERE id = ?",
                                          (request_id,))
    assert tuple(row) == (None, None)


async def test_forget_of_a_handed_over_case_leaves_nothing_for_the_next_listener(services, people, settings, clock):
    anna, bert, emma, ref = await _talked(services, people)
    await _leave(anna)
    question = emma.last()
    offer = next(m for m in reversed(bert.inbox()) if f"claim:{ref}" in m.button_data())
    await emma.send("/forget")
    await emma.press("forget:yes")
    request = await services.core.requests.by_ref(ref)
    assert request.state == "withdrawn" and request.history_consent is None and request.history_until is None
    assert await services.core.db.fetchval("SELECT COUNT(*) FROM messages") == 0
    assert await services.core.db.fetchval("SELECT COUNT(*) FROM case_notes") == 0
    assert "withdrawn" in offer.text and not offer.buttons  # Bert's offer says so
    await bert.press_data(f"claim:{ref}", offer)
    assert not _transcripts(bert)
    await emma.press_data(f"hc:{ref}:y", question)  # the old question: nothing to share any more
    assert not _transcripts(bert)
    files = b"".join(p.read_bytes() for p in settings.db_path.parent.iterdir())
    assert FIRST.encode() not in files and LINES[1].encode() not in files
