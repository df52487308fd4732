"""A digest made late never goes out in the night (walk 1, finding 12): the bot back at 04:30 in the
organisation's time zone waits for the morning, then sends it once, marked late."""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from steering_flows import SLOT_W46, T0, history, steering, sweep


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


async def test_a_late_digest_waits_for_the_morning(running, services, people, clock):
    sofie = await steering(services, people)
    await history(services)
    await sweep(services)  # the first sweep notes when the bot started
    # Down through Monday's 08:30 slot, back on Tuesday at 04:30 in Brussels (03:30 UTC).
    clock.move_to(SLOT_W46 + timedelta(hours=20))
    assert await sweep(services) is None
    clock.move_to(SLOT_W46 + timedelta(hours=22, minutes=29))  # 06:59
    assert await sweep(services) is None
    assert not any(m.text.startswith("📊") for m in sofie.inbox())
    clock.move_to(SLOT_W46 + timedelta(hours=22, minutes=30))  # 07:00: the morning
    assert await sweep(services) == "2026-W46"
    digest = next(m for m in reversed(sofie.inbox()) if m.text.startswith("📊"))
    assert "⏰ Late: this digest was due Mon 9 Nov 08:30" in digest.text


async def test_a_digest_on_time_is_not_held(running, services, people, clock):
    await steering(services, people)
    await history(services)
    await sweep(services)
    clock.move_to(SLOT_W46 + timedelta(minutes=5))
    assert await sweep(services) == "2026-W46"
