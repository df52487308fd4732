"""How long do a year's releases take? Prints JSON lines; asserts nothing.

    .venv/bin/python benchmarks/figures_release.py [requests_per_week] [seed]

A generated year of a 250-person workplace (the demo's: about six requests a week, departments,
themes, levels, outcomes, referrals, team signals and ratings) in a throw-away database, then the
releases a digest every Monday makes, decided in order by the engine, each timed: the months, the
quarters with their last month, and the slowest, December with the fourth quarter and the year,
audited with everything released that year. The month-so-far steps of the weeks are left out
(a few milliseconds each).
"""
from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bot.running.demo_digest as demo  # noqa: E402
from bot.foundations.settings import Settings  # noqa: E402
from bot.running.startup import open_core  # noqa: E402
from bot.services import Services  # noqa: E402
from bot.steering.figures.knowledge import release_rows  # noqa: E402
from bot.steering.figures.model import Release  # noqa: E402
from bot.steering.releases.decide import decide  # noqa: E402


async def main(per_week: float, seed: int) -> None:
    demo.PER_WEEK = per_week
    with tempfile.TemporaryDirectory() as folder:
        settings = replace(Settings(token=""), db_path=Path(folder) / "d" / "b.db", key_file=Path(folder) / "k" / "k")
        core = await open_core(settings)
        services = Services(core)
        end = datetime(2027, 1, 11, 7, 31, tzinfo=UTC)
        started = time.perf_counter()
        await demo.populate(core, end, seed=seed, weeks=56, with_steering=False)
        print(json.dumps({"step": "a year of cases", "s": round(time.perf_counter() - started, 1)}))
        prepared = await services.releases.prepare(date(2027, 1, 11), "2027-W02", end)
        knowledge = {year: list(rows) for year, rows in prepared.knowledge.items()}
        for job in prepared.jobs:
            if job.step is not None:
                continue
            began = time.perf_counter()
            bodies = decide([job], knowledge)
            seconds = time.perf_counter() - began
            rows = knowledge.setdefault(job.year, [])
            rows += list(job.rows)
            for body in bodies:
                rows += release_rows(Release.from_json(body))
            kinds: dict[str, int] = {}
            for body in bodies:
                for figure in body["figures"]:
                    kinds[figure["st"][0]] = kinds.get(figure["st"][0], 0) + 1
            print(json.dumps({"releases": [b["label"] for b in bodies], "figures": sum(kinds.values()),
                              "statements": kinds, "known_rows": len(rows), "s": round(seconds, 2)}))
        await core.close()


if __name__ == "__main__":
    asyncio.run(main(float(sys.argv[1]) if len(sys.argv) > 1 else 6, int(sys.argv[2]) if len(sys.argv) > 2 else 2026))
