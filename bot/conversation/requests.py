"""A request until a listener holds it, and when it goes back: ask, offer, claim, decline, hand
back, release, leave, end. Talking once it is held is bot/conversation/talking.py.

Everything said to someone other than the person acting goes through the
outbox in the same transaction as the change, so nothing is lost in between.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.foundations import callbacks, clock
from bot.foundations.core import Core
from bot.foundations.i18n import N_, Translator
from bot.foundations.model import Member, Payload, Person, Preferences, Request, Result
from bot.foundations.storage.requests import OpenRequestExists
from bot.foundations.vocab import LANGUAGE, preference_lines, pseudonym
from bot.network import coverage, routing
from bot.network.oncall import OnCall

from . import offers
from .talking import Talk


@dataclass(frozen=True)
class Ask:
    """What the employee chose in the request wizard."""

    preferences: Preferences = Preferences()
    department: str | None = None
    language: str | None = None  # of the conversation; the person's own language when not chosen
    first_message: str | None = None
    allow_widening: bool = True
    urgent: bool = False
    kind: str = "self"  # or 'concern': worried about a colleague


@dataclass(frozen=True)
class Opened:
    request: Request
    offered: int  # how many members got an offer
    on_call: str | None = None  # urgent, and nobody within their hours: the listener on call alone got it
    away: str | None = None  # urgent in a held conversation whose listener cannot answer now: AWAY's keys


# Why the listener who holds a conversation cannot answer "I am not safe" now.
AWAY = ("paused", "hours")

URGENT_LABEL = N_("I need help now / I am not safe")


def urgent_row(t: Translator) -> tuple[tuple[str, str], ...]:
    """The urgent button, as a row: wherever a colleague may need it (issue 23: nobody loses a
    button they need, the urgent one above all)."""
    return ((t(URGENT_LABEL), callbacks.URGENT()),)


# Who takes a request next, after a listener handed it back or declined it: another listener got
# it now ('offered'), one who may take it is free later ('later'), or nobody can in the coming week.
NEXT = ("offered", "later", "nobody")


ON_CALL_ALONE = "oncall_alone"  # request event: an urgent request went to the listener on call alone


class CaseFollowUps(Protocol):
    """What casework adds to a request's turns (implemented by bot.conversation.casework.Casework)."""

    async def ask_handover_consent(self, request: Request, notice: str | None = None) -> bool: ...

    async def brief_new_listener(self, request: Request, member: Member) -> None: ...

    async def after_requester_end(self, request: Request, member: Member) -> None: ...


class RequestDesk:
    def __init__(self, core: Core, talk: Talk, follow_ups: CaseFollowUps | None = None,
                 oncall: OnCall | None = None) -> None:
        self.core = core
        self.talk = talk
        self.follow_ups = follow_ups
        self.oncall = oncall

    async def _tell(self, person_id: int, text: str, **kwargs) -> int:
        return await self.core.outbox.enqueue(person_id, Payload(text), **kwargs)

    # Asking -------------------------------------------------------------------

    async def open(self, person: Person, ask: Ask, origin: int | None = None) -> Opened:
        """Create the request and offer it; raises OpenRequestExists for a second one.

        Urgency words in the first message make it urgent at once. Handled again after a crash,
        the same update (`origin`) finds the request it made.
        """
        core = self.core
        urgent = ask.urgent or bool(ask.first_message and core.charter.looks_urgent(ask.first_message))
        deadline = clock.now() + (core.settings.urgent_deadline if urgent else core.settings.contact_deadline)
        async with core.db.transaction():
            if (made := await self.opened_by(origin)) is not None:
                return made
            request = await core.requests.create(
                person.id,
                ask.language or person.language,
                ask.department,
                ask.preferences,
                deadline_at=deadline,
                urgent=urgent,
                allow_widening=ask.allow_widening,
                origin=origin,
                kind=ask.kind,
            )
            if ask.first_message:
                await core.conversations.add(request.id, "requester", ask.first_message, origin)
            offered, on_call = await self.offer_to_members(request, widened=urgent), None
            if urgent and not offered:
                on_call = await self._offer_on_call(request, "" if origin is None else str(origin))
                offered = int(on_call is not None)
            if urgent:
                await self.alert_coordinators(request, urgent=True, reached=offered, on_call=on_call)
            elif not offered:
                await self.nobody_fits(request)
        return Opened(await core.requests.get(request.id), offered, on_call)

    async def opened_by(self, origin: int | None) -> Opened | None:
        """The request an update made, when that update is handled again."""
        request = await self.core.requests.by_origin(origin)
        if request is None:
            return None
        return Opened(request, await self.core.requests.offer_count(request.id),
                      await self._on_call_alone(request, str(origin)))

    async def _on_call_alone(self, request: Request, press: str) -> str | None:
        """The name of the listener on call, when this press sent the urgent request to them alone."""
        if await self.core.requests.event_at(request.id, ON_CALL_ALONE, press) is None:
            return None
        offers = await self.core.requests.offers(request.id)
        member = offers and await self.core.members.get(offers[-1].member_id)
        return member.display_name if member else None

    async def open_urgent(self, person: Person, origin: int | None = None) -> Opened:
        """"I am not safe": the open request turns urgent, or an urgent one is made.

        A request nobody holds goes to every available listener (or the one on call). In a
        conversation a listener holds, that listener is alerted and must write within the urgent
        deadline (a contact made before does not count); when they cannot answer now (paused, or
        outside their hours and not on call), every available listener (or the one on call) may take
        the conversation over at once, and the sweep does the same when nobody has written in time.
        The alarm goes out once per press: handled again after a crash, it is not repeated.
        """
        core = self.core
        async with core.db.transaction():
            if (made := await self.opened_by(origin)) is not None:
                return made
            request = await core.requests.open_for_requester(person.id)
            if request is None:
                return await self.open(person, Ask(urgent=True), origin)
            press = str(origin) if origin is not None else clock.iso(clock.now())
            if not await core.requests.record_event(request.id, "urgent", press):  # this press, handled again
                return await self._as_opened(request, press)
            await core.requests.make_urgent(request.id, clock.now() + core.settings.urgent_deadline)
            request = await core.requests.get(request.id)
            if request.held:
                return await self._urgent_while_held(request, press)
            offered = await self.offer_to_members(request, widened=True, remind=True)
            on_call = None
            if not offered:
                on_call = await self._offer_on_call(request, press)
                offered = int(on_call is not None)
            await self.alert_coordinators(request, urgent=True, reached=offered, on_call=on_call)
        return Opened(request, offered, on_call)

    async def pressed_again(self, person: Person, origin: int | None = None) -> Request | None:
        """"I am not safe" pressed again while the alarm it raised stands (nobody has answered, the
        urgent deadline has not passed): the request, and nothing is sent again, not even the
        numbers. None for a first press, or the same press handled again after a crash."""
        core = self.core
        if await core.requests.by_origin(origin) is not None:
            return None
        request = await core.requests.open_for_requester(person.id)
        if request is None or not request.urgent:
            return None
        if origin is not None and await core.requests.event_at(request.id, "urgent", str(origin)) is not None:
            return None
        now = clock.now()
        if request.held:
            return request if request.urgent_waiting and now < request.urgent_contact_by else None
        return request if now < request.deadline_at else None

    async def _as_opened(self, request: Request, press: str) -> Opened:
        """What a press found, said again when it is handled again."""
        away = None
        if request.held:
            away = await self.away(await self.core.members.get(request.member_id))
        return Opened(request, len(await self.core.requests.offers(request.id, "open")) if request.held
                      else await self.core.requests.offer_count(request.id),
                      await self._on_call_alone(request, press), away)

    async def away(self, member: Member | None) -> str | None:
        """Why this listener cannot answer an urgent word now ('paused', 'hours'); None: they can
        (within their hours, or on call)."""
        now = clock.now()
        if member is None or not member.active or routing.is_paused(member, now):
            return "paused"
        if routing.in_hours(member, now, self.core.settings.timezone):
            return None
        on_duty = await self.oncall.on_duty(now) if self.oncall is not None else None
        return None if on_duty is not None and on_duty.id == member.id else "hours"

    async def _urgent_while_held(self, request: Request, press: str) -> Opened:
        """"I am not safe" in a conversation a listener holds (inside the press's transaction)."""
        core = self.core
        await core.requests.await_urgent_contact(request.id, clock.now() + core.settings.urgent_deadline)
        request = await core.requests.get(request.id)
        holder = await core.members.get(request.member_id)
        t = await core.translator(holder.person_id)
        await self._tell(holder.person_id, t(
            "Urgent: {colleague} says they are not safe. Please make contact now.",
            colleague=pseudonym(t, request.ref)))
        offered, on_call, away = 0, None, await self.away(holder)
        if away is not None:
            offered, on_call = await self._reach_others(request, press)
        await self.alert_coordinators(request, urgent=True, reached=offered, on_call=on_call, holder=holder,
                                      away=away)
        return Opened(request, offered, on_call, away)

    async def _reach_others(self, request: Request, press: str) -> tuple[int, str | None]:
        """A held conversation whose colleague is not safe and gets no answer: every available
        listener may take it over, or the one on call when nobody is. (How many got it, the name
        of the listener on call when they alone did.)"""
        offered = await self.offer_to_members(request, widened=True, remind=True)
        if offered:
            return offered, None
        on_call = await self._offer_on_call(request, press)
        return int(on_call is not None), on_call

    async def urgent_unanswered(self, request: Request) -> tuple[int, str | None]:
        """The sweep: nobody wrote within the urgent deadline after "I am not safe" in a held
        conversation. Others may take it over; the coordinators are told (the caller tells the
        colleague). Returns whom it reached, as _reach_others."""
        holder = await self.core.members.get(request.member_id)
        offered, on_call = await self._reach_others(request, "unanswered " + clock.iso(request.urgent_contact_by))
        await self.alert_coordinators(request, urgent=True, reached=offered, on_call=on_call, holder=holder,
                                      away=await self.away(holder), unanswered=True)
        return offered, on_call

    async def offer_to_members(self, request: Request, *, widened: bool = False, remind: bool = False,
                               members: list[Member] | None = None) -> int:
        """Offer the request to eligible members who have not had it (or had it taken from them).

        With remind, members whose offer is still open get it again, at the top of their chat.
        `members`: the active members, when the caller read them already.
        """
        members = await self._eligible(request, widened, members)
        count = 0
        for member in members:
            count += await self._offer_to(request, member, remind)
        if count:
            await self.core.requests.mark_offered(request.id)
        return count

    async def _eligible(self, request: Request, widened: bool, members: list[Member] | None = None) -> list[Member]:
        """Who gets an offer for this request now (or a reminder of it)."""
        core = self.core
        return routing.eligible(
            members if members is not None else await core.members.active(), request, clock.now(),
            network_cap=core.settings.max_open_cases, tz=core.settings.timezone, widened=widened,
            excluded=await self._not_for(request),
        )

    async def _gave_back(self, request: Request) -> set[int]:
        """The listeners who handed this request back, released it, left, or declined it."""
        declined = {offer.member_id for offer in await self.core.requests.offers(request.id, "declined")}
        return await self.core.requests.excluded(request.id) | declined

    async def _not_for(self, request: Request) -> set[int]:
        """The listeners who will not get this request: those who gave it back or declined it, and
        the one who holds it (an urgent offer to others is to take it over)."""
        gave_back = await self._gave_back(request)
        return gave_back | {request.member_id} if request.held else gave_back

    async def _offer_to(self, request: Request, member: Member, remind: bool = False) -> int:
        """One offer message; 0 when this listener has the offer already (and no reminder is due)."""
        core = self.core
        offer = await core.requests.offer(request.id, member.id)
        if offer is None:
            offer_id = await core.requests.add_offer(request.id, member.id)
        elif offer.state in ("taken", "withdrawn") or (remind and offer.state == "open"):
            offer_id = offer.id  # back to the pool, back from a pause, or a reminder
            await core.requests.set_offer_state(offer.id, "open", only_if=offer.state)
            # A "taken by another listener" still on its way would now be wrong.
            await core.outbox.cancel_offer_edits(offer.id)
        else:
            return 0
        t = await self.core.translator(member.person_id)
        if offer is not None and offer.state == "open" and offer.outbox_id is not None:
            # One offer per listener and request: the earlier message loses its buttons, so only
            # the newest can be claimed (a reminder, or the request turned urgent).
            await core.outbox.replace_or_edit(offer.outbox_id, member.person_id, Payload(t(
                "Request {ref} was offered to you again: see the newer message below.", ref=request.ref)))
        outbox_id = await core.outbox.enqueue(
            member.person_id,
            Payload(
                self.offer_text(t, request, member),
                ((
                    (t("Claim"), callbacks.CLAIM(request.ref)),
                    (t("Decline"), callbacks.DECLINE(request.ref)),
                ),),
            ),
            kind="offer", offer_id=offer_id,
        )
        await core.requests.set_offer_outbox(offer_id, outbox_id)
        return 1

    async def _offer_on_call(self, request: Request, press: str) -> str | None:
        """Urgent, and nobody within their hours: the listener on call gets it, hours or not. Their
        name when they did (recorded for this press, so a replay says the same); None: nobody."""
        if self.oncall is None:
            return None
        member = await self.oncall.on_duty()
        core = self.core
        if (member is None or member.id in await self._not_for(request)
                or not routing.is_free(member, clock.now(), core.settings.max_open_cases)
                or not routing.fits(member, request, widened=True)):
            return None
        if not await self._offer_to(request, member, remind=True):
            return None
        await core.requests.mark_offered(request.id)
        await core.requests.record_event(request.id, ON_CALL_ALONE, press)
        return member.display_name

    def offer_text(self, t: Translator, request: Request, member: Member) -> str:
        tz = self.core.settings.timezone
        hours_left = max(0, int((request.contact_by - clock.now()).total_seconds() // 3600))
        lines = []
        if request.urgent:
            lines.append(t("URGENT: this colleague says they need help now."))
        if request.handed_over and request.history_until is not None:
            lines.append(t("Handed over: another listener talked with this colleague before."))
        if request.kind == "concern":
            lines.append(t("A colleague who is worried about someone else asks for a conversation (request {ref}). "
                           "Help them see what they can do and where to point that person.", ref=request.ref))
        else:
            lines.append(t("A colleague asks for a conversation (request {ref}).", ref=request.ref))
        wishes = preference_lines(t, request.preferences, personally=request.preferences.member_id == member.id)
        lines.append(t("Their wishes: {wishes}", wishes="; ".join(wishes)) if wishes else t("No special wishes."))
        lines.append(t("Their language: {language}", language=LANGUAGE.get(request.language, request.language)))
        if request.held:
            lines.append(t("Their listener cannot answer now: if you claim it, you take the conversation over."))
        if request.contact_by > clock.now():
            lines.append(t("Make contact before {deadline} ({hours} h left).", deadline=t.when(request.contact_by, tz),
                           hours=hours_left))
        else:  # offered again after a missed deadline: overdue, never a deadline ahead
            lines.append(t("Overdue: contact should have been made by {deadline}. Please make contact as soon as you "
                           "can.", deadline=t.when(request.contact_by, tz)))
        lines.append(t("You will see what they wrote, if anything, once you claim the request. You never see who "
                       "they are."))
        return "\n".join(lines)

    async def alert_coordinators(self, request: Request, *, urgent: bool = False, widened: bool = True,
                                 reached: int = 1, on_call: str | None = None, holder: Member | None = None,
                                 away: str | None = None, unanswered: bool = False,
                                 later: datetime | None = None) -> None:
        """Coordinators get the reference, age and state: never content or identity. `on_call`: the
        listener on call, when the urgent request went to them alone. For a conversation a listener
        holds (`holder`): whether they can answer now (`away`), whether nobody wrote within the
        urgent deadline (`unanswered`), and who else it reached. A breach that reached nobody:
        when a listener who may take it is most likely free (`later`; None: not in the coming week)."""
        core = self.core
        age = int((clock.now() - request.created_at).total_seconds() // 3600)
        for person_id in await core.people.with_role("coordinator"):
            t = await self.core.translator(person_id)
            state = t("waiting for a listener") if request.unclaimed else t("taken, no contact yet")
            if urgent and holder is not None:
                text = self._held_alert(t, request, holder, away, reached, on_call, unanswered)
            elif urgent and not reached:
                text = t("Urgent request {ref}: the colleague says they are not safe, and no listener can take it "
                         "now (nobody available, and nobody on call who can). Can you reach a listener or act "
                         "yourself? The colleague has the emergency numbers.", ref=request.ref)
            elif urgent and on_call:
                text = t("Urgent request {ref}: the colleague says they are not safe. No listener was available "
                         "within their hours, so it has gone to {name}, on call, alone. Can you make sure they "
                         "answer, or reach another listener? The colleague has the emergency numbers.",
                         ref=request.ref, name=on_call)
            elif urgent:
                text = t("Urgent request {ref}: the colleague says they are not safe. It has gone to every "
                         "available listener.", ref=request.ref)
            elif widened and reached:
                text = t("No contact within the deadline for request {ref}. Open for {hours} h. State: {state}. "
                         "It has now gone to every available listener.", ref=request.ref, hours=age, state=state)
            elif reached:
                text = t("No contact within the deadline for request {ref}. Open for {hours} h. State: {state}. "
                         "The colleague asked to wait for a listener who fits their wishes; it has been offered "
                         "to those again.", ref=request.ref, hours=age, state=state)
            else:
                text = t("No contact within the deadline for request {ref}. Open for {hours} h. State: {state}.",
                         ref=request.ref, hours=age, state=state) + " " + (
                    t("No listener who may take it is available now; the first is most likely free from {when} and "
                      "gets it then.", when=t.when(later, core.settings.timezone)) if later is not None else
                    t("No listener who may take it can do so in the coming week. Can you find a listener for it?"))
            await self._tell(person_id, text)

    def _held_alert(self, t: Translator, request: Request, holder: Member, away: str | None, reached: int,
                    on_call: str | None, unanswered: bool) -> str:
        """"I am not safe" in a conversation a listener holds, as coordinators read it: who was
        alerted, and whether that listener can answer now."""
        tz = self.core.settings.timezone
        name = holder.display_name
        lines = [t("Urgent request {ref}: the colleague said they are not safe, and no listener has written to "
                   "them since.", ref=request.ref) if unanswered else
                 t("Urgent request {ref}: the colleague, in a conversation with {name}, says they are not safe.",
                   ref=request.ref, name=name)]
        if away == "paused":
            lines.append(t("{name}, their listener, is paused.", name=name))
        elif away == "hours":
            lines.append(t("{name}, their listener, is outside their hours.", name=name))
        if away is None and not unanswered:
            lines.append(t("{name} has been alerted to make contact now. If nobody has written to the colleague by "
                           "{time}, the other listeners are alerted and you are told.", name=name,
                           time=t.when(request.contact_by, tz)))
        elif reached and on_call:
            lines.append(t("{name} has been alerted, and the request has gone to {on_call}, on call, alone, to take "
                           "the conversation over. Can you make sure one of them answers, or reach another "
                           "listener?", name=name, on_call=on_call))
        elif reached:
            lines.append(t("{name} has been alerted, and the request has gone to every available listener, to take "
                           "the conversation over.", name=name))
        else:
            lines.append(t("{name} has been alerted, but no other listener can take it now (nobody available, and "
                           "nobody on call who can). Can you reach {name} or another listener, or act yourself?",
                           name=name))
        lines.append(t("The colleague has the emergency numbers."))
        return " ".join(lines)

    async def withdraw(self, person: Person, ref: str) -> Result:
        core = self.core
        async with core.db.transaction():
            request = await core.requests.by_ref(ref)
            if request is None or request.requester_id != person.id:
                return Result.NOT_FOUND
            if not request.unclaimed:
                return Result.CLOSED if not request.is_open else Result.TAKEN
            await core.requests.finish(request.id, "withdrawn", "requester")
            await self._retract_offers(request, "withdrawn")
        return Result.OK

    async def _retract_offers(self, request: Request, state: str, keep: int | None = None) -> None:
        """Open offers are closed and their messages updated, so no one acts on them."""
        if state == "taken":
            await offers.retract(self.core, request, state, lambda t: t(
                "Request {ref} has been taken by another listener. Thank you.", ref=request.ref), keep)
        else:
            await offers.retract(self.core, request, state, lambda t: t(
                "Request {ref} was withdrawn by the colleague.", ref=request.ref), keep)

    # Claiming -----------------------------------------------------------------

    async def claim(self, person: Person, ref: str) -> tuple[Result, Request | None]:
        core = self.core
        async with core.db.transaction():
            member = await core.members.by_person(person.id)
            if member is None or not member.active:
                return Result.NOT_MEMBER, None
            request = await core.requests.by_ref(ref)
            if request is None:
                return Result.NOT_FOUND, None
            offer = await core.requests.offer(request.id, member.id)
            if offer is None:
                return Result.NOT_OFFERED, None
            if request.member_id == member.id and request.is_open:
                return Result.ALREADY, request
            if not request.is_open:
                return Result.CLOSED, None
            # "I am not safe" in a conversation nobody answers: an urgent offer takes it over.
            take_over = request.urgent_waiting and offer.state == "open"
            if not (request.unclaimed or take_over) or offer.state != "open":
                return Result.TAKEN, None
            if routing.is_paused(member, clock.now()):
                return Result.PAUSED, None
            if member.open_cases >= routing.limit_of(member, core.settings.max_open_cases):
                return Result.AT_CAP, None
            if take_over:
                await self._take_over(request, member)
            if not await core.requests.claim(request.id, member.id):
                return Result.TAKEN, None
            await core.requests.set_offer_state(offer.id, "won")
            await core.outbox.cancel_offer_edits(offer.id)  # the winner's message says it was taken
            await self._retract_offers(request, "taken", keep=member.id)
            request = await core.requests.get(request.id)
            if self.follow_ups is not None:
                await self.follow_ups.brief_new_listener(request, member)  # handed over: said first
            await self.talk.deliver_pending(request, member)
            t = await self.core.translator(request.requester_id)
            await self._tell(request.requester_id, self._taken_text(t, request, member),
                             sending=True)  # it goes with the drain after this transaction, as the relays above do
        return Result.OK, request

    async def _take_over(self, request: Request, member: Member) -> None:
        """Inside a claim: the listener who holds a conversation whose colleague is not safe could not
        answer, and `member` takes it over. As at any hand-over, the earlier conversation and the
        notes wait for the colleague's word; the contact counts from the new listener, within the
        urgent deadline."""
        core = self.core
        holder = await core.members.get(request.member_id)
        await core.requests.release(request.id, holder.id, clock.now() + core.settings.urgent_deadline)
        if (won := await core.requests.offer(request.id, holder.id)) is not None:
            # Taken over, not given back: should it come back to the pool, they may get it again.
            await core.requests.set_offer_state(won.id, "taken", only_if="won")
        if self.follow_ups is not None:
            await self.follow_ups.ask_handover_consent(await core.requests.get(request.id))
        t = await core.translator(holder.person_id)
        await self._tell(holder.person_id, t(
            "{colleague} said they are not safe while you could not answer, so {name} has taken the conversation "
            "over, to answer now. It is no longer among your conversations. Thank you.",
            colleague=pseudonym(t, request.ref), name=member.display_name))

    @staticmethod
    def _taken_text(t: Translator, request: Request, member: Member) -> str:
        """What the colleague hears when a listener takes their request: after a hand-over, also
        what the new listener may read."""
        if not request.handed_over or request.history_until is None:
            return t("Good news: {name} from the vigilance network has taken your request {ref} and will write to "
                     "you here. Anything you write here goes only to {name}.", name=member.display_name,
                     ref=request.ref)
        return t("{name} from the vigilance network takes over your conversation {ref} and will write to you here. "
                 "Anything you write here goes only to {name}.", name=member.display_name, ref=request.ref) + " " + {
            "yes": t("As you allowed, {name} can read your conversation so far.", name=member.display_name),
            "no": t("As you chose, {name} has not seen your earlier conversation.", name=member.display_name),
        }.get(request.history_consent, t("{name} does not see your earlier conversation unless you say yes to the "
                                         "question above.", name=member.display_name))

    async def decline(self, person: Person, ref: str) -> tuple[Result, str | None]:
        """The listener says no to an offer. With it, who takes the request next (NEXT): when
        nobody else who may take it is free, the colleague hears it at once, and when nobody can in
        the coming week, so do the coordinators."""
        core = self.core
        async with core.db.transaction():
            member = await core.members.by_person(person.id)
            if member is None:
                return Result.NOT_MEMBER, None
            request = await core.requests.by_ref(ref)
            offer = request and await core.requests.offer(request.id, member.id)
            if not offer:
                return Result.NOT_OFFERED, None
            if not await core.requests.set_offer_state(offer.id, "declined"):
                return Result.CLOSED, None
            if not request.unclaimed or await core.requests.offers(request.id, "open"):
                return Result.OK, "offered"
            return Result.OK, await self._left_waiting(request)

    # Handing back, releasing, leaving -------------------------------------------------

    async def _assigned(self, person: Person, ref: str) -> tuple[Result, Member | None, Request | None]:
        member = await self.core.members.by_person(person.id)
        if member is None or member.left:
            return Result.NOT_MEMBER, None, None
        request = await self.core.requests.by_ref(ref)
        if request is None or request.member_id != member.id:
            return Result.NOT_FOUND, member, None
        if not request.is_open:
            return Result.CLOSED, member, request
        return Result.OK, member, request

    async def hand_back(self, person: Person, ref: str, reason: str) -> tuple[Result, str | None]:
        """The member gives the case back; another listener takes over and the SLA goes on. With
        it, who takes it next (NEXT)."""
        async with self.core.db.transaction():
            outcome, member, request = await self._assigned(person, ref)
            if outcome is not Result.OK:
                return outcome, None
            following = await self._return_to_pool(request, member, reason)
        return Result.OK, following

    async def _return_to_pool(self, request: Request, member: Member, reason: str, *, tell: bool = True) -> str:
        """Back to the others; who takes it next (NEXT). The colleague is told what is true: another
        listener has it now, the first who may take it is free later, or nobody can (then the
        coordinators are told too)."""
        core = self.core
        # Not contacted yet: the original deadline stands. Contacted: a fresh one for the next listener.
        fresh = None
        if request.contacted_at is not None:
            span = core.settings.urgent_deadline if request.urgent else core.settings.contact_deadline
            fresh = clock.now() + span
        await core.requests.release(request.id, member.id, fresh)
        await core.requests.exclude(request.id, member.id, reason)
        released = await core.requests.get(request.id)
        # Who takes it next is known before the offers go: they follow the colleague's consent question.
        if await self._eligible(released, released.widened):
            following, later = "offered", None
        else:
            later = await self.next_listener(released)
            following = "later" if later is not None else "nobody"
            if following == "nobody":
                await self._nobody_fits(released)
        t = await self.core.translator(request.requester_id)
        notice = None
        if not tell:
            pass  # the caller tells the requester what happens (a breach says it in its own words)
        elif following == "offered" and request.contacted_at is None:
            notice = t("The listener who took your request {ref} could not make contact. Another listener will be "
                       "asked and will write to you here.", ref=request.ref)
        elif following == "offered":
            notice = t("Your listener has handed over your conversation {ref}. Another listener will take over and "
                       "contact you here; you do not need to do anything.", ref=request.ref)
        else:
            notice = " ".join([
                t("The listener who took your request {ref} could not make contact.", ref=request.ref)
                if request.contacted_at is None else
                t("Your listener has handed over your conversation {ref}.", ref=request.ref),
                self.outlook(t, later)])
        # The earlier conversation and the notes wait for the colleague's word, asked with the notice.
        asked = self.follow_ups is not None and await self.follow_ups.ask_handover_consent(released, notice)
        if notice and not asked:  # the urgent button stays in sight while they wait (issue 23)
            await core.outbox.enqueue(request.requester_id, Payload(notice, (urgent_row(t),)))
        released = await core.requests.get(request.id)
        await self.offer_to_members(released, widened=released.widened, remind=True)
        return following

    async def _left_waiting(self, request: Request) -> str:
        """Nobody has an open offer for a waiting request any more (the last one declined it): the
        colleague hears when a listener may take it, and the coordinators when nobody can."""
        later = await self.next_listener(request)
        if later is None:
            await self._nobody_fits(request)
        t = await self.core.translator(request.requester_id)
        await self._tell(request.requester_id, t("An update on your request {ref}.", ref=request.ref) + " "
                         + self.outlook(t, later, other=False))
        return "nobody" if later is None else "later"

    def outlook(self, t: Translator, later: datetime | None, *, other: bool = True) -> str:
        """Truthfully, when no listener has the request now: when one may take it, or that nobody can.
        `other`: after a listener gave it back."""
        if later is not None:
            return (t("No other listener who may take it is free right now; the first is most likely free from "
                      "{when} and will write to you here. You do not need to do anything.",
                      when=t.when(later, self.core.settings.timezone)) if other else
                    t("No listener who may take it is free right now; the first is most likely free from {when} and "
                      "will write to you here. You do not need to do anything.",
                      when=t.when(later, self.core.settings.timezone)))
        return (t("No other listener who fits your wishes can take it in the coming week, so the coordinators have "
                  "been told and will look for someone. You can also withdraw it and ask again with other wishes; "
                  "/help lists other places where you can find help.") if other else
                t("No listener who fits your wishes can take it in the coming week, so the coordinators have been "
                  "told and will look for someone. You can also withdraw it and ask again with other wishes; /help "
                  "lists other places where you can find help."))

    async def nobody_fits(self, request: Request) -> bool:
        """No listener can take this waiting request in the coming week: the coordinators are told
        (at once, as the colleague is). False when someone can."""
        if await self.next_listener(request) is not None:
            return False
        await self._nobody_fits(request)
        return True

    async def _nobody_fits(self, request: Request) -> None:
        """Coordinators hear at once that no listener can take a waiting request in the coming week
        (once for each listener who gave it back or declined it)."""
        core = self.core
        gave_back = await self._gave_back(request)
        if not await core.requests.record_event(request.id, "nobody_fits", str(len(gave_back))):
            return
        for person_id in await core.people.with_role("coordinator"):
            t = await core.translator(person_id)
            await self._tell(person_id, t(
                "Request {ref} is waiting again, and no listener who fits the colleague's wishes can take it in the "
                "coming week: the ones who fit gave it back or declined it ({n}), and nobody else fits. Can you find "
                "a listener for it? The colleague has been told.", ref=request.ref, n=len(gave_back)) if gave_back
                else t("Request {ref} is waiting, and no listener who fits the colleague's wishes can take it in the "
                       "coming week. Can you find a listener for it? The colleague has been told.", ref=request.ref))

    async def keep_claim(self, person: Person, ref: str) -> Result:
        """The member confirms they will still make contact (answer to the sweep's question)."""
        async with self.core.db.transaction():
            outcome, member, request = await self._assigned(person, ref)
            if outcome is not Result.OK:
                return outcome
            if request.state != "claimed":
                return Result.ALREADY
            await self.core.requests.record_event(request.id, "kept", clock.iso(request.claimed_at))
        return Result.OK

    async def release_unconfirmed(self, request: Request, *, tell_requester: bool = True) -> str:
        """The sweep releases a claim nobody confirmed; the member is told."""
        member = await self.core.members.get(request.member_id)
        t = await self.core.translator(member.person_id)
        await self._tell(member.person_id, t(
            "Request {ref} went back to the other listeners because you did not confirm that you would "
            "make contact. Thank you.",
            ref=request.ref))
        return await self._return_to_pool(request, member, "released", tell=tell_requester)

    async def withdraw_offers_of(self, member: Member, reason: str = "paused") -> int:
        """A listener pauses or leaves: their open offers go, and the messages say so, so nobody
        claims while away. After a pause they are offered again."""
        core = self.core
        offers = await core.requests.offers_of_member(member.id, "open")
        t = await self.core.translator(member.person_id)
        changes = []
        for offer in offers:
            await core.requests.set_offer_state(offer.id, "withdrawn")
            await core.outbox.cancel_offer_edits(offer.id)
            if offer.outbox_id is not None:
                request = await core.requests.get(offer.request_id)
                text = (t("You paused, so request {ref} went to the other listeners.", ref=request.ref)
                        if reason == "paused" else
                        t("Request {ref} went to the other listeners.", ref=request.ref))
                changes.append((offer.outbox_id, member.person_id, Payload(text)))
        await core.outbox.replace_or_edit_many(changes)
        return len(offers)

    async def offer_waiting_requests(self, members: list[Member] | None = None) -> int:
        """Offer every request still waiting to whoever fits and is free now (after a pause)."""
        count = 0
        if members is None:
            members = await self.core.members.active()
        for request in await self.core.requests.unclaimed():
            count += await self.offer_to_members(request, widened=request.widened, members=members)
        return count

    async def leave(self, person: Person, removed_by: int | None = None) -> int | None:
        """End membership at once; open cases go back to the pool (each colleague is told only
        that another listener takes over) and open offers are withdrawn. None when not a member.
        removed_by: the coordinator who ended it."""
        core = self.core
        async with core.db.transaction():
            member = await core.members.by_person(person.id)
            if member is None or member.left:
                return None
            await core.members.leave(member.id, removed_by)  # first: the cases never come back to them
            cases = await core.requests.open_for_member(member.id)
            for request in cases:
                await self._return_to_pool(request, member, "left")
            await self.withdraw_offers_of(member, reason="left")
        return len(cases)

    async def ask_debrief(self, person: Person) -> bool:
        """A member asks the coordinators for a debrief; no case or content is named."""
        core = self.core
        member = await core.members.by_person(person.id)
        if member is None or not member.active:
            return False
        async with core.db.transaction():
            for person_id in await core.people.with_role("coordinator"):
                t = await self.core.translator(person_id)
                await self._tell(person_id, t(
                    "{name} asks for a debrief after a heavy conversation. Please get in touch with them. "
                    "Nothing about the conversation is shared here.", name=member.display_name))
        return True

    # Waiting ------------------------------------------------------------------

    async def likely_reply(self, request: Request, *, widened: bool | None = None) -> datetime | None:
        """When a listener who fits is most likely to take it, from their hours and pauses; those
        who gave it back or declined it, and the one who holds it, do not count. `widened`: with
        the wishes set aside (default: as the request is now)."""
        core = self.core
        return coverage.likely_reply(await core.members.active(), request, clock.now(), core.settings.timezone,
                                    core.settings.max_open_cases, excluded=await self._not_for(request),
                                    widened=request.widened if widened is None else widened)

    async def next_listener(self, request: Request) -> datetime | None:
        """When a listener who may take this request is most likely free: one who fits its wishes,
        or, when the colleague allowed widening, anyone from the moment it widens. None: nobody
        in the coming week."""
        likely = await self.likely_reply(request)
        if likely is None and request.allow_widening and not request.widened:
            if (wide := await self.likely_reply(request, widened=True)) is not None:
                likely = max(wide, request.created_at + self.core.settings.widen_after)
        return likely

    async def own_request(self, person: Person) -> Request | None:
        """The open request this person asked, if any."""
        return await self.core.requests.open_for_requester(person.id)

    async def waiting(self, request: Request) -> int:
        """How many messages the requester wrote since asking wait for a listener to take the
        request (the wizard's first message is part of the request and does not count)."""
        return await self.core.conversations.waiting_since_asking(request.id)

    async def offer_is_current(self, offer_id: int) -> bool:
        """May this offer still go out: open, the request unclaimed, the listener free and fitting?"""
        core = self.core
        offer = await core.requests.offer_by_id(offer_id)
        if offer is None or offer.state != "open":
            return False
        request = await core.requests.get(offer.request_id)
        member = await core.members.get(offer.member_id)
        if request is None or member is None or not (request.unclaimed or request.urgent_waiting) \
                or request.member_id == member.id:
            return False
        now = clock.now()
        if request.urgent and self.oncall is not None and (on_duty := await self.oncall.on_duty(now)) is not None \
                and on_duty.id == member.id:
            return routing.is_free(member, now, core.settings.max_open_cases) and routing.fits(member, request, True)
        return (routing.is_available(member, now, core.settings.max_open_cases, core.settings.timezone)
                and routing.fits(member, request, widened=request.widened))

    async def reminder_is_current(self, request_id: int, person_id: int) -> bool:
        """A reminder to make contact still applies: claimed by this person, no contact yet."""
        request = await self.core.requests.get(request_id)
        if request is None or request.state != "claimed" or request.member_id is None:
            return False
        member = await self.core.members.get(request.member_id)
        return member is not None and member.person_id == person_id

    # Ending -------------------------------------------------------------------

    async def end(self, person: Person, ref: str) -> tuple[Result, Request | None]:
        """The requester ends the conversation (or withdraws it while unclaimed).

        Members close through casework, which records the outcome.
        """
        core = self.core
        async with core.db.transaction():
            request = await core.requests.by_ref(ref)
            if request is None or request.requester_id != person.id:
                return Result.NOT_FOUND, None
            if not request.is_open:
                return Result.CLOSED, request
            if request.unclaimed:
                await core.requests.finish(request.id, "withdrawn", "requester")
                await self._retract_offers(request, "withdrawn")
                return Result.OK, request
            await core.requests.finish(request.id, "closed", "requester")
            await offers.retract(core, request, "withdrawn", lambda t: t(
                "Request {ref} was closed, so nothing is needed from you now. Thank you.", ref=request.ref))
            member = await core.members.get(request.member_id)
            if self.follow_ups is not None:
                # The member is told and asked for the outcome; the requester is asked for feedback.
                await self.follow_ups.after_requester_end(request, member)
        return Result.OK, request


__all__ = ["Ask", "Opened", "RequestDesk", "OpenRequestExists", "URGENT_LABEL", "urgent_row"]
