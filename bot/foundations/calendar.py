"""The organisation's calendar: its days, quarters and years, in WAAKZAAM_TIMEZONE.

Instants are kept in UTC (`clock`). Everything a person reads as a day ("Monday 7 Dec") and every
bound of a count (a digest's weeks, a quarter for /quality or a report, retention by day) is the
organisation's day, taken from an instant here and nowhere else: never `date()` of a UTC instant.
A day stored at rest is the organisation's day too (ISO text, so days sort and compare).

Figures that coordinators, the steering group and the works council see are computed over
closed periods: a figure that changes while you watch can be differenced down to one case.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from . import clock

_PERIOD = re.compile(r"^(\d{4})(?:-Q([1-4])|-(\d{2}))?$")


@dataclass(frozen=True)
class Calendar:
    """The organisation's time zone, and the days it makes of instants."""

    zone: ZoneInfo

    def date_of(self, moment: datetime | None = None) -> date:
        """The organisation's date of an instant (now when none is given)."""
        return (moment or clock.now()).astimezone(self.zone).date()

    def today(self) -> date:
        return self.date_of()

    def day(self, moment: datetime | None = None) -> str:
        """What is kept of a moment that only needs its date (at rest, times can single someone
        out): the organisation's date, as ISO text."""
        return self.date_of(moment).isoformat()

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def at(self, day: date, at: time = time(0)) -> datetime:
        """`day` at `at` on the organisation's clocks, as a UTC instant. A time in a clock
        change's gap moves forward by the gap; of a time that exists twice, the first (PEP 495:
        with fold=0 a missing time takes the offset from before the change, which lands after
        the gap, and a repeated time its first occurrence)."""
        return datetime.combine(day, at.replace(tzinfo=None)).replace(tzinfo=self.zone, fold=0).astimezone(UTC)

    def bounds(self, period: Period | WeekPart) -> tuple[str, str]:
        """The UTC instants (stored ISO text) that bound a period: start <= moment < end."""
        return clock.iso(self.at(period.start)), clock.iso(self.at(period.end))


@dataclass(frozen=True)
class Period:
    """A closed calendar period of the organisation: a month ('2026-07'), a quarter ('2026-Q3') or
    a year ('2026'). Its days run from `start` to the day before `end`; its instants from the local
    midnight that begins `start` to the one that begins `end` (Calendar.bounds)."""

    label: str   # "2026-07", "2026-Q3" or "2026"
    start: date  # first day
    end: date    # the day after the last

    @property
    def kind(self) -> str:
        if "-Q" in self.label:
            return "quarter"
        return "month" if "-" in self.label else "year"

    @property
    def year(self) -> int:
        return self.start.year

    def days(self) -> tuple[str, str]:
        """The bounds as stored days: start <= day < end."""
        return self.start.isoformat(), self.end.isoformat()

    def closed(self, today: date) -> bool:
        return today >= self.end

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end

    def months(self) -> list[Period]:
        """The months of the period, in order (a month is its own only month)."""
        return self._parts(month_of)

    def quarters(self) -> list[Period]:
        return self._parts(quarter_of)

    def _parts(self, part_of: Callable[[date], Period]) -> list[Period]:
        found, day = [], self.start
        while day < self.end:
            found.append(part_of(day))
            day = found[-1].end
        return found

    def quarter(self) -> Period:
        return quarter_of(self.start)

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        day = self.start - timedelta(days=1)
        return {"month": month_of, "quarter": quarter_of, "year": year_of}[self.kind](day)

    def next(self) -> Period:
        return {"month": month_of, "quarter": quarter_of, "year": year_of}[self.kind](self.end)


@dataclass(frozen=True)
class WeekPart:
    """An ISO week cut to one month: the days of the week that fall in the month. The months of a
    year split into these (a week across two months is two parts), and a digest's "so far" covers
    whole parts only."""

    label: str   # "2026-07/W27"
    start: date
    end: date    # the day after the last


def week_parts(month: Period) -> list[WeekPart]:
    found, day = [], month.start
    while day < month.end:
        year, week, weekday = day.isocalendar()
        end = min(month.end, day + timedelta(days=8 - weekday))
        found.append(WeekPart(f"{month.label}/W{week:02d}", day, end))
        day = end
    return found


def month_of(day: date) -> Period:
    start = date(day.year, day.month, 1)
    end = date(day.year + (day.month == 12), 1 if day.month == 12 else day.month + 1, 1)
    return Period(f"{day.year}-{day.month:02d}", start, end)


def quarter_of(day: date) -> Period:
    q = (day.month - 1) // 3
    start = date(day.year, 3 * q + 1, 1)
    end = date(day.year + (q == 3), 1 if q == 3 else 3 * q + 4, 1)
    return Period(f"{day.year}-Q{q + 1}", start, end)


def year_of(day: date) -> Period:
    return Period(str(day.year), date(day.year, 1, 1), date(day.year + 1, 1, 1))


def previous_quarter(today: date) -> Period:
    return quarter_of(quarter_of(today).start - timedelta(days=1))


def parse_period(text: str) -> Period | None:
    """'2026', '2026-Q3' or '2026-07'; None for anything else."""
    match = _PERIOD.match(text.strip())
    if not match or not 2000 <= int(match[1]) <= 2200:
        return None
    year = int(match[1])
    if match[2] is not None:
        return quarter_of(date(year, 3 * int(match[2]) - 2, 1))
    if match[3] is not None:
        month = int(match[3])
        return month_of(date(year, month, 1)) if 1 <= month <= 12 else None
    return year_of(date(year, 1, 1))
