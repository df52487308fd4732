"""Is the bot working, or only running? Its loops say so; systemd and `waakzaam check --live` listen.

Each loop that must keep moving beats here and says when it will beat again at the latest: the
poller before each getUpdates (and before each deliberate pause), the inbox worker at every round,
the deadline sweep and the outbox after each run. A heartbeat job checks that no loop is late.
Only then does it tell systemd the bot is alive (`WATCHDOG=1` over $NOTIFY_SOCKET, the sd_notify
protocol: one datagram on a Unix socket, no library needed), so a stuck bot (a handler that never
returns, a send that hangs, an event loop that is blocked or stopped) misses the watchdog and
systemd restarts it (`Type=notify`, `WatchdogSec=` in deploy/waakzaam@.service).

The same state goes to a small file beside the database (`<db>.alive`: the pid, the mode, the
seconds since each loop last beat, which is late; no content, no ids), rewritten at every
heartbeat, which `waakzaam check --live` reads in polling and webhook mode alike: polling mode has
no port to ask, and the database's folder is the one place the hardened unit may write. In webhook
mode `/health` reports the same loops.
"""
from __future__ import annotations

import json
import logging
import os
import socket
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 10.0        # without a systemd watchdog: how often the file is rewritten
STALE_BEATS = 3                 # `check --live`: a file not rewritten for this many heartbeats (and
STALE_MARGIN = 5.0              # this many seconds more) means a stuck bot
START_GRACE = 180.0             # a loop that has not beaten yet is late only after this

# How long each loop may take, at most, until it beats again (on top of its own waits).
POLL_LATE = 60.0     # a long poll (10 s) and Telegram's answer
WORK_LATE = 300.0    # the inbox worker: one round of handling
JOB_LATE = 180.0     # the sweep (every 30 s) and the outbox (every 5 s): one run


def notify(message: str) -> bool:
    """Send `message` to systemd (sd_notify); False when not run by systemd with a notify socket."""
    address = os.environ.get("NOTIFY_SOCKET", "")
    if not address:
        return False
    if address.startswith("@"):  # an abstract socket
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(message.encode())
    except OSError as exc:
        log.warning("could not tell systemd %r (%s)", message.split("=")[0], exc.__class__.__name__)
        return False
    return True


def watchdog_interval() -> float | None:
    """Half the watchdog time systemd gave this process (WATCHDOG_USEC), or None without one."""
    usec = os.environ.get("WATCHDOG_USEC", "")
    pid = os.environ.get("WATCHDOG_PID", "")
    if not usec.isdigit() or (pid and pid != str(os.getpid())):
        return None
    return max(1.0, int(usec) / 1e6 / 2)


def alive_path(db_path: Path) -> Path:
    real = Path(os.path.realpath(db_path))
    return real.with_name(real.name + ".alive")


@dataclass
class Liveness:
    """The loops' last beats (monotonic clock) and the deadline each gave for its next one."""

    db_path: Path
    every: float = HEARTBEAT_SECONDS   # seconds between heartbeats
    mode: str = "polling"
    _due: dict[str, float] = field(default_factory=dict)
    _last: dict[str, float] = field(default_factory=dict)
    _late_told: frozenset[str] = frozenset()

    def expect(self, *loops: str) -> None:
        """These loops must beat; until their first beat they have START_GRACE."""
        now = time.monotonic()
        for loop in loops:
            self._due.setdefault(loop, now + START_GRACE)

    def beat(self, loop: str, within: float) -> None:
        """`loop` moved now and will beat again within `within` seconds."""
        now = time.monotonic()
        self._last[loop] = now
        self._due[loop] = now + within

    def late(self) -> list[str]:
        now = time.monotonic()
        return sorted(loop for loop, due in self._due.items() if now > due)

    def report(self) -> dict:
        now = time.monotonic()
        return {"pid": os.getpid(), "mode": self.mode, "every": self.every,
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "late": self.late(),
                "seconds_since": {loop: (None if loop not in self._last else round(now - self._last[loop], 1))
                                  for loop in sorted(self._due)}}

    def heartbeat(self) -> bool:
        """Check the loops; tell systemd and the file. True when every loop is on time."""
        report = self.report()
        late = frozenset(report["late"])
        if late and late != self._late_told:
            log.warning("liveness: %s late (%s); systemd is not told the bot is alive",
                        ", ".join(sorted(late)),
                        ", ".join(f"{loop} {report['seconds_since'][loop]} s ago" for loop in sorted(late)))
        elif not late and self._late_told:
            log.info("liveness: every loop is on time again")
        self._late_told = late
        if not late:
            notify("WATCHDOG=1")
        self._write(report)
        return not late

    def _write(self, report: dict) -> None:
        path = alive_path(self.db_path)
        partial = path.with_name(path.name + ".tmp")
        try:
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                json.dump(report, handle)
            os.replace(partial, path)
        except OSError as exc:  # a full disk must not stop the bot; the watchdog still hears it
            log.debug("liveness: cannot write %s (%s)", path, exc.__class__.__name__)

    def stopped(self) -> None:
        notify("STOPPING=1")
        try:
            alive_path(self.db_path).unlink(missing_ok=True)
        except OSError:
            pass


@dataclass(frozen=True)
class Alive:
    """What `check --live` reads: the heartbeat file of the bot holding the database."""

    pid: int
    mode: str
    every: float                     # seconds between heartbeats
    age: float                       # seconds since the file was written
    late: list[str]
    seconds_since: dict[str, float | None]

    @property
    def stale(self) -> bool:
        return self.age > STALE_BEATS * self.every + STALE_MARGIN


def read_alive(db_path: Path) -> Alive | None:
    path = alive_path(db_path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        age = time.time() - path.stat().st_mtime
        return Alive(int(data["pid"]), str(data["mode"]), float(data["every"]), age, list(data["late"]),
                     dict(data["seconds_since"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
