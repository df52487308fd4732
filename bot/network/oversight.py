"""What coordinators may see about the network's work: the audit trail and the quality
figures. Never content, never a requester, never a rating tied to a case or a listener."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bot.foundations import calendar
from bot.foundations.calendar import Period
from bot.foundations.core import Core
from bot.foundations.i18n import LANGUAGES
from bot.foundations.model import AuditEntry, Person, Quality, Result
from bot.foundations.vocab import PROFILE_CHOICES

from . import coverage

AUDIT_DAYS = 30


@dataclass(frozen=True)
class QualityFigures:
    period: Period
    quality: Quality | None  # None: fewer than k ratings in that period, so no figures


@dataclass(frozen=True)
class AuditSummary:
    days: int
    counts: dict[str, int]
    recent: list[AuditEntry]
    last_day: date  # the latest day shown: yesterday, in the organisation's time zone


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
        """The trail of the last AUDIT_DAYS closed days. Today is left out until it is over: a
        coordinator who reads the trail every few minutes would otherwise time what happens in a
        case (a colleague's answer, a note) to within minutes, although the trail keeps only days."""
        if not person.is_coordinator:
            return Result.NOT_ALLOWED, None
        today = self.core.calendar.today()
        first = today - timedelta(days=AUDIT_DAYS)
        async with self.core.db.transaction():
            await self.core.audit.record("coordinator", person.id, "audit_read")
            counts = await self.core.audit.counts(first.isoformat(), today.isoformat())
            recent = await self.core.audit.recent(today.isoformat())
        return Result.OK, AuditSummary(AUDIT_DAYS, counts, recent, today - timedelta(days=1))

    async def quality(self, person: Person) -> tuple[Result, QualityFigures | None]:
        """The ratings of the last closed quarter, from k ratings on. A closed period does not
        change, so reading it before and after a rating tells nothing about that rating."""
        if not person.is_coordinator:
            return Result.NOT_ALLOWED, None
        period = calendar.previous_quarter(self.core.calendar.today())
        async with self.core.db.transaction():
            await self.core.audit.record("coordinator", person.id, "quality_read")
            figures = await self.core.cases.quality(*period.days())
        shown = figures if figures.count >= self.core.settings.small_cell else None
        return Result.OK, QualityFigures(period, shown)
