"""The whole path through the real Application: ask, offer, claim, talk, close."""
from flows import ask_for_conversation, join_as_member


async def test_request_claim_relay_close(services, people, offline):
    anna = people(201, "Anna", "en")
    bert = people(202, "Bert", "en")
    emma = people(301, "Emma", "en", username="emma_private")
    await join_as_member(services, anna, "Anna")
    await join_as_member(services, bert, "Bert", gender="man")

    ref = await ask_for_conversation(emma, first_message="I feel overwhelmed at work")
    offer_a = anna.last()
    offer_b = bert.last()
    assert ref in offer_a.text and ref in offer_b.text
    assert "overwhelmed" not in offer_a.text  # content only after claiming
    assert f"claim:{ref}" in offer_a.button_data()

    await anna.press("Claim", offer_a)
    assert "You took the request of" in offer_a.text  # the pressed offer becomes the confirmation
    relayed = anna.last()
    assert "I feel overwhelmed at work" in relayed.text
    assert f"Colleague {ref}" in relayed.text
    assert relayed.protect_content
    assert "Emma" not in relayed.text and "emma_private" not in relayed.text and "301" not in relayed.text
    assert "taken by another listener" in offer_b.text  # Bert's offer was updated
    assert "Anna" in emma.last().text

    before = len(anna.inbox())
    written = await anna.send("Hello, I am here to listen.")
    assert emma.last().text.endswith("Hello, I am here to listen.")
    assert emma.last().protect_content
    assert anna.reaction(written) == "👌" and len(anna.inbox()) == before  # delivered: shown, not said
    request = await services.core.requests.by_ref(ref)
    assert request.state == "contacted"

    thanks = await emma.send("Thank you")
    assert "Thank you" in anna.last().text
    assert emma.reaction(thanks) == "👌"  # the colleague sees it arrived too

    await bert.press_data(f"claim:{ref}", offer_b)
    assert (await services.core.requests.by_ref(ref)).member_id == request.member_id

    await emma.send("/start")
    await emma.press("End the conversation")
    assert "has ended the conversation" in anna.last().text
    assert (await services.core.requests.by_ref(ref)).state == "closed"
    assert "forwardMessage" not in offline.methods()
