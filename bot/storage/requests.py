"""Requests for a conversation and the offers made to members."""
from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime

from .. import clock
from .database import Database

REF_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
UNCLAIMED = ("new", "offered")
OPEN = ("new", "offered", "claimed", "contacted")
ASSIGNED = ("claimed", "contacted")


@dataclass(frozen=True)
class Preferences:
    gender: str | None = None
    age_band: str | None = None
    status: str | None = None
    language: str | None = None
    other_department: bool = False
    member_id: int | None = None


@dataclass(frozen=True)
class Request:
    id: int
    ref: str
    requester_id: int | None
    state: str
    language: str
    department: str | None
    preferences: Preferences
    urgent: bool
    member_id: int | None
    created_at: datetime
    deadline_at: datetime
    claimed_at: datetime | None = None
    contacted_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.state in OPEN

    @property
    def unclaimed(self) -> bool:
        return self.state in UNCLAIMED


def _maybe(text: str | None) -> datetime | None:
    return None if text is None else clock.parse(text)


def _request(row) -> Request:
    return Request(
        id=row["id"],
        ref=row["ref"],
        requester_id=row["requester_id"],
        state=row["state"],
        language=row["language"],
        department=row["department"],
        preferences=Preferences(
            row["pref_gender"],
            row["pref_age_band"],
            row["pref_status"],
            row["pref_language"],
            bool(row["pref_other_department"]),
            row["pref_member_id"],
        ),
        urgent=bool(row["urgent"]),
        member_id=row["member_id"],
        created_at=clock.parse(row["created_at"]),
        deadline_at=clock.parse(row["deadline_at"]),
        claimed_at=_maybe(row["claimed_at"]),
        contacted_at=_maybe(row["contacted_at"]),
    )


class OpenRequestExists(Exception):
    """The requester already has an open request."""


@dataclass
class Offer:
    id: int
    request_id: int
    member_id: int
    state: str
    outbox_id: int | None = field(default=None)


class RequestRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, request_id: int) -> Request | None:
        row = await self.db.fetchone("SELECT * FROM requests WHERE id = ?", (request_id,))
        return None if row is None else _request(row)

    async def by_ref(self, ref: str) -> Request | None:
        row = await self.db.fetchone("SELECT * FROM requests WHERE ref = ?", (ref,))
        return None if row is None else _request(row)

    async def open_for_requester(self, person_id: int) -> Request | None:
        row = await self.db.fetchone(
            "SELECT * FROM requests WHERE requester_id = ? AND state IN ('new', 'offered',"
            " 'claimed', 'contacted')",
            (person_id,),
        )
        return None if row is None else _request(row)

    async def open_for_member(self, member_id: int) -> list[Request]:
        rows = await self.db.fetchall(
            "SELECT * FROM requests WHERE member_id = ? AND state IN ('claimed', 'contacted')"
            " ORDER BY claimed_at, id",
            (member_id,),
        )
        return [_request(r) for r in rows]

    async def create(
        self,
        requester_id: int,
        language: str,
        department: str | None,
        preferences: Preferences,
        deadline_at: datetime,
        urgent: bool = False,
    ) -> Request:
        now = clock.now()
        async with self.db.transaction():
            while True:
                ref = "".join(secrets.choice(REF_ALPHABET) for _ in range(5))
                if not await self.db.fetchval("SELECT 1 FROM requests WHERE ref = ?", (ref,)):
                    break
            try:
                request_id = await self.db.execute(
                    "INSERT INTO requests (ref, requester_id, state, language, department,"
                    " pref_gender, pref_age_band, pref_status, pref_language, pref_other_department,"
                    " pref_member_id, urgent, created_at, deadline_at)"
                    " VALUES (?, ?, 'new', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        ref, requester_id, language, department, preferences.gender,
                        preferences.age_band, preferences.status, preferences.language,
                        int(preferences.other_department), preferences.member_id, int(urgent),
                        clock.iso(now), clock.iso(deadline_at),
                    ),
                )
            except sqlite3.IntegrityError:
                raise OpenRequestExists from None
            return await self.get(request_id)

    async def claim(self, request_id: int, member_id: int) -> bool:
        """Atomic: exactly one member can move an unclaimed request to claimed."""
        changed = await self.db.execute(
            "UPDATE requests SET state = 'claimed', member_id = ?, claimed_at = ?"
            " WHERE id = ? AND state IN ('new', 'offered')",
            (member_id, clock.iso(clock.now()), request_id),
        )
        return changed == 1

    async def mark_contacted(self, request_id: int) -> bool:
        changed = await self.db.execute(
            "UPDATE requests SET state = 'contacted', contacted_at = ? WHERE id = ? AND state = 'claimed'",
            (clock.iso(clock.now()), request_id),
        )
        return changed == 1

    async def finish(self, request_id: int, state: str, closed_by: str) -> bool:
        """Close or withdraw an open request; False when it was no longer open."""
        changed = await self.db.execute(
            "UPDATE requests SET state = ?, closed_at = ?, closed_by = ?"
            " WHERE id = ? AND state IN ('new', 'offered', 'claimed', 'contacted')",
            (state, clock.iso(clock.now()), closed_by, request_id),
        )
        return changed == 1

    async def mark_offered(self, request_id: int) -> None:
        await self.db.execute(
            "UPDATE requests SET state = 'offered' WHERE id = ? AND state = 'new'", (request_id,)
        )

    # Offers -----------------------------------------------------------------

    async def add_offer(self, request_id: int, member_id: int) -> int | None:
        """A new open offer, or None when this member was already offered the request."""
        return await self.db.execute(
            "INSERT INTO offers (request_id, member_id, state, created_at) VALUES (?, ?, 'open', ?)"
            " ON CONFLICT (request_id, member_id) DO NOTHING",
            (request_id, member_id, clock.iso(clock.now())),
        ) or None

    async def set_offer_outbox(self, offer_id: int, outbox_id: int) -> None:
        await self.db.execute("UPDATE offers SET outbox_id = ? WHERE id = ?", (outbox_id, offer_id))

    async def offer(self, request_id: int, member_id: int) -> Offer | None:
        row = await self.db.fetchone(
            "SELECT id, request_id, member_id, state, outbox_id FROM offers"
            " WHERE request_id = ? AND member_id = ?",
            (request_id, member_id),
        )
        return None if row is None else Offer(*row)

    async def offers(self, request_id: int, state: str | None = None) -> list[Offer]:
        rows = await self.db.fetchall(
            "SELECT id, request_id, member_id, state, outbox_id FROM offers WHERE request_id = ?"
            + (" AND state = ?" if state else "")
            + " ORDER BY id",
            (request_id, state) if state else (request_id,),
        )
        return [Offer(*r) for r in rows]

    async def set_offer_state(self, offer_id: int, state: str, only_if: str = "open") -> bool:
        changed = await self.db.execute(
            "UPDATE offers SET state = ? WHERE id = ? AND state = ?", (state, offer_id, only_if)
        )
        return changed == 1
