"""From a signal in the digest to an action, and back to staff, through the emulator: a steering
member answers a signal the network reported by opening an action (the wizard, typed and with
buttons), closes it with its effect; a coordinator drafts a "you said, we did", the steering
member approves it, and it reaches a listener and an employee who chose to hear the news."""
from __future__ import annotations

import re
import sys
from datetime import timedelta
from pathlib import Path

from test_a_day import _button, _env, _invite, _join_listener

from bot.foundations import clock
from bot.foundations.settings import WEEKDAYS, Settings
from bot.foundations.storage.upgrades import FIGURES_EPOCH
from bot.running.demo_digest import populate, weekly_digests
from bot.running.startup import open_core
from bot.services import Services
from bot.steering.digest.schedule import slot_of_week, week_label
from bot.steering.digest.service import EPOCH_KEY

BODY = "You said the peak weeks were too heavy. The team leads now plan them together."


def _digest_at(env: dict[str, str]) -> tuple[str, str, Settings]:
    """A digest slot one minute ago, so the bot makes this week's digest as it starts."""
    tz = Settings(token="").timezone
    just_now = clock.now().astimezone(tz) - timedelta(minutes=1)
    at = f"{WEEKDAYS[just_now.weekday()]} {just_now:%H:%M}"
    settings = Settings(token="", db_path=Path(env["WAAKZAAM_DB"]), key_file=Path(env["WAAKZAAM_KEY_FILE"]),
                        departments=tuple(env["WAAKZAAM_DEPARTMENTS"].split(",")), digest_weekday=just_now.weekday(),
                        digest_time=just_now.time().replace(second=0, microsecond=0))
    return at, week_label(just_now.date()), settings

WEEKS = 14  # the weeks of digests before this one, made by the seed as earlier runs would have


async def _seed(settings: Settings) -> None:
    """A year of cases, and a digest every week before this week's, in whose reviews the listeners
    reported the recurring problems (as earlier runs would have left them)."""
    core = await open_core(settings)
    try:
        services = Services(core)
        people = await populate(core, clock.now(), with_steering=False)
        await core.meta.put(EPOCH_KEY, clock.iso(clock.now() - timedelta(days=30)).encode())
        # The coordinator and the steering member got their roles a month ago, so they may take
        # part in a decision that takes two people (WAAKZAAM_TWO_PERSON_WAIT_DAYS).
        await core.db.execute("UPDATE roles SET granted_at = ?", (clock.iso(clock.now() - timedelta(days=30)),))
        today = clock.now().astimezone(settings.timezone).date()
        # Figures counted from the first of the month three months back, as after an upgrade: the
        # earlier year is history the digests of those weeks would have shown.
        epoch = (today.replace(day=1) - timedelta(days=62)).replace(day=1)
        await core.meta.put(FIGURES_EPOCH, epoch.isoformat().encode())
        first, last = (slot_of_week(week_label(today - timedelta(weeks=weeks)), settings.digest_weekday,
                                    settings.digest_time, settings.timezone) for weeks in (WEEKS, 1))
        await weekly_digests(services, people, first, last, "en")
        # Those earlier runs delivered what they queued (past digests, review rounds).
        await core.db.execute("UPDATE outbox SET state = 'sent' WHERE state = 'pending'")
    finally:
        await core.close()


async def test_an_action_from_a_digest_signal_and_a_you_said_we_did_reaching_listener_and_employee(
        emulator, bot_process, sim_user, tmp_path):
    env = _env(tmp_path)
    token = emulator.new_token()
    codes = {role: _invite(emulator, token, env, role) for role in ("steering", "coordinator", "listener")}
    bot = bot_process([sys.executable, "-m", "bot", "run"], token=token, env=env)
    ids = iter(range(6400000001, 6400000100))
    sofie = sim_user(bot, user_id=next(ids), first_name="Sofie", language_code="en")
    boss = sim_user(bot, user_id=next(ids), first_name="Boss", language_code="en")
    anna = sim_user(bot, user_id=next(ids), first_name="Anna", language_code="en")
    emma = sim_user(bot, user_id=next(ids), first_name="Emma", language_code="en")
    for user, role, name in ((sofie, "steering", "Sofie"), (boss, "coordinator", "Boss")):
        await user.send(f"/start {codes[role]}")
        await user.wait_for(re.compile("How should the coordinators see you"))
        await user.send(name)
        await user.wait_for(re.compile("Thank you"))
    await _join_listener(anna, codes["listener"], "Anna", "en")
    await emma.send("/news")
    news = await emma.wait_for(_button("nwe:1"))
    await emma.press(news, "nwe:1")
    await emma.wait_for_edit(news, _button("nwe:0"))  # only the button changes
    assert bot.stop() == 0

    at, week, settings = _digest_at(env)
    await _seed(settings)
    env["WAAKZAAM_DIGEST_AT"] = at
    bot = bot_process([sys.executable, "-m", "bot", "run"], token=token, env=env)
    digest = await sofie.wait_for(_button(f"asw:{week}"), timeout=40)
    assert digest.protect_content and "Reported by the network" in digest.text

    # The digest's signals come below it, and the digest stays as it came; one signal, and an action on it.
    await sofie.press(digest, f"asw:{week}")
    listing = await sofie.wait_for(re.compile("The signals of the digest"))
    assert listing.protect_content and listing.message_id != digest.message_id
    kept = await sofie.message(digest.message_id)
    assert kept.text == digest.text and kept.edit_count == 0 and f"asw:{week}" in [
        b["callback_data"] for row in kept.buttons for b in row]
    assert not [c for c in emulator.bot_calls(bot.token, "editMessageText")
                if int(c["params"]["message_id"]) == digest.message_id]
    signal = next(b["callback_data"] for row in listing.buttons for b in row if b["callback_data"].startswith("asg:"))
    await sofie.press(listing, signal)
    card = await sofie.wait_for_edit(listing, re.compile("^🔔"))
    signal_id = signal.split(":")[1]
    await sofie.press(card, f"asa:{signal_id}:act")
    await sofie.wait_for(re.compile("Step 1 of 7"))
    await sofie.send("Plan the peak weeks with the team leads")
    await sofie.wait_for(re.compile("Step 2 of 7"))
    await sofie.send("production manager")
    question = await sofie.wait_for(_button("awu:high"))
    await sofie.press(question, "awu:high")
    question = await sofie.wait_for_edit(question, _button("awf:quick"))
    await sofie.press(question, "awf:quick")
    question = await sofie.wait_for_edit(question, _button("awd:1"))
    await sofie.press(question, "awd:1")
    question = await sofie.wait_for_edit(question, _button("aws"))
    await sofie.press(question, "aws")
    question = await sofie.wait_for_edit(question, re.compile("Step 7 of 7"))
    await sofie.press(question, "aws")
    question = await sofie.wait_for_edit(question, _button("awk:save"))
    await sofie.press(question, "awk:save")
    action = await sofie.wait_for_edit(question, re.compile("Status: planned"))
    assert "Owner: production manager" in action.text and "Followed up by: Sofie" in action.text
    done = next(b["callback_data"] for row in action.buttons for b in row if b["callback_data"].endswith(":done"))
    await sofie.press(action, done)
    action = await sofie.wait_for_edit(action, re.compile("What is its effect so far"))
    await sofie.press(action, text="Better")
    action = await sofie.wait_for_edit(action, re.compile("Status: done"))
    assert "effect: better" in action.text

    # "You said, we did": the coordinator writes, the steering member approves, staff hear it.
    await boss.send("/news")
    overview = await boss.wait_for(_button("nwd"))
    await boss.press(overview, "nwd")
    await boss.wait_for(re.compile("Write nothing that points at a person"))
    await boss.send(BODY)
    preview = await boss.wait_for(re.compile("Your draft, as the listeners"))
    ask = next(b["callback_data"] for row in preview.buttons for b in row if b["callback_data"].endswith(":send"))
    await boss.press(preview, ask)
    await boss.wait_for_edit(preview, re.compile(r"Sent to \d+ people who may approve it"))
    approval = await sofie.wait_for(re.compile("waits for a second person"))
    assert approval.protect_content and BODY in approval.text
    await sofie.press(approval, text="Publish it")
    await sofie.wait_for_edit(approval, re.compile("Published: it went to"))
    heard = await anna.wait_for(re.compile("You said, we did"), timeout=20)
    assert BODY in heard.text and not heard.buttons
    heard = await emma.wait_for(re.compile("You said, we did"), timeout=20)
    assert BODY in heard.text and heard.buttons[0][0]["callback_data"] == "nwe:0"
    await boss.wait_for(re.compile("Sofie approved your"))
    assert bot.stop() == 0
    assert not bot.error_lines()
