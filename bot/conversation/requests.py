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
from bot.foundations.i18n import Translator
from bot.foundations.model import Member, Payload, Person, Preferences, Request, Result
from bot.foundations.storage.requests import OpenRequestExists
from bot.foundations.vocab import LANGUAGE, preference_lines, pseudonym
from bot.network import coverage, routing
from bot.network.oncall import OnCall

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
                return Opened(request, await core.requests.offer_count(request.id),
                              await self._on_call_alone(request, press))
            await core.requests.make_urgent(request.id, clock.now() + core.settings.urgent_deadline)
            request = await core.requests.get(request.id)
            offered, on_call = 0, None
            if request.unclaimed:
                offered = await self.offer_to_members(request, widened=True, remind=True)
                if not offered:
                    on_call = await self._offer_on_call(request, press)
                    offered = int(on_call is not None)
            else:
                member = await core.members.get(request.member_id)
                t = await self.core.translator(member.person_id)
                await self._tell(member.person_id, t(
                    "Urgent: {colleague} says they are not safe. Please make contact now.",
                    colleague=pseudonym(t, request.ref)))
            await self.alert_coordinators(request, urgent=True, reached=offered if request.unclaimed else 1,
                                          on_call=on_call)
        return Opened(request, offered, on_call)

    async def offer_to_members(self, request: Request, *, widened: bool = False, remind: bool = False,
                               members: list[Member] | None = None) -> int:
        """Offer the request to eligible members who have not had it (or had it taken from them).

        With remind, members whose offer is still open get it again, at the top of their chat.
        `members`: the active members, when the caller read them already.
        """
        core = self.core
        members = routing.eligible(
            members if members is not None else await core.members.active(), request, clock.now(),
            network_cap=core.settings.max_open_cases, tz=core.settings.timezone, widened=widened,
            excluded=await core.requests.excluded(request.id),
        )
        count = 0
        for member in members:
            count += await self._offer_to(request, member, remind)
        if count:
            await core.requests.mark_offered(request.id)
        return count

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
        if (member is None or member.id in await core.requests.excluded(request.id)
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
        hours_left = max(0, int((request.deadline_at - clock.now()).total_seconds() // 3600))
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
        lines.append(
            t("Make contact before {deadline} ({hours} h left).", deadline=t.when(request.deadline_at, tz), hours=hours_left)
        )
        lines.append(t("You will see what they wrote, if anything, once you claim the request. You never see who "
                       "they are."))
        return "\n".join(lines)

    async def alert_coordinators(self, request: Request, *, urgent: bool = False, widened: bool = True,
                                 reached: int = 1, on_call: str | None = None) -> None:
        """Coordinators get the reference, age and state: never content or identity. `on_call`: the
        listener on call, when the urgent request went to them alone."""
        core = self.core
        age = int((clock.now() - request.created_at).total_seconds() // 3600)
        for person_id in await core.people.with_role("coordinator"):
            t = await self.core.translator(person_id)
            state = t("waiting for a listener") if request.unclaimed else t("taken, no contact yet")
            if urgent and not request.unclaimed:
                text = t("Urgent request {ref}: the colleague says they are not safe. Their listener has been "
                         "alerted to make contact now.", ref=request.ref)
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
            elif widened:
                text = t("No contact within the deadline for request {ref}. Open for {hours} h. State: {state}. "
                         "It has now gone to every available listener.", ref=request.ref, hours=age, state=state)
            else:
                text = t("No contact within the deadline for request {ref}. Open for {hours} h. State: {state}. "
                         "The colleague asked to wait for a listener who fits their wishes; it has been offered "
                         "to those again.", ref=request.ref, hours=age, state=state)
            await self._tell(person_id, text)

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
        changes = []
        for closed in await self.core.requests.retract_offers(request.id, state, keep):
            if closed.offer.outbox_id is None:
                continue
            t = Translator(closed.language)
            text = (
                t("Request {ref} has been taken by another listener. Thank you.", ref=request.ref)
                if state == "taken"
                else t("Request {ref} was withdrawn by the colleague.", ref=request.ref)
            )
            changes.append((closed.offer.outbox_id, closed.person_id, Payload(text)))
        await self.core.outbox.replace_or_edit_many(changes)

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
            if not request.unclaimed or offer.state != "open":
                return Result.TAKEN, None
            if routing.is_paused(member, clock.now()):
                return Result.PAUSED, None
            if member.open_cases >= routing.limit_of(member, core.settings.max_open_cases):
                return Result.AT_CAP, None
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

    async def decline(self, person: Person, ref: str) -> Result:
        core = self.core
        async with core.db.transaction():
            member = await core.members.by_person(person.id)
            if member is None:
                return Result.NOT_MEMBER
            request = await core.requests.by_ref(ref)
            offer = request and await core.requests.offer(request.id, member.id)
            if not offer:
                return Result.NOT_OFFERED
            if not await core.requests.set_offer_state(offer.id, "declined"):
                return Result.CLOSED
        return Result.OK

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

    async def hand_back(self, person: Person, ref: str, reason: str) -> Result:
        """The member gives the case back; another listener takes over and the SLA goes on."""
        async with self.core.db.transaction():
            outcome, member, request = await self._assigned(person, ref)
            if outcome is not Result.OK:
                return outcome
            await self._return_to_pool(request, member, reason)
        return Result.OK

    async def _return_to_pool(self, request: Request, member: Member, reason: str, *, tell: bool = True) -> None:
        core = self.core
        # Not contacted yet: the original deadline stands. Contacted: a fresh one for the next listener.
        fresh = None
        if request.contacted_at is not None:
            span = core.settings.urgent_deadline if request.urgent else core.settings.contact_deadline
            fresh = clock.now() + span
        await core.requests.release(request.id, member.id, fresh)
        await core.requests.exclude(request.id, member.id, reason)
        t = await self.core.translator(request.requester_id)
        notice = None
        if not tell:
            pass  # the caller tells the requester what happens (a breach says it in its own words)
        elif request.contacted_at is None:
            notice = t("The listener who took your request {ref} could not make contact. Another listener will be "
                       "asked and will write to you here.", ref=request.ref)
        else:
            notice = t("Your listener has handed over your conversation {ref}. Another listener will take over and "
                       "contact you here; you do not need to do anything.", ref=request.ref)
        # The earlier conversation and the notes wait for the colleague's word, asked with the notice.
        asked = self.follow_ups is not None and await self.follow_ups.ask_handover_consent(request, notice)
        if notice and not asked:
            await self._tell(request.requester_id, notice)
        request = await core.requests.get(request.id)
        await self.offer_to_members(request, widened=request.widened, remind=True)

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

    async def release_unconfirmed(self, request: Request, *, tell_requester: bool = True) -> None:
        """The sweep releases a claim nobody confirmed; the member is told."""
        member = await self.core.members.get(request.member_id)
        t = await self.core.translator(member.person_id)
        await self._tell(member.person_id, t(
            "Request {ref} went back to the other listeners because you did not confirm that you would "
            "make contact. Thank you.",
            ref=request.ref))
        await self._return_to_pool(request, member, "released", tell=tell_requester)

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

    async def likely_reply(self, request: Request) -> datetime | None:
        """When a listener who fits is most likely to take it, from their hours and pauses."""
        core = self.core
        return coverage.likely_reply(await core.members.active(), request, clock.now(), core.settings.timezone,
                                    core.settings.max_open_cases)

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
        if request is None or not request.unclaimed or member is None:
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
            member = await core.members.get(request.member_id)
            if self.follow_ups is not None:
                # The member is told and asked for the outcome; the requester is asked for feedback.
                await self.follow_ups.after_requester_end(request, member)
        return Result.OK, request


__all__ = ["Ask", "Opened", "RequestDesk", "OpenRequestExists"]
