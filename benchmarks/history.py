"""Years of history: the weekly digest over 10k, 100k and 1M closed cases (benchmarks/digest.py
writes them), and the bot process itself on the 1M database: start to ready, and resident
memory at idle and under load (the bot as `python -m bot run` against the crash tests'
Telegram-faithful Bot API double, tests/crash/double.py)."""
from __future__ import annotations

import importlib
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import time_machine

from bot.foundations import clock
from bot.running.startup import open_core
from bot.services import Services
from bot.steering.digest.schedule import slot_of_week, week_label
from bot.steering.digest.service import EPOCH_KEY

from .common import ROOT, figure, settings_in

sys.path.insert(0, str(ROOT / "tests" / "crash"))
from double import TelegramDouble  # noqa: E402  tests/crash

from .digest import fill  # noqa: E402


async def _database(folder: Path, cases: int):
    settings = settings_in(folder)
    core = await open_core(settings)
    slot = slot_of_week(week_label(core.calendar.today()), settings.digest_weekday, settings.digest_time,
                        settings.timezone)
    await fill(core, cases, slot.at, random.Random(1))
    return settings, core, slot


async def digest(quick: bool) -> list[dict]:
    # The first audit of a process imports numpy, scipy and HiGHS (bot/steering/figures/auditor.py): timed on its
    # own, in a fresh interpreter, and done here first so that the digests below are timed warm.
    out = subprocess.run([sys.executable, "-c", _IMPORT_SOLVER], cwd=ROOT, capture_output=True, text=True, check=True)
    figures = [figure("digest.first_import", float(out.stdout.split()[-1]), "s",
                      note="numpy, scipy and HiGHS, imported by the first audit of a process")]
    for name in ("numpy", "scipy.sparse", "highspy"):
        importlib.import_module(name)
    for cases in ((10_000, 100_000) if quick else (10_000, 100_000, 1_000_000)):
        with tempfile.TemporaryDirectory() as folder:
            settings, core, slot = await _database(Path(folder), cases)
            services = Services(core)
            started = time.perf_counter()
            await services.digests.make(slot, slot.at)
            seconds = time.perf_counter() - started
            # The week after: what the bot does every week once the years before are released.
            following = slot_of_week(week_label(slot.at.date() + timedelta(days=7)), settings.digest_weekday,
                                     settings.digest_time, settings.timezone)
            started = time.perf_counter()
            with time_machine.travel(following.at, tick=True):
                await services.digests.make(following, following.at)
            weekly = time.perf_counter() - started
            await core.close()
        target = "<= 1" if cases == 1_000_000 else None
        figures.append(figure(f"digest.{cases}", seconds, "s", target, None if target is None else seconds <= 1.0,
                              note="the first digest: count, release with its audits, record, text and chart, "
                                   "and every closed month, quarter and year of the ten years before released "
                                   "(once, at the first digest after an upgrade)"))
        figures.append(figure(f"digest.{cases}.next_week", weekly, "s", target,
                              None if target is None else weekly <= 1.0, note="the digest of the week after"))
    return figures


# `python -m bot run`, its clock a minute after the digest's slot and running on from there: the
# digest is due at start and on time, whatever the hour this runs (a late digest waits for the
# organisation's morning, so at night the bot would make none).
_RUN_AT = """
import runpy, sys, time_machine
time_machine.travel(sys.argv[1], tick=True).start()
sys.argv = ["bot", "run"]
runpy.run_module("bot", run_name="__main__", alter_sys=True)
"""


_IMPORT_SOLVER = """
import time
from datetime import timedelta
started = time.perf_counter()
import numpy, scipy.sparse, highspy
print(time.perf_counter() - started)
"""


def _rss_kib(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


async def process(quick: bool) -> list[dict]:
    cases = 100_000 if quick else 1_000_000
    with tempfile.TemporaryDirectory() as folder:
        settings, core, slot = await _database(Path(folder), cases)
        # The bot counts from eight days ago: the newest week's digest is due at start.
        await core.meta.add(EPOCH_KEY, clock.iso(clock.now() - timedelta(days=8)).encode())
        await core.close()
        with TelegramDouble() as tg:
            env = {**os.environ, "TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_API_BASE_URL": tg.api_base_url,
                   "WAAKZAAM_DB": str(settings.db_path), "WAAKZAAM_KEY_FILE": str(settings.key_file),
                   "WAAKZAAM_POLL_INTERVAL": "0", "WAAKZAAM_LOG_LEVEL": "INFO"}
            log = Path(folder) / "bot.log"
            started = time.perf_counter()
            with open(log, "w") as out:
                bot = subprocess.Popen([sys.executable, "-c", _RUN_AT, clock.iso(slot.at + timedelta(minutes=1))],
                                       cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
            try:
                while "polling for updates" not in log.read_text():
                    if bot.poll() is not None or time.perf_counter() - started > 60:
                        raise RuntimeError(f"the bot did not start: {log.read_text()[-2000:]}")
                    time.sleep(0.01)
                ready = time.perf_counter() - started
                while "steering member(s)" not in log.read_text():  # the digest of the newest slot, as it serves
                    if bot.poll() is not None or time.perf_counter() - started > 300:
                        raise RuntimeError(f"the bot made no digest: {log.read_text()[-2000:]}")
                    time.sleep(0.05)
                time.sleep(1)  # the jobs at start (sweep, retention) run
                idle = _rss_kib(bot.pid)
                users = [tg.user(first_name=f"U{n}") for n in range(50 if quick else 200)]
                for user in users:
                    user.send("/start")
                    user.send("hello, is anyone there?")
                for user in users:
                    user.wait_for("no open conversation", timeout=60)
                peak = _rss_kib(bot.pid, "VmHWM")
            finally:
                bot.send_signal(signal.SIGINT)
                try:
                    bot.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    bot.kill()
                    bot.wait()
    label = f"{cases // 1000}k" if cases < 1_000_000 else "1M"
    return [
        figure("start.ready", ready, "s", "<= 2", ready <= 2.0, note=f"`python -m bot run` until it polls, {label} cases"),
        figure("memory.idle", idle / 1024, "MB", "<= 120", idle / 1024 <= 120,
               note=f"resident, {label} cases, after its first digest (made in a child process, bot/foundations/offload.py)"),
        figure("memory.peak", peak / 1024, "MB", "<= 120", peak / 1024 <= 120,
               note=f"peak resident after {len(users)} people wrote twice each, {label} cases"),
        figure("memory.digest_libraries", _digest_libraries() / 1024, "MB",
               note="what a process would keep had it made the digest itself: numpy, scipy and HiGHS (the audit) and "
                    "matplotlib (the chart); the bot makes it in a child process instead"),
    ]


_LIBRARIES = """
import sys, bot.app
from pathlib import Path
def rss():
    return int(next(l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith("VmRSS:")).split()[1])
before = rss()
from bot.steering.figures import Figure, Knowledge, release
release({"a": 1, "b": 7, "c": 9}, [Figure("a", frozenset("a"), 5), Figure("ab", frozenset("ab"), 5),
                                   Figure("abc", frozenset("abc"), 5)], label="W1", known=Knowledge())
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure as Chart
chart = Chart(); FigureCanvasAgg(chart); chart.add_subplot().bar([1, 2], [3, 4]); chart.canvas.draw()
print(rss() - before)
"""


def _digest_libraries() -> int:
    """KiB a fresh bot interpreter grows by when it audits a release and draws a chart."""
    out = subprocess.run([sys.executable, "-c", _LIBRARIES], cwd=ROOT, capture_output=True, text=True, check=True)
    return int(out.stdout.split()[-1])
