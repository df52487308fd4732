"""A report over a released period (a quarter or a year), read from the database: the releases of
the period and of its parts (months, quarters) and of the quarter before, the signals the network
reported with the steering group's answers and actions (their state and flags at the period's
end), "you said, we did", and the network as it was counted.

Nothing is counted anew: every figure about requests, ratings and team signals is a release's
statement. A period that is not released yet is refused, saying when it will be.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from bot.foundations import clock
from bot.foundations.calendar import Period, quarter_of
from bot.foundations.core import Core
from bot.foundations.model import Person, Result
from bot.foundations.storage.actions import Action, Signal
from bot.foundations.storage.news import News
from bot.steering.releases.service import PeriodReleases
from bot.steering.releases.view import PeriodView


class NotReleased(Exception):
    """The period's figures are not released (yet): `due` is the first day a digest releases them,
    None when they never will be (before the figures start, or not a quarter or a year)."""

    def __init__(self, period: Period, due: date | None, start: date | None = None) -> None:
        super().__init__(period.label)
        self.period = period
        self.due = due
        self.start = start


@dataclass(frozen=True)
class ActionAtEnd:
    """An action as it stood at the end of the period: its status and its flags then."""

    action: Action
    status: str
    effect: str | None
    closed_on: date | None
    signal: Signal | None
    due: date
    age: int            # days since its last update, at the period's end
    stalled: bool
    overdue: bool


@dataclass
class Report:
    period: Period
    view: PeriodView                     # the period itself
    columns: list[PeriodView]            # the tables' columns, oldest first (the period last)
    months: list[PeriodView]             # its released months
    made_on: date                        # the organisation's day it was made (WAAKZAAM_TIMEZONE)
    before: PeriodView | None = None     # a quarter's report: the quarter before (in the columns too)
    answers: list[tuple[Signal | None, dict, list[Action]]] = field(default_factory=list)
    actions: list[ActionAtEnd] = field(default_factory=list)
    news: list[News] = field(default_factory=list)
    stall_days: int = 30
    first: date | None = None            # the first day figures exist (the year began later)
    demo: bool = False

    @property
    def k(self) -> int:
        return self.view.k

    @property
    def quarters(self) -> list[PeriodView]:
        """The quarter columns of the period (a year's), or the quarter itself."""
        return [c for c in self.columns if c.period is not None and c.period.kind == "quarter"
                and self.period.start <= c.period.start < self.period.end]


class Reports:
    def __init__(self, core: Core, releases: PeriodReleases) -> None:
        self.core = core
        self.releases = releases
        self.settings = core.settings

    async def _view(self, label: str) -> PeriodView | None:
        stored = await self.core.releases.get(label)
        return None if stored is None else PeriodView(stored.body, stored.made_at)

    async def build(self, period: Period, now: datetime | None = None, *, demo: bool = False) -> Report:
        """The report of a released quarter or year; NotReleased otherwise."""
        now = now or clock.now()
        start, epoch = await self.releases.start()
        view = await self._view(period.label) if period.kind in ("quarter", "year") else None
        if view is None:
            never = period.kind == "month" or start is None or period.end <= start or \
                (epoch is not None and period.start < epoch)
            raise NotReleased(period, None if never else self.releases.due_on(period), start)
        months = [v for m in period.months() if (v := await self._view(m.label)) is not None]
        before = None
        if period.kind == "quarter":
            before = await self._view(period.previous().label)
            columns = [*([before] if before else []), view]
        else:
            quarters = [v for q in period.quarters() if (v := await self._view(q.label)) is not None]
            columns = [*quarters, view]
        report = Report(period, view, columns, months, self.core.calendar.date_of(now), before, stall_days=self.settings.action_stall_days,
                        first=start if start is not None and start > period.start else None, demo=demo)
        report.answers = await self._answers(view)
        report.actions = await self._actions(period)
        report.news = sorted(await self.core.news.published(*period.days(), limit=200),
                             key=lambda n: (n.published_at, n.id))
        return report

    async def _answers(self, view: PeriodView) -> list[tuple[Signal | None, dict, list[Action]]]:
        """The signals the network reported about the period, each with the steering group's answer
        and its actions."""
        found = []
        for item in view.signals:
            signal = await self.core.actions.signal_of(item["dep"], item["theme"])
            actions = await self.core.actions.of_signal(signal.id) if signal else []
            found.append((signal, dict(item), [a for a in actions if a.created_at < view.period.end]))
        return found

    async def _actions(self, period: Period) -> list[ActionAtEnd]:
        """Actions open at some time in the period, each as it stood at the period's end: status,
        effect, how long without an update, stalled and overdue (as the digest of that day would
        have flagged them)."""
        end = period.end
        found = []
        for action in await self.core.actions.opened_before(end.isoformat()):
            status, effect, closed_on, last, due = "planned", None, None, action.created_at, None
            for update in await self.core.actions.updates(action.id):
                if update.at >= end:
                    continue
                last = max(last, update.at)
                if update.status:
                    status, effect = update.status, update.effect
                    closed_on = update.at if update.status in ("done", "dropped") else None
                if update.due is not None:
                    due = update.due
            if closed_on is not None and closed_on < period.start:
                continue  # closed before the period began
            due = due or action.due
            age = max(0, (end - last).days)
            still = status in ("planned", "in_progress")
            signal = await self.core.actions.signal(action.signal_id) if action.signal_id else None
            found.append(ActionAtEnd(action, status, effect, closed_on, signal, due, age,
                                     still and age >= self.settings.action_stall_days, still and due < end))
        return found

    async def latest_quarter(self) -> Period | None:
        """The newest released quarter."""
        labels = [label for label in await self.core.releases.labels("period") if "-Q" in label]
        if not labels:
            return None
        newest = max(labels)
        return quarter_of(date(int(newest[:4]), 3 * int(newest[-1]) - 2, 1))

    async def quarterly(self, person: Person) -> tuple[Result, Report | None]:
        """The latest released quarter's table, for a steering member (never an open quarter)."""
        if not person.is_steering:
            return Result.NOT_ALLOWED, None
        quarter = await self.latest_quarter()
        if quarter is None:
            return Result.NOT_FOUND, None
        return Result.OK, await self.build(quarter)


__all__ = ["Reports", "Report", "ActionAtEnd", "NotReleased"]
