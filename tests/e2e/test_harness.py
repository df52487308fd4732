"""A short proof that the e2e harness and emulator behave like Telegram where the product
scenario relies on it (protected replies, keyboards, offsets across a restart, PTB's own
calls). The product scenario itself is in test_waakzaam_e2e.py."""
from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

import pytest
from harness import BotProcess, SimUser
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest

pytestmark = pytest.mark.e2e

ECHO_BOT = [sys.executable, str(Path(__file__).with_name("echo_bot.py"))]


def handled_ids(bot: BotProcess) -> list[int]:
    return [int(n) for n in re.findall(r"^HANDLED (\d+)$", bot.log_text(), re.MULTILINE)]


@pytest.fixture
def echo_bot(bot_process):
    """Starts echo_bot.py; afterwards its log must be free of errors (a bot that chokes
    on an emulator reply still leaves the message behind, so only the log tells)."""
    bots: list[BotProcess] = []

    def start(token: str | None = None) -> BotProcess:
        bots.append(bot_process(ECHO_BOT, token=token))
        return bots[-1]

    yield start
    for bot in bots:
        bot.stop()
        assert not bot.error_lines(), f"echo bot logged errors:\n{bot.log_text()}"


async def test_echo_is_a_protected_reply_with_keyboard(echo_bot, sim_user, emulator):
    bot = echo_bot()
    ann = sim_user(bot, first_name="Ann", username="ann")

    sent = await ann.send("hello there")
    echo = await ann.wait_for("echo: hello there")

    assert echo.text == "echo: hello there"
    assert echo.protect_content is True
    assert echo.raw["has_protected_content"] is True
    assert echo.params["protect_content"] is True  # PTB posts the string "true"
    assert echo.reply_to_message_id == sent["message_id"]
    assert echo.button_texts == ["Press me"]
    assert echo.raw["from"]["is_bot"] is True and echo.raw["from"]["id"] == int(bot.token.split(":")[0])
    assert not echo.is_forwarded
    # Setup calls the stock emulator answered with HTTP 500 went through.
    [commands] = emulator.bot_calls(bot.token, "setMyCommands")
    assert commands["params"]["commands"] == [{"command": "start", "description": "Start the bot"}]

    with pytest.raises(AssertionError, match="no bot message"):
        await ann.wait_for("never said", timeout=0.3)


async def test_no_update_is_processed_twice_even_across_a_restart(echo_bot, sim_user, emulator):
    token = emulator.new_token()
    first = echo_bot(token)
    ann = sim_user(token)

    texts = [f"m{i}" for i in range(8)]
    for text in texts:
        await ann.send(text)
    echoes = [await ann.wait_for("echo:") for _ in texts]
    assert [e.text for e in echoes] == [f"echo: {t}" for t in texts]
    await ann.press(echoes[0], "press")
    await ann.wait_for_edit(echoes[0], "pressed:")

    assert first.stop() == 0
    assert "STOPPED cleanly" in first.log_text()
    first_ids = handled_ids(first)
    assert len(first_ids) == len(texts) + 1 == len(set(first_ids))

    # Sent while the bot is down: delivered once after the restart, and nothing older again.
    await ann.send("while down")
    second = echo_bot(token)
    assert (await ann.wait_for("echo:")).text == "echo: while down"
    await ann.assert_no_message(within=0.5)
    second_ids = handled_ids(second)
    assert len(second_ids) == 1 and not set(second_ids) & set(first_ids)
    assert [m.text for m in await ann.messages()].count("echo: m1") == 1


async def test_emulator_speaks_bot_api_as_ptb_expects(emulator):
    """The quirk fixes, checked in-process with PTB's own Bot (no subprocess)."""
    token = emulator.new_token()
    user = SimUser(emulator, token, first_name="Eve")
    async with Bot(token, base_url=emulator.api_base_url) as bot, user:
        me = await bot.get_me()
        assert me.is_bot and me.username and me.id == int(token.split(":")[0])

        # Long polling: the update arrives while getUpdates waits, well before its timeout.
        async def send_later() -> None:
            await asyncio.sleep(0.3)
            await user.send("ping")

        loop = asyncio.get_running_loop()
        started = loop.time()
        sender = asyncio.create_task(send_later())
        [update] = await bot.get_updates(timeout=5)
        await sender
        assert 0.25 < loop.time() - started < 3
        assert update.message.text == "ping" and update.message.from_user.id == user.user_id

        # Offset confirms: unconfirmed updates come again, confirmed ones never do.
        assert [u.update_id for u in await bot.get_updates(timeout=0)] == [update.update_id]
        assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == ()

        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
        sent = await bot.send_message(user.chat_id, "hi", protect_content=True, reply_markup=keyboard)
        assert abs(sent.date.timestamp() - update.message.date.timestamp()) < 60  # seconds, not ms
        assert sent.from_user.id == me.id and sent.has_protected_content

        query_id = await user.press(sent.message_id, "go")
        [cb_update] = await bot.get_updates(offset=update.update_id + 1, timeout=5)
        query = cb_update.callback_query
        assert query.id == query_id and query.chat_instance and query.message.message_id == sent.message_id
        assert await query.answer("ok") is True

        edited = await bot.edit_message_text("hi!", chat_id=user.chat_id, message_id=sent.message_id)
        assert edited.text == "hi!" and edited.reply_markup is None
        with pytest.raises(BadRequest, match="not modified"):
            await bot.edit_message_text("hi!", chat_id=user.chat_id, message_id=sent.message_id)
        with pytest.raises(BadRequest, match="parse entities"):
            await bot.send_message(user.chat_id, "a < b", parse_mode="HTML")
        assert (await bot.send_message(user.chat_id, "<b>bold</b> &amp; co", parse_mode="HTML")).text == "bold & co"

        assert await bot.set_my_commands([BotCommand("help", "Help")]) is True
        assert [c.command for c in await bot.get_my_commands()] == ["help"]
        assert await bot.delete_webhook(drop_pending_updates=True) is True
        assert await bot.set_chat_menu_button() is True  # not emulated: answered true, not 500
