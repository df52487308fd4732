"""The 24-hour promise, kept by a sweep over the database.

Nothing waits in memory: every few seconds (and right after start-up) the sweep
reads open requests and does what is due. Each step is recorded in
`request_events` in the same transaction as its effects, so a step happens once:
a crash before the commit redoes it, a restart after it does not. When the bot
was down through several checkpoints, only the latest is acted on.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bot.foundations import callbacks, clock
from bot.foundations.core import Core
from bot.foundations.model import Payload, Request
from bot.foundations.storage.database import StepSuspended
from bot.foundations.vocab import pseudonym
from bot.network import coverage, hours, routing
from bot.network.meetings import Meetings

from .requests import RequestDesk

log = logging.getLogger(__name__)
LOW_AVAILABILITY_KEY = "low_availability_warned_at"
_DAY = timedelta(days=1)
SWEEP_CHUNK = 100  # due requests looked at in one trip to the database's thread and one commit


@dataclass
class SweepReport:
    """What one sweep did, by step: for logs and tests (counts only)."""

    steps: dict[str, int] = field(default_factory=dict)

    def add(self, step: str, count: int = 1) -> None:
        self.steps[step] = self.steps.get(step, 0) + count


class ContactPromise:
    def __init__(self, core: Core, desk: RequestDesk, meetings: Meetings | None = None) -> None:
        self.core = core
        self.desk = desk
        self.meetings = meetings
        self.settings = core.settings
        self._available: list | None = None  # the listeners available at the last sweep (None: none yet)

    async def sweep(self, now: datetime | None = None) -> SweepReport:
        """Do what is due. Only requests whose next step may have come are read (`sweep_at`,
        indexed), so a sweep costs what is due, not what is open. Requests waiting for a
        listener are offered again to everyone once the set of available listeners changed
        (someone's hours began, a pause ended, a case closed, a profile changed): that is the
        only way a new listener can fit an offer that went out before."""
        now = now or clock.now()
        report = SweepReport()
        # Pauses first: a listener back from a pause hears so before the offers that follow.
        resumed = await self._resume_paused(now)
        # Read once per sweep (a step that frees a listener is seen by the next sweep's last pass).
        members = await self.core.members.active()
        due = await self.core.requests.due_for_sweep(now)
        for start in range(0, len(due), SWEEP_CHUNK):
            chunk, done = due[start:start + SWEEP_CHUNK], SweepReport()
            try:
                # A chunk of due requests in one trip to the database's thread and one durable
                # commit, each request in a savepoint of its own.
                failed = await self.core.db.step(self._look_at_each, chunk, now, done, members)
            except StepSuspended:  # a step awaited more than the database: one by one, on the loop
                done = SweepReport()
                failed = await self._look_at_each(chunk, now, done, members)
            for step, count in done.steps.items():
                report.add(step, count)
            if failed is not None:  # what was done before it is kept; the next sweep tries it again
                raise failed
        if report.steps:
            members = await self.core.members.active()
        available = [m for m in members if routing.is_available(m, now, self.settings.max_open_cases,
                                                                self.settings.timezone)]
        # Who is available, and as what: a claim or a close that leaves a listener under the cap
        # changes their load, not whom a waiting request may reach.
        fitting = [replace(m, open_cases=0) for m in available]
        if resumed or fitting != self._available:
            # What still waits reaches whoever became free or fitting (once: an offer made is kept).
            async with self.core.db.transaction():
                if offered := await self.desk.offer_waiting_requests(members):
                    report.add("offer", offered)
            self._available = fitting
        if self.desk.oncall is not None and await self.desk.oncall.sweep(now):
            report.add("oncall_asked")
        if self.meetings is not None and (reminded := await self.meetings.sweep(now)):
            report.add("meeting_reminded", reminded)
        await self._check_availability(now, report, available, members)
        if report.steps:
            log.info("sweep: %s", ", ".join(f"{k}={v}" for k, v in sorted(report.steps.items())))
        return report

    async def _look_at_each(self, request_ids: list[int], now: datetime, report: SweepReport,
                            members: list) -> Exception | None:
        """Each request's due steps, each in a transaction of its own (a savepoint, inside a
        chunk's), and when to look at it again. Stops at the first that fails, and returns why."""
        for request_id in request_ids:
            try:
                async with self.core.db.transaction():
                    request = await self.core.requests.get(request_id)
                    later = None
                    if request is not None and request.is_open:
                        waiting = await self._step(request, now, report, members)
                        request = await self.core.requests.get(request_id)
                        later = await self._next_look(request, now, waiting=waiting)
                    await self.core.requests.sweep_again(request_id, later)
            except Exception as exc:  # noqa: BLE001 - raised by the sweep, once what came before is kept
                # (StepSuspended is no Exception: it leaves the step, as it must)
                return exc
        return None

    async def _step(self, request: Request, now: datetime, report: SweepReport, members: list) -> bool:
        """One request's due steps; True when a step waits for the listener's hours."""
        requests = self.core.requests
        if request.contacted_at is None and now >= request.deadline_at:
            if await requests.record_event(request.id, "breach", clock.iso(request.deadline_at)):
                await self._breach(request)
                report.add("breach")
            return False  # late and still waiting: whoever becomes free gets it (the sweep's last pass)
        if request.urgent_waiting and now >= request.urgent_contact_by:
            # "I am not safe" in a held conversation, and no listener has written since: whatever their hours.
            if await requests.record_event(request.id, "urgent_unanswered", clock.iso(request.urgent_contact_by)):
                await self._urgent_unanswered(request)
                report.add("urgent_unanswered")
        if request.unclaimed:
            if (request.allow_widening and request.widened_at is None
                    and now >= request.created_at + self.settings.widen_after
                    and (request.preferences.narrows or any(request.language not in m.languages for m in members))):
                if await requests.record_event(request.id, "widen"):
                    await requests.mark(request.id, "widened_at")
                    widened = await requests.get(request.id)
                    if not await self.desk.offer_to_members(widened, widened=True, members=members):
                        await self.desk.nobody_fits(widened)
                    report.add("widen")
            if checkpoint := await self._due_checkpoint(request, now, since=request.created_at):
                await self.desk.offer_to_members(request, widened=request.widened, remind=True, members=members)
                report.add(f"reoffer{checkpoint}")
        elif not await self._in_hours(request, now):
            return True  # no reminder to a listener outside their hours: it waits for them
        elif request.state == "claimed":
            cycle = clock.iso(request.claimed_at)
            if checkpoint := await self._due_checkpoint(request, now, since=request.claimed_at, cycle=cycle):
                await self._remind_member(request)
                report.add(f"remind{checkpoint}")
            await self._confirm_or_release(request, now, cycle, report)
        elif request.state == "contacted":
            if now >= request.contacted_at + self.settings.checkin_after:
                if await requests.record_event(request.id, "checkin", clock.iso(request.contacted_at)):
                    await self._ask_checkin(request)
                    report.add("checkin")
        return False

    async def _next_look(self, request: Request, now: datetime, *, waiting: bool = False) -> datetime | None:
        """The earliest moment after `now` at which a step of this request may fall due (a lower
        bound: looking early does nothing). None: nothing by time alone; a change brings it back.
        A step for the listener (a reminder, the question whether they still make contact, the
        check-in) falls due when their hours next begin, from its own time on; `waiting`: one is due
        already and waits for them. So a case is not looked at through the night, and a listener
        who changes their hours has their cases looked at again (Membership.set_hours)."""
        s = self.settings
        times, theirs = [], []
        if request.contacted_at is None:
            times.append(request.deadline_at)  # the promise runs whatever the hour
        if request.urgent_waiting:
            times.append(request.urgent_contact_by)  # so does the answer to "I am not safe"
        span = request.deadline_at - request.created_at
        if request.unclaimed:
            if request.allow_widening and request.widened_at is None:
                times.append(request.created_at + s.widen_after)
            times += [request.created_at + span * p for p in s.reminder_checkpoints]
        elif request.state == "claimed":
            theirs += [request.created_at + span * p for p in s.reminder_checkpoints
                       if request.created_at + span * p >= request.claimed_at]
            theirs.append(request.claimed_at + s.confirm_claim_after)
            asked = await self.core.requests.event_at(request.id, "confirm", clock.iso(request.claimed_at))
            if asked is not None:
                theirs.append(asked + s.release_after)
        elif request.state == "contacted":
            theirs.append(request.contacted_at + s.checkin_after)
        later = [moment for moment in times if moment > now]
        theirs = [moment for moment in theirs if moment > now] + ([now] if waiting else [])
        if theirs:
            member = await self.core.members.get(request.member_id)
            if member is not None and (begins := hours.next_start(member.hours, min(theirs), s.timezone)):
                later.append(begins)
        return min(later) if later else None

    async def _in_hours(self, request: Request, now: datetime) -> bool:
        member = await self.core.members.get(request.member_id)
        return member is not None and routing.in_hours(member, now, self.settings.timezone)

    async def _due_checkpoint(self, request: Request, now: datetime, since: datetime, cycle: str = "") -> int | None:
        """The latest reminder checkpoint that is due and not yet done; earlier ones are skipped."""
        span = request.deadline_at - request.created_at
        due = [p for p in self.settings.reminder_checkpoints
               if since <= request.created_at + span * p <= now]
        if not due:
            return None
        latest = int(round(due[-1] * 100))
        if not await self.core.requests.record_event(request.id, f"remind{latest}", cycle):
            return None
        for earlier in due[:-1]:  # missed while the bot was down: not worth a late reminder
            await self.core.requests.record_event(request.id, f"remind{int(round(earlier * 100))}", cycle)
        return latest

    async def _confirm_or_release(self, request: Request, now: datetime, cycle: str, report: SweepReport) -> None:
        requests = self.core.requests
        if now < request.claimed_at + self.settings.confirm_claim_after:
            return
        asked = await requests.event_at(request.id, "confirm", cycle)
        if asked is None:
            await requests.record_event(request.id, "confirm", cycle)
            member = await self.core.members.get(request.member_id)
            t = await self.core.translator(member.person_id)
            await self.core.outbox.enqueue(member.person_id, Payload(
                t("You took the request of {colleague} but have not made contact yet. Will you still make "
                  "contact? Without an answer within {hours} h, it goes back to the other listeners.",
                  colleague=pseudonym(t, request.ref), hours=_hours(self.settings.release_after)),
                (((t("Yes, I will make contact"), callbacks.KEEP_CLAIM(request.ref)),),
                 ((t("Release it"), callbacks.RELEASE_CLAIM(request.ref)),)),
            ), request_id=request.id, kind="reminder")
            report.add("confirm")
        elif (now >= asked + self.settings.release_after
              and await requests.event_at(request.id, "kept", cycle) is None
              and await requests.record_event(request.id, "release", cycle)):
            await self.desk.release_unconfirmed(request)
            report.add("release")

    async def _breach(self, request: Request) -> None:
        """The promise was broken: say so to coordinators and requester, and widen to everyone
        (when the requester allowed that; otherwise it goes again to those who fit). Both are told
        the truth when it reached nobody: when a listener may take it, or that nobody can."""
        core = self.core
        await core.requests.mark(request.id, "breached_at")
        request = await core.requests.get(request.id)
        if request.state == "claimed":
            following = await self.desk.release_unconfirmed(request, tell_requester=False)  # the apology says it
            reached = following == "offered"
        else:
            reached = bool(await self.desk.offer_to_members(request, widened=request.widened, remind=True))
        later = None if reached else await self.desk.next_listener(await core.requests.get(request.id))
        await self.desk.alert_coordinators(request, widened=request.widened, reached=int(reached), later=later)
        t = await self.core.translator(request.requester_id)
        if not reached:
            sorry = t("We are sorry: no listener has contacted you in time about your request {ref}. It stays open.",
                      ref=request.ref) + " " + self.desk.outlook(t, later, other=False)
        elif request.widened:
            sorry = t("We are sorry: no listener has contacted you in time about your request {ref}. It stays "
                      "open and has now gone to every available listener.", ref=request.ref)
        else:
            sorry = t("We are sorry: no listener has contacted you in time about your request {ref}. It stays "
                      "open and has been offered again to the listeners who fit your wishes, as you asked.",
                      ref=request.ref)
        lines = [sorry, t("If you would rather not wait, these can help:")]
        for referral in core.charter.referrals:
            # A complaint is not help while waiting: it is offered after a conversation.
            if not referral.incomplete and not referral.shows_emergency and referral.key != "complaint":
                lines.append("• " + t("{label}: {value}", label=referral.name(t.lang), value=referral.contact(t.lang)))
        emergency = core.charter.emergency_lines(core.settings.emergency_countries, t.lang)
        lines.append(t("In an emergency: {numbers}", numbers=", ".join(
            f"{line.number} ({line.label(t.lang)})" for line in emergency)))
        await core.outbox.enqueue(request.requester_id, Payload("\n".join(lines)))

    async def _urgent_unanswered(self, request: Request) -> None:
        """Nobody wrote within the urgent deadline after "I am not safe" in a held conversation:
        others may take it over, the coordinators are told (by the desk), and so is the colleague,
        with the numbers again."""
        offered, on_call = await self.desk.urgent_unanswered(request)
        t = await self.core.translator(request.requester_id)
        if on_call:
            reached = t("The listener on call has now been alerted too; whoever can will write to you here.")
        elif offered:
            reached = t("Every available listener has now been alerted too; the first who can will write to you "
                        "here.")
        else:
            reached = t("No other listener can answer right now. The coordinators have been told.")
        emergency = self.core.charter.emergency_lines(self.settings.emergency_countries, t.lang)
        await self.core.outbox.enqueue(request.requester_id, Payload("\n".join([
            t("Your listener has not written to you yet since you said you are not safe (request {ref}).",
              ref=request.ref) + " " + reached,
            t("If you are in danger, call now: {numbers}", numbers=", ".join(
                f"{line.number} ({line.label(t.lang)})" for line in emergency)),
        ])), request_id=request.id)

    async def _remind_member(self, request: Request) -> None:
        member = await self.core.members.get(request.member_id)
        t = await self.core.translator(member.person_id)
        await self.core.outbox.enqueue(member.person_id, Payload(t(
            "Reminder: {colleague} is waiting for your first message. Please make contact before {deadline}.",
            colleague=pseudonym(t, request.ref),
            deadline=t.when(request.deadline_at, self.settings.timezone))), request_id=request.id, kind="reminder")

    async def _ask_checkin(self, request: Request) -> None:
        member = await self.core.members.get(request.member_id)
        t = await self.core.translator(member.person_id)
        await self.core.outbox.enqueue(member.person_id, Payload(t(
            "It has been a while since you first talked with {colleague}. A short check-in helps people "
            "who go quiet: ask how they are doing now.", colleague=pseudonym(t, request.ref))))

    async def _resume_paused(self, now: datetime) -> bool:
        """A pause with an end date ends by itself; the member is told they get offers again."""
        resumed = False
        for member in await self.core.members.pause_ended(now):
            async with self.core.db.transaction():
                if await self.core.members.end_pause(member.id, member.paused_until):
                    t = await self.core.translator(member.person_id)
                    await self.core.outbox.enqueue(member.person_id, Payload(
                        t("Your pause has ended: you will get requests again. Use /pause to pause again.")))
                    resumed = True
        return resumed

    async def _check_availability(self, now: datetime, report: SweepReport, available: list, members: list
                                  ) -> None:
        """Warn coordinators, at most once a day, when too few listeners are available, and only
        when that is true and useful: within the organisation's working hours, or when a request
        waits that no listener's hours reach before its deadline. At 04:00, with the first
        listener's hours at 09:00, nobody available is how the night is, not news."""
        free = len(available)
        settings = self.settings
        if free >= settings.min_available:
            return
        last = await self.core.meta.get(LOW_AVAILABILITY_KEY)
        if last is not None and now - clock.parse(last.decode()) < _DAY:
            return
        coordinators = await self.core.people.with_role("coordinator")
        if not coordinators:
            return
        upcoming = coverage.next_available(members, now, settings.timezone, settings.max_open_cases)
        waiting = await self.core.requests.unclaimed()
        # A deadline already passed was said at its breach: "before the deadline" is about those ahead.
        stuck = [r for r in waiting if not r.urgent and r.deadline_at > now
                 and (upcoming is None or upcoming > r.deadline_at)]
        if not hours.is_within(settings.working_hours, now, settings.timezone) and not stuck:
            return
        async with self.core.db.transaction():
            last = await self.core.meta.get(LOW_AVAILABILITY_KEY)
            if last is not None and now - clock.parse(last.decode()) < _DAY:
                return
            await self.core.meta.put(LOW_AVAILABILITY_KEY, clock.iso(now).encode())
            for person_id in coordinators:
                t = await self.core.translator(person_id)
                lines = [t("Listeners available right now: {free}, below the warning level of {minimum}.",
                           free=free, minimum=settings.min_available)]
                if waiting:
                    lines.append(t("Requests waiting for a listener: {n}.", n=len(waiting)))
                if stuck:
                    lines.append(t("No listener's hours begin before the deadline of {refs}.",
                                   refs=", ".join(r.ref for r in stuck)))
                if free == 0:
                    lines.append(t("Next listener available: {when}.", when=t.when(upcoming, settings.timezone))
                                 if upcoming is not None else t("No listener's hours begin in the coming week."))
                lines.append(t("/coverage shows the coming two weeks."))
                await self.core.outbox.enqueue(person_id, Payload(" ".join(lines)))
            report.add("low_availability")


def _hours(delta) -> int:
    return max(1, int(delta.total_seconds() // 3600))

