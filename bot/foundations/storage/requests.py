"""Requests for a conversation and the offers made to members."""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from bot.foundations import clock
from bot.foundations.crypto import Vault
from bot.foundations.model import Offer, Parties, Preferences, Request, Retracted

from .database import Database
from .members import random_code
from .sealed import insert_sealed


def _maybe(text: str | None) -> datetime | None:
    return None if text is None else clock.parse(text)


def wishes_json(language: str, preferences: Preferences, allow_widening: bool) -> str:
    return json.dumps({
        "language": language, "gender": preferences.gender, "age_band": preferences.age_band,
        "status": preferences.status, "other_department": preferences.other_department,
        "member_id": preferences.member_id, "allow_widening": allow_widening,
        "not_employer_side": preferences.not_employer_side,
    })


class OpenRequestExists(Exception):
    """The requester already has an open request."""


class RequestRepository:
    """Requests and offers. The conversation's language and the requester's wishes are sealed
    (requests.wishes); everything else a request row holds is what figures and deadlines need."""

    def __init__(self, db: Database, vault: Vault) -> None:
        self.db = db
        self.vault = vault

    def _request(self, row) -> Request:
        wishes = {}
        if row["wishes_enc"] is not None:  # gone after retention or erasure
            wishes = json.loads(self.vault.open("requests", "wishes", row["id"], row["wishes_enc"]))
        return Request(
            id=row["id"],
            ref=row["ref"],
            requester_id=row["requester_id"],
            state=row["state"],
            language=wishes.get("language"),
            department=row["department"],
            preferences=Preferences(
                wishes.get("gender"), wishes.get("age_band"), wishes.get("status"),
                bool(wishes.get("other_department")), wishes.get("member_id"), bool(wishes.get("not_employer_side")),
            ),
            urgent=bool(row["urgent"]),
            member_id=row["member_id"],
            created_at=clock.parse(row["created_at"]),
            deadline_at=clock.parse(row["deadline_at"]),
            claimed_at=_maybe(row["claimed_at"]),
            contacted_at=_maybe(row["contacted_at"]),
            allow_widening=bool(wishes.get("allow_widening", True)),
            widened_at=_maybe(row["widened_at"]),
            breached_at=_maybe(row["breached_at"]),
            kind=row["kind"],
            collective=bool(row["collective"]),
            conversed=bool(row["conversed"]),
            meeting=row["meeting"],
            handbacks=row["handbacks"],
            history_consent=row["history_consent"],
            history_until=row["history_until"],
            urgent_contact_by=_maybe(row["urgent_contact_by"]),
        )

    async def get(self, request_id: int) -> Request | None:
        row = await self.db.fetchone("SELECT * FROM requests WHERE id = ?", (request_id,))
        return None if row is None else self._request(row)

    async def parties(self, request_id: int) -> Parties | None:
        """The request, its listener (person, name) and both people's languages, in one query."""
        row = await self.db.fetchone(
            "SELECT r.*, m.person_id AS listener, m.display_name_enc AS listener_name_enc,"
            " pr.language_enc AS requester_language_enc, pm.language_enc AS listener_language_enc"
            " FROM requests r LEFT JOIN members m ON m.id = r.member_id"
            " LEFT JOIN people pr ON pr.id = r.requester_id LEFT JOIN people pm ON pm.id = m.person_id"
            " WHERE r.id = ?", (request_id,))
        if row is None:
            return None
        languages, name = {}, None
        if row["requester_language_enc"] is not None:
            languages[row["requester_id"]] = self.vault.open("people", "language", row["requester_id"],
                                                             row["requester_language_enc"])
        if row["listener"] is not None:
            if row["listener_language_enc"] is not None:
                languages[row["listener"]] = self.vault.open("people", "language", row["listener"],
                                                             row["listener_language_enc"])
            if row["listener_name_enc"]:
                name = self.vault.open("members", "display_name", row["member_id"], row["listener_name_enc"])
        return Parties(self._request(row), row["listener"], name, languages)

    async def open_of_person(self, person_id: int) -> list[Request]:
        """The open requests a person is a party to: their own first, then the cases they hold
        (oldest claim first), in one query."""
        rows = await self.db.fetchall(
            "SELECT *, 0 AS side FROM requests WHERE requester_id = ?1"
            " AND state IN ('new', 'offered', 'claimed', 'contacted')"
            " UNION ALL SELECT r.*, 1 AS side FROM members m JOIN requests r ON r.member_id = m.id"
            " AND r.state IN ('claimed', 'contacted') WHERE m.person_id = ?1"
            " ORDER BY side, claimed_at, id", (person_id,))
        return [self._request(r) for r in rows]

    async def by_ref(self, ref: str) -> Request | None:
        row = await self.db.fetchone("SELECT * FROM requests WHERE ref = ?", (ref,))
        return None if row is None else self._request(row)

    async def open_for_requester(self, person_id: int) -> Request | None:
        row = await self.db.fetchone(
            "SELECT * FROM requests WHERE requester_id = ? AND state IN ('new', 'offered',"
            " 'claimed', 'contacted')",
            (person_id,),
        )
        return None if row is None else self._request(row)

    async def open_for_member(self, member_id: int) -> list[Request]:
        rows = await self.db.fetchall(
            "SELECT * FROM requests WHERE member_id = ? AND state IN ('claimed', 'contacted')"
            " ORDER BY claimed_at, id",
            (member_id,),
        )
        return [self._request(r) for r in rows]

    async def create(
        self,
        requester_id: int,
        language: str,
        department: str | None,
        preferences: Preferences,
        deadline_at: datetime,
        urgent: bool = False,
        allow_widening: bool = True,
        origin: int | None = None,
        kind: str = "self",
    ) -> Request:
        now = clock.now()
        async with self.db.transaction():
            while True:
                ref = random_code(5)
                if not await self.db.fetchval("SELECT 1 FROM requests WHERE ref = ?", (ref,)):
                    break
            try:
                request_id = await insert_sealed(
                    self.db, self.vault, "requests",
                    {"ref": ref, "requester_id": requester_id, "state": "new", "department": department,
                     "urgent": int(urgent), "created_at": clock.iso(now), "deadline_at": clock.iso(deadline_at),
                     "origin": origin, "kind": kind, "sweep_at": clock.iso(now)},
                    {"wishes": wishes_json(language, preferences, allow_widening)},
                )
            except sqlite3.IntegrityError:
                raise OpenRequestExists from None
            return await self.get(request_id)

    async def by_origin(self, origin: int | None) -> Request | None:
        """The request an update already created, if it is replayed."""
        if origin is None:
            return None
        row = await self.db.fetchone("SELECT * FROM requests WHERE origin = ?", (origin,))
        return None if row is None else self._request(row)

    async def set_collective(self, request_id: int, value: bool) -> bool:
        """The listener's mark: the problem has a collective character. True when it changed."""
        return 1 == await self.db.execute("UPDATE requests SET collective = ? WHERE id = ? AND collective != ?",
                                          (int(value), request_id, int(value)))

    async def set_meeting(self, request_id: int, state: str, *, only_if: str | None = None) -> bool:
        """A proposal to meet and its answer; `only_if`: only from that state (an answer needs a
        proposal). True when it changed."""
        if only_if is None:
            return 1 == await self.db.execute("UPDATE requests SET meeting = ? WHERE id = ?", (state, request_id))
        return 1 == await self.db.execute("UPDATE requests SET meeting = ? WHERE id = ? AND meeting = ?",
                                          (state, request_id, only_if))

    async def offer_count(self, request_id: int) -> int:
        return await self.db.fetchval("SELECT COUNT(*) FROM offers WHERE request_id = ?", (request_id,))

    async def claim(self, request_id: int, member_id: int) -> bool:
        """Atomic: exactly one member can move an unclaimed request to claimed."""
        changed = await self.db.execute(
            "UPDATE requests SET state = 'claimed', member_id = ?1, claimed_at = ?2, sweep_at = ?2"
            " WHERE id = ?3 AND state IN ('new', 'offered')",
            (member_id, clock.iso(clock.now()), request_id),
        )
        return changed == 1

    async def mark_contacted(self, request_id: int) -> bool:
        changed = await self.db.execute(
            "UPDATE requests SET state = 'contacted', contacted_at = ?1, sweep_at = ?1 WHERE id = ?2 AND state = 'claimed'",
            (clock.iso(clock.now()), request_id),
        )
        return changed == 1

    async def mark_conversed(self, request_id: int) -> None:
        """The colleague wrote after contact: a conversation took place (it moves the figures of
        what requests are about; asking and withdrawing moves none)."""
        await self.db.execute(
            "UPDATE requests SET conversed = 1 WHERE id = ? AND contacted_at IS NOT NULL AND conversed = 0",
            (request_id,))

    async def finish(self, request_id: int, state: str, closed_by: str) -> bool:
        """Close or withdraw an open request; False when it was no longer open."""
        changed = await self.db.execute(
            "UPDATE requests SET state = ?, closed_at = ?, closed_by = ?, sweep_at = NULL, urgent_contact_by = NULL"
            " WHERE id = ? AND state IN ('new', 'offered', 'claimed', 'contacted')",
            (state, clock.iso(clock.now()), closed_by, request_id),
        )
        return changed == 1

    async def unclaimed(self) -> list[Request]:
        """Open requests no listener holds, oldest first."""
        rows = await self.db.fetchall(
            "SELECT * FROM requests WHERE state IN ('new', 'offered') ORDER BY id")
        return [self._request(r) for r in rows]

    async def due_for_sweep(self, now: datetime) -> list[int]:
        """Open requests whose next step may be due (`sweep_at`, set after each look and whenever
        the request changes): the sweep reads these, never every open request."""
        rows = await self.db.fetchall(
            "SELECT id FROM requests WHERE sweep_at <= ? ORDER BY sweep_at, id", (clock.iso(now),))
        return [r[0] for r in rows]

    async def sweep_again(self, request_id: int, at: datetime | None) -> None:
        """When the sweep next has to look at this request (None: only once it changes)."""
        await self.db.execute("UPDATE requests SET sweep_at = ? WHERE id = ?",
                              (None if at is None else clock.iso(at), request_id))

    async def sweep_held_by(self, member_id: int) -> None:
        """Look again at once at the cases a listener holds: what waits for their hours moved."""
        await self.db.execute(
            "UPDATE requests SET sweep_at = ? WHERE member_id = ? AND state IN ('claimed', 'contacted')",
            (clock.iso(clock.now()), member_id))

    async def release(self, request_id: int, member_id: int, new_deadline: datetime | None) -> bool:
        """Back to the pool from this member; a fresh contact deadline when given."""
        changed = await self.db.execute(
            "UPDATE requests SET state = 'offered', member_id = NULL, claimed_at = NULL,"
            " contacted_at = CASE WHEN ? IS NULL THEN contacted_at ELSE NULL END,"
            " deadline_at = COALESCE(?, deadline_at), handbacks = handbacks + 1, sweep_at = ?, urgent_contact_by = NULL"
            " WHERE id = ? AND member_id = ? AND state IN ('claimed', 'contacted')",
            (new_deadline and clock.iso(new_deadline), new_deadline and clock.iso(new_deadline),
             clock.iso(clock.now()), request_id, member_id),
        )
        return changed == 1

    async def ask_history_consent(self, request_id: int, until: int) -> None:
        """At a hand-over: the earlier conversation, up to message `until`, waits for the colleague's word."""
        await self.db.execute("UPDATE requests SET history_consent = 'asked', history_until = ? WHERE id = ?",
                              (until, request_id))

    async def answer_history_consent(self, request_id: int, allow: bool) -> bool:
        """The colleague's answer, once, to a question still asked."""
        return 1 == await self.db.execute(
            "UPDATE requests SET history_consent = ? WHERE id = ? AND history_consent = 'asked'",
            ("yes" if allow else "no", request_id))

    async def make_urgent(self, request_id: int, deadline_at: datetime) -> None:
        """Urgent, with `deadline_at` as its deadline unless one ahead is sooner. A deadline that
        passed gives way: a new alarm gets a deadline the sweep keeps."""
        await self.db.execute(
            "UPDATE requests SET urgent = 1, deadline_at = CASE WHEN deadline_at > ?2"
            " THEN MIN(deadline_at, ?1) ELSE ?1 END, sweep_at = ?2 WHERE id = ?3",
            (clock.iso(deadline_at), clock.iso(clock.now()), request_id),
        )

    async def await_urgent_contact(self, request_id: int, by: datetime) -> None:
        """"I am not safe" in a conversation a listener holds: a listener must write by `by`; the
        sweep looks then."""
        await self.db.execute(
            "UPDATE requests SET urgent = 1, urgent_contact_by = ?1, sweep_at = MIN(COALESCE(sweep_at, ?1), ?1)"
            " WHERE id = ?2 AND state IN ('claimed', 'contacted')", (clock.iso(by), request_id))

    async def urgent_answered(self, request_id: int) -> bool:
        """A listener wrote after "I am not safe": True when an urgent contact was awaited."""
        return 1 == await self.db.execute(
            "UPDATE requests SET urgent_contact_by = NULL WHERE id = ? AND urgent_contact_by IS NOT NULL",
            (request_id,))

    async def mark(self, request_id: int, column: str) -> None:
        """Stamp widened_at or breached_at (first time only)."""
        if column not in ("widened_at", "breached_at"):
            raise ValueError(column)
        await self.db.execute(
            f"UPDATE requests SET {column} = COALESCE({column}, ?) WHERE id = ?",
            (clock.iso(clock.now()), request_id),
        )

    # Timed steps and exclusions ------------------------------------------------

    async def record_event(self, request_id: int, kind: str, cycle: str = "") -> bool:
        """True the first time only: the caller does the step in the same transaction."""
        return 1 == await self.db.execute(
            "INSERT INTO request_events (request_id, kind, cycle, at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (request_id, kind, cycle, clock.iso(clock.now())),
        )

    async def event_at(self, request_id: int, kind: str, cycle: str = "") -> datetime | None:
        value = await self.db.fetchval(
            "SELECT at FROM request_events WHERE request_id = ? AND kind = ? AND cycle = ?",
            (request_id, kind, cycle),
        )
        return None if value is None else clock.parse(value)

    async def exclude(self, request_id: int, member_id: int, reason: str) -> None:
        await self.db.execute(
            "INSERT INTO request_exclusions (request_id, member_id, reason, at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (request_id, member_id) DO UPDATE SET reason = excluded.reason",
            (request_id, member_id, reason, clock.iso(clock.now())),
        )

    async def excluded(self, request_id: int) -> set[int]:
        rows = await self.db.fetchall(
            "SELECT member_id FROM request_exclusions WHERE request_id = ?", (request_id,)
        )
        return {r[0] for r in rows}

    async def mark_offered(self, request_id: int) -> None:
        await self.db.execute(
            "UPDATE requests SET state = 'offered' WHERE id = ? AND state = 'new'", (request_id,)
        )

    # Offers -----------------------------------------------------------------

    async def add_offer(self, request_id: int, member_id: int) -> int | None:
        """A new open offer, or None when this member was already offered the request."""
        return await self.db.insert(
            "INSERT INTO offers (request_id, member_id, state, created_at) VALUES (?, ?, 'open', ?)"
            " ON CONFLICT (request_id, member_id) DO NOTHING",
            (request_id, member_id, clock.iso(clock.now())),
        )

    async def set_offer_outbox(self, offer_id: int, outbox_id: int) -> None:
        await self.db.execute("UPDATE offers SET outbox_id = ? WHERE id = ?", (outbox_id, offer_id))

    async def offer(self, request_id: int, member_id: int) -> Offer | None:
        row = await self.db.fetchone(
            "SELECT id, request_id, member_id, state, outbox_id FROM offers"
            " WHERE request_id = ? AND member_id = ?",
            (request_id, member_id),
        )
        return None if row is None else Offer(*row)

    async def offer_by_id(self, offer_id: int) -> Offer | None:
        row = await self.db.fetchone(
            "SELECT id, request_id, member_id, state, outbox_id FROM offers WHERE id = ?", (offer_id,))
        return None if row is None else Offer(*row)

    async def offers(self, request_id: int, state: str | None = None) -> list[Offer]:
        rows = await self.db.fetchall(
            "SELECT id, request_id, member_id, state, outbox_id FROM offers WHERE request_id = ?"
            + (" AND state = ?" if state else "")
            + " ORDER BY id",
            (request_id, state) if state else (request_id,),
        )
        return [Offer(*r) for r in rows]

    async def retract_offers(self, request_id: int, state: str, keep: int | None = None) -> list[Retracted]:
        """Close the request's open offers (all but member `keep`'s) as `state`, and say for each
        who got it and in which language: one query and one statement, whatever their number."""
        rows = await self.db.fetchall(
            "SELECT o.id, o.request_id, o.member_id, o.state, o.outbox_id, m.person_id, p.language_enc"
            " FROM offers o JOIN members m ON m.id = o.member_id JOIN people p ON p.id = m.person_id"
            " WHERE o.request_id = ? AND o.state = 'open' AND o.member_id IS NOT ? ORDER BY o.id",
            (request_id, keep))
        if rows:
            await self.db.execute(
                f"UPDATE offers SET state = ? WHERE id IN ({', '.join('?' * len(rows))}) AND state = 'open'",
                (state, *(r["id"] for r in rows)))
        return [Retracted(Offer(*r[:4], r["outbox_id"]), r["person_id"],
                          self.vault.open("people", "language", r["person_id"], r["language_enc"]))
                for r in rows]

    async def offers_of_member(self, member_id: int, state: str) -> list[Offer]:
        rows = await self.db.fetchall(
            "SELECT id, request_id, member_id, state, outbox_id FROM offers WHERE member_id = ? AND state = ?",
            (member_id, state),
        )
        return [Offer(*r) for r in rows]

    async def set_offer_state(self, offer_id: int, state: str, only_if: str = "open") -> bool:
        changed = await self.db.execute(
            "UPDATE offers SET state = ? WHERE id = ? AND state = ?", (state, offer_id, only_if)
        )
        return changed == 1
