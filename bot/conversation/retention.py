"""Retention and erasure: deleted means gone, from the file itself.

A daily job deletes the content of cases closed longer ago than the retention period;
a requester's /forget does the same at once for everything that links to them. What
is left feeds the figures only (week, department, themes, level, timings, outcome,
referral kinds), with no link to a person. secure_delete overwrites what is deleted,
and a WAL checkpoint afterwards folds the old pages out of the write-ahead log.
"""
from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.foundations import clock
from bot.foundations.core import Core
from bot.foundations.model import Payload, Person, Request
from bot.foundations.storage.erasures import Erased
from bot.foundations.vocab import pseudonym

from .casework import outcome_buttons
from .requests import RequestDesk
from .team_signals import TeamSignals

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetentionReport:
    cases: int = 0        # cases whose content was deleted
    leftovers: int = 0    # old drafts and finished deliveries
    people: int = 0       # people rows that were nothing more than a hash and a chat id


class Erasure(enum.Enum):
    ERASED = "erased"        # everything that linked to the person is gone, their people row too
    ROLE_KEPT = "role_kept"  # their data as a requester is gone; the row stays for their role
    NOTHING = "nothing"      # there was nothing to erase


@dataclass(frozen=True)
class ErasedAgain:
    people: int = 0    # people of the restored copy erased again
    entries: int = 0   # erasures the replaced database made since the backup


@dataclass(frozen=True)
class Forgotten:
    erasure: Erasure
    cases: int = 0
    closed_ref: str | None = None  # the open request that was closed for the erasure
    signal: bool = False           # their team signal was deleted


class Retention:
    def __init__(self, core: Core, desk: RequestDesk) -> None:
        self.core = core
        self.desk = desk
        self.cases = core.cases
        self.audit = core.audit

    async def run(self, now: datetime | None = None) -> RetentionReport:
        cutoff = (now or clock.now()) - self.core.settings.retention
        cases = 0
        for request_id in await self.cases.due_for_retention(cutoff):
            async with self.core.db.transaction():
                request = await self.core.requests.get(request_id)
                await self.cases.erase_case_content(request_id)
                await self.audit.record("system", None, "retention", request.ref)
            cases += 1
        async with self.core.db.transaction():
            leftovers = await self.cases.drop_old_free_text(cutoff)
            leftovers += await TeamSignals(self.core).forget_old()
            people = await self.cases.drop_idle_people(cutoff)
            # Who asked to be forgotten is remembered only as long as a copy from before may exist.
            await self.core.erasures.forget_before(
                self.core.calendar.day((now or clock.now()) - timedelta(days=self.core.settings.backup_keep_days)))
        await self.core.db.checkpoint()
        report = RetentionReport(cases, leftovers, people)
        if cases or leftovers or people:
            log.info("retention: %d cases, %d leftovers, %d people", cases, leftovers, people)
        return report

    async def forget(self, person: Person, origin: int | None = None) -> Forgotten:
        """Erasure on request: close the open request, delete all that links to the person.

        A listener, coordinator or steering member keeps their people row, because their role
        hangs on it; only their data as a requester is erased (they are told so). The erasure log
        keeps the random tag of their people row, so a restore of an older copy erases them again;
        a row that stays gets a new tag at once, so the log links no role holder to it.
        """
        return await self._erase(person, origin)

    async def erase_again(self, entries: list[Erased]) -> ErasedAgain:
        """After a restore: everyone the replaced database had forgotten is erased again in the
        restored copy, quietly (they and their listener were told when they asked), and the log
        remembers them for the next restore. A role holder's row, which stays, gets a new tag (as
        at their /forget), so the restored log does not point at it."""
        core = self.core
        erased = 0
        for person_id in await core.people.with_erasure_tags(sorted({e.tag for e in entries})):
            if (person := await core.people.get(person_id)) is not None:
                await self._erase(person, None, quiet=True)
                erased += 1
        async with core.db.transaction():
            await core.erasures.add_missing(entries)
        return ErasedAgain(erased, len(entries))

    async def _erase(self, person: Person, origin: int | None, *, quiet: bool = False) -> Forgotten:
        core = self.core
        async with core.db.transaction():
            fresh = await core.people.get(person.id)
            if fresh is None:
                return Forgotten(Erasure.NOTHING)
            if not quiet and (tag := await core.people.erasure_tag(person.id)) is not None:
                await core.erasures.record(Erased(tag, core.calendar.day()))
            member = await core.members.by_person(person.id)
            keeps_role = bool(fresh.roles) or (member is not None and not member.left)
            closed: Request | None = None
            if (open_request := await core.requests.open_for_requester(person.id)) is not None:
                closed = await self._close(fresh, open_request)
            request_ids = await self.cases.requests_of(person.id)
            for request_id in request_ids:
                request = await core.requests.get(request_id)
                await self.cases.erase_case_content(request_id)
                await self.audit.record("system", None, "erased", request.ref)
            if closed is not None and closed.member_id is not None and not quiet:
                # After the content is gone, so this notice is not deleted with it.
                await self._tell_member(closed)
            if keeps_role:
                await core.people.renew_erasure_tag(person.id)  # the logged tag now names no live row
                await self.cases.drop_drafts_of(person.id)
                await core.prompts.clear(person.id)  # a half-typed request or comment goes too
                await core.volunteers.forget(person.id)  # and a wish to volunteer, and what they follow
            else:
                await core.inbox.unlink(await core.people.user_hash_of(person.id))
                await self.cases.drop_person(person.id)
            # Their team signal too: the keyed hash that links it to them, and so the signal.
            signal_gone = await TeamSignals(core).forget(person.id)
            if origin is not None:
                await core.inbox.done(origin)  # the /forget itself leaves nothing behind either
        await core.db.checkpoint()
        if keeps_role:
            erasure = Erasure.ROLE_KEPT
        else:
            erasure = Erasure.ERASED if request_ids or member is not None or signal_gone else Erasure.NOTHING
        return Forgotten(erasure, len(request_ids), closed.ref if closed else None, signal_gone)

    async def _close(self, person: Person, request: Request) -> Request:
        if request.unclaimed:
            await self.desk.withdraw(person, request.ref)  # open offers are retracted
        else:
            await self.core.requests.finish(request.id, "closed", "requester")
        return request

    async def _tell_member(self, request: Request) -> None:
        member = await self.core.members.get(request.member_id)
        t = await self.core.translator(member.person_id)
        await self.core.outbox.enqueue(member.person_id, Payload(
            t("{colleague} has closed the conversation and asked for their data to be erased. Their messages "
              "and the notes on this case have been deleted.", colleague=pseudonym(t, request.ref))
            + "\n\n" + t("How did it end? This only counts in the anonymous figures."),
            outcome_buttons(t, request.ref),
        ))


__all__ = ["Retention", "RetentionReport", "Erasure", "ErasedAgain", "Forgotten"]
