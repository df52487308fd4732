"""Work that needs the solver and matplotlib runs in a child process when the bot serves (bot/foundations/offload.py):
the digest made that way is the digest made in-process, and the child is a fresh interpreter."""
from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import hermetic
import launcher
import pytest
from children import sleep_after_saying_who
from steering_flows import SLOT_W46, steering
from steering_flows import history as _history
from steering_flows import steering as _steering
from steering_flows import sweep as _sweep
from test_digest_flow import clock  # noqa: F401 - the fixture, as the digest's tests use it

from bot.foundations.offload import Offload
from bot.steering.digest.schedule import slot_of_week
from bot.steering.releases.decide import decide


def _what_the_child_holds() -> tuple[int, list[str]]:
    """Run in the child: its process id, and the files it has open."""
    fds = Path("/proc/self/fd")
    opened = []
    for fd in fds.iterdir() if fds.exists() else ():
        try:
            opened.append(os.readlink(fd))
        except OSError:
            pass
    return os.getpid(), opened


def _fails() -> None:
    raise ValueError("no such week")


async def test_the_child_is_a_fresh_interpreter_without_the_database_and_its_errors_come_back(services):
    offload = Offload(child=True)
    pid, opened = await offload.run(_what_the_child_holds)
    assert pid != os.getpid()
    settings = services.settings
    assert os.path.exists(settings.db_path)
    assert not [path for path in opened if str(settings.db_path) in path or str(settings.key_file.parent) in path]
    with pytest.raises(ValueError, match="no such week"):
        await offload.run(_fails)
    assert offload.children == 2  # one child per call, gone after it


class _Handed(Offload):
    """In this process, keeping what each call was handed."""

    def __init__(self) -> None:
        super().__init__()
        self.handed: list[tuple] = []

    async def run(self, fn, /, *args, **kwargs):
        self.handed.append((fn, args))
        return await super().run(fn, *args, **kwargs)


async def test_a_digest_made_in_a_child_is_the_digest_made_here(running, services, people, clock):  # noqa: F811
    sofie = await _steering(services, people)
    await _history(services)
    await _sweep(services)
    clock.move_to(SLOT_W46)
    s = services.settings
    slot = slot_of_week("2026-W46", s.digest_weekday, s.digest_time, s.timezone)
    services.core.offload = handed = _Handed()
    here = await services.digests.build(slot, SLOT_W46)
    # The audits get counts and figures, not what the pages print beside them (put back after).
    [jobs] = [args[0] for fn, args in handed.handed if fn is decide]
    assert all(planned.extra == {} for job in jobs for planned in job.releases)
    quarter = next(body for body in here.bodies if body["label"] == "2026-Q3")
    assert {"network", "names"} <= set(quarter["extra"])
    services.core.offload = child = Offload(child=True)
    there = await services.digests.build(slot, SLOT_W46)  # counted here, released there
    assert child.children == 1
    assert there.bodies == here.bodies and there.published == here.published
    assert there.published["new"] and there.candidates  # a digest with something in it

    before = len(sofie.inbox())
    assert await _sweep(services) == "2026-W46"
    assert child.children == 3  # the releases again, then the chart in every language at once
    text, chart = sofie.inbox()[before:]
    assert text.text.startswith("📊 Digest for the steering group, week 46 of 2026")
    services.core.offload = Offload()
    drawn_here = await services.digests.charts(here.pub, ["en"])
    assert chart.photo.startswith(b"\x89PNG") and chart.photo == drawn_here["en"]


async def test_the_quarterly_table_drawn_in_a_child_is_the_one_made_here(services, people, clock):  # noqa: F811
    await _history(services)
    await _sweep(services)
    clock.move_to(SLOT_W46)
    await _sweep(services)
    sofie = await steering(services, people)
    await sofie.send("/report")
    here = sofie.inbox()[-2:]
    services.core.offload = child = Offload(child=True)
    await sofie.send("/report")
    there = sofie.inbox()[-2:]
    assert child.children == 1  # the chart, in one child
    assert there[0].text == here[0].text and there[1].photo == here[1].photo


# --- children die with the bot (issue 24.5) -------------------------------------------------------

_PARENT = """
import asyncio, sys
sys.path.insert(0, sys.argv[1])
from children import {function}
from bot.foundations.offload import Offload
asyncio.run(Offload(child=True, guards=tuple(sys.argv[3].split(","))).run({function}, sys.argv[2], 60))
"""


def _alive(pid: int) -> bool:
    """A process that runs (a zombie waiting for a reaper has ended)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


@pytest.mark.parametrize("function,guards", [("sleep_after_saying_who", "pdeathsig,watcher"),
                                             ("sleep_after_saying_who", "pdeathsig"),
                                             ("sleep_after_saying_who", "watcher"),
                                             ("spin_after_saying_who", "watcher")])
def test_a_child_ends_within_a_second_when_the_bot_is_killed(tmp_path, function, guards):
    tests = Path(__file__).resolve().parents[1]
    said = tmp_path / "child.pid"
    env = hermetic.environ({"PYTHONPATH": str(tests.parent)})
    parent = launcher.Popen([sys.executable, "-c", _PARENT.format(function=function), str(tests), str(said), guards],
                            env=env)
    try:
        for _ in range(600):
            if said.exists() and said.read_text():
                break
            time.sleep(0.05)
        child = int(said.read_text())
        assert _alive(child)
        time.sleep(0.3)  # the child's guards are set before it runs the call; give the watcher its start
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 1.5
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not _alive(child), f"the child {child} outlived the killed bot ({guards})"
    finally:
        if parent.poll() is None:
            parent.kill()


async def test_a_cancelled_call_kills_its_child(tmp_path):
    said = tmp_path / "child.pid"
    call = asyncio.create_task(Offload(child=True).run(sleep_after_saying_who, str(said), 60))
    for _ in range(600):
        if said.exists() and said.read_text():
            break
        await asyncio.sleep(0.05)
    child = int(said.read_text())
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert not _alive(child)
