"""How long does a weekly digest take on a large history? Prints JSON lines; asserts nothing.

    .venv/bin/python benchmarks/digest.py [cases]        (default 1000000)

Writes `cases` closed cases spread over ten years into a throw-away database (themes, levels,
outcomes, referrals, contact times), then times the counting (the GROUP BY queries of
bot/steering/releases/service.py over the periods due), the releases with their audits, and the text
and chart, for a first digest and for the next week's.
"""
from __future__ import annotations

import asyncio
import json
import random
import sys
import tempfile
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.foundations import clock  # noqa: E402
from bot.foundations.settings import Settings  # noqa: E402
from bot.foundations.storage.upgrades import FIGURES_EPOCH  # noqa: E402
from bot.running.startup import open_core  # noqa: E402
from bot.services import Services  # noqa: E402
from bot.steering.digest.schedule import slot_of_week, week_label  # noqa: E402

THEMES = ("workload", "stress_complaints", "conflict_colleague_mgr", "reorganisation", "bullying", "stress",
          "hybrid_isolation", "private_problems", "digitalisation", "job_uncertainty")
OUTCOMES = ("listened", "referred", "signposted", "no_reply", "withdrawn")


async def fill(core, cases: int, end, rng: random.Random) -> None:
    """Bulk rows straight into the tables (the repository's one-case insert is for demos). Cases
    closed longer ago than the retention period are as the nightly retention left them (their
    content erased), as in a network's own database: a bot started on it has no backlog to erase."""
    span = timedelta(days=3650).total_seconds()
    departments = core.settings.departments + (None,)
    retention = core.settings.retention
    async with core.db.transaction():
        for start in range(0, cases, 20000):
            requests, themes, referrals = [], [], []
            for i in range(start + 1, min(cases, start + 20000) + 1):
                created = end - timedelta(seconds=rng.random() * span)
                contacted = created + timedelta(minutes=rng.lognormvariate(5.2, 0.9))
                outcome = rng.choice(OUTCOMES)
                closed = contacted + timedelta(days=3)
                erased = core.calendar.day(closed + retention) if closed + retention < end else None
                requests.append((i, f"B{i:09d}", clock.iso(created), clock.iso(created + timedelta(hours=24)),
                                 clock.iso(contacted), clock.iso(closed),
                                 rng.choice(departments), outcome, rng.choice(("individual", "team", "organisation")),
                                 int(rng.random() < 0.03), erased))
                for theme in rng.sample(THEMES, rng.choice((1, 1, 2))):
                    themes.append((i, theme))
                if outcome == "referred":
                    referrals.append((i, rng.choice(("psychologist", "company_doctor")), 1, core.calendar.day(created)))
            await core.db.executemany(
                "INSERT INTO requests (id, ref, state, created_at, deadline_at, contacted_at, closed_at, department,"
                " outcome, level, urgent, content_erased_at) VALUES (?, ?, 'closed', ?, ?, ?, ?, ?, ?, ?, ?, ?)", requests)
            await core.db.executemany("INSERT INTO case_themes (request_id, theme) VALUES (?, ?)", themes)
            await core.db.executemany(
                "INSERT INTO case_referrals (request_id, kind, consent, created_at) VALUES (?, ?, ?, ?)", referrals)


async def main(cases: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = replace(Settings(token=""), db_path=Path(folder) / "d" / "b.db", key_file=Path(folder) / "k" / "k")
        core = await open_core(settings)
        services = Services(core)
        s = settings
        slot = slot_of_week(week_label(core.calendar.today()), s.digest_weekday, s.digest_time, s.timezone)
        started = time.perf_counter()
        await fill(core, cases, slot.at, random.Random(1))
        # Counting starts two months back (as after an upgrade): the first digest releases those months.
        epoch = (slot.day.replace(day=1) - timedelta(days=40)).replace(day=1)
        await core.meta.put(FIGURES_EPOCH, epoch.isoformat().encode())
        print(json.dumps({"step": "fill", "cases": cases, "s": round(time.perf_counter() - started, 1)}))
        for week in (slot, slot_of_week(week_label(slot.day + timedelta(days=7)), s.digest_weekday,
                                        s.digest_time, s.timezone)):
            started = time.perf_counter()
            built = await services.digests.build(week, week.at)
            built_at = time.perf_counter()
            await services.digests.make(week, week.at)
            print(json.dumps({"step": "digest", "week": week.week, "build_s": round(built_at - started, 2),
                              "build_record_render_s": round(time.perf_counter() - built_at, 2),
                              "releases": [b["label"] for b in built.bodies]}))
        await core.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000))
