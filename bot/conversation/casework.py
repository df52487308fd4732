"""Casework: what a member does with a case besides talking, and what follows a close.

Notes (sealed, for the member who holds the case only), themes and level (structured, they
feed the figures), the collective character, referrals (that one happened and the colleague's
own answer, never what was said), the routes the law offers, a proposal to meet (that it
happened, never where or when), closing with an outcome, the requester's anonymous feedback,
and the audit trail of all of it.

Every check is made against the database inside the transaction that acts, so an old or
forged button changes nothing. Anything said to someone other than the person acting goes
through the outbox in that same transaction.
"""
from __future__ import annotations

from dataclasses import dataclass

from bot.foundations import callbacks, clock
from bot.foundations.charter import Referral, Route
from bot.foundations.core import Core
from bot.foundations.i18n import Translator
from bot.foundations.model import (
    CaseFacts,
    Member,
    Note,
    Payload,
    Person,
    Request,
    Result,
    split_message,
)
from bot.foundations.vocab import MEET_WAYS, OUTCOMES, pseudonym
from bot.network.membership import news_button

MAX_NOTE = 2000      # a note is a reminder for the listener, not a report
MAX_COMMENT = 1000


@dataclass(frozen=True)
class Closing:
    result: Result
    closed_now: bool = False   # False: the requester had ended it; only the outcome was recorded
    untagged: bool = False     # no theme yet: the member is asked to add them


def outcome_buttons(t: Translator, ref: str) -> tuple[tuple[tuple[str, str], ...], ...]:
    return tuple(((t(label), callbacks.OUTCOME(ref, key)),) for key, label in OUTCOMES.items())


def rating_buttons(ref: str) -> tuple[tuple[tuple[str, str], ...], ...]:
    return (tuple((f"{'★' * n}", callbacks.RATE(ref, n)) for n in range(1, 6)),)


class Casework:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.cases = core.cases
        self.audit = core.audit

    async def _held(self, person: Person, ref: str, *, open_only: bool = True
                    ) -> tuple[Result, Member | None, Request | None, CaseFacts | None]:
        """The case if this person holds it as a member. A closed case stays theirs for
        reading notes, tagging and the outcome until the retention period is over."""
        member = await self.core.members.by_person(person.id)
        if member is None or member.left:
            return Result.NOT_MEMBER, None, None, None
        request = await self.core.requests.by_ref(ref)
        if request is None or request.member_id != member.id:
            return Result.NOT_FOUND, member, None, None
        facts = await self.cases.facts(request.id)
        if not request.is_open and (open_only or facts.closed_at < clock.now() - self.core.settings.retention):
            return Result.CLOSED, member, request, facts
        return Result.OK, member, request, facts

    async def check(self, person: Person, ref: str, *, open_only: bool = True) -> Result:
        """May this person work on the case (before asking them for a note, a contact...)?"""
        return (await self._held(person, ref, open_only=open_only))[0]

    async def open_cases(self, person: Person) -> list[Request]:
        member = await self.core.members.by_person(person.id)
        if member is None or member.left:
            return []
        return await self.core.requests.open_for_member(member.id)

    async def open_cards(self, person: Person) -> list[tuple[Request, CaseFacts]]:
        """The open cases with their tags, as /cases shows them: read together, not case by case."""
        cases = await self.open_cases(person)
        facts = await self.cases.facts_of([request.id for request in cases])
        return [(request, facts[request.id]) for request in cases]

    async def _asked(self, person: Person, ref: str) -> Request | None:
        """The request if this person asked it (requester side)."""
        request = await self.core.requests.by_ref(ref)
        if request is None or request.requester_id is None or request.requester_id != person.id:
            return None
        return request

    # Notes ------------------------------------------------------------------------

    async def add_note(self, person: Person, ref: str, text: str, origin: int | None = None) -> Result:
        text = text.strip()
        async with self.core.db.transaction():
            result, member, request, _ = await self._held(person, ref)
            if result is not Result.OK:
                return result
            if not text:
                return Result.EMPTY
            if len(text) > MAX_NOTE:
                return Result.TOO_LONG
            if await self.cases.add_note(request.id, member.id, text, origin):
                await self.audit.record("member", member.id, "note_added", request.ref)
        return Result.OK

    async def latest_note(self, person: Person, ref: str) -> int:
        """The id of this listener's newest note on the case (0: none, or not theirs): a note prompt
        remembers it, so its Cancel can tell whether a note came after the question."""
        member = await self.core.members.by_person(person.id)
        request = await self.core.requests.by_ref(ref)
        if member is None or request is None or request.member_id != member.id:
            return 0
        return await self.cases.latest_note_of(request.id, member.id)

    async def notes(self, person: Person, ref: str) -> tuple[Result, Request | None, list[Note]]:
        """The notes the holder of the case may read; nobody else reads any."""
        async with self.core.db.transaction():
            result, member, request, _ = await self._held(person, ref, open_only=False)
            if result is not Result.OK:
                return result, None, []
            notes = await self.cases.notes_for(request.id, member.id)
            await self.audit.record("member", member.id, "notes_read", request.ref)
        return Result.OK, request, notes

    async def ask_handover_consent(self, request: Request, notice: str | None = None) -> bool:
        """At a hand-over (inside its transaction): nothing confidential moves without the colleague's
        word. The earlier conversation and the notes wait, hidden, until they say whether the next
        listener may read them. `notice`: what they are told about the hand-over, sent with the
        question as one message. False when there was nothing to ask about (nothing was sent)."""
        if request.requester_id is None:
            return False
        until = await self.core.conversations.last_seen(request.id)
        notes = await self.cases.has_notes(request.id)
        if until is None and not notes:
            return False
        if until is not None:
            await self.core.requests.ask_history_consent(request.id, until)
        if notes:
            await self.cases.unshare_notes(request.id)
            await self.cases.set_notes_consent(request.id, "asked")
        t = await self.core.translator(request.requester_id)
        if until is not None and notes:
            question = t("May the listener who takes over read your conversation so far, and the notes your "
                         "listener kept to remember it? Then you need not tell it all again. If you say no, they "
                         "start afresh: they do not see the conversation, and the notes are deleted.")
        elif until is not None:
            question = t("May the listener who takes over read your conversation so far? Then you need not tell it "
                         "all again. If you say no, they start afresh without it.")
        else:
            question = t("Your listener kept notes about your conversation {ref}, to remember what you talked about. "
                         "May the listener who takes over read them? If you say no, they are deleted.", ref=request.ref)
        await self.core.outbox.enqueue(request.requester_id, Payload(
            "\n\n".join(filter(None, [notice, question])),
            (((t("Yes, they may read it"), callbacks.HANDOVER_CONSENT(request.ref, "y")),),
             ((t("No, they start afresh"), callbacks.HANDOVER_CONSENT(request.ref, "n")),)),
        ), request_id=request.id)
        return True

    async def answer_handover(self, person: Person, ref: str, allow: bool) -> Result:
        """The colleague's own answer: the next listener may read the conversation so far (and the
        notes), or starts afresh (the notes are deleted). A listener who holds it already hears it
        at once, with the conversation when the answer is yes."""
        core = self.core
        async with core.db.transaction():
            request = await self._asked(person, ref)
            if request is None:
                return Result.NOT_FOUND
            if not request.is_open:
                return Result.CLOSED
            history = await core.requests.answer_history_consent(request.id, allow)
            notes = await self.cases.set_notes_consent(request.id, "yes" if allow else "no", only_if="asked")
            if not history and not notes:
                return Result.ALREADY
            if notes and allow:
                await self.cases.share_notes(request.id, request.member_id)
            elif notes:
                await self.cases.drop_notes(request.id, request.member_id)
            await self.audit.record("requester", None, "history_shared" if allow else "history_withheld", request.ref)
            if request.member_id is not None:
                request = await core.requests.get(request.id)
                await self._brief(request, await core.members.get(request.member_id), answered=True)
        if not allow:
            await core.db.checkpoint()  # deleted at their word: gone from the files now, not tonight
        return Result.OK

    async def brief_new_listener(self, request: Request, member: Member) -> None:
        """A listener takes a handed-over request (inside the claim's transaction): told plainly that
        it is handed over, since when, and what they may read; the earlier conversation follows,
        protected, when the colleague said yes."""
        if request.handed_over:
            await self._brief(request, member)

    async def _brief(self, request: Request, member: Member, answered: bool = False) -> None:
        core = self.core
        t = await core.translator(member.person_id)
        colleague = pseudonym(t, request.ref)
        facts = await self.cases.facts(request.id)
        since = t.day(core.calendar.date_of(request.created_at))
        consent = request.history_consent
        if request.history_until is None and facts.notes_consent is None:
            await core.outbox.enqueue(member.person_id, Payload(t(
                "The request of {colleague} was handed over to you: another listener had it before you, but they "
                "had not talked yet.", colleague=colleague)), request_id=request.id)
            return
        lines = []
        if not answered:
            lines.append(t("A handed-over conversation: {colleague} asked the network on {day} and talked with "
                           "another listener before you.", colleague=colleague, day=since))
        if request.history_until is not None:
            lines.append({
                "yes": t("{colleague} agreed that you read the earlier conversation: it follows, protected. Pick up "
                         "where it was; they need not tell it all again.", colleague=colleague),
                "no": t("{colleague} chose that you start afresh: you do not see the earlier conversation. Let them "
                        "tell you what they want to.", colleague=colleague),
            }.get(consent, t("{colleague} has been asked whether you may read the earlier conversation. Until they "
                             "say yes you do not see it; if they do, it comes here. Meanwhile, do not ask them to "
                             "tell it all again.", colleague=colleague)))
        if facts.notes_consent == "yes":
            lines.append(t("The earlier listener's notes are yours to read too: /cases, then Notes."))
        elif facts.notes_consent == "no":
            lines.append(t("The earlier listener's notes were deleted at their word."))
        elif facts.notes_consent == "asked" and request.history_until is None:
            lines.append(t("{colleague} has been asked whether you may read the earlier listener's notes; until "
                           "they say yes you do not see them.", colleague=colleague))
        await core.outbox.enqueue(member.person_id, Payload("\n\n".join(lines)), request_id=request.id)
        if consent == "yes" and request.history_until is not None:
            await self._transcript(t, request, member)

    async def _transcript(self, t: Translator, request: Request, member: Member) -> None:
        """The earlier conversation, as new protected messages tied to the case (deleted with its
        content), never forwards."""
        colleague = pseudonym(t, request.ref)
        lines = [t("📜 The earlier conversation with {colleague}, for you alone to read:", colleague=colleague)]
        for message in await self.core.conversations.up_to(request.id, request.history_until):
            who = colleague if message.author == "requester" else t("the earlier listener")
            day = t.day(message.written_on, short=True) if message.written_on else ""
            lines.append(t("{label}:", label=f"{day} · {who}" if day else who) + "\n" + message.body)
        for part in split_message(lines):
            await self.core.outbox.enqueue(member.person_id, Payload(part, protect=True), request_id=request.id)

    async def answer_notes_consent(self, person: Person, ref: str, allow: bool) -> Result:
        """The colleague's answer to the older question about the notes alone (callbacks.NOTES_CONSENT,
        legacy: goes with it)."""
        async with self.core.db.transaction():
            request = await self._asked(person, ref)
            if request is None:
                return Result.NOT_FOUND
            if not await self.cases.set_notes_consent(request.id, "yes" if allow else "no", only_if="asked"):
                return Result.ALREADY
            # The current holder keeps their own notes either way.
            if allow:
                await self.cases.share_notes(request.id, request.member_id)
            else:
                await self.cases.drop_notes(request.id, request.member_id)
            await self.audit.record("requester", None, "notes_shared" if allow else "notes_withheld", request.ref)
        if not allow:
            await self.core.db.checkpoint()  # deleted at their word: gone from the files now, not tonight
        return Result.OK

    # Themes and level ---------------------------------------------------------------------

    async def tags(self, person: Person, ref: str, *, open_only: bool = False
                   ) -> tuple[Result, Request | None, CaseFacts | None]:
        """A case this person holds, with its tags (`open_only`: what their card shows)."""
        result, _, request, facts = await self._held(person, ref, open_only=open_only)
        return result, request, facts

    async def set_theme(self, person: Person, ref: str, key: str, tagged: bool
                        ) -> tuple[Result, CaseFacts | None]:
        """Tag or untag a theme. Setting what is already set changes nothing (a double tap)."""
        async with self.core.db.transaction():
            result, member, request, _ = await self._held(person, ref, open_only=False)
            if result is not Result.OK:
                return result, None
            if self.core.charter.theme(key) is None:
                return Result.UNKNOWN, None
            if await self.cases.set_theme(request.id, key, tagged):
                await self.audit.record("member", member.id, "theme_added" if tagged else "theme_removed",
                                        request.ref)
            return Result.OK, await self.cases.facts(request.id)

    async def note_saved_by(self, origin: int | None) -> bool:
        """Did this update (handled again after a crash) save its note already?"""
        return await self.cases.note_by_origin(origin)

    async def set_level(self, person: Person, ref: str, key: str) -> Result:
        async with self.core.db.transaction():
            result, member, request, _ = await self._held(person, ref, open_only=False)
            if result is not Result.OK:
                return result
            if self.core.charter.level(key) is None:
                return Result.UNKNOWN
            await self.cases.set_level(request.id, key)
            await self.audit.record("member", member.id, "level_set", request.ref)
        return Result.OK

    # Referrals --------------------------------------------------------------------

    def directory(self) -> list[Referral]:
        """The contacts that may be shown: a placeholder contact is not shown to anyone."""
        return [r for r in self.core.charter.referrals if not r.incomplete]

    def entry_text(self, t: Translator, referral: Referral) -> str:
        lines = [referral.name(t.lang), referral.contact(t.lang), referral.when_to_use(t.lang)]
        if referral.shows_emergency:
            core = self.core
            lines += ["☎ " + t("{label}: {value}", label=line.number, value=line.label(t.lang))
                      for line in core.charter.emergency_lines(core.settings.emergency_countries, t.lang)]
        return "\n".join(lines)

    async def refer(self, person: Person, ref: str, key: str, ask: bool) -> Result:
        """Send a directory entry to the requester and record that a referral happened.

        `ask`: the listener would like to pass on what is needed; the colleague is asked
        directly and their own answer is recorded (seed 001, 34). Until they say yes, nothing
        is shared: the listener's word is not their consent.
        """
        async with self.core.db.transaction():
            result, member, request, _ = await self._held(person, ref)
            if result is not Result.OK:
                return result
            referral = self.core.charter.referral(key)
            if referral is None or referral.incomplete:
                return Result.UNKNOWN
            referral_id = await self.cases.add_referral(request.id, referral.key, False, "asked" if ask else None)
            t = await self.core.translator(request.requester_id)
            parts = [t("{name} suggests a contact that may help:", name=member.display_name),
                     self.entry_text(t, referral)]
            markup: tuple = ()
            if ask:
                parts.append(t("{name} would like to tell this contact what they need to know about your situation, "
                               "so that you need not tell it all again. May they? If you say no, nothing about you "
                               "is shared; the contact is yours to use.", name=member.display_name))
                markup = (((t("Yes, {name} may", name=member.display_name),
                            callbacks.REFER_ANSWER(request.ref, referral_id, "y")),),
                          ((t("No, share nothing"), callbacks.REFER_ANSWER(request.ref, referral_id, "n")),))
            else:
                parts.append(t("Nothing about you has been passed on to them: contacting them is up to you."))
            # request_id: a reply to this message finds the conversation. A question that cannot be
            # delivered is answered 'unreachable' and the listener is told (see `unreachable`).
            await self.core.outbox.enqueue(request.requester_id, Payload("\n\n".join(parts), markup),
                                           request_id=request.id, kind="consent" if ask else None)
            await self.audit.record("member", member.id, "referral_asked" if ask else "referral_sent", request.ref)
        return Result.OK

    async def answer_referral(self, person: Person, ref: str, referral_id: int, allow: bool
                              ) -> tuple[Result, Referral | None]:
        """The colleague's own answer to a referral question; their listener is told it."""
        core = self.core
        async with core.db.transaction():
            request = await self._asked(person, ref)
            found = request and await self.cases.referral(referral_id)
            if not found or found[0] != request.id:
                return Result.NOT_FOUND, None
            referral = core.charter.referral(found[1])
            if not request.is_open or request.member_id is None:
                return Result.CLOSED, referral
            if not await self.cases.answer_referral(referral_id, "yes" if allow else "no"):
                return Result.ALREADY, referral
            member = await core.members.get(request.member_id)
            t = await core.translator(member.person_id)
            name = referral.name(t.lang) if referral else found[1]
            await core.outbox.enqueue(member.person_id, Payload(
                t("{colleague} agreed that you tell the contact “{name}” what they need to know, and nothing more. "
                  "Only their yes is recorded, never what you share.", colleague=pseudonym(t, request.ref), name=name)
                if allow else
                t("{colleague} does not want anything shared with the contact “{name}”: please share nothing. The "
                  "contact is theirs to use.", colleague=pseudonym(t, request.ref), name=name)), request_id=request.id)
            await self.audit.record("requester", None, "referral_answered", request.ref)
        return Result.OK, referral

    async def unreachable(self, kind: str, request_id: int | None) -> None:
        """A question to the colleague could not be delivered (they blocked the bot, or left):
        it is answered 'unreachable', nothing is shared, and the listener is told."""
        core = self.core
        request = request_id and await core.requests.get(request_id)
        if not request or request.member_id is None:
            return
        member = await core.members.get(request.member_id)
        t = await core.translator(member.person_id)
        async with core.db.transaction():
            if kind == "consent":
                names = []
                for referral_id, key in await self.cases.asked_referrals(request.id):
                    if await self.cases.answer_referral(referral_id, "unreachable"):
                        referral = core.charter.referral(key)
                        names.append(referral.name(t.lang) if referral else key)
                if not names:
                    return
                text = t("The bot could not ask {colleague} whether you may pass anything on (contact: {name}): they "
                         "cannot be reached through the bot now. So nothing may be shared.",
                         colleague=pseudonym(t, request.ref), name=", ".join(names))
            elif kind == "meeting":
                if not await core.requests.set_meeting(request.id, "unreachable", only_if="proposed"):
                    return
                text = t("The bot could not put your proposal to meet to {colleague}: they cannot be reached "
                         "through the bot now.", colleague=pseudonym(t, request.ref))
            else:
                return
            await core.outbox.enqueue(member.person_id, Payload(text), request_id=request.id)

    # The routes the law offers --------------------------------------------------------

    def routes(self, facts: CaseFacts | None) -> tuple[Route, ...]:
        """For a case tagged with violence, bullying or unwanted sexual behaviour: the routes."""
        return self.core.charter.routes_for(facts.themes) if facts else ()

    def routes_text(self, t: Translator, routes: tuple[Route, ...], *, header: bool = True) -> str:
        """The routes as the colleague reads them: each with the contact, where there is one."""
        lines = [t("What the law offers, beside talking to the network (which is not a formal request and "
                   "starts no procedure):")] if header else []
        for route in routes:
            lines.append("• " + t("{label}: {value}", label=route.name(t.lang), value=route.text(t.lang)))
            referral = route.referral and self.core.charter.referral(route.referral)
            if referral and not referral.incomplete:
                lines.append("  " + t("{label}: {value}", label=referral.name(t.lang), value=referral.contact(t.lang)))
        return "\n".join(lines)

    async def send_routes(self, person: Person, ref: str) -> Result:
        core = self.core
        async with core.db.transaction():
            result, member, request, facts = await self._held(person, ref)
            if result is not Result.OK:
                return result
            routes = self.routes(facts)
            if not routes:
                return Result.UNKNOWN  # none of the themes the routes are for
            t = await core.translator(request.requester_id)
            text = t("{name} passes on what the law offers you, beside talking to the network (which is not a "
                     "formal request and starts no procedure):", name=member.display_name) + "\n\n" + \
                self.routes_text(t, routes, header=False)
            await core.outbox.enqueue(request.requester_id, Payload(text), request_id=request.id)
            await self.audit.record("member", member.id, "routes_sent", request.ref)
        return Result.OK

    # The collective character, and meeting outside the chat ------------------------------

    async def set_collective(self, person: Person, ref: str, collective: bool) -> Result:
        """A problem that concerns a group as much as one person (seed 004, 318-323): counted so."""
        async with self.core.db.transaction():
            result, member, request, _ = await self._held(person, ref, open_only=False)
            if result is not Result.OK:
                return result
            if await self.core.requests.set_collective(request.id, collective):
                await self.audit.record("member", member.id, "collective_set", request.ref)
        return Result.OK

    async def propose_meeting(self, person: Person, ref: str, way: str) -> Result:
        """Propose to meet in person or by phone. The colleague chooses, and is told plainly that
        the listener will then know who they are."""
        core = self.core
        if way not in MEET_WAYS:
            return Result.UNKNOWN
        async with core.db.transaction():
            result, member, request, _ = await self._held(person, ref)
            if result is not Result.OK:
                return result
            if request.meeting == "accepted":
                return Result.ALREADY
            await core.requests.set_meeting(request.id, "proposed")
            t = await core.translator(request.requester_id)
            text = "\n\n".join([
                t("{name} proposes to meet you {way}, if you would like that.", name=member.display_name,
                  way=t(MEET_WAYS[way])),
                t("If you accept, {name} will know who you are: your face or your voice, and whatever you tell "
                  "them. It stays confidential, as everything here. If you decline, nothing changes: you go on "
                  "writing here, anonymously.", name=member.display_name),
            ])
            await core.outbox.enqueue(request.requester_id, Payload(text, (
                ((t("Yes, let us meet"), callbacks.MEET_ANSWER(request.ref, way, "y")),),
                ((t("No, I prefer writing here"), callbacks.MEET_ANSWER(request.ref, way, "n")),),
            )), request_id=request.id, kind="meeting")
            await self.audit.record("member", member.id, "meeting_proposed", request.ref)
        return Result.OK

    async def answer_meeting(self, person: Person, ref: str, way: str, accept: bool) -> Result:
        """The colleague's answer. Only that it was accepted is recorded: never where or when."""
        core = self.core
        if way not in MEET_WAYS:
            return Result.UNKNOWN
        async with core.db.transaction():
            request = await self._asked(person, ref)
            if request is None:
                return Result.NOT_FOUND
            if not request.is_open or request.member_id is None:
                return Result.CLOSED
            if not await core.requests.set_meeting(request.id, "accepted" if accept else "declined",
                                                   only_if="proposed"):
                return Result.ALREADY
            member = await core.members.get(request.member_id)
            t = await core.translator(member.person_id)
            colleague = pseudonym(t, request.ref)
            await core.outbox.enqueue(member.person_id, Payload(
                t("{colleague} would like to meet {way}. Agree on where and when in your conversation here; the "
                  "bot records only that they agreed, never where or when.", colleague=colleague,
                  way=t(MEET_WAYS[way])) if accept else
                t("{colleague} prefers to go on writing here. Nothing else changes.", colleague=colleague)),
                request_id=request.id)
            await self.audit.record("requester", None, "meeting_answered", request.ref)
        return Result.OK

    # Closing ------------------------------------------------------------------------

    async def close(self, person: Person, ref: str, outcome: str) -> Closing:
        """The member closes with an outcome, or records it for a case the requester ended."""
        core = self.core
        async with core.db.transaction():
            result, member, request, facts = await self._held(person, ref, open_only=False)
            if result is not Result.OK:
                return Closing(result)
            if outcome not in OUTCOMES:
                return Closing(Result.UNKNOWN)
            closed_now = request.is_open
            if closed_now:
                await core.requests.finish(request.id, "closed", "member")
                await self._closing_words(request, member)
            elif facts.outcome is not None:
                return Closing(Result.ALREADY)
            await self.cases.set_outcome(request.id, outcome)
            await self.audit.record("member", member.id, "closed" if closed_now else "outcome_recorded", request.ref)
        return Closing(Result.OK, closed_now, not facts.themes)

    async def _closing_words(self, request: Request, member: Member) -> None:
        """To the requester: closed, how to rate it, and how to complain outside the network."""
        t = await self.core.translator(request.requester_id)
        parts = [
            t("{name} has closed the conversation {ref}. You can ask for a new conversation "
              "at any time with /start.", name=member.display_name, ref=request.ref),
            self._feedback_question(t),
        ]
        if complaint := self._complaint_text(t):
            parts.append(complaint)
        await self.core.outbox.enqueue(request.requester_id, Payload(
            "\n\n".join(parts), await self._closing_buttons(t, request)))

    async def _closing_buttons(self, t: Translator, request: Request) -> tuple[tuple[tuple[str, str], ...], ...]:
        """The stars, and (unless they follow it already) the network's news: hearing what changed is
        offered on the closing message itself, not in a message of its own."""
        rows = rating_buttons(request.ref)
        if not await self.core.volunteers.subscribed(request.requester_id, "news"):
            rows += ((news_button(t, False),),)
        return rows

    def _feedback_question(self, t: Translator) -> str:
        return t("How was this conversation for you? Tap 1 to 5 stars. Your answer is anonymous: your "
                 "listener does not see it, it only counts in the network's own quality figures.")

    def _complaint_text(self, t: Translator) -> str | None:
        complaint = self.core.charter.referral("complaint")
        if complaint is None or complaint.incomplete:
            return None
        # The contact text itself says where (outside the network): the sentence does not repeat it.
        return t("Not satisfied with how the network handled your request? {contact}",
                 contact=complaint.contact(t.lang))

    async def after_requester_end(self, request: Request, member: Member) -> None:
        """The requester ended a claimed conversation: the member is told and asked for the
        outcome; the requester is asked for feedback. Inside the ending's transaction."""
        t = await self.core.translator(member.person_id)
        await self.core.outbox.enqueue(member.person_id, Payload(
            t("{colleague} has ended the conversation.", colleague=pseudonym(t, request.ref))
            + "\n\n" + t("How did it end? This only counts in the anonymous figures."),
            outcome_buttons(t, request.ref),
        ))
        t = await self.core.translator(request.requester_id)
        parts = [self._feedback_question(t)]
        if complaint := self._complaint_text(t):
            parts.append(complaint)
        await self.core.outbox.enqueue(request.requester_id, Payload(
            "\n\n".join(parts), await self._closing_buttons(t, request)))

    # Feedback ----------------------------------------------------------------------------

    async def _rateable(self, person: Person, ref: str) -> tuple[Result, Request | None]:
        request = await self._asked(person, ref)
        if request is None or request.member_id is None:
            return Result.NOT_FOUND, None
        if request.is_open:
            return Result.NOT_FOUND, None  # rated after the close, not during
        return Result.OK, request

    async def rate(self, person: Person, ref: str, rating: int) -> Result:
        if not 1 <= rating <= 5:
            return Result.UNKNOWN
        async with self.core.db.transaction():
            result, request = await self._rateable(person, ref)
            if result is not Result.OK:
                return result
            if not await self.cases.add_rating(request.id, rating):
                return Result.ALREADY
        return Result.OK

    async def comment(self, person: Person, ref: str, text: str) -> Result:
        text = text.strip()
        async with self.core.db.transaction():
            result, request = await self._rateable(person, ref)
            if result is not Result.OK:
                return result
            if not text:
                return Result.EMPTY
            if len(text) > MAX_COMMENT:
                return Result.TOO_LONG
            if not await self.cases.add_comment(request.id, text):
                return Result.ALREADY
        return Result.OK


__all__ = ["Casework", "Closing", "MAX_NOTE", "MAX_COMMENT", "outcome_buttons", "rating_buttons"]
