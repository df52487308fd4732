"""On call for urgent requests: a listener who agreed takes urgent requests for a week, also
outside their own hours. Coordinators ask per week, or set a rota that asks in turn.

Nobody is ever on call without having said yes; a listener who pauses or leaves during their
week is no longer on call, and the coordinators hear it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.foundations import callbacks, clock
from bot.foundations.core import Core
from bot.foundations.model import Member, Payload, Person, Result

from . import routing

WEEKS_AHEAD = 8      # how far ahead a coordinator may ask
ROTA_AHEAD = 2       # the rota asks for this week and the next ones without anyone yet


def week_of(moment: datetime, tz: ZoneInfo) -> str:
    year, week, _ = moment.astimezone(tz).isocalendar()
    return f"{year}-W{week:02d}"


def week_days(week: str) -> tuple[date, date]:
    """Monday and Sunday of an ISO week."""
    year, number = week.split("-W")
    monday = date.fromisocalendar(int(year), int(number), 1)
    return monday, monday + timedelta(days=6)


def weeks_from(moment: datetime, tz: ZoneInfo, count: int) -> list[str]:
    return [week_of(moment + timedelta(weeks=n), tz) for n in range(count)]


@dataclass(frozen=True)
class WeekPlan:
    week: str
    first: date
    last: date
    on_call: Member | None
    asked: tuple[Member, ...]


class OnCall:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.tz = core.settings.timezone

    async def on_duty(self, now: datetime | None = None) -> Member | None:
        """Who takes urgent requests outside everyone's hours right now, if anyone can."""
        now = now or clock.now()
        duty = await self.core.oncall.accepted(week_of(now, self.tz))
        if duty is None:
            return None
        member = await self.core.members.get(duty.member_id)
        if member is None or not member.active or routing.is_paused(member, now):
            return None
        return member

    async def plan(self, person: Person, weeks: int = 4) -> tuple[Result, list[WeekPlan]]:
        if not person.is_coordinator:
            return Result.NOT_ALLOWED, []
        names = weeks_from(clock.now(), self.tz, weeks)
        duties = await self.core.oncall.of_weeks(names)
        found = []
        for week in names:
            on_call, asked = None, []
            for duty in (d for d in duties if d.week == week):
                member = await self.core.members.get(duty.member_id)
                if member is None or member.left:
                    continue
                if duty.state == "accepted":
                    on_call = member
                else:
                    asked.append(member)
            found.append(WeekPlan(week, *week_days(week), on_call, tuple(asked)))
        return Result.OK, found

    async def ask(self, person: Person | None, week: str, member_id: int) -> Result:
        """Ask a listener to be on call that week (person None: the rota asks)."""
        core = self.core
        if person is not None and not person.is_coordinator:
            return Result.NOT_ALLOWED
        if week not in weeks_from(clock.now(), self.tz, WEEKS_AHEAD):
            return Result.UNKNOWN
        async with core.db.transaction():
            member = await core.members.get(member_id)
            if member is None or not member.active:
                return Result.NOT_FOUND
            if await core.oncall.accepted(week) is not None:
                return Result.TAKEN
            if person is None and await core.oncall.was_asked(week, member_id):
                return Result.ALREADY  # the rota asks each listener once per week
            duty = await core.oncall.ask(week, member_id, person.id if person else None)
            if duty is None:
                return Result.ALREADY
            first, last = week_days(week)
            t = await core.translator(member.person_id)
            await core.outbox.enqueue(member.person_id, Payload(
                t("Will you be on call for urgent requests from {first} to {last}? You would get urgent requests "
                  "also outside your hours, when no other listener is within theirs. You can say no.",
                  first=t.day(first), last=t.day(last)),
                (((t("Yes, I will be on call"), callbacks.ONCALL_ANSWER(duty.id, "yes")),),
                 ((t("No, not that week"), callbacks.ONCALL_ANSWER(duty.id, "no")),)),
            ))
        return Result.OK

    async def answer(self, person: Person, duty_id: int, accept: bool) -> tuple[Result, str | None]:
        """The listener says yes or no; the coordinators are told either way."""
        core = self.core
        async with core.db.transaction():
            duty = await core.oncall.get(duty_id)
            member = await core.members.by_person(person.id)
            if duty is None or member is None or duty.member_id != member.id or not member.active:
                return Result.NOT_FOUND, None
            if duty.state != "asked":
                return Result.ALREADY, duty.week
            if accept and await core.oncall.accepted(duty.week) is not None:
                await core.oncall.settle(duty_id, "withdrawn")
                return Result.TAKEN, duty.week
            await core.oncall.settle(duty_id, "accepted" if accept else "declined")
            first, last = week_days(duty.week)
            for coordinator in await core.people.with_role("coordinator"):
                t = await core.translator(coordinator)
                text = (t("{name} is on call for urgent requests from {first} to {last}.", name=member.display_name,
                          first=t.day(first), last=t.day(last)) if accept else
                        t("{name} cannot be on call from {first} to {last}. /oncall to ask someone else.",
                          name=member.display_name, first=t.day(first), last=t.day(last)))
                await core.outbox.enqueue(coordinator, Payload(text))
        return Result.OK, duty.week

    async def set_rota(self, person: Person, member_ids: list[int]) -> Result:
        if not person.is_coordinator:
            return Result.NOT_ALLOWED
        await self.core.oncall.set_rota(member_ids)
        return Result.OK

    async def rota(self) -> list[Member]:
        found = []
        for member_id in await self.core.oncall.rota():
            member = await self.core.members.get(member_id)
            if member is not None and member.active:
                found.append(member)
        return found

    async def sweep(self, now: datetime) -> int:
        """The rota asks, in turn, for the coming weeks that have nobody on call or asked yet.
        Returns how many were asked."""
        if not await self.core.oncall.rota():
            return 0  # no rota: nothing to ask (the everyday case of many networks, every 30 s)
        rota: list[Member] | None = None  # its listeners, read only when a week needs someone
        asked = 0
        for week in weeks_from(now, self.tz, ROTA_AHEAD):
            if await self.core.oncall.of_weeks([week]):
                continue  # someone is on call, or was asked and has not answered
            if rota is None:
                rota = await self.rota()
            if not rota:
                return 0
            last = await self.core.oncall.last_asked_from_rota()
            ids = [m.id for m in rota]
            start = (ids.index(last) + 1) % len(ids) if last in ids else 0
            for offset in range(len(ids)):
                if await self.ask(None, week, ids[(start + offset) % len(ids)]) is Result.OK:
                    asked += 1
                    break
            else:
                await self._warn_hole(week)
        return asked

    async def _warn_hole(self, week: str) -> None:
        """Everyone on the rota said no for a week: the coordinators hear it, once."""
        if not await self.core.meta.add(f"oncall_hole:{week}", b"1"):
            return
        first, last = week_days(week)
        for coordinator in await self.core.people.with_role("coordinator"):
            t = await self.core.translator(coordinator)
            await self.core.outbox.enqueue(coordinator, Payload(t(
                "Nobody on the rota can be on call from {first} to {last}. /oncall to ask someone else.",
                first=t.day(first), last=t.day(last))))

    async def left_their_week(self, member: Member, now: datetime) -> None:
        """A listener on call this week paused or left: the coordinators are told at once."""
        duty = await self.core.oncall.accepted(week_of(now, self.tz))
        if duty is None or duty.member_id != member.id:
            return
        for coordinator in await self.core.people.with_role("coordinator"):
            t = await self.core.translator(coordinator)
            await self.core.outbox.enqueue(coordinator, Payload(t(
                "{name} is no longer available this week, so nobody is on call for urgent requests now. "
                "/oncall to ask someone else.", name=member.display_name)))
