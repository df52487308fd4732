"""End to end through the Bot API emulator (tests/e2e): the real HTTP layer, each bot its own
process polling it. Waakzaam relays messages between a listener and a colleague; the bare PTB
echo bot (tests/e2e/echo_bot.py) answers each one. Each side sends a burst and waits until every
answer has arrived; the rate is messages over that time.

Waakzaam runs twice: as deployed (`python -m bot run`), with PTB's AIORateLimiter keeping it
within Telegram's ~30 calls a second (a relay is the message and the 👌, but under load one 👌
says that several messages arrived, so a burst costs little more than a call a relay); and
without the limiter
(benchmarks/unlimited.py), like the bare echo bot, which has none. That second ratio is the
like-for-like one: the same HTTP layer, no limiter on either side.
"""
from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .common import ROOT, figure

sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from harness import BotProcess, Emulator, HarnessError  # noqa: E402  tests/e2e
from test_waakzaam_e2e import _ask, _join_member  # noqa: E402


async def _burst(user, others_inbox, count: int, expect) -> float:
    before = len([m for m in await others_inbox.messages() if expect(m)])
    started = time.perf_counter()
    for i in range(count):
        await user.send(f"burst message {i}")
    while len([m for m in await others_inbox.messages() if expect(m)]) < before + count:
        if time.perf_counter() - started > 120:
            raise HarnessError("the answers did not all arrive")
        await asyncio.sleep(0.02)
    return count / (time.perf_counter() - started)


async def endtoend(quick: bool) -> list[dict]:
    count = 50 if quick else 300
    try:
        emulator = Emulator().start()
    except HarnessError as exc:
        return [figure("e2e.ratio", None, "% of bare PTB", ">= 70", None, skipped=str(exc))]
    try:
        with tempfile.TemporaryDirectory() as folder:
            token = emulator.new_token()
            echo = BotProcess([sys.executable, str(ROOT / "tests" / "e2e" / "echo_bot.py")], token=token, cwd=ROOT,
                              env={"TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_BASE_URL": emulator.api_base_url},
                              log_path=Path(folder) / "echo.log").start()
            emulator.wait_until_polling(token, process=echo)
            user = emulator.user(token, user_id=6200000001, first_name="Echo")
            bare = await _burst(user, user, count, lambda m: m.text.startswith("echo: burst"))
            echo.stop()

            env = {"WAAKZAAM_DEPARTMENTS": "Production,Logistics,Office", "WAAKZAAM_POLL_INTERVAL": "0.05"}
            configured = await _waakzaam(emulator, Path(folder) / "configured", env, ["-m", "bot", "run"], count, 10)
            unlimited = await _waakzaam(emulator, Path(folder) / "unlimited", env, ["-m", "benchmarks.unlimited"],
                                        count, 20)
    finally:
        emulator.stop()
    note = "the bare echo bot has no limiter"
    return [
        figure("e2e.bare_echo_rate", bare, "msg/s", note=f"bursts of {count}, emulator on 127.0.0.1"),
        figure("e2e.rate", configured, "msg/s", ">= 25", configured >= 25,
               note="as deployed, with AIORateLimiter (~30 calls/s; a relay is the message and, unless a later "
                    "one says it already, the 👌)"),
        figure("e2e.ratio", configured / bare * 100, "% of bare PTB", ">= 70", configured / bare >= 0.70,
               note=f"not like-for-like: {note}"),
        figure("e2e.unlimited_rate", unlimited, "msg/s", note="the same bot without the limiter"),
        figure("e2e.unlimited_ratio", unlimited / bare * 100, "% of bare PTB", ">= 70", unlimited / bare >= 0.70,
               note=f"like-for-like: {note} either"),
    ]


async def _waakzaam(emulator, folder: Path, env: dict, command: list[str], count: int, user: int) -> float:
    """Start Waakzaam (`command`) on its own token and database, join a listener, ask, claim, and
    time a burst from the colleague to the listener."""
    (folder / "data").mkdir(parents=True, mode=0o700)  # a database is made only in a folder that is there
    token = emulator.new_token()
    full = {**os.environ, **env, "WAAKZAAM_DB": str(folder / "data" / "w.db"),
            "WAAKZAAM_KEY_FILE": str(folder / "keys" / "m.key"),
            "TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_BASE_URL": emulator.api_base_url}
    out = subprocess.run([sys.executable, "-m", "bot", "invite", "listener"], cwd=ROOT, env=full,
                         capture_output=True, text=True, timeout=60)
    link = re.search(r"\?start=(\S+)", out.stdout)
    if link is None:
        raise RuntimeError(f"`bot invite listener` gave no link: {out.stdout[-300:]} {out.stderr[-300:]}")
    invite = link[1]
    bot = BotProcess([sys.executable, *command], token=token, cwd=ROOT, env=full, log_path=folder / "bot.log").start()
    try:
        emulator.wait_until_polling(token, process=bot)
        listener = emulator.user(token, user_id=6200000000 + user, first_name="Lien", language_code="en")
        colleague = emulator.user(token, user_id=6200000001 + user, first_name="Col", language_code="en")
        await _join_member(listener, invite, "Lien", "woman", 0)
        ref = await _ask(colleague, None)
        offer = await listener.wait_for(lambda m: any(b.get("callback_data") == f"claim:{ref}"
                                                      for row in m.buttons for b in row))
        await listener.press(offer, f"claim:{ref}")
        await colleague.wait_for("Good news")
        return await _burst(colleague, listener, count, lambda m: "burst message" in m.text)
    finally:
        bot.stop()
