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


async def _talking(services, people):
    anna, emma = people(201, "Anna", "en"), people(301, "Emma", "en")
    await join_as_member(services, anna, "Anna")
    ref = await ask_for_conversation(emma, first_message="hello")
    await anna.press("Claim", anna.last())
    return anna, emma


async def _together(app, *written: tuple):
    """Updates that arrive together (one getUpdates), handled and said as one burst."""
    inbox = app.bot_data["inbox"]
    updates = [{"update_id": 880_000 + n, "message": person._message(text)} for n, (person, text) in enumerate(written)]
    await inbox.receive(updates)
    await inbox.handle_pending()
    return [update["message"]["message_id"] for update in updates]


async def test_in_a_burst_one_reaction_says_that_several_messages_arrived(app, services, people, offline):
    anna, emma = await _talking(services, people)
    reactions = offline.methods().count("setMessageReaction")
    first, second, third = await _together(app, (emma, "one"), (emma, "two"), (emma, "three"))
    assert [m.text.rsplit("\n", 1)[-1] for m in anna.inbox()[-3:]] == ["one", "two", "three"]
    assert (emma.reaction(first), emma.reaction(second), emma.reaction(third)) == (None, None, "👌")
    assert offline.methods().count("setMessageReaction") == reactions + 1


async def test_an_answer_in_the_same_burst_says_the_message_arrived(app, services, people, offline):
    anna, emma = await _talking(services, people)
    asked, answered = await _together(app, (emma, "are you there?"), (anna, "yes, I am here"))
    assert anna.last().text.endswith("are you there?") and emma.last().text.endswith("yes, I am here")
    assert emma.reaction(asked) is None  # Anna's answer shows it arrived
    assert anna.reaction(answered) == "👌"  # nothing came back yet


async def test_a_reaction_goes_after_all_when_what_made_it_needless_did_not(app, services, people, offline):
    anna, emma = await _talking(services, people)

    async def answer_fails(endpoint, params):
        if endpoint == "sendMessage" and str(params.get("text", "")).endswith("yes, I am here"):
            offline.fail_next["sendMessage"] = (502, "Bad Gateway")

    offline.during_call = answer_fails
    asked, answered = await _together(app, (emma, "are you there?"), (anna, "yes, I am here"))
    offline.during_call = None
    assert anna.inbox()[-2].text.endswith("are you there?")
    assert emma.reaction(asked) == "👌"  # the answer did not go: the 👌 says her message arrived
    assert anna.reaction(answered) is None  # Anna's waits for her answer, which is kept...
    assert anna.last().text.startswith("⏳ Not delivered yet")  # ...visibly
