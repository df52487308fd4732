"""Closed periods, counted once and released once, with the digest of the week they are due.

A month, a quarter and a year are due at the first digest slot on or after WAAKZAAM_SETTLE_DAYS
(7) days past their end: the last promises of their requests are decided by then, and most first
conversations and tags are made. The digest that is due then counts them (`prepare`: GROUP BY
queries, as of that instant), decides their releases in a child process (`decide`: the audits)
and stores both in the same transaction as the digest itself and its messages (`store`): made
exactly once, whatever restarts happen around it. Every page reprints releases; nothing counts a
closed period again.

Which periods exist:
- a database that had digests before schema 20 starts at meta 'figures_epoch' (the first whole
  month after its last digest of 13-week windows: those windows are never mixed with these
  figures); a quarter or a year is released only when it begins on or after it;
- otherwise (a new installation) at the quarter of the first request or team signal: there was
  nothing before it.

Each digest also releases the month so far, in fixed steps (`open/<month>/<week>`), and each review round
its flags (`review/<round>`): what the network reports to the steering group is "at least
WAAKZAAM_SIGNAL_MIN conversations", which a reader then knows too.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.foundations import clock
from bot.foundations.calendar import Period, month_of, quarter_of, week_parts, year_of
from bot.foundations.core import Core
from bot.foundations.storage.figures import SignalCount
from bot.foundations.storage.upgrades import FIGURES_EPOCH
from bot.foundations.vocab import AGE_BAND, GENDER, STATUS
from bot.network import routing
from bot.steering.figures import Figure, Release, Row, Statement
from bot.steering.figures.knowledge import release_rows, truth

from . import cells as C
from .decide import Job, Planned

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Flag:
    """A candidate of the network's review, as a reader learns it: this department and theme came
    back in at least `signal_min` conversations of the quarter's closed months."""

    dep: str
    theme: str


@dataclass
class Prepared:
    """What a digest releases: the periods it counts (stored with it), the jobs to decide (in a
    child process), and what a reader knew before, per calendar year."""

    periods: list[tuple[Period, dict]] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    knowledge: dict[int, list[Row]] = field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        return [p.label for job in self.jobs for p in job.releases]


def quarter_months(quarter: Period) -> list[tuple[str, list[str]]]:
    """(month, its week-parts) of a quarter, for its cells."""
    return [(m.label, [w.label.split("/")[1] for w in week_parts(m)]) for m in quarter.months()]


def parts_of(month: Period) -> list[str]:
    return [w.label.split("/")[1] for w in week_parts(month)]


class PeriodReleases:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.settings = core.settings

    # Which periods ------------------------------------------------------------------------------

    async def epoch(self) -> date | None:
        raw = await self.core.meta.get(FIGURES_EPOCH)
        return date.fromisoformat(bytes(raw).decode()) if raw else None

    async def start(self) -> tuple[date | None, date | None]:
        """(the first day counted, the upgrade's epoch or None)."""
        epoch = await self.epoch()
        if epoch is not None:
            return epoch, epoch
        days = []
        if (first := await self.core.figures.first_request()) is not None:
            days.append(self.core.calendar.date_of(clock.parse(first)))
        if (signal := await self.core.team_signals.first_day()) is not None:
            days.append(date.fromisoformat(signal))
        if not days:
            return None, None
        return quarter_of(min(days)).start, None

    def due_on(self, period: Period) -> date:
        """The first day a digest may count and release the period."""
        return period.end + timedelta(days=self.settings.settle_days)

    def release_day(self, period: Period) -> date:
        """The day of the first digest on or after `due_on`: when the period's figures come out."""
        due = self.due_on(period)
        return due + timedelta(days=(self.settings.digest_weekday - due.weekday()) % 7)

    async def due(self, day: date) -> list[list[Period]]:
        """Periods due by `day` and not counted yet, in the groups they are released in, oldest first:
        a month; a quarter with its last month; the year with its fourth quarter and December."""
        start, epoch = await self.start()
        if start is None:
            return []
        counted = await self.core.releases.counted()
        groups = []
        month = month_of(start)
        while self.due_on(month) <= day:
            group = [month] if month.label not in counted else []
            quarter = month.quarter()
            if quarter.end == month.end and (epoch is None or quarter.start >= epoch) \
                    and quarter.label not in counted:
                group.append(quarter)
            year = year_of(month.start)
            if year.end == month.end and (epoch is None or year.start >= epoch) and year.label not in counted:
                group.append(year)
            if group:
                groups.append(group)
            month = month.next()
        return groups

    # Counting --------------------------------------------------------------------------------------

    async def count_month(self, month: Period, cut: datetime) -> dict:
        repo, calendar = self.core.figures, self.core.calendar
        parts = week_parts(month)
        bounds = [(w.label.split("/")[1], *calendar.bounds(w)) for w in parts]
        use = await repo.use(bounds, clock.iso(cut))
        start, end = calendar.bounds(month)
        return {"cells": C.month_use(month.label, [b[0] for b in bounds], use), "parts": [b[0] for b in bounds],
                "waits": await repo.waits(start, end, clock.iso(cut))}

    async def count_quarter(self, quarter: Period, cut: datetime, month_cuts: Mapping[str, datetime]) -> dict:
        repo, calendar, charter = self.core.figures, self.core.calendar, self.core.charter
        start, end = calendar.bounds(quarter)
        at = clock.iso(cut)
        conversations = await repo.conversations(start, end, at)
        themes = await repo.themes(start, end, at)
        referrals = await repo.referrals(start, end, at)
        team = await repo.team_signals(*quarter.days())
        work = {t.key for t in charter.work_themes}
        levels = [lv.key for lv in charter.levels]
        d = C.dims(departments=self.settings.departments,
                   found_departments=[dep for dep, *_ in conversations] + [dep for dep, *_ in themes],
                   themes=[t.key for t in charter.work_themes], found_themes=[th for _, th, _ in themes if th in work],
                   levels=levels, kinds=[r.key for r in charter.referrals], found_kinds=list(referrals),
                   team_departments=[dep for dep, *_ in team])
        q = quarter.label
        found: dict[str, int] = {}

        def add(cell: str, n: int) -> None:
            if n:
                found[cell] = found.get(cell, 0) + n

        for month, _parts in quarter_months(quarter):
            m_start, m_end = calendar.bounds(month_of(date.fromisoformat(month + "-01")))
            for (fate, ended), n in (await repo.endings(m_start, m_end, clock.iso(month_cuts[month]), at)).items():
                add(C.e(q, month, fate, ended), n)
        for (dep, level, kind, collective), n in conversations.items():
            add(C.a(q, C.dep_key(dep), C.level_key(level, levels), kind if kind in C.KINDS else "self", collective), n)
        for (dep, theme, level), n in themes.items():
            if theme in work:
                add(C.t(q, C.dep_key(dep), theme, C.level_key(level, levels)), n)
        add(C.p(q), await repo.with_any_theme(start, end, at, [t.key for t in charter.private_themes]))
        for kind, n in referrals.items():
            add(C.f(q, kind), n)
        for cell, n in C.team_cells(q, team, d).items():
            add(cell, n)
        for (stars, comment), n in (await repo.ratings(*quarter.days())).items():
            if stars in C.STARS:
                add(C.r(q, stars, comment), n)
        return {"cells": found, "months": quarter_months(quarter), "dims": d}

    async def network(self, now: datetime, period: Period | None = None) -> dict:
        """The network itself: listeners, pauses, make-up and gaps (shown in full: it is about the
        listeners, volunteers known by name), and its turnover in the period."""
        members = await self.core.members.active()
        makeup: dict[str, dict[str, int]] = {
            "gender": dict.fromkeys(GENDER, 0), "age_band": dict.fromkeys(AGE_BAND, 0),
            "status": dict.fromkeys(STATUS, 0), "department": dict.fromkeys(self.settings.departments, 0)}
        for member in members:
            for name in ("gender", "age_band", "status", "department"):
                value = getattr(member, name)
                if value is not None:
                    makeup[name][value] = makeup[name].get(value, 0) + 1
        gaps = {"department": [d for d in self.settings.departments if not makeup["department"][d]],
                "gender": [g for g in ("woman", "man") if not makeup["gender"][g]],
                "age_band": [a for a in AGE_BAND if not makeup["age_band"][a]],
                "status": [v for v in STATUS if not makeup["status"][v]]}
        found = {"listeners": len(members), "paused": sum(routing.is_paused(m, now) for m in members),
                 "makeup": makeup, "gaps": gaps if members else {}}
        if period is not None:
            found["turnover"] = list(await self.core.members.turnover(*self.core.calendar.bounds(period)))
        return found

    # What a reader knew before -------------------------------------------------------------------

    async def knowledge(self, year: int) -> tuple[list[Row], dict[str, int]]:
        """Every row a reader of the year's releases knows, and the true counts of its counted cells."""
        periods = await self.core.releases.periods(year)
        counts: dict[str, int] = {}
        rows: list[Row] = []
        for period in periods:
            counts.update(period.data.get("cells", {}))
            rows += period_rows(period.label, period.kind, period.data, period.k)
        frozen = {p.label for p in periods if p.kind == "quarter"}
        for stored in await self.core.releases.of_year(year):
            # A period's withheld figures whose count is small stay targets (their cells are counted).
            found = release_rows(Release.from_json(stored.body), counts if stored.kind == "period" else None)
            if stored.kind == "review" and stored.body.get("extra", {}).get("quarter") in frozen:
                broken = truth(found, counts)
                if broken:  # a tag removed since the review: the flag was true of the data then
                    log.warning("release %s: %d review flag(s) no longer hold on the counted quarter",
                                stored.label, len(broken))
                    found = [row for row in found if row not in broken]
            rows += found
        return rows, counts

    # A digest's releases -------------------------------------------------------------------------

    async def prepare(self, slot_day: date, week: str, now: datetime, *,
                      flags: tuple[Period, Iterable[Flag]] | None = None, round_label: str | None = None) -> Prepared:
        """Count what is due, and plan the jobs that decide its releases (nothing is stored)."""
        k = self.settings.small_cell
        prepared = Prepared()
        loaded: dict[int, dict[str, int]] = {}

        async def year_counts(year: int) -> dict[str, int]:
            if year not in loaded:
                rows, counts = await self.knowledge(year)
                prepared.knowledge[year] = rows
                loaded[year] = counts
            return loaded[year]

        month_cuts = await self.core.releases.counted_at("month")
        batch: dict[str, dict] = {}  # counted in this digest, before any of them is stored
        for group in await self.due(slot_day):
            counts = await year_counts(group[0].year)
            new: dict[str, dict] = {}
            for period in group:
                if period.kind == "month":
                    new[period.label] = await self.count_month(period, now)
                    month_cuts[period.label] = now
                elif period.kind == "quarter":
                    for month in period.months():
                        if month.label not in month_cuts:  # counted before the epoch's rule let it be
                            new[month.label] = await self.count_month(month, now)
                            month_cuts[month.label] = now
                    new[period.label] = await self.count_quarter(period, now, month_cuts)
                    new[period.label]["network"] = await self.network(now, period)
                    new[period.label]["signals"] = await self.reported(period)
                else:
                    new[period.label] = {"quarters": [q.label for q in period.quarters()],
                                         "network": await self.network(now, period),
                                         "signals": await self.reported(period)}
            for label, data in new.items():
                counts.update(data.get("cells", {}))
            batch.update(new)
            periods = {p.label: p for p in group}
            for label in new:
                if label not in periods:
                    periods[label] = month_of(date.fromisoformat(label + "-01"))
            prepared.periods += [(periods[label], data) for label, data in new.items()]
            prepared.jobs.append(await self._period_job(group, new, batch, counts, k))
        month = self.open_month(slot_day)
        if prepared.jobs or flags is not None:
            counts = await year_counts(month.year)
        else:  # the month so far only: what a reader knows about its cells is the month's earlier steps
            counts = {}
            prepared.knowledge[month.year] = await self._steps_known(month)
        if (job := await self._open_job(slot_day, week, now, k, counts)) is not None:
            prepared.jobs.append(job)
        if flags is not None and round_label is not None and list(flags[1]):
            looked, found = flags
            await year_counts(looked.year)
            prepared.jobs.append(await self._flag_job(round_label, looked, list(found), now, k))
        return prepared

    async def _steps_known(self, month: Period) -> list[Row]:
        rows = []
        for label in await self.core.releases.labels("open", like=open_label(month.label, "%")):
            stored = await self.core.releases.get(label)
            rows += release_rows(Release.from_json(stored.body))
        return rows

    async def _period_job(self, group: list[Period], new: dict[str, dict], batch: Mapping[str, dict],
                          counts: Mapping[str, int], k: int) -> Job:
        figures, rows, planned = [], [], []
        about: list[str] = []
        team: list[str] = []
        for period in group:
            if period.kind == "month":
                these = C.month_figures(period.label, parts_of(period), k)
                figures += these
                planned.append(Planned(period.label, "period", tuple(f.key for f in these), {},
                                       tuple(new[period.label]["waits"])))
            elif period.kind == "quarter":
                data = new[period.label]
                months = data["months"]
                reported = [(s["dep"], s["theme"]) for s in data["signals"]]
                these = C.quarter_figures(period.label, months, data["dims"], data["cells"], k, reported)
                figures += these
                waits = []
                for month, _ in months:
                    waits += await self._waits(month, batch)
                planned.append(Planned(period.label, "period", tuple(f.key for f in these),
                                       {"network": data["network"], "signals": data["signals"],
                                        "names": data["dims"]["names"]}, tuple(sorted(waits))))
                about += [f.key for f in these if f.key.split("|")[1] not in ("req", "urg", "late", "missed", "tsl", "tsd")]
                team += [f.key for f in these if f.key.split("|")[1] in ("tsl", "tsd")]
            else:
                quarters = []
                for quarter in period.quarters():
                    data = batch.get(quarter.label) or await self._data(quarter.label)
                    if data is not None:
                        quarters.append((quarter.label, data))
                d = C.merge_dims([data["dims"] for _, data in quarters])
                data = new[period.label]
                reported = [(s["dep"], s["theme"]) for s in data["signals"]]
                these = C.year_figures(period.label, [(label, q["months"]) for label, q in quarters], d, counts, k,
                                       reported)
                figures += these
                waits = []
                for _, q in quarters:
                    for month, _ in q["months"]:
                        waits += await self._waits(month, batch)
                planned.append(Planned(period.label, "period", tuple(f.key for f in these),
                                       {"network": data["network"], "signals": data["signals"], "names": d["names"],
                                        "quarters": [label for label, _ in quarters]}, tuple(sorted(waits))))
                about += [f.key for f in these if f.key.split("|")[1] not in ("req", "urg", "late", "missed")]
        for label, data in new.items():
            kind = "year" if "quarters" in data else "quarter" if "dims" in data else "month"
            rows += period_rows(label, kind, data, k)
        fallback = (tuple(about), tuple(team), tuple(f.key for f in figures))
        return Job(group[0].year, k, tuple(figures), tuple(planned), dict(counts), tuple(rows), {}, fallback,
                   deadline_minutes=int(self.settings.contact_deadline.total_seconds() // 60))

    async def _data(self, label: str) -> dict | None:
        counted = await self.core.releases.period(label)
        return None if counted is None else counted.data

    async def _waits(self, month: str, batch: Mapping[str, dict]) -> list[int]:
        data = batch.get(month) or await self._data(month)
        return list(data.get("waits", [])) if data else []

    def open_month(self, slot_day: date) -> Period:
        """The month whose "so far" a digest tells: the one holding the last day of the last
        closed ISO week before the slot."""
        return month_of(slot_day - timedelta(days=slot_day.weekday() + 1))

    async def _open_job(self, slot_day: date, week: str, now: datetime, k: int, counts: Mapping[str, int]) -> Job | None:
        start, _ = await self.start()
        month = self.open_month(slot_day)
        if start is None or month.end <= start:
            return None
        cut = slot_day - timedelta(days=slot_day.weekday())  # the Monday of the slot's week
        closed = [w for w in week_parts(month) if w.end <= cut]
        if not closed or month.label in await self.core.releases.counted():
            return None
        calendar = self.core.calendar
        bounds = [(w.label.split("/")[1], *calendar.bounds(w)) for w in closed]
        parts = [b[0] for b in bounds]
        live = C.month_use(month.label, parts, await self.core.figures.use(bounds, clock.iso(now)))
        key = f"{month.label}|sofar|{week}"
        figure = Figure(key, frozenset(C.step_cells(month.label, parts)), k, must_show=True)
        rows = C.part_sentinels(month.label, parts, live, k)
        label = open_label(month.label, week)
        extra = {"month": month.label, "first_day": month.start.isoformat(),
                 "last_day": (closed[-1].end - timedelta(days=1)).isoformat()}
        return Job(month.year, k, (figure,), (Planned(label, "open", (key,), extra),), {**counts, **live},
                   tuple(rows), step=(key, sum(live.values())))

    async def _flag_job(self, round_label: str, quarter: Period, flags: list[Flag], now: datetime, k: int) -> Job:
        """The round's flags: each candidate's conversations in the quarter are at least
        WAAKZAAM_SIGNAL_MIN (true of the closed months looked at, so of the quarter too)."""
        levels = [lv.key for lv in self.core.charter.levels]
        start, end = self.core.calendar.bounds(quarter)
        live: dict[str, int] = {}
        for (dep, theme, level), n in (await self.core.figures.themes(start, end, clock.iso(now))).items():
            cell = C.t(quarter.label, C.dep_key(dep), theme, C.level_key(level, levels))
            live[cell] = live.get(cell, 0) + n
        figures, fixed = [], {}
        for flag in flags:
            key = f"{quarter.label}|flag|{flag.dep}|{flag.theme}"
            figures.append(Figure(key, frozenset(C.flag_cells(quarter.label, flag.dep, flag.theme, [*levels, C.UNSET])),
                                  k))
            fixed[key] = Statement("flag", self.settings.signal_min, None)
        label = f"review/{round_label}"
        return Job(quarter.year, k, tuple(figures), (Planned(label, "review", tuple(fixed), {"quarter": quarter.label}),),
                   live, (), fixed)

    async def reported(self, period: Period) -> list[dict]:
        """The signals the network reported in the rounds about this period's quarters, with the
        approved suggestions (a department and a theme; no count)."""
        found: dict[tuple[str, str], dict] = {}
        for quarter in period.quarters():
            for item in await self.core.reviews.reported_in(quarter.label):
                entry = found.setdefault((item["dep"], item["theme"]), {**item, "rounds": []})
                entry["rounds"] = sorted(set(entry["rounds"]) | {item["round"]})
                entry["suggestions"] = list(dict.fromkeys([*entry.get("suggestions", []), *item["suggestions"]]))
        for entry in found.values():
            entry.pop("round", None)
        return [found[key] for key in sorted(found)]

    # Storing, in the digest's transaction -----------------------------------------------------------

    async def store(self, prepared: Prepared, bodies: list[dict], now: datetime) -> list[str]:
        """Store the counted periods and their releases; returns the labels stored. Called inside
        the digest's transaction, so that both exist exactly when the digest does."""
        k = self.settings.small_cell
        for period, data in prepared.periods:
            await self.core.releases.add_period(period.label, period.kind, period.start.isoformat(),
                                                period.end.isoformat(), now, k, data)
        stored = []
        for body in bodies:
            if await self.core.releases.add(body, now):
                stored.append(body["label"])
        return stored


def open_label(month: str, week: str) -> str:
    """The release of the month so far told by one digest: 'open/2026-10/2026-W42'."""
    return f"open/{month}/{week}"


def period_rows(label: str, kind: str, data: Mapping, k: int) -> list[Row]:
    """What a reader knows beside a counted period's statements: its identities and sentinels,
    and what coordinators learn case by case about its requests."""
    cells = data.get("cells", {})
    if kind == "month":
        parts = data["parts"]
        return [*C.month_sentinels(label, parts, cells, k), *C.coordinator_rows(label, parts, cells)]
    if kind == "quarter":
        return [*C.identities(label, data["months"], data["dims"]), *C.quarter_sentinels(label, cells, k)]
    return []


def qualifies(found: SignalCount | None, signal_min: int) -> str | None:
    """'colleagues' or 'requests' when the cell recurs across different requests, else None.

    Different colleagues are counted among the conversations still linked to who asked: at least
    `signal_min` of them, and it is a signal "from at least that many different colleagues". When
    fewer are known but retention or erasure removed some links, who asked can no longer be told
    apart: conversations are counted, and the digest says so. When every one is linked and they
    come from fewer people, it is no signal (one colleague asking again is not a pattern)."""
    if found is None or found.requests < signal_min:
        return None
    if found.people >= signal_min:
        return "colleagues"
    return "requests" if found.unlinked else None


__all__ = ["PeriodReleases", "Prepared", "Flag", "period_rows", "qualifies", "quarter_months", "parts_of"]
