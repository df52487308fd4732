"""When the digest is due, and which weeks it counts: pure functions over the calendar.

A digest belongs to an ISO week ('2026-W48'): the week of its slot, a weekday and a time in
the organisation's time zone. Each week has exactly one slot, so clock changes cannot make
two digests in a week or none:

- a time that does not exist that day (02:30 on 29 March 2026, when Brussels goes from 02:00
  to 03:00) is moved forward by the gap: the slot is 03:30 CEST;
- a time that exists twice (02:30 on 25 October 2026) is taken the first time (CEST).

The digest's windows end at the start of the slot's day (local midnight) and are whole weeks
long, so a digest made late still counts the same requests as on time.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.foundations import clock
from bot.foundations.calendar import Calendar

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
LATE_AFTER = timedelta(minutes=10)  # made later than this after its slot: the digest says it is late


def local_moment(day: date, at: time, tz: ZoneInfo) -> datetime:
    """`day` at `at` in `tz`, in UTC (the calendar's rule for clock changes)."""
    return Calendar(tz).at(day, at)


def week_label(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def parse_week(label: str) -> tuple[int, int] | None:
    """'2026-W48' -> (2026, 48); None for anything that is not an ISO week."""
    match = _WEEK.match(label.strip())
    if not match:
        return None
    year, week = int(match[1]), int(match[2])
    try:
        date.fromisocalendar(year, week, 1)
    except ValueError:
        return None
    return (year, week) if 2000 <= year <= 2200 else None


@dataclass(frozen=True)
class Slot:
    week: str
    at: datetime    # UTC
    day: date       # the local day of the slot


def slot_of_week(label: str, weekday: int, at: time, tz: ZoneInfo) -> Slot:
    parsed = parse_week(label)
    if parsed is None:
        raise ValueError(f"not an ISO week: {label!r}")
    day = date.fromisocalendar(parsed[0], parsed[1], weekday + 1)
    return Slot(label, local_moment(day, at, tz), day)


def latest_slot(now: datetime, weekday: int, at: time, tz: ZoneInfo) -> Slot:
    """The newest slot at or before `now`."""
    today = now.astimezone(tz).date()
    slot = slot_of_week(week_label(today), weekday, at, tz)
    if slot.at > now:
        slot = slot_of_week(week_label(today - timedelta(days=7)), weekday, at, tz)
    return slot


def next_slot(now: datetime, weekday: int, at: time, tz: ZoneInfo) -> Slot:
    """The first slot after `now`."""
    slot = latest_slot(now, weekday, at, tz)
    return slot_of_week(week_label(slot.day + timedelta(days=7)), weekday, at, tz)


@dataclass(frozen=True)
class Window:
    name: str       # 'now', 'prev', 'p2', ... (newest first)
    start: datetime  # UTC, inclusive
    end: datetime    # UTC, exclusive
    first_day: date  # local, inclusive
    last_day: date   # local, inclusive

    def span(self) -> tuple[str, str, str]:
        return self.name, clock.iso(self.start), clock.iso(self.end)


def window_names(count: int) -> tuple[str, ...]:
    return ("now", "prev", *(f"p{i}" for i in range(2, count)))


def windows(slot: Slot, tz: ZoneInfo, weeks: int, count: int) -> list[Window]:
    """`count` contiguous windows of `weeks` weeks, newest first, the newest ending at the start
    of the slot's day."""
    found = []
    end_day = slot.day
    for name in window_names(count):
        first_day = end_day - timedelta(weeks=weeks)
        found.append(Window(name, local_moment(first_day, time(0), tz), local_moment(end_day, time(0), tz),
                            first_day, end_day - timedelta(days=1)))
        end_day = first_day
    return found


def span_of(windows_: list[Window]) -> tuple[str, str, str]:
    """All the windows together (the trend: 12 months by default)."""
    return "year", clock.iso(windows_[-1].start), clock.iso(windows_[0].end)


def older_span(windows_: list[Window]) -> tuple[str, str, str]:
    """The trend without the newest window."""
    return "older", clock.iso(windows_[-1].start), clock.iso(windows_[0].start)


def review_label(slot: Slot, every_days: int | None) -> str:
    """Monthly rounds are named by the slot's month; others by the digest's week."""
    return slot.day.strftime("%Y-%m") if every_days is None else slot.week
