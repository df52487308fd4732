"""Once per cause, or marked (issue 24): the minimal reproductions of what a person could read
twice unmarked, or what was retried that never could pass."""
from __future__ import annotations

from datetime import timedelta

import time_machine
from telegram.error import NetworkError
from flows import ask_for_conversation, join_as_member

from bot.running.sender import REPEAT_MARK


async def _claimed(running, people, first_message="hello"):
    anna, emma = people(201, "Anna"), people(301, "Emma")
    await join_as_member(running.services, anna, "Anna")
    ref = await ask_for_conversation(emma, first_message=first_message)
    await anna.press(f"claim:{ref}")
    return anna, emma, ref


def _sent_texts(offline, chat_id: int) -> list[str]:
    """Every text the bot asked Telegram to show in a chat, taken or not."""
    return [str(params.get("text", "")) for name, params in offline.calls
            if name == "sendMessage" and int(params.get("chat_id", 0)) == chat_id]


async def test_a_400_is_final_the_handler_is_not_run_again(running, people, offline):
    anna, emma, ref = await _claimed(running, people)
    offline.fail_next["sendMessage"] = (400, "Bad Request: can't parse entities")
    await anna.send("/cases")
    inbox = running.app.bot_data["inbox"]
    for seconds in (3, 15, 50, 100):
        with time_machine.travel(timedelta(seconds=seconds)):
            await inbox.handle_pending()
            await running.services.sender.flush()
    headers = [t for t in _sent_texts(offline, 201) if t.startswith("Your open conversations")]
    assert len(headers) == 1  # asked once: Telegram refused it, and a refusal is not tried again
    assert "went wrong" in anna.last().text


async def test_a_relay_telegram_took_but_answered_502_goes_again_marked(running, people, offline):
    anna, emma, ref = await _claimed(running, people)
    offline.fail_next["sendMessage"] = (502, "Bad Gateway", True)  # Telegram sent it; the answer was lost
    await emma.send("did this arrive?")
    with time_machine.travel(timedelta(minutes=1)):
        await running.services.sender.flush()
    copies = [m.text for m in anna.inbox() if m.text.endswith("did this arrive?")]
    assert len(copies) == 2
    assert not copies[0].startswith(REPEAT_MARK) and copies[1].startswith(REPEAT_MARK)


async def test_a_reset_after_the_request_went_out_goes_again_marked(running, people, offline):
    anna, emma, ref = await _claimed(running, people)
    offline.fail_next["sendMessage"] = (NetworkError("httpx.RemoteProtocolError: Server disconnected"), True)
    await anna.send("call me")
    with time_machine.travel(timedelta(minutes=1)):
        await running.services.sender.flush()
    copies = [m.text for m in emma.inbox() if m.text.endswith("call me")]
    assert len(copies) == 2 and copies[1].startswith(REPEAT_MARK)
