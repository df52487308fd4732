"""Random case sets for the digest's tests: counted in memory the way the SQL counts them, or
written to a database through the real repository.

A case's `age` is how many whole weeks before the end of the digest's newest window it was
made; window 0 holds ages 0..12, window 1 ages 13..25, and so on (13-week windows).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.foundations import clock
from bot.foundations.storage.figures import SignalCount
from bot.steering.digest.digest import (
    OPEN,
    OTHER,
    OUTCOME_KEYS,
    UNSET,
    Counts,
    Departments,
)

WEEKS = 13
WINDOWS = ("now", "prev", "p2", "p3")


@dataclass(frozen=True)
class Case:
    age: int                      # weeks before the end of the newest window
    dep: str | None
    themes: tuple[str, ...] = ()
    level: str | None = None
    urgent: bool = False
    outcome: str | None = None    # recorded outcome; None: open or withdrawn before anyone took it
    withdrawn: bool = False       # withdrawn before anyone took it
    breached: bool = False
    wait: int | None = None       # minutes to first contact; None: no contact
    referrals: tuple[str, ...] = ()
    requester: int | None = None  # None: the link is gone (retention)
    open: bool = False            # still held by a listener
    concern: bool = False         # worried about a colleague
    collective: bool = False      # marked as having a collective character

    def created(self, end: datetime) -> datetime:
        return end - timedelta(weeks=self.age, days=2, hours=3)

    def window(self) -> str | None:
        index = self.age // WEEKS
        return WINDOWS[index] if index < len(WINDOWS) else None


def team_departments(signals) -> list[str]:
    return sorted({s.dep for s in signals if s.age < WEEKS})


def department_requests(cases) -> dict[str | None, int]:
    found: dict[str | None, int] = {}
    for case in cases:
        if case.window() == "now":
            found[case.dep] = found.get(case.dep, 0) + 1
    return found


@dataclass(frozen=True)
class TeamSignal:
    """An employee's signal without a conversation, `age` weeks before the end of the window."""
    age: int
    dep: str
    themes: tuple[str, ...]
    level: str = "team"


def counts_of(cases, departments: Departments, work, private, levels, team_signals=()) -> Counts:
    """What bot/steering/digest/signals.collect returns for these cases, counted in memory."""
    usage: dict = {}
    tags: dict = {}
    referrals: dict = {}
    promise: dict = {}
    waits: dict = {}
    signal_sets: dict = {}
    private_count = 0
    concerns: dict = {}
    collective: dict = {}
    for case in cases:
        win = case.window()
        if win is None:
            continue
        group = departments.groups.get(case.dep, OTHER)
        outcome = case.outcome or ("withdrawn" if case.withdrawn else OPEN)
        key = (win, int(case.urgent), outcome if outcome in OUTCOME_KEYS else OPEN, int(case.breached))
        usage[key] = usage.get(key, 0) + 1
        part = "recent" if win == "now" else "older"
        level = case.level if case.level in levels else UNSET
        for theme in dict.fromkeys(case.themes):
            if theme in work:
                tags[(part, group, theme, level)] = tags.get((part, group, theme, level), 0) + 1
                for span in (("recent", "year") if win == "now" else ("year",)):
                    signal_sets.setdefault((span, group, theme), []).append(case.requester)
        if win == "now" and any(t in private for t in case.themes):
            private_count += 1
        if win in ("now", "prev"):
            if case.concern:
                concerns[win] = concerns.get(win, 0) + 1
            if case.collective:
                collective[win] = collective.get(win, 0) + 1
            for kind in dict.fromkeys(case.referrals):
                referrals[(win, kind)] = referrals.get((win, kind), 0) + 1
            kept, decided = promise.get(win, (0, 0))
            contacted = case.wait is not None
            promise[win] = (kept + (contacted and not case.breached), decided + (contacted or case.breached))
            if contacted:
                waits.setdefault(win, []).append(case.wait)
    signals = {key: SignalCount(len(who), len({w for w in who if w is not None}), sum(w is None for w in who))
               for key, who in signal_sets.items()}
    team: dict = {}
    for signal in team_signals:
        if signal.age < WEEKS:
            for theme in dict.fromkeys(signal.themes):
                if theme in work:
                    key = (signal.dep, theme, signal.level if signal.level in levels else UNSET)
                    team[key] = team.get(key, 0) + 1
    return Counts(usage, tags, private_count, referrals, promise, {w: tuple(sorted(v)) for w, v in waits.items()},
                  signals, sum(c.open for c in cases), concerns, collective, team)


async def insert(core, cases, end: datetime, person_ids: dict[int, int]) -> None:
    """Write the cases through FiguresRepository.add_past_case (`person_ids`: requester -> people.id)."""
    for case in cases:
        created = case.created(end)
        deadline = created + timedelta(hours=24)
        contacted = created + timedelta(minutes=case.wait) if case.wait is not None else None
        state = "contacted" if case.open else "withdrawn" if case.withdrawn else "closed"
        await core.figures.add_past_case(
            created_at=clock.iso(created), deadline_at=clock.iso(deadline), department=case.dep,
            requester_id=None if case.requester is None else person_ids[case.requester], member_id=None,
            state=state, urgent=case.urgent, contacted_at=clock.iso(contacted) if contacted else None,
            closed_at=None if case.open else clock.iso(created + timedelta(days=1)),
            breached_at=clock.iso(deadline) if case.breached else None,
            outcome=None if case.withdrawn else case.outcome, level=case.level, themes=case.themes,
            referrals=[(kind, True) for kind in case.referrals], kind="concern" if case.concern else "self",
            collective=case.collective)


async def insert_team_signals(core, signals, end: datetime) -> None:
    """Write team signals as the bot stores them (each under its own dedupe key)."""
    for number, signal in enumerate(signals):
        day = (end - timedelta(weeks=signal.age, days=2)).date().isoformat()
        await core.team_signals.put([f"test-{number}".encode()], signal.dep, list(signal.themes), signal.level, day)
