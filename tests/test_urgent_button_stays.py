"""The urgent button stays in sight while a request is open (walk 1, finding 3; issue 23: a person
never loses a button they need, above all the urgent one): /start shows it beside Withdraw or End,
in every language, and it works from there."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from flows import ask_for_conversation, join_as_member

from bot.conversation.requests import URGENT_LABEL
from bot.foundations.i18n import Translator

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday, 11:00 in Brussels


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def _labels(message) -> dict[str, str]:
    return {b["callback_data"]: b["text"] for row in message.buttons for b in row}


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
async def test_start_keeps_the_urgent_button_while_waiting_and_while_talking(services, people, clock, language):
    anna = people(201, "Anna", language)
    await join_as_member(services, anna, "Anna", languages=(language,))
    zoe = people(301, "Zoë", language)
    ref = await ask_for_conversation(zoe, choices=(f"ask:l:{language}",))
    label = Translator(language)(URGENT_LABEL)
    assert _labels(zoe.last()) == {"urgent": label, f"withdraw:{ref}": _labels(zoe.last())[f"withdraw:{ref}"]}

    await zoe.send("/start")
    waiting = _labels(zoe.last())
    assert list(waiting) == ["urgent", f"withdraw:{ref}"] and waiting["urgent"] == label

    await anna.press(f"claim:{ref}")
    await zoe.send("/start")
    talking = zoe.last()
    assert list(_labels(talking)) == ["urgent", f"end:{ref}"] and _labels(talking)["urgent"] == label

    await zoe.press("urgent", talking)  # it works from there
    assert (await services.core.requests.by_ref(ref)).urgent
    assert ref in zoe.last().text


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
async def test_the_welcome_names_the_urgent_button_by_its_label(people, clock, language):
    """Walk 1, finding 7: someone in a hurry looks for the words they were told."""
    emma = people(301, "Emma", language)
    await emma.send("/start")
    welcome = emma.last()
    label = _labels(welcome)["urgent"]
    assert label == Translator(language)(URGENT_LABEL)
    assert f"“{label}”" in welcome.text or f"« {label} »" in welcome.text
