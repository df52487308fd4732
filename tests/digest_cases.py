"""Cases for the steering group's tests: written to a database through the real repository, and
counted in memory, apart from the bot's SQL, for the tests' own oracles.

A case has its creation instant and the facts the figures read (contact, breach, closure,
outcome, whether a conversation took place, department, level, themes, referrals, kind).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.foundations import clock

CONVERSED = ("listened", "referred", "signposted")


@dataclass(frozen=True)
class Case:
    created: datetime
    dep: str | None
    themes: tuple[str, ...] = ()
    level: str | None = None
    urgent: bool = False
    outcome: str | None = "listened"  # recorded outcome; None: open (or closed without one)
    withdrawn: bool = False           # withdrawn before anyone took it
    breached: bool = False            # the deadline passed without contact
    wait: int | None = 60             # minutes to first contact; None: no contact
    referrals: tuple[str, ...] = ()
    requester: int | None = None      # None: the link is gone (retention)
    open: bool = False                # still held by a listener
    concern: bool = False
    collective: bool = False
    conversed: bool | None = None     # None: as add_past_case decides (contact and a conversation's outcome)

    @property
    def contacted(self) -> datetime | None:
        return None if self.wait is None else self.created + timedelta(minutes=self.wait)

    @property
    def closed(self) -> datetime | None:
        if self.open:
            return None
        return (self.contacted or self.created) + timedelta(days=1)

    @property
    def counted(self) -> bool:
        """A conversation took place (the figures of what requests are about count only these)."""
        conversed = self.conversed
        if conversed is None:
            conversed = self.wait is not None and (self.outcome in CONVERSED or (self.outcome is None and not
                                                                                 self.withdrawn))
        return (self.wait is not None and conversed and not self.withdrawn
                and self.outcome not in ("no_reply", "withdrawn"))


async def insert(core, cases, person_ids: dict[int, int] | None = None) -> list[int]:
    """Write the cases through FiguresRepository.add_past_case (`person_ids`: requester -> people.id),
    in one transaction."""
    async with core.db.transaction():
        return await _insert(core, cases, person_ids)


async def _insert(core, cases, person_ids: dict[int, int] | None) -> list[int]:
    ids = []
    for case in cases:
        deadline = case.created + timedelta(hours=1 if case.urgent else 24)
        contacted = case.contacted
        state = "contacted" if case.open else "withdrawn" if case.withdrawn else "closed"
        ids.append(await core.figures.add_past_case(
            created_at=clock.iso(case.created), deadline_at=clock.iso(deadline), department=case.dep,
            requester_id=None if case.requester is None else (person_ids or {})[case.requester], member_id=None,
            state=state, urgent=case.urgent, claimed_at=clock.iso(contacted) if contacted else None,
            contacted_at=clock.iso(contacted) if contacted else None,
            closed_at=clock.iso(case.closed) if case.closed else None,
            breached_at=clock.iso(deadline) if case.breached else None,
            outcome=None if case.withdrawn else case.outcome, level=case.level, themes=case.themes,
            referrals=[(kind, True) for kind in case.referrals], kind="concern" if case.concern else "self",
            collective=case.collective, conversed=case.conversed))
    return ids


async def people_for(core, count: int, first: int = 5_000_000) -> dict[int, int]:
    async with core.db.transaction():
        return {i: (await core.people.ensure(first + i, first + i, "en")).id for i in range(count)}


def in_period(cases, start: datetime, end: datetime) -> list[Case]:
    return [c for c in cases if start <= c.created < end]


def themes_of(cases, work: set[str]) -> Counter:
    """theme -> conversations with it (each conversation once per theme)."""
    found: Counter = Counter()
    for case in cases:
        if case.counted:
            for theme in set(case.themes) & work:
                found[theme] += 1
    return found


def departments_of(cases) -> Counter:
    return Counter(case.dep for case in cases if case.counted)


@dataclass(frozen=True)
class TeamSignal:
    """An employee's signal without a conversation, on a day."""
    day: str
    dep: str
    themes: tuple[str, ...]
    level: str = "team"
    account: int = 0


async def insert_team_signals(core, signals) -> None:
    """Write team signals as the bot stores them: one per account and quarter."""
    async with core.db.transaction():
        await _insert_signals(core, signals)


async def _insert_signals(core, signals) -> None:
    for signal in signals:
        quarter = f"{signal.day[:4]}-Q{(int(signal.day[5:7]) - 1) // 3 + 1}"
        await core.team_signals.put([f"test-{signal.account}-{quarter}".encode()], signal.dep, list(signal.themes),
                                    signal.level, signal.day)
