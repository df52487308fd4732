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
    """A stretch of whole days with the same gap, said once: nobody available (no wishes), or
    nobody who fits each of these common wishes."""

    first: date
    last: date
    wishes: tuple[tuple[str, str], ...]  # () : nobody at all; else ("gender", "woman"), ("language", "en"), ...
    could_ask: tuple[Member, ...]        # who would fill it but is paused or outside their hours then

    @property
    def nobody(self) -> bool:
        return not self.wishes


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
    """Stretches of whole days in the coming two weeks with nobody available, or nobody who fits
    common wishes, each said once with every wish it misses (a day with nobody misses them all and
    says only that), and who could be asked (they would fill it, but are paused or outside their
    hours then)."""
    active = [m for m in members if m.active]
    dates = [today + timedelta(days=n) for n in range(days)]
    available = {m.id: {d for d in dates if _available_on(m, d, tz)} for m in active}
    checks = common_wishes(languages)
    missed: list[tuple[date, tuple[tuple[str, str], ...] | None]] = []
    for day in dates:
        here = [m for m in active if day in available[m.id]]
        if not here:
            missed.append((day, ()))
            continue
        lacking = tuple(wish for wish, fits in checks.items() if not any(fits(m) for m in here))
        missed.append((day, lacking or None))
    gaps: list[Gap] = []
    for day, lacking in missed:
        if lacking is None:
            continue
        if gaps and gaps[-1].wishes == lacking and gaps[-1].last + timedelta(days=1) == day:
            gaps[-1] = Gap(gaps[-1].first, day, lacking, gaps[-1].could_ask)
            continue
        fill = active if not lacking else [m for m in active if any(checks[w](m) for w in lacking)]
        gaps.append(Gap(day, day, lacking, tuple(fill)))
    return gaps


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
