"""A listener's weekly hours: when they take offers and reminders. Pure: no storage, no Telegram.

Hours are a list of (weekday, start minute, end minute) in the organisation's time zone,
Monday = 0. A span that crosses midnight ("22:00-02:00") is kept as two, one per day, so a
clock change (a day of 23 or 25 hours) moves nothing: hours are wall-clock times.
None means "any time".
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.foundations.model import Hours, Span

DAY = 24 * 60

# The choices a listener taps (custom hours are built from days, a start and an end).
PRESETS: dict[str, tuple[tuple[int, ...], int, int]] = {
    "weekdays_8_18": ((0, 1, 2, 3, 4), 8 * 60, 18 * 60),
    "weekdays_9_17": ((0, 1, 2, 3, 4), 9 * 60, 17 * 60),
    "every_day_8_20": ((0, 1, 2, 3, 4, 5, 6), 8 * 60, 20 * 60),
    "weekday_evenings": ((0, 1, 2, 3, 4), 18 * 60, 22 * 60),
}


def build(days: Iterable[int], start: int, end: int) -> Hours:
    """Hours on these days from start to end; end <= start crosses midnight into the next day."""
    spans: list[Span] = []
    for day in sorted(set(days)):
        if end > start:
            spans.append(Span(day, start, end))
        else:
            spans.append(Span(day, start, DAY))
            if end > 0:
                spans.append(Span((day + 1) % 7, 0, end))
    return normalise(spans)


def normalise(spans: Iterable[Span]) -> Hours:
    """Sorted, with overlapping or touching spans of a day joined."""
    joined: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.day, s.start)):
        if joined and joined[-1].day == span.day and span.start <= joined[-1].end:
            last = joined.pop()
            span = Span(span.day, last.start, max(last.end, span.end))
        joined.append(span)
    return tuple(joined)


def preset(key: str) -> Hours:
    days, start, end = PRESETS[key]
    return build(days, start, end)


def is_within(hours: Hours | None, moment: datetime, tz: ZoneInfo) -> bool:
    """Is this moment inside the hours (None: always)?"""
    if hours is None:
        return True
    local = moment.astimezone(tz)
    minute = local.hour * 60 + local.minute
    return any(s.day == local.weekday() and s.start <= minute < s.end for s in hours)


def next_start(hours: Hours | None, moment: datetime, tz: ZoneInfo) -> datetime | None:
    """The first moment from `moment` on that lies within the hours (itself if it does); None if
    the hours are empty. Wall-clock times: a start the spring change skips (02:30) happens at
    the same instant as the hour it was skipped into."""
    if hours is None or is_within(hours, moment, tz):
        return moment
    local = moment.astimezone(tz)
    candidates = []
    for ahead in range(8):
        day = (local + timedelta(days=ahead)).date()
        for span in hours:
            if span.day == day.weekday():
                start = datetime(day.year, day.month, day.day, span.start // 60, span.start % 60, tzinfo=tz)
                if start.astimezone(moment.tzinfo) > moment:
                    candidates.append(start.astimezone(moment.tzinfo))
    return min(candidates) if candidates else None


def describe(hours: Hours | None) -> list[tuple[Sequence[int], int, int]]:
    """Group days with the same span, for showing: [((0,1,2,3,4), 480, 1080), ...]."""
    if hours is None:
        return []
    by_span: dict[tuple[int, int], list[int]] = {}
    for span in hours:
        by_span.setdefault((span.start, span.end), []).append(span.day)
    return [(tuple(days), start, end) for (start, end), days in sorted(by_span.items(), key=lambda i: i[1])]


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"
