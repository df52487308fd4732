"""The contact promise's sweep over 100,000 open requests (every 30 s in the bot).

A throw-away database holds 500 listeners and 100,000 open requests made over 60 days: most
in conversation, some claimed without contact yet, 2% still waiting for a listener (everyone is
at their cap, as a network this busy would be). Each request's next look (`sweep_at`) is what
the sweep itself would have left. Timed: the sweep as it runs every 30 s (what fell due in
those 30 s), and a sweep that finds nothing due.
"""
from __future__ import annotations

import random
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bot.foundations import clock
from bot.foundations.model import Preferences
from bot.foundations.storage.requests import wishes_json
from bot.running.startup import open_core
from bot.services import Services

from .common import figure, median, settings_in


async def _fill(core, count: int, listeners: int, rng: random.Random) -> None:
    now = clock.now()
    async with core.db.transaction():
        people, members = [], []
        for n in range(1, listeners + count + 1):
            people.append((n, core.vault.user_hash(900_000_000 + n), core.calendar.day(now),
                           core.vault.seal("people", "chat_id", n, str(900_000_000 + n)),
                           core.vault.seal("people", "language", n, "en")))
        await core.db.executemany(
            "INSERT INTO people (id, user_hash, created_at, chat_id_enc, language_enc) VALUES (?, ?, ?, ?, ?)", people)
        for n in range(1, listeners + 1):
            members.append((n, n, f"M{n:05d}", clock.iso(now - timedelta(days=400)), clock.iso(now - timedelta(days=400)),
                            core.vault.seal("members", "display_name", n, f"Listener {n}")))
        await core.db.executemany(
            "INSERT INTO members (id, person_id, handle, joined_at, charter_accepted_at, display_name_enc,"
            " gender, age_band, status, department, languages, profile_complete)"
            " VALUES (?, ?, ?, ?, ?, ?, 'woman', '35to50', 'employee', 'Office', 'en', 1)", members)
        requests = []
        for i in range(1, count + 1):
            kind = rng.random()
            if kind < 0.02:
                created = now - timedelta(hours=rng.uniform(0, 23))
                state, member, claimed, contacted = "offered", None, None, None
            elif kind < 0.10:
                created = now - timedelta(hours=rng.uniform(0, 23))
                claimed = created + (now - created) * rng.random()
                state, member, contacted = "claimed", rng.randint(1, listeners), None
            else:
                created = now - timedelta(days=rng.uniform(0, 60))
                claimed = created + timedelta(minutes=rng.uniform(5, 600))
                contacted = claimed + timedelta(minutes=rng.uniform(1, 120))
                if contacted > now:
                    claimed = contacted = now - timedelta(minutes=1)
                state, member = "contacted", rng.randint(1, listeners)
            requests.append((i, f"{i:05X}", listeners + i, state, member, clock.iso(created),
                             clock.iso(created + timedelta(hours=24)), claimed and clock.iso(claimed),
                             contacted and clock.iso(contacted), "Office",
                             core.vault.seal("requests", "wishes", i, wishes_json("en", Preferences(), True))))
        await core.db.executemany(
            "INSERT INTO requests (id, ref, requester_id, state, member_id, created_at, deadline_at, claimed_at,"
            " contacted_at, department, wishes_enc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", requests)


async def _settle(core, services) -> None:
    """Every request's next look, as the sweep leaves it (steps already past count as done)."""
    now = clock.now()
    rows = await core.db.fetchall("SELECT * FROM requests WHERE state IN ('new', 'offered', 'claimed', 'contacted')")
    updates = []
    for row in rows:
        request = core.requests._request(row)
        later = await services.promise._next_look(request, now)
        updates.append((None if later is None else clock.iso(later), request.id))
    async with core.db.transaction():
        await core.db.executemany("UPDATE requests SET sweep_at = ? WHERE id = ?", updates)


async def sweep(quick: bool) -> list[dict]:
    count, listeners = 100_000, 500
    with tempfile.TemporaryDirectory() as folder:
        core = await open_core(settings_in(Path(folder)))
        services = Services(core)
        started = time.perf_counter()
        await _fill(core, count, listeners, random.Random(14))
        await _settle(core, services)
        built = time.perf_counter() - started
        await services.promise.sweep()  # the first one after start also offers what waits
        idle, busy, steps = [], [], 0
        for n in range(3 if quick else 10):
            started = time.perf_counter()
            await services.promise.sweep()
            idle.append(time.perf_counter() - started)
        now = clock.now()
        for n in range(1, (6 if quick else 20) + 1):  # the next minutes, 30 s apart
            started = time.perf_counter()
            report = await services.promise.sweep(now + timedelta(seconds=30 * n))
            busy.append(time.perf_counter() - started)
            steps += sum(report.steps.values())
        await core.close()
    return [
        figure("sweep.every_30s", median(busy) * 1000, "ms", "<= 50", median(busy) <= 0.050,
               note=f"{count} open requests, {listeners} listeners; median of {len(busy)} sweeps, 30 s apart, "
                    f"{steps} steps done in all; database built in {built:.0f} s"),
        figure("sweep.max", max(busy) * 1000, "ms"),
        figure("sweep.nothing_due", median(idle) * 1000, "ms"),
    ]
