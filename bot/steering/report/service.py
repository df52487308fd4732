"""A report over a period, read from the database: the digests of its windows, the feedback of
its calendar quarters (as /quality counts it), the steering group's signals, actions and
messages, and the network's make-up and turnover.

Nothing is counted anew from the cases: every figure about requests comes from a digest's
release (figures.py). Feedback is counted per closed calendar quarter from k ratings on, the
rule coordinators already read it by; the network's make-up and turnover are about the
listeners themselves and are shown in full, as in the digest.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.foundations import calendar, clock
from bot.foundations.calendar import Period
from bot.foundations.core import Core
from bot.foundations.model import Person, Quality, Result
from bot.foundations.storage.actions import Action, Signal
from bot.foundations.storage.news import News
from bot.steering.digest.model import Published
from bot.steering.digest.schedule import week_label

from . import figures as fig


class NotOver(Exception):
    """The period's last digest is not due yet; the message says when the report can be made."""

    def __init__(self, period: Period, ready: datetime) -> None:
        super().__init__(period.label)
        self.period = period
        self.ready = ready


@dataclass(frozen=True)
class ActionAtEnd:
    """An action as it stood at the end of the period."""

    action: Action
    status: str
    effect: str | None
    closed_on: date | None
    signal: Signal | None


@dataclass
class Report:
    period: Period
    figures: fig.Figures
    made_at: datetime
    feedback: list[tuple[Period, Quality | None]] = field(default_factory=list)  # None: fewer than k ratings
    health: dict = field(default_factory=dict)
    turnover: tuple[int, int] = (0, 0)
    answers: list[tuple[Signal, list[Action]]] = field(default_factory=list)
    actions: list[ActionAtEnd] = field(default_factory=list)
    news: list[News] = field(default_factory=list)
    demo: bool = False

    @property
    def k(self) -> int:
        return self.figures.k

    @property
    def windows(self) -> list[fig.ReportWindow]:
        return self.figures.windows


def quarters_in(period: Period) -> list[Period]:
    found, day = [], period.start
    while day < period.end:
        quarter = calendar.quarter_of(day)
        found.append(quarter)
        day = quarter.end
    return found


class Reports:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.settings = core.settings

    def windows(self, period: Period) -> list[fig.ReportWindow]:
        s = self.settings
        return fig.report_windows(period, weekday=s.digest_weekday, at=s.digest_time, tz=s.timezone,
                                  weeks=s.window_weeks)

    async def build(self, period: Period, now: datetime | None = None, *, demo: bool = False) -> Report:
        """The report of a period whose last digest is due; NotOver before that."""
        now = now or clock.now()
        s = self.settings
        windows = self.windows(period)
        if fig.ready_at(windows).at > now:
            raise NotOver(period, fig.ready_at(windows).at)
        pubs = []
        for window in windows:
            stored = await self.core.digests.get(window.week)
            pubs.append(Published(stored.published) if stored else None)
        charter = self.core.charter
        figures = fig.collect(windows, pubs, k=s.small_cell, themes=[t.key for t in charter.work_themes],
                              levels=[lv.key for lv in charter.levels], kinds=[r.key for r in charter.referrals])
        report = Report(period, figures, now, demo=demo)
        report.feedback = await self._feedback(period)
        last = next((p for p in reversed(figures.pubs) if p is not None), None)
        report.health = dict(last.health) if last is not None else {}
        report.turnover = await self.core.members.turnover(*fig.span(windows, s.timezone))
        inside = [w for w in windows if w.in_period]
        first_week = week_label(inside[0].first_day + timedelta(weeks=1))  # the digests made in the period
        for signal in await self.core.actions.reported_between(first_week, inside[-1].week):
            report.answers.append((signal, [a for a in await self.core.actions.of_signal(signal.id)
                                            if a.created_at < period.end]))
        report.actions = await self._actions(period)
        report.news = sorted(await self.core.news.published(*period.days(), limit=200),
                             key=lambda n: (n.published_at, n.id))
        return report

    async def _feedback(self, period: Period) -> list[tuple[Period, Quality | None]]:
        found = []
        for quarter in quarters_in(period):
            quality = await self.core.cases.quality(*quarter.days())
            found.append((quarter, quality if quality.count >= self.settings.small_cell else None))
        return found

    async def _actions(self, period: Period) -> list[ActionAtEnd]:
        """Actions open at some time in the period, each with its status at the period's end."""
        found = []
        for action in await self.core.actions.opened_before(period.end.isoformat()):
            status, effect, closed_on = "planned", None, None
            for update in await self.core.actions.updates(action.id):
                if update.at < period.end and update.status:
                    status, effect = update.status, update.effect
                    closed_on = update.at if update.status in ("done", "dropped") else None
            if closed_on is not None and closed_on < period.start:
                continue  # closed before the period began
            signal = await self.core.actions.signal(action.signal_id) if action.signal_id else None
            found.append(ActionAtEnd(action, status, effect, closed_on, signal))
        return found

    def latest_quarter(self, now: datetime | None = None) -> Period:
        """The newest calendar quarter whose report can be made now."""
        now = now or clock.now()
        quarter = calendar.quarter_of(self.core.calendar.date_of(now))
        for _ in range(3):
            quarter = calendar.quarter_of(quarter.start - timedelta(days=1))
            if fig.ready_at(self.windows(quarter)).at <= now:
                return quarter
        return quarter

    async def quarterly(self, person: Person, now: datetime | None = None) -> tuple[Result, Report | None]:
        """The latest quarterly table, for a steering member."""
        if not person.is_steering:
            return Result.NOT_ALLOWED, None
        return Result.OK, await self.build(self.latest_quarter(now), now)


__all__ = ["Reports", "Report", "ActionAtEnd", "NotOver", "quarters_in"]
