"""A member with several open cases never writes to the wrong person."""
from flows import ask_for_conversation, join_as_member


async def _two_cases(services, people):
    anna = people(201, "Anna")
    await join_as_member(services, anna, "Anna")
    emma, finn = people(301, "Emma"), people(302, "Finn")
    ref_e = await ask_for_conversation(emma, first_message="from emma")
    await anna.press("Claim")
    ref_f = await ask_for_conversation(finn, first_message="from finn")
    await anna.press("Claim")
    return anna, emma, finn, ref_e, ref_f


async def test_plain_text_asks_which_case(services, people):
    anna, emma, finn, ref_e, ref_f = await _two_cases(services, people)
    emma_before, finn_before = len(emma.inbox()), len(finn.inbox())
    await anna.send("which one?")
    question = anna.last()
    assert "Which conversation" in question.text
    labels = [b["text"] for row in question.buttons for b in row]
    assert labels == [f"Colleague {ref_e} · «from emma» · today", f"Colleague {ref_f} · «from finn» · today",
                      "Do not send it"]
    assert len(emma.inbox()) == emma_before and len(finn.inbox()) == finn_before  # nothing sent yet
    choices = question.button_data()
    await anna.press(f"Colleague {ref_f}", question)
    assert finn.last().text.endswith("which one?")
    assert len(emma.inbox()) == emma_before
    assert question.text == f"For Colleague {ref_f}." and question.buttons == []  # the question is the answer
    assert question is anna.last()  # and no other message was added
    await anna.press_data(choices[0], question)  # an old press: the draft is gone
    assert len(emma.inbox()) == emma_before


async def test_reply_targets_the_case_of_the_replied_message(services, people):
    anna, emma, finn, ref_e, ref_f = await _two_cases(services, people)
    from_emma = next(m for m in anna.inbox() if "from emma" in m.text)
    written = await anna.send("for emma", reply_to=from_emma)
    assert emma.last().text.endswith("for emma")
    assert not finn.last().text.endswith("for emma")
    assert anna.reaction(written) == "👌"


async def test_requester_messages_before_claim_are_pending_then_delivered(services, people):
    anna = people(201, "Anna")
    await join_as_member(services, anna, "Anna")
    emma = people(301, "Emma")
    ref = await ask_for_conversation(emma, first_message="first")
    second = await emma.send("second")
    assert "Saved" in emma.last().text and ref in emma.last().text
    assert emma.reaction(second) == "✍"  # kept
    before = len(emma.inbox())
    third = await emma.send("third")
    assert len(emma.inbox()) == before and emma.reaction(third) == "✍"  # said once, then only shown
    undelivered = await services.core.db.fetchval("SELECT COUNT(*) FROM messages WHERE delivered = 0")
    assert undelivered == 3
    await anna.press("Claim")
    assert emma.reaction(second) == "👌" and emma.reaction(third) == "👌"  # now with the listener
    texts = [m.text for m in anna.inbox()]
    assert texts.index(next(t for t in texts if t.endswith("first"))) < texts.index(next(t for t in texts if t.endswith("second")))
    assert await services.core.db.fetchval("SELECT COUNT(*) FROM messages WHERE delivered = 0") == 0


async def test_member_closes_and_requester_is_told(services, people):
    anna, emma, finn, ref_e, ref_f = await _two_cases(services, people)
    await anna.send("/cases")
    finn_card = next(m for m in anna.new() if ref_f in m.text and f"close:{ref_f}" in m.button_data())
    await anna.press("Close this conversation", finn_card)
    await anna.press("Listened")  # closing goes through the outcome picker
    assert (await services.core.requests.by_ref(ref_f)).state == "closed"
    assert (await services.core.requests.by_ref(ref_e)).state == "claimed"
    assert "has closed the conversation" in finn.last().text
    assert "has closed the conversation" not in emma.texts()
