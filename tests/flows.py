"""Steps that many tests share, done the way a person does them: through the bot.

Buttons are pressed by their callback data, so the steps work in every language.
"""
from __future__ import annotations

from datetime import timedelta


async def invite_code(services, role: str) -> str:
    return await services.core.invites.create(role, timedelta(days=7))


async def join_as_member(services, user, name: str, gender="woman", age="35to50",
                         status="employee", department=0, languages=("en",), hr=False) -> None:
    await user.send(f"/start {await invite_code(services, 'member')}")
    await user.press("charter:yes")
    await user.send(name)
    await user.press(f"prof:g:{gender}")
    await user.press(f"prof:a:{age}")
    await user.press(f"prof:s:{status}")
    await user.press("prof:hr:1" if hr else "prof:hr:0")
    await user.press(f"prof:d:{department}")
    for language in languages:
        await user.press(f"prof:l:{language}:1")
    await user.press("prof:l:done")
    person = await services.core.people.find(user.id)
    member = await services.core.members.by_person(person.id)
    assert member is not None and member.active, user.texts()


async def ask_for_conversation(user, *, choices=(), department=None, first_message=None,
                               allow_widening=True) -> str:
    """Runs the request wizard; choices are callback data such as "ask:g:woman".

    Returns the case reference shown to the requester.
    """
    await user.send("/start")
    await user.press("ask:start")
    for data in choices:
        await user.press(data)
    await user.press("ask:next")
    if "ask:w:1" in user.last().button_data():  # asked only when there are wishes
        await user.press("ask:w:1" if allow_widening else "ask:w:0")
    await user.press("ask:dep:-" if department is None else f"ask:dep:{department}")
    if first_message is None:
        await user.press("ask:send")
    else:
        await user.send(first_message)
    withdraw = [d for d in user.last().button_data() if d.startswith("withdraw:")]
    assert withdraw, user.texts()
    return withdraw[0].partition(":")[2]


async def sweep_promises(services) -> dict:
    """One run of the 24-hour promise's sweep, and what it said sent: the steps it took."""
    report = await services.promise.sweep()
    await services.sender.flush()
    return report.steps


async def coordinator_and_two_listeners(services, people):
    """Boss, the coordinator; Anna (a woman) and Bart (a man), listeners: (boss, anna, bart)."""
    boss = people(900, "Boss")
    await boss.send(f"/start {await invite_code(services, 'coordinator')}")
    await boss.send("Boss")
    anna, bart = people(201, "Anna"), people(202, "Bart")
    await join_as_member(services, anna, "Anna", gender="woman")
    await join_as_member(services, bart, "Bart", gender="man")
    return boss, anna, bart
