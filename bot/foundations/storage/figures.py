"""Counts for the figures of closed periods: GROUP BY queries, taken once per period.

Nothing here loads cases into Python: every method returns counts per group (or, for the median,
minutes per value), computed by SQLite over `requests.created_at` (indexed) and the structured
case fields. Bounds are UTC instants (ISO text) of the organisation's local midnights, or the
organisation's days for what is kept only to the day (team signals, ratings).

Every count is "as of" a counting instant `cut`, from facts that are set once (contact, breach,
closure), so that counting the same requests again with the same cut gives the same answer:

- fate (of the contact promise): 'missed' (the deadline passed without contact), 'kept' (contact
  first), 'unanswered' (closed or withdrawn first), 'pending' (none of these yet);
- a conversation took place (`counted`): contact made, the colleague wrote after it, and it did
  not end as withdrawn or without a reply. Only such requests are counted by what they are about.

`add_past_case` writes a closed case as retention leaves it, for demonstrations and benchmarks
that need a year of history in a throw-away database.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .database import Database
from .members import random_code

Bounds = tuple[str, str, str]  # (name, start, end): start <= created_at < end, UTC ISO instants

FATE = ("CASE WHEN r.breached_at IS NOT NULL AND r.breached_at < :cut THEN 'missed'"
        " WHEN r.contacted_at IS NOT NULL AND r.contacted_at < :cut THEN 'kept'"
        " WHEN r.closed_at IS NOT NULL AND r.closed_at < :cut THEN 'unanswered' ELSE 'pending' END")
COUNTED = ("(r.contacted_at IS NOT NULL AND r.contacted_at < :cut AND r.conversed = 1 AND r.state <> 'withdrawn'"
           " AND COALESCE(r.outcome, '') NOT IN ('no_reply', 'withdrawn'))")
CONVERSED_OUTCOMES = ("listened", "referred", "signposted")


def _named(parts: Sequence[Bounds]) -> tuple[str, dict]:
    """CASE expression naming each request's part, and its parameters (parts are contiguous, oldest first)."""
    params: dict = {}
    whens = []
    for i, (name, _start, end) in enumerate(parts):
        params[f"e{i}"], params[f"n{i}"] = end, name
        whens.append(f"WHEN r.created_at < :e{i} THEN :n{i}")
    params["first"], params["last"] = parts[0][1], parts[-1][2]
    return "CASE " + " ".join(whens) + " END", params


@dataclass(frozen=True)
class SignalCount:
    requests: int   # counted requests in the cell
    people: int     # different requesters among those still linked to who asked
    unlinked: int   # requests whose link to who asked is gone (retention, erasure)


class FiguresRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    # A month: how often colleagues asked, and the contact promise --------------------------------

    async def use(self, parts: Sequence[Bounds], cut: str) -> dict[tuple[str, int, str], int]:
        """(week-part, urgent, fate) -> requests made in that part (parts: a month's week-parts)."""
        case, params = _named(parts)
        rows = await self.db.fetchall(
            f"SELECT {case} AS part, r.urgent, {FATE} AS fate, COUNT(*) FROM requests r"
            " WHERE r.created_at >= :first AND r.created_at < :last GROUP BY part, r.urgent, fate",
            {**params, "cut": cut})
        return {(r[0], int(r[1]), r[2]): r[3] for r in rows}

    async def waits(self, start: str, end: str, cut: str) -> list[int]:
        """Minutes from each request to its first contact (contact before the cut), sorted."""
        rows = await self.db.fetchall(
            "SELECT MAX(0, CAST(ROUND((julianday(r.contacted_at) - julianday(r.created_at)) * 1440) AS INTEGER))"
            " AS m, COUNT(*) FROM requests r WHERE r.created_at >= :start AND r.created_at < :end"
            " AND r.contacted_at IS NOT NULL AND r.contacted_at < :cut GROUP BY m ORDER BY m",
            {"start": start, "end": end, "cut": cut})
        return [m for m, n in rows for _ in range(n)]

    async def so_far(self, parts: Sequence[Bounds]) -> dict[str, int]:
        """week-part -> requests made in it (rows are never deleted: a closed part never changes)."""
        case, params = _named(parts)
        rows = await self.db.fetchall(
            f"SELECT {case} AS part, COUNT(*) FROM requests r WHERE r.created_at >= :first AND r.created_at < :last"
            " GROUP BY part", params)
        return {r[0]: r[1] for r in rows}

    # A quarter: how requests ended, and what the conversations were about --------------------------

    async def endings(self, start: str, end: str, month_cut: str, cut: str) -> dict[tuple[str, str], int]:
        """(fate at the month's count, how it ended at the quarter's count) -> requests of one month.
        Ended: listened, referred or signposted; 'unrecorded' (a conversation, no outcome yet);
        'none' (no conversation: withdrew, no reply, or still waiting)."""
        rows = await self.db.fetchall(
            f"SELECT {FATE.replace(':cut', ':month_cut')} AS fate, CASE WHEN {COUNTED} THEN"
            " CASE WHEN r.outcome IN ('listened', 'referred', 'signposted') THEN r.outcome ELSE 'unrecorded' END"
            " ELSE 'none' END AS ended, COUNT(*) FROM requests r"
            " WHERE r.created_at >= :start AND r.created_at < :end GROUP BY fate, ended",
            {"start": start, "end": end, "month_cut": month_cut, "cut": cut})
        return {(r[0], r[1]): r[2] for r in rows}

    async def conversations(self, start: str, end: str, cut: str
                            ) -> dict[tuple[str | None, str | None, str, int], int]:
        """(stored department, level, kind, collective) -> requests where a conversation took place."""
        rows = await self.db.fetchall(
            "SELECT r.department, r.level, r.kind, r.collective, COUNT(*) FROM requests r"
            f" WHERE r.created_at >= :start AND r.created_at < :end AND {COUNTED}"
            " GROUP BY r.department, r.level, r.kind, r.collective", {"start": start, "end": end, "cut": cut})
        return {(r[0], r[1], r[2], int(r[3])): r[4] for r in rows}

    async def themes(self, start: str, end: str, cut: str) -> dict[tuple[str | None, str, str | None], int]:
        """(stored department, theme, level) -> conversations tagged with that theme."""
        rows = await self.db.fetchall(
            "SELECT r.department, t.theme, r.level, COUNT(*) FROM requests r JOIN case_themes t ON t.request_id = r.id"
            f" WHERE r.created_at >= :start AND r.created_at < :end AND {COUNTED}"
            " GROUP BY r.department, t.theme, r.level", {"start": start, "end": end, "cut": cut})
        return {(r[0], r[1], r[2]): r[3] for r in rows}

    async def with_any_theme(self, start: str, end: str, cut: str, themes: Iterable[str]) -> int:
        """Conversations tagged with at least one of `themes` (each once)."""
        themes = list(themes)
        if not themes:
            return 0
        marks = ", ".join(f":t{i}" for i in range(len(themes)))
        return await self.db.fetchval(
            f"SELECT COUNT(*) FROM requests r WHERE r.created_at >= :start AND r.created_at < :end AND {COUNTED}"
            f" AND EXISTS (SELECT 1 FROM case_themes t WHERE t.request_id = r.id AND t.theme IN ({marks}))",
            {"start": start, "end": end, "cut": cut, **{f"t{i}": t for i, t in enumerate(themes)}})

    async def referrals(self, start: str, end: str, cut: str) -> dict[str, int]:
        """kind of contact -> conversations referred to that kind (each request once per kind)."""
        rows = await self.db.fetchall(
            "SELECT c.kind, COUNT(DISTINCT r.id) FROM requests r JOIN case_referrals c ON c.request_id = r.id"
            f" WHERE r.created_at >= :start AND r.created_at < :end AND {COUNTED} GROUP BY c.kind",
            {"start": start, "end": end, "cut": cut})
        return {r[0]: r[1] for r in rows}

    async def signals(self, start: str, end: str, cut: str) -> dict[tuple[str | None, str], SignalCount]:
        """(stored department, theme) -> conversations, different requesters still linked, unlinked:
        what the network's review looks for (a theme coming back across different colleagues)."""
        rows = await self.db.fetchall(
            "SELECT r.department, t.theme, COUNT(*), COUNT(DISTINCT r.requester_id), SUM(r.requester_id IS NULL)"
            " FROM requests r JOIN case_themes t ON t.request_id = r.id"
            f" WHERE r.created_at >= :start AND r.created_at < :end AND {COUNTED} GROUP BY r.department, t.theme",
            {"start": start, "end": end, "cut": cut})
        return {(r[0], r[1]): SignalCount(r[2], r[3], int(r[4] or 0)) for r in rows}

    async def team_signals(self, first_day: str, end_day: str) -> dict[tuple[str, str, str | None], int]:
        """(department, theme, level) -> team signals of the days first_day <= day < end_day (one per
        account and quarter: the dedupe key says so)."""
        rows = await self.db.fetchall(
            "SELECT s.department, t.theme, s.level, COUNT(*) FROM team_signals s"
            " JOIN team_signal_themes t ON t.signal_id = s.id WHERE s.created_at >= ? AND s.created_at < ?"
            " GROUP BY s.department, t.theme, s.level", (first_day, end_day))
        return {(r[0], r[1], r[2]): r[3] for r in rows}

    async def ratings(self, first_day: str, end_day: str) -> dict[tuple[int, int], int]:
        """(stars, with a written comment) -> ratings of the days first_day <= day < end_day."""
        rows = await self.db.fetchall(
            "SELECT rating, comment_enc IS NOT NULL AS c, COUNT(*) FROM feedback"
            " WHERE created_at >= ? AND created_at < ? GROUP BY rating, c", (first_day, end_day))
        return {(int(r[0]), int(r[1])): r[2] for r in rows}

    async def first_request(self) -> str | None:
        """When the first request was made (UTC instant), or None."""
        return await self.db.fetchval("SELECT MIN(created_at) FROM requests")

    async def open_conversations(self, at: str) -> int:
        """Conversations a listener holds now, claimed by the instant `at` (a digest made for its
        slot; a generated history holds requests claimed after it)."""
        return await self.db.fetchval(
            "SELECT COUNT(*) FROM requests WHERE state IN ('claimed', 'contacted') AND claimed_at <= ?", (at,))

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
                            erased_at: str | None = None, kind: str = "self", collective: bool = False,
                            conversed: bool | None = None) -> int:
        """A case as the figures see it after retention: no messages, no notes, no wishes.
        `conversed` (the colleague wrote after contact): by default, when contact was made and the
        outcome is one of a conversation, or the request is still open after contact."""
        if conversed is None:
            conversed = contacted_at is not None and (outcome in CONVERSED_OUTCOMES or (
                outcome is None and state in ("contacted", "closed")))
        async with self.db.transaction():
            while await self.db.fetchval("SELECT 1 FROM requests WHERE ref = ?", (ref := random_code(5),)):
                pass
            request_id = await self.db.insert(
                "INSERT INTO requests (ref, requester_id, state, department, urgent, member_id, created_at,"
                " deadline_at, claimed_at, contacted_at, closed_at, closed_by, breached_at, outcome, level,"
                " content_erased_at, kind, collective, conversed)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (ref, requester_id, state, department, int(urgent), member_id, created_at, deadline_at,
                 claimed_at, contacted_at, closed_at, "member" if closed_at else None, breached_at, outcome,
                 level, erased_at, kind, int(collective), int(conversed)))
            for theme in dict.fromkeys(themes):
                await self.db.execute("INSERT INTO case_themes (request_id, theme) VALUES (?, ?)",
                                      (request_id, theme))
            for kind, consent in referrals:
                await self.db.execute(
                    "INSERT INTO case_referrals (request_id, kind, consent, created_at) VALUES (?, ?, ?, ?)",
                    (request_id, kind, int(consent), (contacted_at or created_at)[:10]))
        return request_id
