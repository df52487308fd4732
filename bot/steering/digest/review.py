"""The network reviews before anything leaves (004:3465-3468).

With the first digest of each month (or every WAAKZAAM_REVIEW_EVERY days) every listener gets
the candidate signals: department x theme cells that came back in at least WAAKZAAM_SIGNAL_MIN
conversations of the closed months of a quarter, from different colleagues (digest/signals.py).
No count is shown: the steering group gets the counts with the quarter's release, and what the
round tells (that a cell reached WAAKZAAM_SIGNAL_MIN) is itself a release, a flag the figures
engine holds with everything else (review/<round>). The listeners say, each for
themselves, whether to report a candidate; it is reported when more of them want it reported
than not. They may add a suggestion in their own words (at most 500 characters): the bot asks,
every time, not to write anything that points at a person, warns when the text looks like it
holds a name or a case reference, and a coordinator approves or sends back every suggestion
before it can appear in a digest. Case text never appears anywhere in this path.

The round is recorded in the same transaction as the digest it comes with and the messages
that announce it. Its buttons work until the next round opens.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from bot.foundations import callbacks
from bot.foundations.core import Core
from bot.foundations.i18n import Translator
from bot.foundations.model import Button, Member, Payload, Person, Result, ticked
from bot.foundations.naming import Naming
from bot.foundations.storage.review import Candidate, Round, Suggestion

from .model import Published
from .render import Words, candidate_label, candidate_text, period, review_text, round_name
from .schedule import Slot, review_label

if TYPE_CHECKING:
    from .service import Built

MAX_SUGGESTION = 500


@dataclass(frozen=True)
class Suggested:
    result: Result
    suggestion_id: int | None = None
    flagged: tuple[str, ...] = ()   # words that may point at a person (shown to their author only)
    label: str = ""


class NetworkReview:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.settings = core.settings
        self.naming = Naming(core.settings.departments, core.charter)

    def words(self, t: Translator) -> Words:
        return Words(t, self.core.charter, self.settings.departments)

    # Opening a round (inside the digest's transaction) --------------------------------------------

    async def due(self, slot: Slot) -> str | None:
        """The label of the round that opens with this digest, or None."""
        every = self.settings.review_every_days
        label = review_label(slot, every)
        if await self.core.reviews.has_label(label):
            return None
        if every is not None:
            latest = await self.core.reviews.latest_round(before_week=slot.week)
            stored = latest and await self.core.digests.get(latest.digest_week)
            if stored is not None and (slot.day - self.core.calendar.date_of(stored.slot_at)).days < every:
                return None
        return label

    async def open_round(self, label: str, built: Built, slot: Slot) -> int | None:
        """Record the round and tell every listener. Called in the digest's transaction."""
        round_id = await self.core.reviews.open_round(label, slot.week, built.candidates,
                                                      built.published["review"]["quarter"])
        if round_id is None:
            return None
        review, pub = await self.core.reviews.round(round_id), Published(built.published)
        messages: dict[str, tuple[str, tuple[tuple[Button, ...], ...]]] = {}  # the same for every reader of a language
        for member in await self.core.members.active():
            t = await self.core.translator(member.person_id)
            if t.lang not in messages:
                messages[t.lang] = await self._round_message(t, review, pub)
            text, buttons = messages[t.lang]
            await self.core.outbox.enqueue(member.person_id, Payload(text, buttons, protect=True))
        return round_id

    # What the digest reports -------------------------------------------------------------------

    async def reported_before(self, week: str) -> list[dict]:
        """The signals of the latest round opened before this week's digest that the network
        reported, each with its approved suggestions, its round and the quarter it looked at."""
        review = await self.core.reviews.latest_round(before_week=week)
        if review is None or review.quarter is None:
            return []
        chosen = []
        tallies = await self.core.reviews.tallies(review.id)
        for c in await self.core.reviews.candidates(review.id):
            yes, no = tallies.get(c.id, (0, 0))
            if yes > no:
                chosen.append(c)
        approved = await self.core.reviews.approved(c.id for c in chosen)
        return [{"dep": c.dep, "dep_name": c.dep if not c.dep.startswith("~") else None, "theme": c.theme,
                 "basis": c.basis, "suggestions": list(approved.get(c.id, ())), "round": review.label,
                 "quarter": review.quarter} for c in chosen]

    # The listener's side ----------------------------------------------------------------------

    async def _listener(self, person: Person) -> Member | None:
        member = await self.core.members.by_person(person.id)
        return member if member is not None and member.active else None

    async def _current(self, round_id: int | None = None) -> tuple[Result, Round | None, Published | None]:
        latest = await self.core.reviews.latest_round()
        if latest is None:
            return Result.NOT_FOUND, None, None
        if round_id is not None and round_id != latest.id:
            return Result.CLOSED, latest, None
        stored = await self.core.digests.get(latest.digest_week)
        return Result.OK, latest, Published(stored.published)

    async def _round_message(self, t: Translator, review: Round, pub: Published
                             ) -> tuple[str, tuple[tuple[Button, ...], ...]]:
        words = self.words(t)
        candidates = await self.core.reviews.candidates(review.id)
        looked = pub.review or {}
        months = period(t, date.fromisoformat(looked["first_day"]), date.fromisoformat(looked["last_day"])) \
            if looked.get("first_day") else ""
        text = review_text(words, pub, round_name(t, review.label), months, candidates,
                           await self.core.reviews.tallies(review.id))
        rows = tuple(((_short(f"{c.position}. {candidate_label(words, pub, c.dep, c.theme)}"),
                       callbacks.REVIEW_SHOW(c.id)),) for c in candidates)
        return text, rows

    async def round_view(self, person: Person, round_id: int | None = None
                         ) -> tuple[Result, str | None, tuple[tuple[Button, ...], ...]]:
        """The current round's list (`round_id`: the round a button belongs to)."""
        member = await self._listener(person)
        if member is None:
            return Result.NOT_MEMBER, None, ()
        result, review, pub = await self._current(round_id)
        if result is not Result.OK:
            return result, None, ()
        text, rows = await self._round_message(Translator(person.language), review, pub)
        return Result.OK, text, rows

    async def _candidate(self, person: Person, candidate_id: int
                         ) -> tuple[Result, Member | None, Candidate | None, Published | None]:
        member = await self._listener(person)
        if member is None:
            return Result.NOT_MEMBER, None, None, None
        candidate = await self.core.reviews.candidate(candidate_id)
        if candidate is None:
            return Result.NOT_FOUND, member, None, None
        result, _, pub = await self._current(candidate.round_id)
        return result, member, candidate, pub

    async def candidate_view(self, person: Person, candidate_id: int
                             ) -> tuple[Result, str | None, tuple[tuple[Button, ...], ...]]:
        result, member, candidate, pub = await self._candidate(person, candidate_id)
        if result is not Result.OK:
            return result, None, ()
        t = Translator(person.language)
        tally = (await self.core.reviews.tallies(candidate.round_id)).get(candidate.id, (0, 0))
        mine = await self.core.reviews.vote_of(candidate.id, member.id)
        suggestion = await self.core.reviews.suggestion_of(candidate.id, member.id)
        text = candidate_text(self.words(t), pub, candidate, mine, tally, _shown_state(suggestion))
        rows = (
            ((ticked(t("Report it"), mine is True), callbacks.REVIEW_VOTE(candidate.id, "y")),
             (ticked(t("Do not report"), mine is False), callbacks.REVIEW_VOTE(candidate.id, "n"))),
            ((t("Write a suggestion"), callbacks.REVIEW_SUGGEST(candidate.id)),),
            ((t("Back to the list"), callbacks.REVIEW_LIST(candidate.round_id)),),
        )
        return Result.OK, text, rows

    async def vote(self, person: Person, candidate_id: int, report: bool) -> Result:
        async with self.core.db.transaction():
            result, member, candidate, _ = await self._candidate(person, candidate_id)
            if result is not Result.OK:
                return result
            await self.core.reviews.vote(candidate.id, member.id, report)
        return Result.OK

    async def ask_suggestion(self, person: Person, candidate_id: int) -> tuple[Result, str]:
        """May this listener write a suggestion on the candidate? Returns its label too."""
        result, _, candidate, pub = await self._candidate(person, candidate_id)
        if result is not Result.OK:
            return result, ""
        words = self.words(Translator(person.language))
        return Result.OK, candidate_label(words, pub, candidate.dep, candidate.theme)

    async def _approvers(self, author: int) -> list[int]:
        """The coordinators who may approve what this person wrote: every one but the author."""
        return [p for p in await self.core.people.with_role("coordinator") if p != author]

    async def suggest(self, person: Person, candidate_id: int, text: str, origin: int | None = None) -> Suggested:
        """Keep a suggestion. When it may point at a person, its author is asked first (FLAGGED
        words returned); otherwise the coordinators are asked to approve it. Result.LAST, and
        nothing kept, when no coordinator but the author could approve it: it would wait unseen."""
        text = " ".join(text.split())
        async with self.core.db.transaction():
            if (done := await self.core.reviews.suggestion_by_origin(origin)) is not None:
                return Suggested(Result.OK if done.state != "flagged" else Result.PENDING, done.id)
            result, member, candidate, pub = await self._candidate(person, candidate_id)
            if result is not Result.OK:
                return Suggested(result)
            approvers = await self._approvers(person.id)
            if not approvers:
                return Suggested(Result.LAST)
            if not text:
                return Suggested(Result.EMPTY)
            if len(text) > MAX_SUGGESTION:
                return Suggested(Result.TOO_LONG)
            flagged = self.naming.suspicious(text)
            replaced = await self.core.reviews.suggestion_of(candidate.id, member.id) is not None
            suggestion_id = await self.core.reviews.add_suggestion(candidate.id, member.id, text,
                                                                   flagged=bool(flagged), origin=origin)
            label = candidate_label(self.words(Translator(person.language)), pub, candidate.dep, candidate.theme)
            if not flagged:
                await self._ask_coordinators(suggestion_id, candidate, pub, approvers, flagged=False)
        if replaced:
            await self.core.db.checkpoint()  # the earlier text, replaced at its author's word, is gone from the files
        if flagged:
            return Suggested(Result.PENDING, suggestion_id, tuple(flagged), label)
        return Suggested(Result.OK, suggestion_id, (), label)

    async def send_flagged(self, person: Person, suggestion_id: int, send: bool) -> tuple[Result, int | None]:
        """The author, warned, sends the suggestion anyway, or drops it to write it again.
        Returns the candidate it belongs to. Result.LAST when nobody but the author could approve
        it now (the other coordinator left meanwhile): it is dropped, not left to wait unseen."""
        async with self.core.db.transaction():
            suggestion = await self.core.reviews.suggestion(suggestion_id)
            member = await self._listener(person)
            if member is None:
                return Result.NOT_MEMBER, None
            if suggestion is None or suggestion.member_id != member.id:
                return Result.NOT_FOUND, None
            result, _, candidate, pub = await self._candidate(person, suggestion.candidate_id)
            if result is not Result.OK:
                return result, None
            if suggestion.state != "flagged":
                return Result.ALREADY, candidate.id
            approvers = await self._approvers(person.id) if send else []
            if approvers:
                await self.core.reviews.set_state(suggestion.id, "pending", only_if="flagged")
                await self._ask_coordinators(suggestion.id, candidate, pub, approvers, flagged=True)
            else:
                await self.core.reviews.set_state(suggestion.id, "returned", only_if="flagged")
        if not approvers:
            await self.core.db.checkpoint()  # taken back, or nobody to read it: gone from the files at once
            return (Result.LAST if send else Result.CANCELLED), candidate.id
        return Result.OK, candidate.id

    async def _ask_coordinators(self, suggestion_id: int, candidate: Candidate, pub: Published,
                                approvers: list[int], *, flagged: bool) -> None:
        """Ask each approver (a listener who is also a coordinator does not approve their own words)."""
        suggestion = await self.core.reviews.suggestion(suggestion_id)
        for person_id in approvers:
            t = await self.core.translator(person_id)
            label = candidate_label(self.words(t), pub, candidate.dep, candidate.theme)
            lines = [t("A suggestion from the network waits for your approval ({signal}):", signal=label),
                     f"“{suggestion.text}”"]
            if flagged:
                lines.append(t("⚠ The bot warned the listener that it may contain a name or a case reference."))
            lines.append(t("It reaches the steering group's digest only if you approve it, and only with the "
                           "signal it belongs to."))
            await self.core.outbox.enqueue(person_id, Payload("\n\n".join(lines), (
                ((t("Approve"), callbacks.SUGGESTION_DECIDE(suggestion_id, "ok")),
                 (t("Send back"), callbacks.SUGGESTION_DECIDE(suggestion_id, "back"))),), protect=True))

    # The coordinator's side ------------------------------------------------------------------

    async def decide(self, person: Person, suggestion_id: int, approve: bool) -> Result:
        if not person.is_coordinator:
            return Result.NOT_ALLOWED
        async with self.core.db.transaction():
            suggestion = await self.core.reviews.suggestion(suggestion_id)
            if suggestion is None:
                return Result.NOT_FOUND
            if suggestion.state != "pending":
                return Result.ALREADY
            author = await self.core.members.get(suggestion.member_id)
            if author is not None and author.person_id == person.id:
                return Result.NOT_ALLOWED  # their own suggestion: another coordinator decides
            await self.core.reviews.set_state(suggestion.id, "approved" if approve else "returned",
                                              only_if="pending", decided_by=person.id)
            await self.core.audit.record("coordinator", person.id,
                                         "suggestion_approved" if approve else "suggestion_returned")
            await self._tell_author(suggestion, approve)
        if not approve:
            await self.core.db.checkpoint()  # sent back: its text is gone from the files now, not at night
        return Result.OK

    async def _tell_author(self, suggestion: Suggestion, approved: bool) -> None:
        member = suggestion.member_id and await self.core.members.get(suggestion.member_id)
        candidate = await self.core.reviews.candidate(suggestion.candidate_id)
        if not member or member.left or candidate is None:
            return
        review = await self.core.reviews.round(candidate.round_id)
        pub = Published((await self.core.digests.get(review.digest_week)).published)
        t = await self.core.translator(member.person_id)
        label = candidate_label(self.words(t), pub, candidate.dep, candidate.theme)
        if approved:
            text = t("Your suggestion on {signal} is approved. It appears in the digest with the signal, when the "
                     "network reports it and its count can be shown.", signal=label)
        else:
            text = t("A coordinator sent your suggestion on {signal} back, so it is not used. You may write a new "
                     "one with /review.", signal=label)
        await self.core.outbox.enqueue(member.person_id, Payload(text))


def _shown_state(suggestion: Suggestion | None) -> str | None:
    """What the listener is told of their suggestion: taken back by them is not sent back."""
    if suggestion is None:
        return None
    return "withdrawn" if suggestion.state == "returned" and suggestion.decided_by is None else suggestion.state


def _short(label: str, limit: int = 48) -> str:
    """A button label that fits a phone's width."""
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"
