"""What the health endpoint says: whether the database, the inbox and the outbox work, in ages
only. No counts: the endpoint answers anyone who can reach its port, and a count of deliveries
that keeps growing would tell a poller when conversations happen (it releases no figure)."""
from __future__ import annotations

import sqlite3
from datetime import datetime

from bot.foundations import clock
from bot.foundations.core import Core
from bot.foundations.storage.migrations import current_version, discover

from .liveness import Liveness

STUCK_AFTER_SECONDS = 600   # a due delivery or update waiting this long: the bot is not working them off
SWEEP_LATE_SECONDS = 300    # the deadline sweep runs every 30 s


async def health(core: Core, last_sweep: datetime | None, liveness: Liveness | None = None) -> dict:
    report: dict = {"healthy": False, "database": "ok"}
    try:
        version = await current_version(core.db)
        report["schema"] = {"version": version, "expected": len(discover())}
        report["inbox"] = {"oldest_due_seconds": (await core.inbox.health())["oldest_due_seconds"]}
        report["outbox"] = {"oldest_due_seconds": await core.outbox.oldest_due_seconds()}
    except (sqlite3.Error, OSError) as exc:
        report["database"] = f"error: {exc.__class__.__name__}"
        return report
    since = None if last_sweep is None else int((clock.now() - last_sweep).total_seconds())
    report["last_sweep_seconds_ago"] = since
    late = liveness.late() if liveness is not None else []
    if liveness is not None:  # the same loops systemd's watchdog hears about: seconds since each moved
        report["loops"] = liveness.report()["seconds_since"]
        report["loops_late"] = len(late)
    report["healthy"] = (
        report["schema"]["version"] == report["schema"]["expected"]
        and report["inbox"]["oldest_due_seconds"] < STUCK_AFTER_SECONDS
        and report["outbox"]["oldest_due_seconds"] < STUCK_AFTER_SECONDS
        and (since is None or since < SWEEP_LATE_SECONDS)
        and not late
    )
    return report
