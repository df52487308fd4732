"""When the digest is due: pure functions over the calendar.

A digest belongs to an ISO week ('2026-W48'): the week of its slot, a weekday and a time in
the organisation's time zone. Each week has exactly one slot, so clock changes cannot make
two digests in a week or none:

- a time that does not exist that day (02:30 on 29 March 2026, when Brussels goes from 02:00
  to 03:00) is moved forward by the gap: the slot is 03:30 CEST;
- a time that exists twice (02:30 on 25 October 2026) is taken the first time (CEST).

What a digest says does not depend on when it is made: the periods it releases are due by its
slot's day (bot/steering/releases), and the month so far ends with the last closed ISO week before
the slot, so a digest made late says the same as on time.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

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

    def late(self, now: datetime) -> bool:
        """Made now, is the digest late (the bot was down at its slot)?"""
        return now - self.at > LATE_AFTER


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


def review_label(slot: Slot, every_days: int | None) -> str:
    """Monthly rounds are named by the slot's month; others by the digest's week."""
    return slot.day.strftime("%Y-%m") if every_days is None else slot.week
