"""Who gets an offer: members who are free and fit what the requester asked for."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.foundations import clock
from bot.foundations.model import Member, Request

from . import hours

PAUSED_INDEFINITELY = "9999-12-31T00:00:00+00:00"


def is_paused(member: Member, now: datetime) -> bool:
    return member.paused_until is not None and clock.parse(member.paused_until) > now


def limit_of(member: Member, network_cap: int) -> int:
    """A member's cap on open cases: the network's, or lower if they chose so."""
    return min(member.max_open_cases, network_cap)


def in_hours(member: Member, now: datetime, tz: ZoneInfo) -> bool:
    """Within the hours they take offers and reminders in (always, when they set none)."""
    return hours.is_within(member.hours, now, tz)


def is_free(member: Member, now: datetime, network_cap: int) -> bool:
    """Active, not paused, and below their cap of open cases (the 'vangrail'), whatever the hour."""
    return member.active and not is_paused(member, now) and member.open_cases < limit_of(member, network_cap)


def is_available(member: Member, now: datetime, network_cap: int, tz: ZoneInfo) -> bool:
    """Free, and within the hours they take offers in."""
    return is_free(member, now, network_cap) and in_hours(member, now, tz)


def fits(member: Member, request: Request, widened: bool = False) -> bool:
    """Does this member match what the requester asked for?

    The listener must speak the conversation's language. Widened (the requester allowed it,
    nobody fitting was free, or they said they are not safe) drops the wishes about the
    listener and the language, but never "not from my department": that one protects the
    requester.
    """
    prefs = request.preferences
    if member.person_id == request.requester_id:
        return False  # a member asking for help is never offered their own request
    # Two wishes protect the requester and are never set aside: another department, and someone
    # who is neither HR nor management.
    if prefs.not_employer_side and member.employer_side:
        return False
    if widened:
        return not (prefs.other_department and (
            request.department is None or member.department == request.department))
    if request.language and request.language not in member.languages:
        return False
    if prefs.member_id is not None:
        return member.id == prefs.member_id
    if prefs.gender and member.gender != prefs.gender:
        return False
    if prefs.age_band and member.age_band != prefs.age_band:
        return False
    if prefs.status and member.status != prefs.status:
        return False
    if prefs.other_department and (
        request.department is None or member.department == request.department
    ):
        return False
    return True


def eligible(
    members: Iterable[Member],
    request: Request,
    now: datetime,
    *,
    network_cap: int,
    tz: ZoneInfo,
    widened: bool = False,
    excluded: frozenset[int] | set[int] = frozenset(),
) -> list[Member]:
    """Members to offer the request to now, the least loaded first."""
    chosen = [
        m for m in members
        if m.id not in excluded and is_available(m, now, network_cap, tz) and fits(m, request, widened)
    ]
    return sorted(chosen, key=lambda m: (m.open_cases, m.id))
