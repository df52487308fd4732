"""The network's meetings (seed 004, lines 1248-1256 and 3465): coordinators set the dates of the
case discussion and of intervision; every listener is reminded the day before, with an agenda
that holds no case content: the open conversations by pseudonym and age, and the load."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from bot.foundations import clock
from bot.foundations.core import Core
from bot.foundations.i18n import Translator
from bot.foundations.model import Payload, Person, Result
from bot.foundations.storage.meetings import Meeting
from bot.foundations.vocab import MEETING_KINDS, pseudonym

from . import routing

REMIND_BEFORE = timedelta(hours=24)
_WHEN = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})\s+(\d{1,2})[:.h](\d{2})$|^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s+"
                   r"(\d{1,2})[:.h](\d{2})$")


@dataclass(frozen=True)
class Planned:
    result: Result
    at: datetime | None = None


def parse_moment(text: str, tz) -> datetime | None:
    """'2026-12-03 14:00' or '3/12/2026 14:00', in the organisation's time zone; None otherwise."""
    match = _WHEN.match(text.strip())
    if not match:
        return None
    if match[1]:
        year, month, day, hour, minute = (int(x) for x in match.groups()[:5])
    else:
        day, month, year, hour, minute = (int(x) for x in match.groups()[5:])
    if not 2000 <= year <= 2200 or hour > 23 or minute > 59:
        return None
    try:
        local = datetime.combine(datetime(year, month, day).date(), time(hour, minute), tz)
    except ValueError:
        return None
    return local.astimezone(clock.now().tzinfo)


class Meetings:
    def __init__(self, core: Core) -> None:
        self.core = core

    async def plan(self, person: Person, kind: str, text: str) -> Planned:
        if not person.is_coordinator:
            return Planned(Result.NOT_ALLOWED)
        if kind not in MEETING_KINDS:
            return Planned(Result.UNKNOWN)
        at = parse_moment(text, self.core.settings.timezone)
        if at is None:
            return Planned(Result.INVALID)
        if at <= clock.now():
            return Planned(Result.PAST)
        await self.core.meetings.plan(kind, at, person.id)
        return Planned(Result.OK, at)

    async def upcoming(self, person: Person) -> tuple[Result, list[Meeting]]:
        if not (person.is_coordinator or await self.core.members.by_person(person.id)):
            return Result.NOT_ALLOWED, []
        return Result.OK, await self.core.meetings.upcoming(clock.now())

    async def cancel(self, person: Person, meeting_id: int) -> Result:
        if not person.is_coordinator:
            return Result.NOT_ALLOWED
        return Result.OK if await self.core.meetings.cancel(meeting_id) else Result.NOT_FOUND

    async def sweep(self, now: datetime) -> int:
        """Remind every listener the day before, once, with the agenda."""
        sent = 0
        for meeting in await self.core.meetings.due_reminders(now + REMIND_BEFORE, now):
            async with self.core.db.transaction():
                if not await self.core.meetings.mark_reminded(meeting.id):
                    continue
                members = await self.core.members.active()
                for member in members:
                    t = await self.core.translator(member.person_id)
                    await self.core.outbox.enqueue(member.person_id, Payload(await self.agenda(t, meeting, members)))
                sent += 1
        return sent

    async def agenda(self, t: Translator, meeting: Meeting, members) -> str:
        """The reminder: when, and what to bring, without any case content."""
        settings = self.core.settings
        lines = [t("Reminder: {kind} on {when}.", kind=t(MEETING_KINDS[meeting.kind]),
                   when=t.when(meeting.at, settings.timezone))]
        cases = []
        for member in members:
            for request in await self.core.requests.open_for_member(member.id):
                days = (clock.now() - (request.claimed_at or request.created_at)).days
                cases.append(t("{colleague} ({days} days)", colleague=pseudonym(t, request.ref), days=days))
        lines.append(t("Open conversations: {cases}", cases=", ".join(cases) if cases else t("none")))
        load = [f"{m.display_name} {m.open_cases}/{routing.limit_of(m, settings.max_open_cases)}" for m in members]
        lines.append(t("Load: {load}", load=", ".join(load)))
        lines.append(t("Bring no names and no details of a conversation: the agenda is the network's, not a case "
                       "file."))
        return "\n".join(lines)
