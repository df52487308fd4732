"""Steps the steering group's tests share: people with roles, a history of cases, and digests in
which the network reported a signal, all made the way the bot makes them (sweeps, the review,
buttons)."""
from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from digest_cases import Case, insert, people_for
from flows import invite_code, join_as_member

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)        # Monday 09:00 in Brussels: after that week's slot
SLOT_W46 = datetime(2026, 11, 9, 7, 30, tzinfo=UTC)  # Monday 9 November, 08:30 in Brussels
SLOT_W47 = SLOT_W46 + timedelta(weeks=1)


async def steering(services, people, user_id=800, name="Sofie", language="en"):
    member = people(user_id, name, language)
    await member.send(f"/start {await invite_code(services, 'steering')}")
    await member.send(name)
    return member


async def coordinator(services, people, user_id=900, name="Boss"):
    boss = people(user_id, name)
    await boss.send(f"/start {await invite_code(services, 'coordinator')}")
    await boss.send(name)
    return boss


async def listeners(services, people, names=("Anna", "Bert", "Chris"), first_id=200):
    found = [people(first_id + i, name) for i, name in enumerate(names)]
    for listener, gender in zip(found, ("woman", "man", "woman", "man")):
        await join_as_member(services, listener, listener.user["first_name"], gender=gender)
    return found


JULY = datetime(2026, 7, 1, 6, 0, tzinfo=UTC)        # 08:00 in Brussels
OCTOBER = datetime(2026, 10, 1, 6, 0, tzinfo=UTC)


def cases(*, seed: int = 5) -> list[Case]:
    """About fifty cases from July to October 2026; in October, Production x workload recurs across
    nine different colleagues (the network's November review finds it)."""
    rng = random.Random(seed)
    found = [Case(OCTOBER + timedelta(days=rng.randrange(25), hours=rng.randrange(9)), "Production", ("workload",),
                  "team", requester=i, wait=rng.randrange(30, 400)) for i in range(9)]
    found += [Case(JULY + timedelta(days=rng.randrange(120), hours=rng.randrange(9)),
                   rng.choice(("Production", "Logistics", "Office", None)),
                   (rng.choice(("stress", "conflict_colleague_mgr", "workload")),),
                   rng.choice(("individual", "team")), requester=10 + i % 25,
                   outcome=rng.choice(("listened", "referred")), wait=rng.randrange(20, 1500),
                   referrals=("psychologist",) if i % 3 == 0 else ()) for i in range(42)]
    return [c for c in found if c.created < datetime(2026, 11, 1, tzinfo=UTC)]


async def history(services, *, seed: int = 5, extra=()) -> list[Case]:
    """Write `cases()` (and `extra`) through the real repository; returns them."""
    written = [*cases(seed=seed), *extra]
    await insert(services.core, written, await people_for(services.core, 40))
    return written


async def sweep(services):
    made = await services.digests.sweep()
    await services.sender.flush()
    return made


async def digest_with_a_signal(services, people, clock):
    """W46: the digest opens the review; the listeners report Production x workload; W47: the
    digest publishes it. Returns the steering member, the coordinator and the listeners."""
    boss = await coordinator(services, people)
    team = await listeners(services, people)
    sofie = await steering(services, people)
    await history(services)
    await sweep(services)  # the first sweep notes when the bot started
    clock.move_to(SLOT_W46)
    assert await sweep(services) == "2026-W46"
    table = team[0].last()
    first = next(d for d in table.button_data() if d.startswith("rvc:"))
    candidate = int(first.split(":")[1])
    for person in team:
        await person.press(first, person.last())
        await person.press(f"rvv:{candidate}:y", person.last())
    clock.move_to(SLOT_W47)
    assert await sweep(services) == "2026-W47"
    return sofie, boss, team


def last_digest(user):
    return next(m for m in reversed(user.inbox()) if m.text.startswith("📊"))


async def open_action(user, *, title="Plan the peak weeks with the team leads", owner="production manager",
                      urgency="awu:high", feasibility="awf:quick", due="awd:3", plan=None, feedback=None):
    """Answers the new-action wizard's questions (after "Open an action" was pressed)."""
    await user.send(title)
    await user.send(owner)
    await user.press(urgency)
    await user.press(feasibility)
    if due.startswith("awd:"):
        await user.press(due)
    else:
        await user.send(due)
    if plan is None:
        await user.press("aws")
    else:
        await user.send(plan)
    if feedback is None:
        await user.press("aws")
    else:
        await user.send(feedback)
    await user.press("awk:save")
