"""Membership: joining by invitation, the charter, the listener's profile, and the guard
rail a listener sets for themselves (how many at once, pauses, leaving).

Every call re-reads the person's standing from the database, so an old button or a
message typed after leaving changes nothing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.foundations import callbacks, clock
from bot.foundations.core import Core
from bot.foundations.i18n import LANGUAGES, Translator
from bot.foundations.menus import Menus
from bot.foundations.model import Button, Hours, Member, Payload, Person, Result
from bot.foundations.storage.invites import OpenInvitation, looks_like_invite
from bot.foundations.storage.removals import Removal
from bot.foundations.vocab import (
    FOLLOW_NEWS,
    INVITE_ROLES,
    PROFILE_CHOICES,
    ROLE,
    WANTED,
)

from . import routing
from .oncall import OnCall
from .two_person import COORDINATOR, TwoPeople

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
    ready_at: datetime | None = None  # a coordinator or steering member: from when they take part in two-person decisions


@dataclass(frozen=True)
class TeamEntry:
    person_id: int
    role: str            # 'member' (a listener), 'coordinator' or 'steering'
    name: str | None     # as they chose to be shown; None: not given
    member: Member | None = None
    since: datetime | None = None  # a coordinator or steering member: when they got the role


@dataclass(frozen=True)
class Team:
    entries: list[TeamEntry]
    invitations: list[OpenInvitation]


@dataclass(frozen=True)
class Removed:
    result: Result
    role: str | None = None
    name: str | None = None
    cases: int = 0  # a listener's open conversations that went back to the pool
    when: datetime | None = None  # TOO_SOON: from when the person may take part; PENDING after agreeing: when it takes effect


@dataclass(frozen=True)
class Paused:
    result: Result
    until: datetime | None = None  # None with OK: until /resume


def news_button(t: Translator, follows: bool) -> Button:
    """The one way to follow the network's news, or stop: the same button in the menu, /news, the end
    of a conversation and the news itself; pressed, only this button changes (handlers/news.py)."""
    return t(FOLLOW_NEWS[follows]), callbacks.NEWS_FOLLOW("0" if follows else "1")


def gap_text(t, gap: str, departments) -> str | None:
    """Whom a gap in the network's make-up asks for, in words: 'people from Maintenance',
    'women'; None when the gap is not one the network knows (the call then names nobody)."""
    field, _, value = gap.partition(".")
    if field == "department":
        index = int(value) if value.isdigit() else -1
        return t("people from {department}", department=departments[index]) if 0 <= index < len(departments) \
            else None
    if field in PROFILE_CHOICES and value in WANTED:
        return t(WANTED[value])
    return None


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


class Cases(Protocol):
    """What a pause, a return or a departure does to a listener's offers and cases: the request
    desk does it (bot/conversation/requests.py), handed in by the services."""

    async def withdraw_offers_of(self, member: Member, reason: str = "paused") -> int: ...

    async def offer_waiting_requests(self, members: list[Member] | None = None) -> int: ...

    async def leave(self, person: Person, removed_by: int | None = None) -> int | None: ...


class Membership:
    def __init__(self, core: Core, cases: Cases, menus: Menus, oncall: OnCall | None = None) -> None:
        self.core = core
        self.cases = cases
        self.menus = menus
        self.oncall = oncall
        self.two = TwoPeople(core)

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

    async def other_coordinators(self, person: Person) -> int:
        """How many coordinators besides this person: who may approve what they wrote."""
        return sum(p != person.id for p in await self.core.people.with_role("coordinator"))

    # Joining ----------------------------------------------------------------------

    async def invite(self, person: Person, role: str) -> tuple[Result, str | None]:
        """A one-time invitation code, made by a coordinator."""
        if not person.is_coordinator:
            return Result.NOT_ALLOWED, None
        if role not in INVITE_ROLES:
            return Result.UNKNOWN, None
        async with self.core.db.transaction():
            code = await self.core.invites.create(role, self.core.settings.invite_ttl, person.id)
            await self.core.audit.record("coordinator", person.id, f"invited_{role}")
        return Result.OK, code

    async def redeem(self, person: Person, code: str) -> Joined:
        """Use an invitation: a listener is enrolled (charter and profile follow), other
        roles are granted at once."""
        core = self.core
        async with core.db.transaction():
            role, reason = await core.invites.redeem(code, person.id)
            if role is None:
                return Joined({"used": Result.USED, "expired": Result.EXPIRED, "cancelled": Result.CANCELLED}
                              .get(reason, Result.NOT_FOUND))
            if role == "member":
                await core.members.enrol(person.id)
                return Joined(Result.OK, role)
            if role not in person.roles:  # handled again after a crash, it was announced the first time
                await core.people.add_role(person.id, role)
                await self.menus.refresh(person.id)
                await self.two.joined(person.id, role)
            ready = await self.two.ready_at(person.id, (role,))
        return Joined(Result.OK, role, ready)

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

    async def set_hr(self, person: Person, hr: bool) -> Result:
        """Working in HR puts a listener on the employer's side, as a manager is."""
        async with self.core.db.transaction():
            member = await self._editable(person)
            if member is None:
                return Result.NOT_MEMBER
            await self.core.members.set_field(member.id, "hr", int(hr))
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
            await self.menus.refresh(person.id)  # the listener's commands appear
        return Result.OK

    # The guard rail -------------------------------------------------------------------

    def cap_of(self, member: Member) -> int:
        return routing.limit_of(member, self.core.settings.max_open_cases)

    async def set_hours(self, person: Person, hours: Hours | None) -> Result:
        """When the listener takes offers and reminders (None: any time). What waits for someone who
        fits is offered when their hours begin."""
        async with self.core.db.transaction():
            member = await self.active_listener(person)
            if member is None:
                return Result.NOT_MEMBER
            await self.core.members.set_hours(member.id, hours)
            await self.core.requests.sweep_held_by(member.id)  # a reminder that waited may be due now
        return Result.OK

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
            await self.cases.withdraw_offers_of(member)
            if self.oncall is not None:
                await self.oncall.left_their_week(member, clock.now())
        return Paused(Result.OK, until)

    async def resume(self, person: Person) -> Result:
        async with self.core.db.transaction():
            member = await self.active_listener(person)
            if member is None:
                return Result.NOT_MEMBER
            await self.core.members.pause(member.id, None)
            await self.cases.offer_waiting_requests()
        return Result.OK

    async def leave(self, person: Person) -> int | None:
        """End membership at once; open cases go back to the pool. None when not a member."""
        async with self.core.db.transaction():
            member = await self.listener(person)
            handed = await self.cases.leave(person)
            if handed is not None:
                await self.menus.refresh(person.id)
                if self.oncall is not None:
                    await self.oncall.left_their_week(member, clock.now())
        return handed

    # Joining freely, and calls for volunteers ------------------------------------------------

    async def volunteer(self, person: Person, text: str) -> Result:
        """An employee would like to become a listener: the coordinators get the wish and the name
        they gave, nothing else (no conversation of theirs is named or linked)."""
        core = self.core
        name = " ".join(text.split())
        if not name or len(name) > MAX_NAME:
            return Result.INVALID
        async with core.db.transaction():
            if await self.listener(person) is not None:
                return Result.ALREADY
            await core.volunteers.offer(person.id, name)
            for coordinator in await core.people.with_role("coordinator"):
                t = await core.translator(coordinator)
                await core.outbox.enqueue(coordinator, Payload(
                    t("{name} would like to become a listener. Send them an invitation through the bot?", name=name),
                    (((t("Send an invitation"), callbacks.VOLUNTEER(person.id, "yes")),
                      (t("Not now"), callbacks.VOLUNTEER(person.id, "no"))),)))
        return Result.OK

    async def answer_volunteer(self, person: Person, volunteer_id: int, invite: bool, bot_username: str
                               ) -> tuple[Result, str | None]:
        """A coordinator answers a wish to volunteer: an invitation goes to them through the bot."""
        core = self.core
        if not person.is_coordinator:
            return Result.NOT_ALLOWED, None
        async with core.db.transaction():
            wish = await core.volunteers.get(volunteer_id)
            if wish is None:
                return Result.NOT_FOUND, None
            if not await core.volunteers.settle(volunteer_id, "invited" if invite else "declined"):
                return Result.ALREADY, wish.name
            t = await core.translator(volunteer_id)
            if invite:
                code = await core.invites.create("member", core.settings.invite_ttl, person.id)
                await core.audit.record("coordinator", person.id, "invited_member")
                text = t("A coordinator invites you to join the vigilance network as a listener. This link works once: "
                         "https://t.me/{bot}?start={code}", bot=bot_username, code=code)
            else:
                text = t("Thank you for offering to become a listener. The coordinators cannot take you on right now; "
                         "they may come back to you later.")
            await core.outbox.enqueue(volunteer_id, Payload(text))
        return Result.OK, wish.name

    async def follow_news(self, person: Person, wanted: bool) -> Result:
        await self.core.volunteers.subscribe(person.id, "news", wanted)
        return Result.OK

    async def follows_news(self, person: Person) -> bool:
        return await self.core.volunteers.subscribed(person.id, "news")

    async def call_for_volunteers(self, person: Person, gap: str) -> tuple[Result, int]:
        """A coordinator asks the employees who follow the network's news to join, naming a gap."""
        core = self.core
        if not person.is_coordinator:
            return Result.NOT_ALLOWED, 0
        sent = 0
        async with core.db.transaction():
            for follower in await core.volunteers.subscribers("news"):
                if await core.members.by_person(follower) is not None:
                    continue
                t = await core.translator(follower)
                wanted = gap_text(t, gap, self.core.settings.departments)
                looking = (t("The vigilance network is looking for new listeners, especially {wanted}.", wanted=wanted)
                           if wanted else t("The vigilance network is looking for new listeners."))
                await core.outbox.enqueue(follower, Payload(
                    looking + " " + t("Listening to colleagues, in confidence, beside your job. Would you like to "
                                      "join?"),
                    (((t("I would like to be a listener"), callbacks.VOLUNTEER_WISH()),),)))
                sent += 1
            await core.audit.record("coordinator", person.id, "volunteers_called")
        return Result.OK, sent

    # The team, and removal by a coordinator ----------------------------------------------

    async def set_role_name(self, person: Person, text: str) -> Result:
        """How a coordinator or steering member is shown to the coordinators."""
        name = " ".join(text.split())
        if not (person.is_coordinator or person.is_steering):
            return Result.NOT_ALLOWED
        if not name or len(name) > MAX_NAME:
            return Result.INVALID
        await self.core.people.set_name(person.id, name)
        return Result.OK

    async def team(self, person: Person) -> tuple[Result, Team | None]:
        """Everyone with a role, and the invitations still open: for coordinators only."""
        if not person.is_coordinator:
            return Result.NOT_ALLOWED, None
        core = self.core
        entries = [TeamEntry(m.person_id, "member", m.display_name, m) for m in await core.members.active()]
        for role in ("coordinator", "steering"):
            for person_id in await core.people.with_role(role):
                entries.append(TeamEntry(person_id, role, await core.people.name(person_id),
                                         since=await core.people.role_since(person_id, (role,))))
        return Result.OK, Team(entries, await core.invites.open_ones())

    async def _holds(self, person_id: int, role: str) -> TeamEntry | None:
        core = self.core
        if role == "member":
            member = await core.members.by_person(person_id)
            if member is None or member.left:
                return None
            return TeamEntry(person_id, role, member.display_name, member)
        target = await core.people.get(person_id)
        if target is None or role not in target.roles:
            return None
        return TeamEntry(person_id, role, await core.people.name(person_id))

    async def remove(self, person: Person, role: str, person_id: int) -> Removed:
        """A coordinator removes a listener or a steering member at once. A coordinator is only
        proposed for removal: a second coordinator must agree, both must have held the role for
        WAAKZAAM_TWO_PERSON_WAIT_DAYS, and the last coordinator is never removed (two_person.py)."""
        core = self.core
        if not person.is_coordinator:
            return Removed(Result.NOT_ALLOWED)
        if role not in INVITE_ROLES:
            return Removed(Result.UNKNOWN)
        async with core.db.transaction():
            target = await self._holds(person_id, role)
            if target is None:
                return Removed(Result.NOT_FOUND)
            if role != "coordinator":
                return await self._carry_out(target, person.id)
            if ready := await self.two.too_soon(person.id, COORDINATOR):
                return Removed(Result.TOO_SOON, role, target.name, when=ready)
            coordinators = await core.people.with_role("coordinator")
            others = [c for c in coordinators if c not in (person.id, person_id)]
            if len(coordinators) <= 1 or not others:
                return Removed(Result.LAST, role, target.name)  # the last one, or nobody left to agree
            proposal = await core.removals.propose(person_id, role, person.id)
            if proposal is None:
                return Removed(Result.ALREADY, role, target.name)
            await core.audit.record("coordinator", person.id, "removal_proposed")

            async def ask(t, _):
                return Payload(
                    t("{proposer} proposes to remove {name} as coordinator. Removing a coordinator takes two "
                      "coordinators. Do you agree?", proposer=await self.two.named(t, person.id),
                      name=await self.two.named(t, person_id)),
                    (((t("Yes, remove"), callbacks.REMOVAL_DECIDE(proposal.id, "yes")),
                      (t("No"), callbacks.REMOVAL_DECIDE(proposal.id, "no"))),))

            await self.two.announce(others, ask)
        return Removed(Result.PENDING, role, target.name)

    async def decide_removal(self, person: Person, removal_id: int, agree: bool) -> Removed:
        """A second coordinator answers a proposal to remove a coordinator. Agreed, the removal takes
        effect after WAAKZAAM_REMOVAL_DELAY_HOURS: the person is told at once, every coordinator hears
        who proposed and who agreed, and any other coordinator can stop it until then."""
        core = self.core
        if not person.is_coordinator:
            return Removed(Result.NOT_ALLOWED)
        async with core.db.transaction():
            # The second voice must be someone else's than the person's or the proposer's.
            refused, proposal = await self._removal_for(person, removal_id, "proposed", proposer_may=False)
            if refused is not None:
                return refused
            target = await self._holds(proposal.person_id, proposal.role)
            if target is None:
                await core.removals.settle(removal_id, "withdrawn")
                return Removed(Result.NOT_FOUND)
            if ready := await self.two.too_soon(person.id, COORDINATOR):
                return Removed(Result.TOO_SOON, proposal.role, target.name, when=ready)
            if not agree:
                await core.removals.decline(removal_id, person.id)
                await core.audit.record("coordinator", person.id, "removal_declined")
                await self._tell_declined(proposal, person.id)
                return Removed(Result.CLOSED, proposal.role, target.name)
            if len(await core.people.with_role("coordinator")) <= 1:
                return Removed(Result.LAST, proposal.role, target.name)
            when = clock.now() + core.settings.removal_delay
            await core.removals.agree(removal_id, person.id, when)
            await core.audit.record("coordinator", person.id, "removal_agreed")
            await self._announce_agreed(await core.removals.get(removal_id))
        return Removed(Result.PENDING, proposal.role, target.name, when=when)

    async def stop_removal(self, person: Person, removal_id: int) -> Removed:
        """Another coordinator stops an agreed removal before it takes effect: every coordinator hears who."""
        core = self.core
        if not person.is_coordinator:
            return Removed(Result.NOT_ALLOWED)
        async with core.db.transaction():
            # Stopped by someone else than the person removed, or it would never take effect.
            refused, removal = await self._removal_for(person, removal_id, "agreed", proposer_may=True)
            if refused is not None:
                return refused
            name = await core.people.name(removal.person_id)
            if ready := await self.two.too_soon(person.id, COORDINATOR):
                return Removed(Result.TOO_SOON, removal.role, name, when=ready)
            await core.removals.stop(removal_id, person.id)
            await core.audit.record("coordinator", person.id, "removal_stopped")

            async def stopped(t, _):
                return Payload(t("✋ {stopper} stopped the removal of {name} as coordinator (proposed by {proposer}, "
                                 "agreed by {second}). {name} stays a coordinator.",
                                 stopper=await self.two.named(t, person.id),
                                 name=await self.two.named(t, removal.person_id),
                                 proposer=await self.two.named(t, removal.proposed_by),
                                 second=await self.two.named(t, removal.decided_by)))

            await self.two.announce([c for c in await self.two.staff() if c != person.id], stopped)
        return Removed(Result.OK, removal.role, name)

    async def _removal_for(self, person: Person, removal_id: int, state: str, *,
                           proposer_may: bool) -> tuple[Removed | None, Removal | None]:
        """The removal in `state` that `person` may answer (never the one it removes, nor, unless
        `proposer_may`, its proposer), in the caller's transaction; or the refusal."""
        removal = await self.core.removals.get(removal_id)
        if removal is None or removal.state != state:
            return Removed(Result.ALREADY), None
        if person.id == removal.person_id or (not proposer_may and person.id == removal.proposed_by):
            return Removed(Result.NOT_ALLOWED), None
        return None, removal

    async def carry_out_removals(self, now: datetime | None = None) -> int:
        """The sweep: agreed removals whose moment has come take effect, each in its own
        transaction with its messages; one that can no longer (the person is the last coordinator,
        or one of the two lost their role) lapses, and the coordinators are told."""
        core = self.core
        now = now or clock.now()
        done = 0
        for due in await core.removals.due(now):
            async with core.db.transaction():
                removal = await core.removals.get(due.id)
                if removal is None or removal.state != "agreed":
                    continue
                target = await self._holds(removal.person_id, removal.role)
                coordinators = await core.people.with_role("coordinator")
                if (target is None or len(coordinators) <= 1
                        or removal.proposed_by not in coordinators or removal.decided_by not in coordinators):
                    await core.removals.settle(removal.id, "withdrawn")
                    await self._announce_lapsed(removal)
                    continue
                await core.removals.settle(removal.id, "done")
                await self._carry_out(target, removal.decided_by)

                async def effect(t, _):
                    return Payload(t("{name} is no longer a coordinator: proposed by {proposer}, agreed by {second}; "
                                     "nobody stopped it.", name=await self.two.named(t, removal.person_id),
                                     proposer=await self.two.named(t, removal.proposed_by),
                                     second=await self.two.named(t, removal.decided_by)))

                await self.two.announce(await core.people.with_role("coordinator"), effect)
            done += 1
        return done

    async def _announce_agreed(self, removal) -> None:
        """Inside the decision's transaction: the person is told, and every other coordinator gets
        both names, the moment it takes effect and a button to stop it."""
        tz = self.core.settings.timezone

        async def compose(t, person_id):
            names = dict(name=await self.two.named(t, removal.person_id),
                         proposer=await self.two.named(t, removal.proposed_by),
                         second=await self.two.named(t, removal.decided_by),
                         when=t.when(removal.takes_effect_at, tz))
            if person_id == removal.person_id:
                return Payload(t("⚠ {proposer} and {second} decided to end your role as coordinator. It takes effect "
                                 "on {when} unless another coordinator stops it before then. If you think this is "
                                 "wrong, talk to the other coordinators now.", **names))
            if person_id == removal.decided_by:
                return None  # they read it on the button they pressed
            return Payload(
                t("⚠ {name} stops being a coordinator on {when}: {proposer} proposed it and {second} agreed. If that "
                  "is not right, any coordinator but {name} can stop it until then.", **names),
                (((t("Stop this removal"), callbacks.REMOVAL_STOP(removal.id)),),))

        await self.two.announce(await self.two.staff(), compose)

    async def _announce_lapsed(self, removal) -> None:
        async def compose(t, _):
            return Payload(t("The removal of {name} as coordinator (proposed by {proposer}, agreed by {second}) did not "
                             "take effect: one of them no longer has the role, or {name} is the last coordinator.",
                             name=await self.two.named(t, removal.person_id),
                             proposer=await self.two.named(t, removal.proposed_by),
                             second=await self.two.named(t, removal.decided_by)))

        await self.two.announce(await self.two.staff(), compose)

    async def _tell_declined(self, proposal, decider: int) -> None:
        """The proposer hears the answer; nothing changes for anyone else."""
        if proposal.proposed_by is None:
            return

        async def compose(t, _):
            return Payload(t("{second} said no to your proposal to remove {name} as coordinator: {name} stays a "
                             "coordinator.", second=await self.two.named(t, decider),
                             name=await self.two.named(t, proposal.person_id)))

        await self.two.announce([proposal.proposed_by], compose)

    async def _carry_out(self, target: TeamEntry, by: int) -> Removed:
        """Inside the caller's transaction: the role ends, the person is told, the trail records it."""
        core = self.core
        cases = 0
        if target.role == "member":
            cases = await self.cases.leave(await core.people.get(target.person_id), removed_by=by) or 0
            if self.oncall is not None:
                await self.oncall.left_their_week(target.member, clock.now())
        else:
            await core.people.drop_role(target.person_id, target.role)
        for lapsed in await core.removals.withdraw_for(target.person_id, target.role):
            await self._announce_lapsed(lapsed)
        await core.prompts.clear(target.person_id)
        await self.menus.refresh(target.person_id)  # their role's commands go at once
        await core.audit.record("coordinator", by, f"removed_{target.role}")
        t = await core.translator(target.person_id)
        await core.outbox.enqueue(target.person_id, Payload(
            t("A coordinator has ended your role as {role} in the vigilance network. Thank you for what you did.",
              role=t(ROLE[target.role]))
            + ("\n\n" + t("Your open conversations went to other listeners.") if cases else "")))
        return Removed(Result.OK, target.role, target.name, cases)

    async def cancel_invitation(self, person: Person, invite_id: int) -> tuple[Result, str | None]:
        if not person.is_coordinator:
            return Result.NOT_ALLOWED, None
        async with self.core.db.transaction():
            role = await self.core.invites.cancel(invite_id)
            if role is None:
                return Result.NOT_FOUND, None
            await self.core.audit.record("coordinator", person.id, "invitation_cancelled")
        return Result.OK, role


__all__ = ["Membership", "Joined", "Paused", "Removed", "Team", "TeamEntry", "parse_date", "looks_like_invite",
           "MAX_NAME", "MAX_PAUSE"]
