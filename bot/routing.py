"""Who gets an offer: members who are free and fit what the requester asked for."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from . import clock
from .storage.members import Member
from .storage.requests import Request


def is_available(member: Member, now: datetime) -> bool:
    """Active, not paused, and below their own cap of open cases (the 'vangrail')."""
    if not member.active:
        return False
    if member.paused_until is not None and clock.parse(member.paused_until) > now:
        return False
    return member.open_cases < member.max_open_cases


def fits(member: Member, request: Request) -> bool:
    """Does this member match every preference the requester gave?"""
    prefs = request.preferences
    if member.person_id == request.requester_id:
        return False  # a member asking for help is never offered their own request
    if prefs.member_id is not None:
        return member.id == prefs.member_id
    if prefs.gender and member.gender != prefs.gender:
        return False
    if prefs.age_band and member.age_band != prefs.age_band:
        return False
    if prefs.status and member.status != prefs.status:
        return False
    if prefs.language and prefs.language not in member.languages:
        return False
    if prefs.other_department and (
        request.department is None or member.department == request.department
    ):
        return False
    return True


def eligible(members: Iterable[Member], request: Request, now: datetime) -> list[Member]:
    """Members to offer the request to, the least loaded first."""
    chosen = [m for m in members if is_available(m, now) and fits(m, request)]
    return sorted(chosen, key=lambda m: (m.open_cases, m.id))
