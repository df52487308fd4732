"""Counting from the database: what the digest and the review need, as counts only.

Every number comes from a GROUP BY in `storage/figures.py` over the windows of one digest;
no case is loaded into Python. A signal is a department (group) x theme that recurs across
different requests in a window: the 13-week window of the digest, or the trend (12 months).
Different requesters are counted while every request of the cell is still linked to who
asked; after retention or erasure removed some links, requests are counted, and the digest
says which.
"""
from __future__ import annotations

from datetime import timedelta

from bot.foundations.charter import Charter
from bot.foundations.storage.figures import FiguresRepository

from .digest import COMPARED, OTHER, UNSET, Counts, Departments, Dims, dep_key
from .schedule import Window, older_span, span_of


async def department_requests(repo: FiguresRepository, window: Window) -> dict[str | None, int]:
    """Requests per stored department in the digest's window (for merging small ones)."""
    return await repo.departments(window.span())


def team_days(window: Window) -> tuple[str, str]:
    """A team signal keeps only its day (the organisation's): the window's days, start <= day < end."""
    return window.first_day.isoformat(), (window.last_day + timedelta(days=1)).isoformat()


async def team_departments(repo: FiguresRepository, window: Window) -> list[str]:
    """The departments team signals of the window name (one no longer configured stays countable)."""
    return await repo.team_departments(*team_days(window))


def dims_for(windows: list[Window], departments: Departments, charter: Charter,
             kinds_found: set[str] = frozenset()) -> Dims:
    kinds = [r.key for r in charter.referrals]
    kinds += sorted(kinds_found - set(kinds))
    return Dims(tuple(w.name for w in windows), departments.order, tuple(t.key for t in charter.work_themes),
                (*(lv.key for lv in charter.levels), UNSET), tuple(kinds),
                tuple(dict.fromkeys(dep_key(name) for name in departments.team_names)))


async def collect(repo: FiguresRepository, windows: list[Window], departments: Departments,
                  charter: Charter) -> tuple[Counts, set[str]]:
    """Every count of one digest; also the kinds of contact found (one may have left the directory)."""
    spans = [w.span() for w in windows]
    compared = [w.span() for w in windows if w.name in COMPARED]
    recent = windows[0].span()
    work = {t.key for t in charter.work_themes}
    levels = {lv.key for lv in charter.levels}

    def group(department: str | None) -> str:
        return departments.groups.get(department, OTHER)

    usage = await repo.usage(spans)
    tags: dict[tuple[str, str, str, str], int] = {}
    parts = [("recent", recent[1], recent[2]), older_span(windows)]
    for (part, department, theme, level), n in (await repo.themes(parts)).items():
        if theme in work:
            key = (part, group(department), theme, level if level in levels else UNSET)
            tags[key] = tags.get(key, 0) + n
    private = (await repo.with_any_theme([recent], [t.key for t in charter.private_themes])).get("now", 0)
    referrals = await repo.referrals(compared)
    promise = await repo.promise(compared)
    waits = {w: tuple(m for m, n in sorted(found.items()) for _ in range(n))
             for w, found in (await repo.waits(compared)).items()}
    signals = {}
    for span in (("recent", recent[1], recent[2]), span_of(windows)):
        for (grp, theme), found in (await repo.signals(span, departments.groups, OTHER)).items():
            if theme in work:
                signals[(span[0], grp, theme)] = found
    kinds = await repo.kinds(compared)
    team = {}
    for (department, theme, level), n in (await repo.team_signals(*team_days(windows[0]))).items():
        if theme in work:
            key = (department, theme, level if level in levels else UNSET)
            team[key] = team.get(key, 0) + n
    counts = Counts(usage, tags, private, referrals, promise, waits, signals, await repo.open_conversations(),
                    concerns={w: c for w, (c, _) in kinds.items() if c},
                    collective={w: c for w, (_, c) in kinds.items() if c},
                    team=team)
    return counts, {kind for _, kind in referrals}
