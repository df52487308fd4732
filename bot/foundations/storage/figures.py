"""Counts for the steering group's figures: GROUP BY queries over a window of requests.

Nothing here loads cases into Python: every method returns counts per group (or, for the
median, minutes per value), computed by SQLite over `requests.created_at` (indexed) and the
structured case fields. A window is a (name, first moment, end moment) in UTC ISO text;
several windows are contiguous and given newest first.

`add_past_case` writes a closed case as retention leaves it, for demonstrations and
benchmarks that need a year of history in a throw-away database.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .database import Database
from .members import random_code

Span = tuple[str, str, str]  # (name, start, end): start <= created_at < end


def _windows(spans: Sequence[Span]) -> tuple[str, list, str, list]:
    """CASE expression naming each request's window, and the WHERE bounds around all of them."""
    if not spans:
        raise ValueError("no window")
    for newer, older in zip(spans, spans[1:]):
        if older[2] != newer[1]:
            raise ValueError("windows must be contiguous, newest first")
    case = "CASE " + " ".join("WHEN r.created_at >= ? THEN ?" for _ in spans) + " END"
    params: list = []
    for name, start, _ in spans:
        params += [start, name]
    return case, params, "r.created_at >= ? AND r.created_at < ?", [spans[-1][1], spans[0][2]]


def _grouping(groups: Mapping[str | None, str], other: str) -> tuple[str, list]:
    """CASE expression mapping a stored department to its group (NULL: not given)."""
    parts, params = [], []
    for department, group in groups.items():
        if department is None:
            parts.insert(0, "WHEN r.department IS NULL THEN ?")
            params.insert(0, group)
        else:
            parts.append("WHEN r.department = ? THEN ?")
            params += [department, group]
    return "CASE " + " ".join(parts + ["ELSE ?"]) + " END", params + [other]


@dataclass(frozen=True)
class SignalCount:
    requests: int   # requests in the cell
    people: int     # different requesters among those still linked to who asked
    unlinked: int   # requests whose link to who asked is gone (retention, erasure)


class FiguresRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def departments(self, span: Span) -> dict[str | None, int]:
        """Requests per stored department (None: not given) in one window."""
        rows = await self.db.fetchall(
            "SELECT r.department, COUNT(*) FROM requests r WHERE r.created_at >= ? AND r.created_at < ?"
            " GROUP BY r.department", (span[1], span[2]))
        return {r[0]: r[1] for r in rows}

    async def usage(self, spans: Sequence[Span]) -> dict[tuple[str, int, str, int], int]:
        """(window, urgent, outcome, breached) -> requests. The outcome is the one recorded, else
        'withdrawn' for a request withdrawn before anyone took it, else 'open'."""
        case, params, where, bounds = _windows(spans)
        rows = await self.db.fetchall(
            f"SELECT {case} AS win, r.urgent, COALESCE(r.outcome, CASE WHEN r.state = 'withdrawn'"
            " THEN 'withdrawn' ELSE 'open' END) AS out, r.breached_at IS NOT NULL AS br, COUNT(*)"
            f" FROM requests r WHERE {where} GROUP BY win, r.urgent, out, br", params + bounds)
        return {(r[0], int(r[1]), r[2], int(r[3])): r[4] for r in rows}

    async def themes(self, spans: Sequence[Span]) -> dict[tuple[str, str | None, str, str], int]:
        """(window, stored department, theme, level or '') -> requests tagged with that theme."""
        case, params, where, bounds = _windows(spans)
        rows = await self.db.fetchall(
            f"SELECT {case} AS win, r.department, t.theme, COALESCE(r.level, '') AS lvl, COUNT(*)"
            f" FROM requests r JOIN case_themes t ON t.request_id = r.id WHERE {where}"
            " GROUP BY win, r.department, t.theme, lvl", params + bounds)
        return {(r[0], r[1], r[2], r[3]): r[4] for r in rows}

    async def with_any_theme(self, spans: Sequence[Span], themes: Iterable[str]) -> dict[str, int]:
        """window -> requests tagged with at least one of `themes` (each request once)."""
        themes = list(themes)
        if not themes:
            return {}
        case, params, where, bounds = _windows(spans)
        marks = ", ".join("?" * len(themes))
        rows = await self.db.fetchall(
            f"SELECT {case} AS win, COUNT(*) FROM requests r WHERE {where} AND EXISTS (SELECT 1 FROM"
            f" case_themes t WHERE t.request_id = r.id AND t.theme IN ({marks})) GROUP BY win",
            params + bounds + themes)
        return {r[0]: r[1] for r in rows}

    async def referrals(self, spans: Sequence[Span]) -> dict[tuple[str, str], int]:
        """(window, kind of contact) -> requests referred to that kind (each request once per kind)."""
        case, params, where, bounds = _windows(spans)
        rows = await self.db.fetchall(
            f"SELECT {case} AS win, c.kind, COUNT(DISTINCT r.id) FROM requests r"
            f" JOIN case_referrals c ON c.request_id = r.id WHERE {where} GROUP BY win, c.kind", params + bounds)
        return {(r[0], r[1]): r[2] for r in rows}

    async def promise(self, spans: Sequence[Span]) -> dict[str, tuple[int, int]]:
        """window -> (kept, decided): requests contacted without a breach, and requests where the
        promise was put to the test (contacted, or the deadline passed without contact)."""
        case, params, where, bounds = _windows(spans)
        rows = await self.db.fetchall(
            f"SELECT {case} AS win,"
            " SUM(r.contacted_at IS NOT NULL AND r.breached_at IS NULL),"
            " SUM(r.contacted_at IS NOT NULL OR r.breached_at IS NOT NULL)"
            f" FROM requests r WHERE {where} GROUP BY win", params + bounds)
        return {r[0]: (int(r[1] or 0), int(r[2] or 0)) for r in rows}

    async def waits(self, spans: Sequence[Span]) -> dict[str, dict[int, int]]:
        """window -> {minutes from the request to the first message: how many requests}."""
        case, params, where, bounds = _windows(spans)
        rows = await self.db.fetchall(
            f"SELECT {case} AS win,"
            " MAX(0, CAST(ROUND((julianday(r.contacted_at) - julianday(r.created_at)) * 1440) AS INTEGER)) AS m,"
            f" COUNT(*) FROM requests r WHERE {where} AND r.contacted_at IS NOT NULL GROUP BY win, m",
            params + bounds)
        found: dict[str, dict[int, int]] = {}
        for row in rows:
            found.setdefault(row[0], {})[row[1]] = row[2]
        return found

    async def signals(self, span: Span, groups: Mapping[str | None, str], other: str
                      ) -> dict[tuple[str, str], SignalCount]:
        """(department group, theme) -> requests, different requesters still linked, and unlinked."""
        grouping, params = _grouping(groups, other)
        rows = await self.db.fetchall(
            f"SELECT {grouping} AS grp, t.theme, COUNT(*), COUNT(DISTINCT r.requester_id),"
            " SUM(r.requester_id IS NULL) FROM requests r JOIN case_themes t ON t.request_id = r.id"
            " WHERE r.created_at >= ? AND r.created_at < ? GROUP BY grp, t.theme",
            params + [span[1], span[2]])
        return {(r[0], r[1]): SignalCount(r[2], r[3], int(r[4] or 0)) for r in rows}

    async def kinds(self, spans: Sequence[Span]) -> dict[str, tuple[int, int]]:
        """window -> (concerns about a colleague, requests marked as having a collective character)."""
        case, params, where, bounds = _windows(spans)
        rows = await self.db.fetchall(
            f"SELECT {case} AS win, SUM(r.kind = 'concern'), SUM(r.collective) FROM requests r WHERE {where}"
            " GROUP BY win", params + bounds)
        return {r[0]: (int(r[1] or 0), int(r[2] or 0)) for r in rows}

    async def team_signals(self, first_day: str, end_day: str) -> dict[tuple[str, str, str], int]:
        """(department, theme, level) -> team signals of the days first_day <= day < end_day."""
        rows = await self.db.fetchall(
            "SELECT s.department, t.theme, COALESCE(s.level, ''), COUNT(*) FROM team_signals s"
            " JOIN team_signal_themes t ON t.signal_id = s.id WHERE s.created_at >= ? AND s.created_at < ?"
            " GROUP BY s.department, t.theme, s.level", (first_day, end_day))
        return {(r[0], r[1], r[2]): r[3] for r in rows}

    async def team_departments(self, first_day: str, end_day: str) -> list[str]:
        """The departments named by team signals of those days."""
        rows = await self.db.fetchall(
            "SELECT DISTINCT department FROM team_signals WHERE created_at >= ? AND created_at < ?"
            " ORDER BY department", (first_day, end_day))
        return [r[0] for r in rows]

    async def open_conversations(self) -> int:
        """Conversations a listener holds right now."""
        return await self.db.fetchval(
            "SELECT COUNT(*) FROM requests WHERE state IN ('claimed', 'contacted')")

    # History for demonstrations and benchmarks ----------------------------------------------------

    async def mark_kind(self, request_id: int, *, concern: bool, collective: bool) -> None:
        await self.db.execute("UPDATE requests SET kind = ?, collective = ? WHERE id = ?",
                              ("concern" if concern else "self", int(collective), request_id))

    async def add_past_case(self, *, created_at: str, deadline_at: str, department: str | None,
                            requester_id: int | None, member_id: int | None, state: str = "closed",
                            urgent: bool = False, claimed_at: str | None = None, contacted_at: str | None = None,
                            closed_at: str | None = None, breached_at: str | None = None,
                            outcome: str | None = None, level: str | None = None,
                            themes: Iterable[str] = (), referrals: Iterable[tuple[str, bool]] = (),
                            erased_at: str | None = None, kind: str = "self", collective: bool = False) -> int:
        """A case as the figures see it after retention: no messages, no notes, no wishes."""
        async with self.db.transaction():
            while await self.db.fetchval("SELECT 1 FROM requests WHERE ref = ?", (ref := random_code(5),)):
                pass
            request_id = await self.db.insert(
                "INSERT INTO requests (ref, requester_id, state, department, urgent, member_id, created_at,"
                " deadline_at, claimed_at, contacted_at, closed_at, closed_by, breached_at, outcome, level,"
                " content_erased_at, kind, collective) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (ref, requester_id, state, department, int(urgent), member_id, created_at, deadline_at,
                 claimed_at, contacted_at, closed_at, "member" if closed_at else None, breached_at, outcome,
                 level, erased_at, kind, int(collective)))
            for theme in dict.fromkeys(themes):
                await self.db.execute("INSERT INTO case_themes (request_id, theme) VALUES (?, ?)",
                                      (request_id, theme))
            for kind, consent in referrals:
                await self.db.execute(
                    "INSERT INTO case_referrals (request_id, kind, consent, created_at) VALUES (?, ?, ?, ?)",
                    (request_id, kind, int(consent), (contacted_at or created_at)[:10]))
        return request_id
