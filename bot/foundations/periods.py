"""Calendar periods (quarters and years) in the organisation's time zone.

Figures that coordinators, the steering group and the works council see are computed over
closed periods: a figure that changes while you watch can be differenced down to one case.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from . import clock

_PERIOD = re.compile(r"^(\d{4})(?:-Q([1-4]))?$")


@dataclass(frozen=True)
class Period:
    label: str   # "2026-Q3" or "2026"
    start: date  # first day
    end: date    # the day after the last

    def days(self) -> tuple[str, str]:
        """The bounds as stored days: start <= day < end."""
        return self.start.isoformat(), self.end.isoformat()

    def closed(self, today: date) -> bool:
        return today >= self.end


def quarter_of(day: date) -> Period:
    q = (day.month - 1) // 3
    start = date(day.year, 3 * q + 1, 1)
    end = date(day.year + (q == 3), 1 if q == 3 else 3 * q + 4, 1)
    return Period(f"{day.year}-Q{q + 1}", start, end)


def previous_quarter(today: date) -> Period:
    return quarter_of(quarter_of(today).start - timedelta(days=1))


def parse(text: str) -> Period | None:
    """'2026' or '2026-Q3'; None for anything else."""
    match = _PERIOD.match(text.strip())
    if not match or not 2000 <= int(match[1]) <= 2200:
        return None
    year = int(match[1])
    if match[2] is None:
        return Period(str(year), date(year, 1, 1), date(year + 1, 1, 1))
    return quarter_of(date(year, 3 * int(match[2]) - 2, 1))


def today(tz: ZoneInfo, moment: datetime | None = None) -> date:
    return (moment or clock.now()).astimezone(tz).date()
