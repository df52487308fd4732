"""The network as a whole: when a listener is likely to reply, the coverage of the coming two
weeks, and the network's make-up next to the organisation's. Pure: members in, facts out.

Only listeners' own profiles, hours and pauses are used here: never a request's content.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.foundations import clock
from bot.foundations.model import Member, Request

from . import hours, routing

HORIZON = timedelta(days=8)


def free_from(member: Member, moment: datetime, tz: ZoneInfo) -> datetime | None:
    """When this listener can next take an offer: after any pause, within their hours."""
    if not member.active:
        return None
    if routing.is_paused(member, moment):
        if member.paused_until == routing.PAUSED_INDEFINITELY:
            return None
        moment = clock.parse(member.paused_until)
    return hours.next_start(member.hours, moment, tz)


def likely_reply(members: Iterable[Member], request: Request, now: datetime, tz: ZoneInfo,
                 network_cap: int) -> datetime | None:
    """The earliest moment a listener who fits the request can take it; None: not within a week.

    Load counts: someone at their cap is left out while anyone else fits."""
    fitting = [m for m in members if routing.fits(m, request) and m.active]
    roomy = [m for m in fitting if m.open_cases < routing.limit_of(m, network_cap)] or fitting
    starts = [s for m in roomy if (s := free_from(m, now, tz)) is not None and s - now <= HORIZON]
    return min(starts) if starts else None


def next_available(members: Iterable[Member], now: datetime, tz: ZoneInfo, network_cap: int) -> datetime | None:
    """The earliest moment (now, or later) a listener below their cap can take an offer, whoever
    they fit; None: not within a week."""
    starts = [s for m in members if m.open_cases < routing.limit_of(m, network_cap)
              and (s := free_from(m, now, tz)) is not None and s - now <= HORIZON]
    return min(starts) if starts else None


def part_of_day(moment: datetime, tz: ZoneInfo) -> str:
    hour = moment.astimezone(tz).hour
    return "morning" if hour < 12 else "afternoon" if hour < 18 else "evening" if hour < 23 else "night"


# Coverage --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Gap:
    first: date
    last: date
    wish: tuple[str, str] | None      # None: nobody at all; else ("gender", "woman"), ("language", "en")
    could_ask: tuple[Member, ...]     # who fits but is paused or outside their hours then


def _available_on(member: Member, day: date, tz: ZoneInfo) -> bool:
    """Does the listener take offers at some moment of that day?"""
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    for hour in range(24):
        moment = start + timedelta(hours=hour)
        if member.active and not routing.is_paused(member, moment) and hours.is_within(member.hours, moment, tz):
            return True
    return False


def common_wishes(languages: Sequence[str]) -> dict[tuple[str, str], Callable[[Member], bool]]:
    """The wishes a forecast checks: a woman or a man listener, and each language."""
    wishes: dict[tuple[str, str], Callable[[Member], bool]] = {
        ("gender", "woman"): lambda m: m.gender == "woman",
        ("gender", "man"): lambda m: m.gender == "man",
    }
    for code in languages:
        wishes[("language", code)] = lambda m, code=code: code in m.languages
    return wishes


def forecast(members: Sequence[Member], today: date, tz: ZoneInfo, languages: Sequence[str],
             days: int = 14) -> list[Gap]:
    """Stretches of whole days in the coming two weeks with nobody available, or nobody who fits a
    common wish, with who could be asked (they fit, but are paused or outside their hours)."""
    active = [m for m in members if m.active]
    dates = [today + timedelta(days=n) for n in range(days)]
    available = {m.id: {d for d in dates if _available_on(m, d, tz)} for m in active}
    checks: dict[tuple[str, str] | None, Callable[[Member], bool]] = {None: lambda m: True,
                                                                      **common_wishes(languages)}
    gaps = []
    for wish, fitting in checks.items():
        fit = [m for m in active if fitting(m)]
        empty = [d for d in dates if not any(d in available[m.id] for m in fit)]
        for first, last in _runs(empty):
            gaps.append(Gap(first, last, wish, tuple(fit)))
    return gaps


def _runs(days: list[date]) -> list[tuple[date, date]]:
    runs: list[tuple[date, date]] = []
    for day in days:
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


# Make-up -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MakeUp:
    by_field: dict[str, dict[str, int]]          # field -> value -> listeners
    departments: dict[str, int]                  # department -> listeners
    headcount: dict[str, int]                    # department -> staff (configured; may be empty)
    gaps: list[tuple[str, str]]                  # (field, value) nobody in the network has


def make_up(members: Iterable[Member], fields: dict[str, Iterable[str]], departments: Sequence[str],
            headcount: dict[str, int]) -> MakeUp:
    active = [m for m in members if m.active]
    by_field = {field: {value: sum(getattr(m, field) == value for m in active) for value in values}
                for field, values in fields.items()}
    by_department = {d: sum(m.department == d for m in active) for d in departments}
    gaps = [(field, value) for field, counts in by_field.items() for value, n in counts.items() if n == 0]
    gaps += [("department", d) for d, n in by_department.items() if n == 0]
    return MakeUp(by_field, by_department, dict(headcount), gaps)
