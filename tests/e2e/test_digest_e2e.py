"""The weekly digest end to end: a steering member joins through the real bot, the bot runs
again with a year of history and a slot that has just passed, and the member receives the
text and the chart (a PNG upload to the emulator), then asks for them again with /digest."""
from __future__ import annotations

import re
import sys
from datetime import time as dt_time
from datetime import timedelta
from pathlib import Path

from bot.foundations import clock
from bot.foundations.settings import WEEKDAYS, Settings
from bot.foundations.storage.upgrades import FIGURES_EPOCH
from bot.running.demo_digest import populate, weekly_digests
from bot.running.startup import open_core
from bot.services import Services
from bot.steering.digest.schedule import slot_of_week, week_label
from bot.steering.digest.service import EPOCH_KEY

from test_a_day import _invite


def _env(tmp_path: Path, digest_at: str = "MON 08:30") -> dict[str, str]:
    (tmp_path / "data").mkdir(mode=0o700, parents=True, exist_ok=True)  # a database is made only in a folder that is there
    return {"WAAKZAAM_DB": str(tmp_path / "data" / "waakzaam.db"),
            "WAAKZAAM_KEY_FILE": str(tmp_path / "keys" / "master.key"),
            "WAAKZAAM_DIGEST_AT": digest_at}


WEEKS = 14  # the weeks of digests before this one, made by the seed as earlier runs would have


async def _seed(env: dict[str, str], at: str) -> None:
    """A year of cases and a digest every week before this one, as an earlier run would have left
    them (the bot is stopped meanwhile)."""
    weekday, time_ = at.split()
    settings = Settings(token="", db_path=Path(env["WAAKZAAM_DB"]), key_file=Path(env["WAAKZAAM_KEY_FILE"]),
                        digest_weekday=WEEKDAYS.index(weekday), digest_time=dt_time.fromisoformat(time_))
    core = await open_core(settings)
    try:
        services = Services(core)
        people = await populate(core, clock.now(), with_steering=False)
        await core.meta.put(EPOCH_KEY, clock.iso(clock.now() - timedelta(days=30)).encode())
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


async def test_a_steering_member_receives_the_digest_text_and_chart(emulator, bot_process, sim_user, tmp_path):
    token = emulator.new_token()
    env = _env(tmp_path)
    invite = _invite(emulator, token, env, "steering")
    bot = bot_process([sys.executable, "-m", "bot", "run"], token=token, env=env)
    sofie = sim_user(bot, first_name="Sofie", language_code="en")
    await sofie.send(f"/start {invite}")
    await sofie.wait_for(re.compile("Welcome to the steering group"))
    await sofie.wait_for(re.compile("How should the coordinators see you"))
    await sofie.send("Sofie")
    await sofie.wait_for(re.compile("Thank you"))
    assert bot.stop() == 0

    just_now = clock.now().astimezone(Settings(token="").timezone) - timedelta(minutes=1)
    env["WAAKZAAM_DIGEST_AT"] = f"{WEEKDAYS[just_now.weekday()]} {just_now:%H:%M}"
    await _seed(env, env["WAAKZAAM_DIGEST_AT"])
    bot = bot_process([sys.executable, "-m", "bot", "run"], token=token, env=env)

    text = await sofie.wait_for(re.compile("Digest for the steering group"), timeout=30)
    assert text.method == "sendMessage" and text.protect_content
    assert "Reported by the network" in text.text and "The network" in text.text and "Late" not in text.text
    chart = await sofie.wait_for(lambda m: m.method == "sendPhoto", timeout=30)
    assert chart.protect_content and chart.photo.startswith(b"\x89PNG") and len(chart.photo) > 20_000
    assert chart.raw["photo"][0]["width"] >= 800 and "at a glance" in chart.text

    await sofie.send("/digest")
    again = await sofie.wait_for(re.compile("Digest for the steering group"))
    assert again.text == text.text and again.protect_content
    picture = await sofie.wait_for(lambda m: m.method == "sendPhoto")
    assert picture.photo == chart.photo
    assert bot.stop() == 0
    assert not bot.error_lines()
