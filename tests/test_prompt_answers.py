"""A typed text while the bot waits for an answer: one table sends it to the question's handler; a
question this version does not ask is closed with a word, and the text is neither kept nor relayed."""
import pytest
from flows import ask_for_conversation, join_as_member

from bot.foundations import prompts
from handlers import conversation

PRIVATE = "Voor mezelf: zij noemde haar ploegbaas Dirk"


async def _claimed(services, people):
    anna, emma = people(201, "Anna"), people(301, "Emma")
    await join_as_member(services, anna, "Anna")
    ref = await ask_for_conversation(emma, department=1)
    await anna.press(f"claim:{ref}")
    await anna.send("Hallo, ik luister.")
    return anna, emma, ref


def test_every_question_a_text_answers_has_one_handler():
    assert set(conversation.ANSWERS) == set(prompts.TYPED)
    assert len(set(prompts.KINDS)) == len(prompts.KINDS)
    assert set(prompts.WIZARD) <= set(prompts.KINDS) and set(prompts.NUMBERED) <= set(prompts.TYPED)


async def test_a_typed_answer_goes_to_its_question_and_is_never_relayed(services, people):
    anna, emma, ref = await _claimed(services, people)
    await anna.send("/note")  # one case: the bot asks for the note
    await anna.send(PRIVATE)
    assert "Note saved" in anna.last().text
    assert not any(PRIVATE in m.text for m in emma.inbox())
    assert await services.prompts.current(await services.core.people.find(201)) is None
    await anna.send("Hoe gaat het vandaag?")  # the question is closed: the next text is a message
    assert emma.last().text.endswith("Hoe gaat het vandaag?")


@pytest.mark.parametrize("kind, ref", [
    ("retired_question", None),            # a kind another version asked
    (prompts.SIGNAL_REASON, "K7QF2"),      # a kind this version asks, with a ref it never writes
    (prompts.ACTION_NOTE, None),
])
async def test_a_question_this_version_does_not_ask_is_closed_and_nothing_is_relayed(services, people,
                                                                                     kind, ref):
    anna, emma, ref_of_case = await _claimed(services, people)
    who = await services.core.people.find(201)
    await services.core.prompts.put(who.id, kind, ref)  # as an upgrade or rollback would leave it
    received = len(emma.inbox())
    notes = await services.core.db.fetchone("SELECT count(*) FROM case_notes")

    await anna.send(PRIVATE)

    assert "The question you were answering is no longer open" in anna.last().text
    assert len(emma.inbox()) == received
    assert await services.core.db.fetchone("SELECT count(*) FROM case_notes") == notes
    assert await services.prompts.current(who) is None
    await anna.send("Hoe gaat het vandaag?")
    assert emma.last().text.endswith("Hoe gaat het vandaag?")


async def test_a_question_is_never_asked_in_a_shape_it_cannot_be_answered(services, people):
    anna = people(201, "Anna")
    await anna.send("/start")
    who = await services.core.people.find(201)
    for kind, ref in (("retired_question", None), (prompts.SUGGESTION, None), (prompts.ACTION_DUE, "soon")):
        with pytest.raises(ValueError):
            await services.prompts.wait_for(who, kind, ref=ref)
    await services.prompts.wait_for(who, prompts.ACTION_DUE, ref="12")
    assert (await services.prompts.current(who)).number == 12
