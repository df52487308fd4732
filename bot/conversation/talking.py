"""Talking through the bot once a listener holds a request: each text relayed as a new message
(never a forward, protected from forwarding), drafts for a listener with several conversations,
the reaction that tells an author their text arrived, and what happens when someone cannot be
reached.

Everything said to someone other than the person acting goes through the outbox in the same
transaction as the change, so nothing is lost in between.
"""
from __future__ import annotations

from dataclasses import replace

from bot.foundations import clock
from bot.foundations.core import Core
from bot.foundations.i18n import Translator
from bot.foundations.model import Member, Message, Payload, Person, Request, Result
from bot.foundations.naming import Naming
from bot.foundations.vocab import DELIVERED, KEPT, pseudonym

from . import offers

MAX_TEXT = 4096 - 200  # room for the "Colleague K7QF2:" header Telegram counts too


class Talk:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.naming = Naming(core.settings.departments, core.charter)

    async def _tell(self, person_id: int, text: str, **kwargs) -> int:
        return await self.core.outbox.enqueue(person_id, Payload(text), **kwargs)

    async def deliver_pending(self, request: Request, member: Member) -> None:
        """Messages the requester wrote before the claim go to the member now, in order."""
        t = await self.core.translator(member.person_id)
        for message in await self.core.conversations.undelivered(request.id, "requester"):
            # Its ✍ (or the word that it could not be delivered) becomes a 👌: never left out.
            await self._relay_to(member.person_id, t, pseudonym(t, request.ref), request, message.id, message.body,
                                 author=(request.requester_id, message.author_message_id), replaces=True)

    async def conversations_of(self, person: Person) -> list[Request]:
        """Open requests this person is a party to: their own, and the cases they hold."""
        return await self.core.requests.open_of_person(person.id)

    async def was_passed_on(self, person: Person, telegram_message_id: int) -> bool:
        """Is this message of the person's own chat one the bot passed on in an open conversation (or
        keeps to pass on)? An edit of it cannot reach the other side."""
        requests = await self.core.requests.open_of_person(person.id)
        return await self.core.conversations.holds_author_message([r.id for r in requests], person.id,
                                                                  telegram_message_id)

    async def last_words(self, person: Person, request: Request) -> Message | None:
        """The other side's latest message: what a listener recognises a conversation by."""
        other = "member" if request.requester_id == person.id else "requester"
        return await self.core.conversations.last_from(request.id, other)

    def seems_to_name(self, text: str) -> bool:
        """A careful guess whether a text names someone (to warn, never to block), from the text alone."""
        return self.naming.seems_to_name(text)

    async def case_of_reply(self, person: Person, telegram_message_id: int, text: str | None = None
                            ) -> Request | None:
        """The conversation of the message a person replied to (Telegram's reply). `text`: what
        that message says, which finds it when it is a first copy whose id was never recorded
        (it went out, and went again marked, when the bot was interrupted)."""
        request_id = await self.core.outbox.request_of_sent(person.id, telegram_message_id)
        if request_id is None and text:
            request_id = await self.core.outbox.request_of_copy(person.id, text)
        return None if request_id is None else await self.core.requests.get(request_id)

    async def relay(self, person: Person, request_id: int, text: str, origin: int | None = None,
                    written: int | None = None) -> tuple[Result, Request | None]:
        """Pass a text to the other side of the request, re-checking who may write.

        `origin` names the update that carries the text: handled again after a crash, it finds
        the message it stored the first time and relays nothing twice. `written`: the author's
        own message in their chat, which gets a reaction once the other side has the text (and
        meanwhile, while nobody holds the request, one that says it is kept).

        One transaction: the request and both people are read in one query, and the message,
        its delivery and the reaction are written together, marked in flight, since they go
        out right after it.
        """
        core = self.core
        async with core.db.transaction():
            if (done := await core.conversations.by_origin(origin)) is not None:
                request = await core.requests.get(done.request_id)
                waiting = done.author == "requester" and request.member_id is None
                return (Result.PENDING if waiting else Result.OK), request
            parties = await core.requests.parties(request_id)
            if parties is None:
                return Result.NOT_FOUND, None
            request = parties.request
            if request.requester_id == person.id:
                if not request.is_open:
                    return Result.CLOSED, request
                message_id = await core.conversations.add(request.id, "requester", text, origin, written)
                if request.state == "contacted" and not request.conversed:
                    await core.requests.mark_conversed(request.id)  # a conversation took place
                if parties.listener is None:
                    await self._react(person.id, written, KEPT)
                    return Result.PENDING, request
                t = Translator(parties.language(parties.listener))
                await self._relay_to(parties.listener, t, pseudonym(t, request.ref), request, message_id, text,
                                     author=(person.id, written))
                return Result.OK, request
            if parties.listener is not None and parties.listener == person.id:
                if not request.is_open:
                    return Result.CLOSED, request
                message_id = await core.conversations.add(request.id, "member", text, origin, written)
                if request.state == "claimed" and await core.requests.mark_contacted(request.id):
                    request = replace(request, state="contacted", contacted_at=clock.now())
                if request.urgent_contact_by is not None and await core.requests.urgent_answered(request.id):
                    # The answer to "I am not safe": nobody else need take the conversation over.
                    request = replace(request, urgent_contact_by=None)
                    await offers.retract(core, request, "withdrawn", lambda t: t(
                        "Request {ref}: their listener has answered, so nothing is needed from you now. Thank you.",
                        ref=request.ref))
                t = Translator(parties.language(request.requester_id))
                await self._relay_to(request.requester_id, t, parties.listener_name, request, message_id, text,
                                     author=(person.id, written))
                return Result.OK, request
            return Result.NOT_FOUND, None

    async def _relay_to(
        self, person_id: int, t: Translator, shown_as: str, request: Request, message_id: int, text: str,
        author: tuple[int, int | None] | None = None, replaces: bool = False,
    ) -> None:
        # A new message, never a forward, and protected from forwarding and saving. It goes out
        # right after this transaction, so it is marked in flight already.
        shown = "💬 " + t("{label}:", label=shown_as) + "\n" + text  # French puts a space before the colon
        if request.kind == "concern" and person_id != request.requester_id and self.seems_to_name(text):
            # The colleague was asked not to name the person they worry about; the listener keeps no name.
            shown += "\n\n" + t("ℹ This message may name the person they worry about. Please do not note the name.")
        relayed = Payload(shown, protect=True)
        author_id, written = author or (None, None)
        if written is None:
            await self.core.outbox.enqueue(person_id, relayed, request_id=request.id, message_id=message_id,
                                           sending=True)
            return
        # The author sees it arrived: a reaction on their own message, queued with the text.
        await self.core.outbox.enqueue_with_reaction(
            person_id, relayed, request_id=request.id, message_id=message_id, author_id=author_id,
            reaction=Payload("", reaction=DELIVERED, react_to=written, replaces=replaces))

    async def _react(self, person_id: int, message: int | None, emoji: str) -> None:
        """A reaction on the person's own message. It goes out with the drain right after this
        transaction, so it is marked in flight already: a crash before it went shows it as a
        possible repeat, which a reaction shrugs off. (The 👌 that says a text arrived is queued
        with the text: Outbox.enqueue_with_reaction.)"""
        if message is not None:
            await self.core.outbox.enqueue(person_id, Payload("", reaction=emoji, react_to=message),
                                           kind="reaction", sending=True)

    async def _author_of(self, message_id: int) -> tuple[int | None, Request | None]:
        message = await self.core.conversations.get(message_id)
        request = message and await self.core.requests.get(message.request_id)
        if request is None:
            return None, None
        if message.author == "requester":
            return request.requester_id, request
        member = await self.core.members.get(request.member_id) if request.member_id else None
        return (member.person_id if member else None), request

    async def not_delivered_yet(self, message_id: int) -> None:
        """A relayed text could not go at once (Telegram is slow or away): its author learns that it
        is kept, rather than waiting for a reaction that does not come."""
        author, request = await self._author_of(message_id)
        if author is None:
            return
        t = await self.core.translator(author)
        await self._tell(author, t("⏳ Not delivered yet. Your message is kept and goes out as soon as Telegram "
                                   "accepts it."), request_id=request.id)

    async def undeliverable(self, message_id: int, *, blocked: bool = True) -> None:
        """Telegram will not take a relayed message: its author must not think it arrived."""
        author, request = await self._author_of(message_id)
        if author is None:
            return
        t = await self.core.translator(author)
        if blocked and author == request.requester_id:
            text = t("Your message in conversation {ref} could not be delivered: your listener cannot be reached "
                     "through the bot at the moment. It has been kept and goes out when they come back. If this "
                     "goes on, you can end the conversation and ask again.", ref=request.ref)
        elif blocked:
            text = t("Your message in conversation {ref} could not be delivered: the other person cannot be "
                     "reached through the bot at the moment. It has been kept and goes out if they come back; "
                     "a coordinator can help if this goes on.", ref=request.ref)
        else:
            text = t("Your message in conversation {ref} could not be delivered: Telegram refused it. Please "
                     "write it again, in other words or shorter.", ref=request.ref)
        await self._tell(author, text)

    async def reachable_again(self, person: Person) -> int:
        """Someone who had blocked the bot writes again: what was kept for them goes out now,
        and each author is told. Returns how many messages were requeued."""
        if not await self.core.outbox.has_blocked(person.id):
            return 0  # the everyday case, read without a transaction
        async with self.core.db.transaction():
            message_ids = await self.core.outbox.requeue_blocked(person.id)
            told: set[int] = set()
            for message_id in message_ids:
                author, request = await self._author_of(message_id)
                if author is None or (author, request.id) in told:
                    continue
                told.add((author, request.id))
                t = await self.core.translator(author)
                await self._tell(author, t(
                    "The other person in conversation {ref} can be reached again: your kept messages are "
                    "being delivered now.", ref=request.ref))
        return len(message_ids)

    async def park_draft(self, person: Person, text: str, origin: int | None = None, written: int | None = None
                         ) -> int:
        return await self.core.conversations.add_draft(person.id, text, origin, written)

    async def send_draft(self, person: Person, draft_id: int, ref: str, origin: int | None = None
                         ) -> tuple[Result, Request | None]:
        """Send a parked text to the case its author chose; the draft stays if it cannot go."""
        try:
            async with self.core.db.transaction():
                if (done := await self.core.conversations.by_origin(origin)) is not None:
                    return Result.OK, await self.core.requests.get(done.request_id)
                request = await self.core.requests.by_ref(ref)
                taken = await self.core.conversations.take_draft(draft_id, person.id)
                if request is None or taken is None:
                    return Result.NOT_FOUND, None
                outcome, request = await self.relay(person, request.id, taken[0], origin, written=taken[1])
                if outcome not in (Result.OK, Result.PENDING):
                    raise _Rollback(outcome)
        except _Rollback as stop:
            return stop.outcome, None
        await self.core.db.checkpoint()  # the taken draft is gone from the files at once
        return outcome, request

    async def drop_draft(self, person: Person, draft_id: int) -> Result:
        """The author sends a parked text nowhere: it is deleted, and gone from the files at once."""
        if not await self.core.conversations.drop_draft(draft_id, person.id):
            return Result.NOT_FOUND
        await self.core.db.checkpoint()
        return Result.OK


class _Rollback(Exception):
    def __init__(self, outcome: Result) -> None:
        self.outcome = outcome


__all__ = ["Talk", "MAX_TEXT"]
