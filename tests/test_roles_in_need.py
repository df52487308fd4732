"""Listeners, coordinators and steering members can need a listener themselves (walk 1, finding 5):
their /start home offers "Ask for a conversation for yourself" (and shows their own request once
it is open), /help says so, and someone with two roles sees both (finding 12)."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from flows import ask_for_conversation, invite_code, join_as_member

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday, 11:00 in Brussels


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


async def test_a_listener_asks_for_a_conversation_for_herself(services, people, clock):
    anna, bart = people(201, "Anna"), people(202, "Bart")
    await join_as_member(services, anna, "Anna")
    await join_as_member(services, bart, "Bart", gender="man")
    await anna.send("I need someone to talk to myself.")
    assert anna.last().text.endswith("to ask for a conversation for yourself, use /start.")
    await anna.send("/start")
    home = anna.last()
    assert "You are a listener of the vigilance network" in home.text
    assert home.button_data() == ["ask:start"] and home.buttons[0][0]["text"] == "Ask for a conversation for yourself"
    ref = await ask_for_conversation(anna)  # from that button, through the same wizard as anyone
    assert any(f"claim:{ref}" in m.button_data() for m in bart.inbox())
    assert not any(f"claim:{ref}" in m.button_data() for m in anna.inbox())  # never offered her own request
    await anna.send("/start")
    home, status = anna.inbox()[-2:]
    assert "You are a listener" in home.text and home.buttons == []
    assert f"Your request {ref} is waiting for a listener" in status.text
    assert status.button_data() == ["urgent", f"withdraw:{ref}"]
    await anna.send("/help")
    assert "also to ask for a conversation for yourself" in anna.inbox()[-2].text


async def test_a_coordinator_who_is_a_listener_sees_both_and_can_ask(services, people, clock):
    boss = people(900, "Griet")
    await boss.send(f"/start {await invite_code(services, 'coordinator')}")
    await boss.send("Griet")
    await boss.send("/start")
    assert boss.last().text.startswith("Coordinator: /invite")
    assert boss.last().button_data() == ["ask:start"]
    await boss.send("/help")
    assert "also to ask for a conversation for yourself" in boss.inbox()[-2].text
    await join_as_member(services, boss, "Griet")
    await boss.send("/start")
    both = boss.last().text
    assert "You are a listener of the vigilance network" in both and "Coordinator: /invite" in both


async def test_a_steering_member_can_ask_too(services, people, clock):
    sofie = people(700, "Sofie")
    await sofie.send(f"/start {await invite_code(services, 'steering')}")
    await sofie.send("Sofie")
    await sofie.send("/start")
    assert "You are in the steering group." in sofie.last().text
    assert sofie.last().button_data() == ["ask:start"]
