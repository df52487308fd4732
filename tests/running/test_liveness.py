"""A stuck bot is restarted (issue 25.5): the bot tells systemd it is alive (sd_notify) only while
its loops move, and `waakzaam check --live` reads the same state, in polling and webhook mode."""
from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import hermetic
import pytest
from operator_cli import ROOT, TOKEN, cli, install

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "crash"))
from double import TelegramDouble  # noqa: E402

from bot.running.liveness import Liveness, alive_path, read_alive  # noqa: E402


class Systemd:
    """The notify socket systemd gives a Type=notify service, and what the service said on it."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "notify.sock"  # a short folder: a socket's path holds at most 107 bytes
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(self.path))
        self.sock.settimeout(0.1)
        self.heard: list[tuple[float, str]] = []

    def listen(self, seconds: float, until: str | None = None) -> list[str]:
        """What arrives in the next `seconds` (or until a message starting with `until`)."""
        end, new = time.monotonic() + seconds, []
        while time.monotonic() < end and not (until and any(m.startswith(until) for m in new)):
            try:
                new.append(self.sock.recv(4096).decode())
            except TimeoutError:
                continue
        self.heard += [(time.monotonic(), message) for message in new]
        return new

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def systemd(monkeypatch):
    folder = Path(tempfile.mkdtemp(prefix="sd-"))
    listener = Systemd(folder)
    monkeypatch.setenv("NOTIFY_SOCKET", str(listener.path))
    yield listener
    listener.close()
    shutil.rmtree(folder)


def test_the_watchdog_hears_the_bot_only_while_every_loop_moves(tmp_path, systemd, caplog):
    liveness = Liveness(tmp_path / "waakzaam.db", every=1.0)
    liveness.expect("poll", "work")
    liveness.beat("poll", 0.3)
    liveness.beat("work", 30)
    assert liveness.heartbeat() is True
    assert systemd.listen(0.2) == ["WATCHDOG=1"]
    alive = read_alive(tmp_path / "waakzaam.db")
    assert (alive.pid, alive.mode, alive.late, alive.every) == (os.getpid(), "polling", [], 1.0)

    time.sleep(0.4)  # the poller promised to beat again within 0.3 s and did not: stuck
    caplog.set_level(logging.INFO, logger="bot.running.liveness")
    assert liveness.heartbeat() is False and liveness.heartbeat() is False
    assert systemd.listen(0.3) == []  # systemd hears nothing, and restarts the bot after WatchdogSec
    assert read_alive(tmp_path / "waakzaam.db").late == ["poll"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and warnings[0].startswith("liveness: poll late (poll 0.")

    liveness.beat("poll", 30)
    assert liveness.heartbeat() is True and systemd.listen(0.2) == ["WATCHDOG=1"]
    liveness.stopped()
    assert systemd.listen(0.2) == ["STOPPING=1"] and not alive_path(tmp_path / "waakzaam.db").exists()


def test_a_loop_that_never_beat_has_the_start_grace(tmp_path, systemd):
    liveness = Liveness(tmp_path / "waakzaam.db")
    liveness.expect("sweep")
    assert liveness.heartbeat() is True and liveness.late() == []


@pytest.mark.real_clock
@pytest.mark.parametrize("mode", ["polling", "webhook"])
def test_the_running_bot_says_ready_beats_and_check_live_sees_it_and_sees_it_stuck(tmp_path, systemd, mode):
    """Runs on the real clock (marked real_clock, left out of scripts/test-at): `check --live`, a
    process of its own, compares its wall time with the heartbeat file's time, and under
    libfaketime the two do not move alike, so a stuck bot would look alive."""
    with TelegramDouble(token=TOKEN) as telegram:
        port = _free_port()
        webhook = {"WAAKZAAM_WEBHOOK_URL": "https://bot.example.org/tg", "WAAKZAAM_WEBHOOK_PORT": str(port)} \
            if mode == "webhook" else {}
        env = install(tmp_path, TELEGRAM_API_BASE_URL=telegram.api_base_url, WAAKZAAM_POLL_INTERVAL="0.05",
                      **webhook)
        environ = hermetic.environ({"PYTHONPATH": str(ROOT), "WAAKZAAM_ENV_FILE": str(env),
                                    "NOTIFY_SOCKET": str(systemd.path), "WATCHDOG_USEC": "2000000"})
        bot = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd="/", env=environ,
                               stderr=subprocess.DEVNULL)
        try:
            said = systemd.listen(60, until="READY=1")
            assert any(m.startswith("READY=1") for m in said), said
            ready = next(m for m in said if m.startswith("READY=1"))
            assert ready.splitlines()[1].startswith("STATUS=polling" if mode == "polling" else "STATUS=webhook mode")
            assert systemd.listen(3).count("WATCHDOG=1") >= 2  # every second (half of WatchdogSec)

            live = cli(env, "check", "--offline", "--live")
            line = next(line for line in live.stdout.splitlines() if "live:" in line)
            assert line.startswith(f"OK   live: the bot (pid {bot.pid}, {mode}) is working: ")
            loops = {"send", "sweep", "work"} | ({"poll"} if mode == "polling" else set())
            assert {part.split()[0] for part in line.split("working: ")[1].split(", ")} == loops

            bot.send_signal(signal.SIGSTOP)  # a bot that hangs: nothing moves any more
            systemd.listen(0.5)  # what it said before it stopped
            assert systemd.listen(3) == []
            time.sleep(3 * 1.0 + 5 - 3 + 1)
            stuck = cli(env, "check", "--offline", "--live")
            assert stuck.returncode == 1
            assert f"FAIL live: the bot (pid {bot.pid}) is stuck: its heartbeat is " in stuck.stdout
            bot.send_signal(signal.SIGCONT)
            bot.send_signal(signal.SIGTERM)
            assert bot.wait(timeout=45) == 0
            assert "STOPPING=1" in systemd.listen(0.5) + [m for _, m in systemd.heard]
            assert not alive_path(env.parent / "data" / "waakzaam.db").exists()
            after = cli(env, "check", "--offline", "--live")
            assert "FAIL live: the bot is not running" in after.stdout
        finally:
            if bot.poll() is None:
                bot.send_signal(signal.SIGCONT)
                bot.kill()
                bot.wait()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_heartbeat_file_holds_no_content_and_no_ids(tmp_path):
    liveness = Liveness(tmp_path / "waakzaam.db")
    liveness.expect("poll", "work", "sweep", "send")
    liveness.beat("work", 10)
    liveness.heartbeat()
    data = json.loads(alive_path(tmp_path / "waakzaam.db").read_text())
    assert set(data) == {"pid", "mode", "every", "at", "late", "seconds_since"}
    assert set(data["seconds_since"]) == {"poll", "work", "sweep", "send"}
    assert alive_path(tmp_path / "waakzaam.db").stat().st_mode & 0o777 == 0o600
