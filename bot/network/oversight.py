"""What coordinators may see about the network's work: the audit trail and the quality
figures. Never content, never a requester, never a rating tied to a case or a listener."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from bot.foundations import calendar, clock
from bot.foundations.calendar import Period
from bot.foundations.core import Core
from bot.foundations.i18n import LANGUAGES
from bot.foundations.model import AuditEntry, Person, Result
from bot.foundations.vocab import AUDIT_CLASS_OF, PROFILE_CHOICES

from . import coverage

AUDIT_WEEKS = 4  # closed ISO weeks counted in /audit


@dataclass(frozen=True)
class QualityFigures:
    """The ratings of the latest released quarter, as its release stated them, and a quarter that
    has ended and is not counted yet (with the day it will be)."""

    period: Period | None                                 # None: no quarter released yet
    counted_on: date | None = None
    ratings: tuple[str, int, int | None] | None = None    # a statement: (kind, low, high)
    comments: tuple[str, int, int | None] | None = None
    average: float | None = None                          # only from 2k ratings
    waiting: tuple[Period, date] | None = None


@dataclass(frozen=True)
class AuditSummary:
    weeks: list[tuple[int, date]]     # the closed ISO weeks counted (number, Monday), oldest first
    counts: dict[str, list[int]]      # action or coarse class -> how many in each of those weeks
    recent: list[AuditEntry]          # the latest entries up to yesterday, actions in their coarse class
    last_day: date                    # the latest day shown: yesterday, in the organisation's time zone


class Oversight:
    def __init__(self, core: Core) -> None:
        self.core = core

    async def coverage(self, person: Person) -> tuple[Result, list[coverage.Gap]]:
        """The coming two weeks: whole days with nobody available, or nobody who fits a common wish."""
        if not person.is_coordinator:
            return Result.NOT_ALLOWED, []
        settings = self.core.settings
        gaps = coverage.forecast(await self.core.members.active(), self.core.calendar.today(),
                                settings.timezone, LANGUAGES)
        return Result.OK, gaps

    async def make_up(self, person: Person) -> tuple[Result, coverage.MakeUp | None]:
        """How the listeners spread over gender, age band, status and department (seed 004, 3485-3491)."""
        if not person.is_coordinator:
            return Result.NOT_ALLOWED, None
        settings = self.core.settings
        found = coverage.make_up(await self.core.members.active(), PROFILE_CHOICES, settings.departments,
                                settings.headcount)
        return Result.OK, found

    async def audit_summary(self, person: Person) -> tuple[Result, AuditSummary | None]:
        """Who did what to which case: counts per closed ISO week (fixed weeks, never a window
        sliding by the day), and the latest entries of the days before today (today's appear
        tomorrow: a coordinator who reads the trail every few minutes would otherwise time what
        happens in a case to within minutes, although the trail keeps only days). Actions are shown
        in coarse classes that name no figure: a tag, a level, the collective character or a
        meeting is "updated the case's details"; a referral or the routes, "passed on a contact or a
        route"; closing and the outcome, "closed the case" (vocab.AUDIT_CLASS_OF). So neither the
        counts nor an entry bound a figure the steering group gets; the fine action stays in the
        trail of record."""
        if not person.is_coordinator:
            return Result.NOT_ALLOWED, None
        today = self.core.calendar.today()
        monday = today - timedelta(days=today.weekday())
        weeks = [monday - timedelta(weeks=n) for n in range(AUDIT_WEEKS, 0, -1)]
        async with self.core.db.transaction():
            await self.core.audit.record("coordinator", person.id, "audit_read")
            found: dict[str, list[int]] = {}
            for i, start in enumerate(weeks):
                for action, n in (await self.core.audit.counts(
                        start.isoformat(), (start + timedelta(days=7)).isoformat())).items():
                    found.setdefault(AUDIT_CLASS_OF.get(action, action), [0] * len(weeks))[i] += n
            recent = [replace(entry, action=AUDIT_CLASS_OF.get(entry.action, entry.action))
                      for entry in await self.core.audit.recent(today.isoformat())]
        return Result.OK, AuditSummary([(start.isocalendar()[1], start) for start in weeks], dict(sorted(found.items())),
                                       recent, today - timedelta(days=1))

    async def quality(self, person: Person) -> tuple[Result, QualityFigures | None]:
        """The ratings of the latest released quarter, as released with the quarter's figures: never
        counted anew, so /forget or retention cannot change them, and reading them before and after
        a rating tells nothing about it (it falls in a quarter not released yet)."""
        if not person.is_coordinator:
            return Result.NOT_ALLOWED, None
        ended = calendar.previous_quarter(self.core.calendar.today())
        async with self.core.db.transaction():
            await self.core.audit.record("coordinator", person.id, "quality_read")
            label = await self.core.releases.newest("%-Q_")
            found, extra = await self.core.releases.statements(label, [f"{label}|rat", f"{label}|com"]) \
                if label else ({}, {})
            made = (await self.core.releases.get(label)).made_at if label else None
        waiting = None
        first = await self.core.figures.first_request()
        counted_from = calendar.quarter_of(self.core.calendar.date_of(clock.parse(first))).start if first else None
        if label != ended.label and counted_from is not None and counted_from <= ended.start:
            # counted with the first digest on or after its settle days
            due = ended.end + timedelta(days=self.core.settings.settle_days)
            waiting = (ended, due + timedelta(days=(self.core.settings.digest_weekday - due.weekday()) % 7))
        if not label:
            return Result.OK, QualityFigures(None, waiting=waiting)
        return Result.OK, QualityFigures(calendar.parse_period(label), self.core.calendar.date_of(made),
                                         found.get(f"{label}|rat"), found.get(f"{label}|com"),
                                         extra.get("average"), waiting)
