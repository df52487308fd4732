"""Membership: joining by invitation, the charter, the listener's profile, and the guard
rail a listener sets for themselves (how many at once, pauses, leaving).

Every call re-reads the person's standing from the database, so an old button or a
message typed after leaving changes nothing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from . import clock, routing
from .core import Core
from .i18n import LANGUAGES
from .model import Member, Person, Result
from .requests import RequestDesk
from .storage.invites import looks_like_invite
from .vocab import INVITE_ROLES, PROFILE_CHOICES

MAX_NAME = 40
MAX_PAUSE = timedelta(days=366)  # a longer break is a /pause without a date
_DATE_FORMS = (
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), "ymd"),
    (re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$"), "dmy"),
)


@dataclass(frozen=True)
class Joined:
    result: Result
    role: str | None = None  # 'member' (a listener), 'coordinator' or 'steering'


@dataclass(frozen=True)
class Paused:
    result: Result
    until: datetime | None = None  # None with OK: until /resume


def parse_date(text: str, tz: ZoneInfo) -> datetime | None:
    """A date as people type it (2026-12-01, 1/12/2026, 1-12-2026): that day's start, in UTC.

    None for anything else, including dates no calendar has (31/2) or years far away.
    """
    text = text.strip()
    for pattern, order in _DATE_FORMS:
        if match := pattern.match(text):
            a, b, c = (int(x) for x in match.groups())
            year, month, day = (a, b, c) if order == "ymd" else (c, b, a)
            if not 2000 <= year <= 2200:  # also keeps datetime away from its overflow edges
                return None
            try:
                local = datetime.combine(datetime(year, month, day).date(), time(0), tz)
            except ValueError:
                return None
            return local.astimezone(clock.now().tzinfo)
    return None


class Membership:
    def __init__(self, core: Core, desk: RequestDesk) -> None:
        self.core = core
        self.desk = desk

    async def listener(self, person: Person) -> Member | None:
        """The person's listener record, unless they never joined or left."""
        member = await self.core.members.by_person(person.id)
        return None if member is None or member.left else member

    async def active_listener(self, person: Person) -> Member | None:
        member = await self.listener(person)
        return member if member is not None and member.active else None

    async def listeners_to_choose(self, person: Person) -> list[Member]:
        """Active listeners a requester may ask for by name (never themselves)."""
        return [m for m in await self.core.members.active() if m.person_id != person.id]

    async def chosen_listener(self, handle: str) -> Member | None:
        member = await self.core.members.by_handle(handle)
        return member if member is not None and member.active else None

    async def active_listeners(self) -> list[Member]:
        return await self.core.members.active()

    # Joining ----------------------------------------------------------------------

    async def invite(self, person: Person, role: str) -> tuple[Result, str | None]:
        """A one-time invitation code, made by a coordinator."""
        if not person.is_coordinator:
            return Result.NOT_ALLOWED, None
        if role not in INVITE_ROLES:
            return Result.UNKNOWN, None
        return Result.OK, await self.core.invites.create(role, self.core.settings.invite_ttl, person.id)

    async def redeem(self, person: Person, code: str) -> Joined:
        """Use an invitation: a listener is enrolled (charter and profile follow), other
        roles are granted at once."""
        core = self.core
        async with core.db.transaction():
            role, reason = await core.invites.redeem(code, person.id)
            if role is None:
                return Joined({"used": Result.USED, "expired": Result.EXPIRED}.get(reason, Result.NOT_FOUND))
            if role == "member":
                await core.members.enrol(person.id)
            else:
                await core.people.add_role(person.id, role)
        return Joined(Result.OK, role)

    async def accept_charter(self, person: Person) -> Result:
        async with self.core.db.transaction():
            member = await self.listener(person)
            if member is None:
                return Result.NOT_MEMBER
            if member.charter_accepted:
                return Result.ALREADY
            await self.core.members.accept_charter(member.id)
        return Result.OK

    async def _editable(self, person: Person) -> Member | None:
        member = await self.listener(person)
        return member if member is not None and member.charter_accepted else None

    async def set_display_name(self, person: Person, text: str) -> Result:
        name = " ".join(text.split())
        async with self.core.db.transaction():
            member = await self._editable(person)
            if member is None:
                return Result.NOT_MEMBER
            if not name or len(name) > MAX_NAME:
                return Result.INVALID
            await self.core.members.set_display_name(member.id, name)
        return Result.OK

    async def set_choice(self, person: Person, field: str, value: str) -> Result:
        """Gender, age band or status: one of the vocabulary's values."""
        if field not in PROFILE_CHOICES or value not in PROFILE_CHOICES[field]:
            return Result.UNKNOWN
        async with self.core.db.transaction():
            member = await self._editable(person)
            if member is None:
                return Result.NOT_MEMBER
            await self.core.members.set_field(member.id, field, value)
        return Result.OK

    async def set_department(self, person: Person, index: int) -> Result:
        departments = self.core.settings.departments
        if not 0 <= index < len(departments):
            return Result.UNKNOWN
        async with self.core.db.transaction():
            member = await self._editable(person)
            if member is None:
                return Result.NOT_MEMBER
            await self.core.members.set_field(member.id, "department", departments[index])
        return Result.OK

    async def choose_language(self, person: Person, code: str, speaks: bool) -> Result:
        """Add or remove a language the listener can listen in (setting it twice changes nothing)."""
        if code not in LANGUAGES:
            return Result.UNKNOWN
        async with self.core.db.transaction():
            member = await self._editable(person)
            if member is None:
                return Result.NOT_MEMBER
            chosen = set(member.languages) | {code} if speaks else set(member.languages) - {code}
            await self.core.members.set_languages(member.id, tuple(c for c in LANGUAGES if c in chosen))
        return Result.OK

    async def complete_profile(self, person: Person) -> Result:
        """EMPTY without a language; INVALID while a step is missing."""
        async with self.core.db.transaction():
            member = await self._editable(person)
            if member is None:
                return Result.NOT_MEMBER
            if not member.languages:
                return Result.EMPTY
            if not member.display_name or not all((member.gender, member.age_band, member.status,
                                                   member.department)):
                return Result.INVALID
            await self.core.members.mark_profile_complete(member.id)
        return Result.OK

    # The guard rail -------------------------------------------------------------------

    def cap_of(self, member: Member) -> int:
        return routing.limit_of(member, self.core.settings.max_open_cases)

    async def set_limit(self, person: Person, limit: int) -> Result:
        if not 1 <= limit <= self.core.settings.max_open_cases:
            return Result.UNKNOWN
        async with self.core.db.transaction():
            member = await self.active_listener(person)
            if member is None:
                return Result.NOT_MEMBER
            await self.core.members.set_limit(member.id, limit)
        return Result.OK

    async def pause(self, person: Person, until_text: str | None) -> Paused:
        """Pause new offers until a date, or until /resume when no date is given."""
        until = None
        if until_text:
            until = parse_date(until_text, self.core.settings.timezone)
            if until is None:
                return Paused(Result.INVALID)
            if until <= clock.now():
                return Paused(Result.PAST)
            if until > clock.now() + MAX_PAUSE:
                return Paused(Result.TOO_LONG)
        async with self.core.db.transaction():
            member = await self.active_listener(person)
            if member is None:
                return Paused(Result.NOT_MEMBER)
            await self.core.members.pause(member.id, clock.iso(until) if until else routing.PAUSED_INDEFINITELY)
        return Paused(Result.OK, until)

    async def resume(self, person: Person) -> Result:
        async with self.core.db.transaction():
            member = await self.active_listener(person)
            if member is None:
                return Result.NOT_MEMBER
            await self.core.members.pause(member.id, None)
        return Result.OK

    async def leave(self, person: Person) -> int | None:
        """End membership at once; open cases go back to the pool. None when not a member."""
        return await self.desk.leave(person)


__all__ = ["Membership", "Joined", "Paused", "parse_date", "looks_like_invite", "MAX_NAME", "MAX_PAUSE"]
