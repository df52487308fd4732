"""The urgent button stays on /start while a request is open (walk 1, finding 3), through the
emulator: in Dutch, French and English, beside "Withdraw my request" while it waits and beside
"End the conversation" once a listener holds it; pressed from there, it reaches the listener."""
from __future__ import annotations

import re
import sys

from test_a_day import _ask, _button, _env, _invite, _join_listener

from bot.conversation.requests import URGENT_LABEL
from bot.foundations.i18n import Translator


def _rows(message) -> list[list[str]]:
    return [[b["callback_data"] for b in row] for row in message.buttons]


async def test_the_urgent_button_stays_on_start_once_a_request_is_open(emulator, bot_process, sim_user, tmp_path):
    env = _env(tmp_path)
    token = emulator.new_token()
    code = _invite(emulator, token, env, "member")
    bot = bot_process([sys.executable, "-m", "bot", "run"], token=token, env=env)
    ids = iter(range(6700000001, 6700000100))
    anna = sim_user(bot, user_id=next(ids), first_name="Anna", language_code="nl")
    await _join_listener(anna, code, "Anna", "nl")
    colleagues = {lang: sim_user(bot, user_id=next(ids), first_name=name, language_code=lang)
                  for lang, name in (("nl", "Emma"), ("fr", "Gus"), ("en", "Finn"))}
    refs = {lang: await _ask(user, "Hello", lang) for lang, user in colleagues.items()}

    for lang, user in colleagues.items():  # waiting: urgent and withdraw, in their language
        await user.send("/start")
        status = await user.wait_for(_button(f"withdraw:{refs[lang]}"))
        assert _rows(status) == [["urgent"], [f"withdraw:{refs[lang]}"]]
        assert status.buttons[0][0]["text"] == Translator(lang)(URGENT_LABEL)

    offer = await anna.wait_for(_button(f"claim:{refs['nl']}"))
    await anna.press(offer, f"claim:{refs['nl']}")
    await anna.wait_for_edit(offer, re.compile(refs["nl"]))
    emma = colleagues["nl"]
    await emma.wait_for(re.compile("Anna"))
    await emma.send("/start")
    status = await emma.wait_for(_button(f"end:{refs['nl']}"))
    assert _rows(status) == [["urgent"], [f"end:{refs['nl']}"]]  # talking: urgent and end

    await emma.press(status, "urgent")
    await emma.wait_for(re.compile("112"))
    confirmed = await emma.wait_for(re.compile(refs["nl"]))
    assert "dringend" in confirmed.text
    assert await anna.wait_for(re.compile("Dringend: Collega " + refs["nl"]))
    assert bot.error_lines() == []
