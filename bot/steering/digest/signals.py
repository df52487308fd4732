"""The network's review: which department x theme came back across different colleagues.

A review round looks at the closed months of one quarter: in a quarter's first month, the whole
quarter before (its last month just closed); later, the closed months of the current quarter.
Never a window that overlaps another round's in a way that could be subtracted: a round's months
are a prefix of its quarter, and what it tells (that a cell reached WAAKZAAM_SIGNAL_MIN) is a flag
the figures engine holds with everything else released.

Only conversations count (a conversation took place), as for every figure of what requests are
about. Different colleagues are counted while the link to who asked still exists.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.foundations.calendar import Calendar, Period, month_of
from bot.foundations.charter import Charter
from bot.foundations.clock import iso
from bot.foundations.storage.figures import FiguresRepository
from bot.steering.releases.cells import dep_key
from bot.steering.releases.service import qualifies

MAX_CANDIDATES = 12


@dataclass(frozen=True)
class Looked:
    """What a round looks at: a quarter and its closed months."""

    quarter: Period
    months: list[Period]

    @property
    def first_day(self) -> date:
        return self.months[0].start

    @property
    def last_day(self) -> date:
        return self.months[-1].end - timedelta(days=1)


def looked_at(slot_day: date) -> Looked:
    """The closed months of the quarter of the last closed month before the slot."""
    last = month_of(slot_day.replace(day=1) - timedelta(days=1))
    quarter = last.quarter()
    return Looked(quarter, [m for m in quarter.months() if m.end <= last.end])


async def candidates(repo: FiguresRepository, calendar: Calendar, charter: Charter, looked: Looked, *,
                     signal_min: int, now: datetime, departments: Sequence[str] = ()) -> list[tuple[str, str, str, str]]:
    """(department key, theme, span, basis) of each department x theme that recurs across
    different colleagues in the months looked at, in the charter's order (never by a count: the
    list may be cut at MAX_CANDIDATES, and what is cut must say nothing about sizes)."""
    start = calendar.bounds(looked.months[0])[0]
    end = calendar.bounds(looked.months[-1])[1]
    work = [t.key for t in charter.work_themes]
    found = []
    for (department, theme), counted in (await repo.signals(start, end, iso(now))).items():
        if theme not in work:
            continue
        basis = qualifies(counted, signal_min)
        if basis is not None:
            found.append((dep_key(department), theme, basis))
    configured = [dep_key(d) for d in departments]
    found.sort(key=lambda x: (configured.index(x[0]) if x[0] in configured else len(configured), x[0],
                              work.index(x[1])))
    return [(dep, theme, "recent", basis) for dep, theme, basis in found][:MAX_CANDIDATES]


__all__ = ["candidates", "looked_at", "Looked", "MAX_CANDIDATES"]
