"""What people see, round two (issue 23), through the emulator, asserting the Bot API calls: the
welcome keeps its urgent button when someone follows the news from it; Cancel under a note prompt
tells the truth; no night-time "available right now: 0" to coordinators, and a warning in the day;
an urgent request at night that reaches only the listener on call is said so; /report for a quarter
no digest covers is one true statement; a double tap never replaces a confirmation. ("Answer the
signals" leaving the digest in place is in test_actions_e2e.py.)

The bot runs in real time. The night and the day are made by the organisation's time zone: the
test picks the zone in which it is 03:00 (or 11:00) now, so the outcome never depends on when it
runs."""
from __future__ import annotations

import asyncio
import re
import sys
from datetime import UTC, datetime

from test_a_day import _button, _env, _invite, _join_listener


def _zone_where_it_is(hour: int) -> str:
    """An Etc/GMT zone whose local hour is `hour` now (Etc/GMT-3 is UTC+3)."""
    offset = (hour - datetime.now(UTC).hour) % 24
    offset = offset - 24 if offset > 14 else offset
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def _edits_of(emulator, token: str, method: str, chat_id: int, message_id: int) -> list[dict]:
    return [c["params"] for c in emulator.bot_calls(token, method)
            if int(c["params"].get("chat_id", 0)) == chat_id and int(c["params"].get("message_id", 0)) == message_id]


def _restarted(bot_process, token: str, env: dict):
    """The bot again on the same database, once it runs: its sweep goes at once (the emulator
    counts the earlier process's polls, so polling alone does not say the new one is up)."""
    bot = bot_process([sys.executable, "-m", "bot", "run"], token=token, env=env, wait_polling=False)
    bot.wait_for_log("retention job", timeout=30)
    return bot


async def _named(user, code: str, name: str, asked: str) -> None:
    await user.send(f"/start {code}")
    await user.wait_for(re.compile(asked))
    await user.send(name)
    await user.wait_for(re.compile("Thank you"))


async def test_at_night_nothing_false_and_no_button_lost(emulator, bot_process, sim_user, tmp_path):
    env = {**_env(tmp_path), "WAAKZAAM_TIMEZONE": _zone_where_it_is(3)}
    token = emulator.new_token()
    codes = {role: _invite(emulator, token, env, role) for role in ("coordinator", "listener", "steering")}
    bot = bot_process([sys.executable, "-m", "bot", "run"], token=token, env=env)
    ids = iter(range(6500000001, 6500000100))
    boss, anna, sofie, emma = (sim_user(bot, user_id=next(ids), first_name=n, language_code="en")
                               for n in ("Griet", "Anna", "Sofie", "Emma"))
    await _named(boss, codes["coordinator"], "Griet", "How should the coordinators see you")
    await _join_listener(anna, codes["listener"], "Anna", "en")
    await anna.send("/hours")
    hours = await anna.wait_for(_button("hrs:p:weekdays_9_17"))
    await anna.press(hours, "hrs:p:weekdays_9_17")
    await anna.wait_for_edit(hours, re.compile("Your hours are now"))

    # 6. Anna is asked to be on call and taps "yes" twice: the confirmation stays.
    await boss.send("/oncall")
    plan = await boss.wait_for(lambda m: any(b["callback_data"].startswith("oncw:") for r in m.buttons for b in r))
    await boss.press(plan, next(b["callback_data"] for r in plan.buttons for b in r
                                if b["callback_data"].startswith("oncw:")))
    whom = await boss.wait_for_edit(plan, re.compile("Whom do you ask"))
    await boss.press(whom, text="Anna")
    question = await anna.wait_for(re.compile("on call"))
    yes = next(b["callback_data"] for r in question.buttons for b in r if b["callback_data"].endswith(":yes"))
    # Both taps reach Telegram before the bot answers the first (here: while it is stopped for a moment).
    assert bot.stop() == 0
    first, second = await anna.press(question, yes), await anna.press(question, yes)
    bot = _restarted(bot_process, token, env)
    confirmed = await anna.wait_for_edit(question, re.compile("Thank you: you are on call that week"))
    answers = [await anna.callback_answer(first), await anna.callback_answer(second)]
    assert any(a.get("text") == "You answered this already." for a in answers), answers
    await asyncio.sleep(0.5)
    assert (await anna.message(question.message_id)).text == confirmed.text  # not replaced
    assert len(_edits_of(emulator, token, "editMessageText", anna.chat_id, question.message_id)) == 1
    await boss.wait_for(re.compile("Anna is on call for urgent requests"))

    # 1. Emma follows the news from the welcome: only that button changes; "I need help now" stays.
    await emma.send("/start")
    welcome = await emma.wait_for(_button("urgent"))
    await emma.press(welcome, "nwe:1")
    followed = await emma.wait_for_edit(welcome, _button("nwe:0"))
    assert followed.text == welcome.text
    assert "I need help now / I am not safe" in followed.button_texts
    assert [t for t in followed.button_texts if not t.startswith(("✓", "Hear"))] == \
        [t for t in welcome.button_texts if not t.startswith(("✓", "Hear"))]
    assert _edits_of(emulator, token, "editMessageReplyMarkup", emma.chat_id, welcome.message_id)
    assert not _edits_of(emulator, token, "editMessageText", emma.chat_id, welcome.message_id)

    # 4. At night (Anna's hours are 09:00-17:00) Emma is not safe: only the listener on call is
    #    reached, and both Emma and the coordinator read exactly that.
    await emma.press(followed, "urgent")
    await emma.wait_for(re.compile("112"))
    told = await emma.wait_for(re.compile("marked urgent"))
    assert "the listener on call has been alerted" in told.text and "Every available listener" not in told.text
    alerted = await boss.wait_for(re.compile("Urgent request"))
    assert "so it has gone to Anna, on call, alone" in alerted.text
    ref = re.search(r"request (\w{5})", told.text)[1]
    offer = await anna.wait_for(re.compile(ref))
    await anna.press(offer, f"claim:{ref}")
    await anna.wait_for_edit(offer, re.compile("You took the request"))
    await anna.send("I am here. Are you safe right now?")
    await emma.wait_for(re.compile("Are you safe right now"))

    # 2. Cancel under the note prompt, after the note was saved, says it is kept.
    await anna.send("/note")
    prompt = await anna.wait_for(re.compile("Write your note"))
    await anna.send("Called at night, on call")
    await anna.wait_for(re.compile("Note saved"))
    await anna.press(prompt, text="Cancel")
    cancelled = await anna.wait_for_edit(prompt)
    assert cancelled.text == f"Your note on Colleague {ref} is saved already, so Cancel changes nothing. Only you " \
                             "can read it."

    # 5. /report before any quarter is counted: one true statement, no "0 listeners".
    await _named(sofie, codes["steering"], "Sofie", "How should the coordinators see you")
    await sofie.send("/report")
    said = await sofie.wait_for(re.compile("No quarter has been counted yet"))
    assert said.protect_content and "listeners" not in said.text
    await sofie.assert_no_message(within=1.0)

    # 3. Restarted at 03:00, the sweep runs at once: with nobody's hours before 09:00 and nothing
    #    waiting past its deadline, coordinators are not woken.
    assert bot.stop() == 0
    bot = _restarted(bot_process, token, env)
    await asyncio.sleep(3)  # the sweep runs a second after the start
    assert not any("Listeners available right now" in m.text for m in await boss.messages())
    assert bot.stop() == 0

    # ... and in the organisation's working hours the same network is worth a word.
    day = {**env, "WAAKZAAM_TIMEZONE": _zone_where_it_is(11), "WAAKZAAM_WORKING_HOURS": "MON-SUN 08:00-18:00"}
    bot = _restarted(bot_process, token, day)
    warning = await boss.wait_for(re.compile("Listeners available right now"), timeout=15)
    assert "below the warning level of 3" in warning.text and "24 hours" not in warning.text
    assert bot.stop() == 0
    assert not bot.error_lines()
