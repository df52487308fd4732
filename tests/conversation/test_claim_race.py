"""Many members press Claim at the same moment: exactly one wins."""
import asyncio

from flows import ask_for_conversation, join_as_member


async def test_simultaneous_claims_have_one_winner(services, people):
    members = [people(2000 + i, f"M{i}") for i in range(12)]
    for i, member in enumerate(members):
        await join_as_member(services, member, f"Listener {i}")
    emma = people(301)
    ref = await ask_for_conversation(emma, first_message="hello")
    offers = [m.last() for m in members]
    assert all(f"claim:{ref}" in o.button_data() for o in offers)

    for member in members:
        member.direct = True  # handled concurrently, as several processes or a burst would
    await asyncio.gather(*(m.press_data(f"claim:{ref}", o) for m, o in zip(members, offers)))

    request = await services.core.requests.by_ref(ref)
    assert request.state == "claimed"
    states = [r[0] for r in await services.core.db.fetchall(
        "SELECT state FROM offers WHERE request_id = ? ORDER BY id", (request.id,))]
    assert states.count("won") == 1 and states.count("taken") == 11
    winners = [m for m in members if any("hello" in s.text for s in m.inbox())]
    assert len(winners) == 1
    assert (await services.core.members.by_person((await services.core.people.find(winners[0].id)).id)).id == request.member_id
    for member, offer in zip(members, offers):
        if member is not winners[0]:
            # Whether the press or the retraction arrives first, the loser reads that another took it.
            assert "another listener" in offer.text.lower(), offer.text
