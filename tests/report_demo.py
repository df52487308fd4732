"""The demo year, made once per test run: a digest every week by the real service, then the annual
report (or a quarter's), rendered to a document, HTML and PDF; and, read while its database was
open, what tests compare the report with (the counted cells of every period).

Once per run, not once per worker: a year takes some 7 s, half of it its releases' audits, so the
first worker to need one makes it and leaves it, pickled, in the run's shared folder (SHARED, made
by tests/conftest.py), where the others wait for it and read it. The same year in another language
differs only in the steering group's words, never in a count: its releases are decided from the
same jobs, which tests/decisions.py remembers."""
from __future__ import annotations

import asyncio
import fcntl
import functools
import os
import pickle
import time
from dataclasses import dataclass, replace
from pathlib import Path

from decisions import SHARED, Remembering

from bot.foundations import calendar
from bot.foundations.charter import Charter
from bot.foundations.settings import Settings
from bot.running.demo_report import run_demo
from bot.services import Services
from bot.steering.report import render
from bot.steering.report.document import Document
from bot.steering.report.service import Report

DEPARTMENTS = ("Production", "Maintenance", "Logistics", "Office", "Sales")


@dataclass(frozen=True)
class DemoReport:
    report: Report
    doc: Document
    html: str
    pdf: bytes
    seconds: float               # generating the year with a digest every week, and building the report
    render_seconds: float        # the document, the charts, the HTML and the PDF
    cells: dict[str, int]        # every counted cell of every period (the truth the releases were made of)
    truth: dict[str, int]        # straight from the database, apart from the bot's counting: see `_truth`
    releases: dict[str, dict]    # every release ever made, by label (its stored body)
    periods: dict[str, dict]     # every counted period, by label (its stored data)
    digests: dict[str, str]      # every digest of the demo, by week, as its steering members read it (en)


async def _truth(core) -> dict[str, int]:
    """Requests per quarter and per year, and conversations per quarter and theme, counted with SQL of
    the test's own (as of each quarter's counting instant, which the demo's data do not outlive)."""
    found = {}
    for period in await core.releases.periods():
        if period.kind == "month":
            continue
        start, end = core.calendar.bounds(calendar.parse_period(period.label))
        found[f"{period.label}|req"] = await core.db.fetchval(
            "SELECT COUNT(*) FROM requests WHERE created_at >= ? AND created_at < ?", (start, end))
        for theme, n in await core.db.fetchall(
                "SELECT t.theme, COUNT(*) FROM requests r JOIN case_themes t ON t.request_id = r.id"
                " WHERE r.created_at >= ? AND r.created_at < ? AND r.contacted_at < ? AND r.conversed = 1"
                " AND r.state <> 'withdrawn' AND COALESCE(r.outcome, '') NOT IN ('no_reply', 'withdrawn')"
                " GROUP BY t.theme", (start, end, period.counted_at.isoformat())):
            found[f"{period.label}|th|{theme}"] = n
    return found


def demo_report(period: str = "2025", lang: str = "en", departments: tuple[str, ...] = DEPARTMENTS) -> DemoReport:
    """Call from a synchronous test (it runs its own event loop). The year is made once per run;
    `departments` are those configured when it is rendered (one removed since reads "(former)")."""
    built = _demo_year(period, lang)
    if departments == DEPARTMENTS:
        return built
    charter = Charter.load()
    doc = render.document(built.report, lang, charter, departments)
    html, pdf = render.files(doc)
    return replace(built, doc=doc, html=html, pdf=pdf)


@functools.cache
def _demo_year(period: str, lang: str) -> DemoReport:
    shared = os.environ.get(SHARED)
    if not shared:
        return _make_demo_year(period, lang)
    path = Path(shared) / f"demo-{period}-{lang}.pickle"
    with open(Path(shared) / f"demo-{period}.lock", "w") as lock:
        # One language at a time (a worker making another waits), so the next reuses the first's decisions.
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            return pickle.loads(path.read_bytes())
        made = _make_demo_year(period, lang)
        path.with_suffix(".new").write_bytes(pickle.dumps(made))
        path.with_suffix(".new").rename(path)
        return made


def _make_demo_year(period: str, lang: str) -> DemoReport:
    departments = DEPARTMENTS
    settings = Settings(token="", db_path=Path("/nonexistent/never-used.db"), key_file=Path("/nonexistent/k.key"),
                        departments=DEPARTMENTS)
    charter = Charter.load()
    start = time.perf_counter()

    async def go(report: Report):
        built = time.perf_counter()
        doc = render.document(report, lang, charter, departments)
        html, pdf = render.files(doc)
        return report, doc, html, pdf, built - start, time.perf_counter() - built

    async def inspect(core, report):
        periods = {counted.label: counted.data for counted in await core.releases.periods()}
        cells = {c: n for data in periods.values() for c, n in data.get("cells", {}).items()}
        releases = {label: (await core.releases.get(label)).body for label in await core.releases.labels()}
        services = Services(core)
        digests = {}
        for (week,) in await core.db.fetchall("SELECT week FROM digests ORDER BY week"):
            digests[week] = services.digests.text(await services.digests.load((await core.digests.get(week)).published),
                                                  "en")
        return cells, await _truth(core), releases, periods, digests

    (report, doc, html, pdf, seconds, rendering), (cells, truth, releases, periods, digests) = asyncio.run(
        run_demo(settings, calendar.parse_period(period), charter, lang=lang, render=go, inspect=inspect,
                 offload=Remembering()))
    return DemoReport(report, doc, html, pdf, seconds, rendering, cells, truth, releases, periods, digests)
