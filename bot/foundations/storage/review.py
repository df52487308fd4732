"""The network's review: rounds, candidate signals, each listener's choice, and suggestions.

A suggestion is a listener's free text: sealed (suggestions.body), and deleted when a
coordinator sends it back or the listener replaces it.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.foundations import clock
from bot.foundations.crypto import Vault

from .database import Database
from .sealed import insert_sealed, open_or_empty

SPANS = ("recent", "year")
BASES = ("colleagues", "requests")
SUGGESTION_STATES = ("flagged", "pending", "approved", "returned")


@dataclass(frozen=True)
class Round:
    id: int
    label: str
    digest_week: str
    opened_at: datetime
    quarter: str | None = None  # the quarter whose closed months it looked at (None: before schema 20)


@dataclass(frozen=True)
class Candidate:
    id: int
    round_id: int
    position: int
    dep: str
    theme: str
    span: str
    basis: str


@dataclass(frozen=True)
class Suggestion:
    id: int
    candidate_id: int
    member_id: int | None
    text: str  # empty once sent back
    state: str
    flagged: bool
    decided_by: int | None = None  # the coordinator who approved or sent it back; None: its author


class ReviewRepository:
    def __init__(self, db: Database, vault: Vault) -> None:
        self.db = db
        self.vault = vault

    # Rounds and candidates ----------------------------------------------------------------

    @staticmethod
    def _round(row) -> Round:
        return Round(row["id"], row["label"], row["digest_week"], clock.parse(row["opened_at"]), row["quarter"])

    async def open_round(self, label: str, digest_week: str, candidates: Iterable[tuple[str, str, str, str]],
                         quarter: str | None = None) -> int | None:
        """A new round with its candidates (dep, theme, span, basis); None when the label exists."""
        async with self.db.transaction():
            round_id = await self.db.insert(
                "INSERT INTO review_rounds (label, digest_week, opened_at, quarter) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (label) DO NOTHING", (label, digest_week, clock.iso(clock.now()), quarter))
            if round_id is None:
                return None
            for position, (dep, theme, span, basis) in enumerate(candidates, 1):
                if span not in SPANS or basis not in BASES:
                    raise ValueError((span, basis))
                await self.db.execute(
                    "INSERT INTO review_candidates (round_id, position, dep, theme, span, basis)"
                    " VALUES (?, ?, ?, ?, ?, ?)", (round_id, position, dep, theme, span, basis))
        return round_id

    async def round(self, round_id: int) -> Round | None:
        row = await self.db.fetchone("SELECT * FROM review_rounds WHERE id = ?", (round_id,))
        return None if row is None else self._round(row)

    async def latest_round(self, before_week: str | None = None) -> Round | None:
        """The newest round, or the newest one opened with a digest before the week `before_week`."""
        if before_week is None:
            row = await self.db.fetchone("SELECT * FROM review_rounds ORDER BY digest_week DESC, id DESC LIMIT 1")
        else:
            row = await self.db.fetchone(
                "SELECT * FROM review_rounds WHERE digest_week < ? ORDER BY digest_week DESC, id DESC LIMIT 1",
                (before_week,))
        return None if row is None else self._round(row)

    async def reported_in(self, quarter: str) -> list[dict]:
        """The candidates the network reported (more listeners for than against) in the rounds about
        a quarter, each with its round's label and the approved suggestions' texts."""
        rows = await self.db.fetchall(
            "SELECT c.id, c.dep, c.theme, c.basis, r.label FROM review_candidates c"
            " JOIN review_rounds r ON r.id = c.round_id WHERE r.quarter = ?"
            " AND (SELECT COALESCE(SUM(v.report), 0) - COALESCE(SUM(1 - v.report), 0) FROM review_votes v"
            " WHERE v.candidate_id = c.id) > 0 ORDER BY r.digest_week, c.position", (quarter,))
        texts = await self.approved(r["id"] for r in rows)
        return [{"dep": r["dep"], "theme": r["theme"], "basis": r["basis"], "round": r["label"],
                 "suggestions": texts.get(r["id"], [])} for r in rows]

    async def has_label(self, label: str) -> bool:
        return bool(await self.db.fetchval("SELECT 1 FROM review_rounds WHERE label = ?", (label,)))

    async def candidates(self, round_id: int) -> list[Candidate]:
        rows = await self.db.fetchall(
            "SELECT * FROM review_candidates WHERE round_id = ? ORDER BY position", (round_id,))
        return [Candidate(r["id"], r["round_id"], r["position"], r["dep"], r["theme"], r["span"], r["basis"])
                for r in rows]

    async def candidate(self, candidate_id: int) -> Candidate | None:
        r = await self.db.fetchone("SELECT * FROM review_candidates WHERE id = ?", (candidate_id,))
        return None if r is None else Candidate(r["id"], r["round_id"], r["position"], r["dep"], r["theme"],
                                                r["span"], r["basis"])

    # Choices ---------------------------------------------------------------------------------

    async def vote(self, candidate_id: int, member_id: int, report: bool) -> None:
        await self.db.execute(
            "INSERT INTO review_votes (candidate_id, member_id, report, at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (candidate_id, member_id) DO UPDATE SET report = excluded.report, at = excluded.at",
            (candidate_id, member_id, int(report), self.db.calendar.day()))

    async def vote_of(self, candidate_id: int, member_id: int) -> bool | None:
        value = await self.db.fetchval(
            "SELECT report FROM review_votes WHERE candidate_id = ? AND member_id = ?", (candidate_id, member_id))
        return None if value is None else bool(value)

    async def tallies(self, round_id: int) -> dict[int, tuple[int, int]]:
        """candidate -> (listeners for reporting it, listeners against)."""
        rows = await self.db.fetchall(
            "SELECT v.candidate_id, SUM(v.report), SUM(1 - v.report) FROM review_votes v"
            " JOIN review_candidates c ON c.id = v.candidate_id WHERE c.round_id = ? GROUP BY v.candidate_id",
            (round_id,))
        return {r[0]: (int(r[1]), int(r[2])) for r in rows}

    # Suggestions ---------------------------------------------------------------------------

    async def add_suggestion(self, candidate_id: int, member_id: int, text: str, *, flagged: bool,
                             origin: int | None = None) -> int:
        """Keep a listener's suggestion (it replaces their earlier one on this candidate)."""
        async with self.db.transaction():
            await self.db.execute("DELETE FROM suggestions WHERE candidate_id = ? AND member_id = ?",
                                  (candidate_id, member_id))
            return await insert_sealed(
                self.db, self.vault, "suggestions",
                {"candidate_id": candidate_id, "member_id": member_id, "state": "flagged" if flagged else "pending",
                 "flagged": int(flagged), "created_at": self.db.calendar.day(), "origin": origin},
                {"body": text})

    async def suggestion_by_origin(self, origin: int | None) -> Suggestion | None:
        if origin is None:
            return None
        row = await self.db.fetchone("SELECT * FROM suggestions WHERE origin = ?", (origin,))
        return None if row is None else self._suggestion(row)

    def _suggestion(self, row) -> Suggestion:
        text = open_or_empty(self.vault, "suggestions", "body", row["id"], row["body_enc"])
        return Suggestion(row["id"], row["candidate_id"], row["member_id"], text, row["state"], bool(row["flagged"]),
                          row["decided_by"])

    async def suggestion(self, suggestion_id: int) -> Suggestion | None:
        row = await self.db.fetchone("SELECT * FROM suggestions WHERE id = ?", (suggestion_id,))
        return None if row is None else self._suggestion(row)

    async def suggestion_of(self, candidate_id: int, member_id: int) -> Suggestion | None:
        row = await self.db.fetchone("SELECT * FROM suggestions WHERE candidate_id = ? AND member_id = ?",
                                     (candidate_id, member_id))
        return None if row is None else self._suggestion(row)

    async def set_state(self, suggestion_id: int, state: str, *, only_if: str,
                        decided_by: int | None = None) -> bool:
        """Move a suggestion on; sent back, its text is deleted."""
        if state not in SUGGESTION_STATES:
            raise ValueError(state)
        return 1 == await self.db.execute(
            "UPDATE suggestions SET state = ?, decided_by = COALESCE(?, decided_by),"
            " body_enc = CASE WHEN ? = 'returned' THEN x'' ELSE body_enc END WHERE id = ? AND state = ?",
            (state, decided_by, state, suggestion_id, only_if))

    async def approved(self, candidate_ids: Iterable[int]) -> dict[int, list[str]]:
        """candidate -> the approved suggestions' texts, oldest first."""
        ids = list(candidate_ids)
        if not ids:
            return {}
        rows = await self.db.fetchall(
            f"SELECT * FROM suggestions WHERE state = 'approved' AND candidate_id IN ({', '.join('?' * len(ids))})"
            " ORDER BY id", ids)
        found: dict[int, list[str]] = {}
        for row in rows:
            suggestion = self._suggestion(row)
            if suggestion.text:
                found.setdefault(suggestion.candidate_id, []).append(suggestion.text)
        return found
