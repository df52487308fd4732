"""Steps that many tests share, done the way a person does them: through the bot."""
from __future__ import annotations

from datetime import timedelta


async def invite_code(services, role: str) -> str:
    return await services.core.invites.create(role, timedelta(days=7))


async def join_as_member(services, user, name: str, gender="Woman", age="35 to 50",
                         status="Employee", department="Production", languages=("English",)) -> None:
    await user.send(f"/start {await invite_code(services, 'member')}")
    await user.press("I accept the charter")
    await user.send(name)
    await user.press(gender)
    await user.press(age)
    await user.press(status)
    await user.press(department)
    for language in languages:
        await user.press(language)
    await user.press("Done")
    assert "Your profile is ready" in user.last().text, user.texts()


async def ask_for_conversation(user, *, choices=(), department="Skip", first_message=None) -> str:
    """Runs the request wizard; returns the case reference."""
    await user.send("/start")
    await user.press("Ask for a conversation")
    for label in choices:
        await user.press(label)
    await user.press("Next")
    await user.press(department)
    if first_message is None:
        await user.press("Send the request without a message")
    else:
        await user.send(first_message)
    text = user.last().text
    assert "has been received" in text, user.texts()
    return text.split("Your request ")[1].split(" ")[0]
