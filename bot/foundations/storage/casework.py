"""A case's working file: sealed notes, themes and level, referrals, outcome, feedback;
and the deletions that retention and erasure make."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.foundations import clock
from bot.foundations.crypto import Vault
from bot.foundations.model import CaseFacts, Note, Quality

from .database import Database
from .sealed import by_origin, insert_sealed


class CaseworkRepository:
    def __init__(self, db: Database, vault: Vault) -> None:
        self.db = db
        self.vault = vault

    # Notes ----------------------------------------------------------------------

    async def add_note(self, request_id: int, member_id: int, body: str, origin: int | None = None) -> bool:
        """Keep a note; False when this update stored it already."""
        async with self.db.transaction():
            if await by_origin(self.db, "case_notes", origin) is not None:
                return False
            await insert_sealed(
                self.db, self.vault, "case_notes",
                {"request_id": request_id, "member_id": member_id, "created_at": self.db.calendar.day(),
                 "origin": origin},
                {"body": body},
            )
            return True

    async def notes_for(self, request_id: int, member_id: int) -> list[Note]:
        """The notes this member may read: their own, and shared ones from earlier listeners."""
        rows = await self.db.fetchall(
            "SELECT * FROM case_notes WHERE request_id = ? AND (member_id = ? OR shared = 1) ORDER BY id",
            (request_id, member_id),
        )
        return [
            Note(r["id"], r["member_id"], self.vault.open("case_notes", "body", r["id"], r["body_enc"]),
                 clock.parse(r["created_at"]))
            for r in rows
        ]

    async def share_notes(self, request_id: int, keeper: int | None) -> int:
        """Earlier listeners' notes become readable for whoever holds the case."""
        return await self.db.execute(
            "UPDATE case_notes SET shared = 1 WHERE request_id = ? AND (? IS NULL OR member_id IS NOT ?)",
            (request_id, keeper, keeper),
        )

    async def drop_notes(self, request_id: int, keeper: int | None = None) -> int:
        """Delete the notes nobody may read any more (all but the keeper's; all when None)."""
        return await self.db.execute(
            "DELETE FROM case_notes WHERE request_id = ? AND (? IS NULL OR member_id IS NOT ?)",
            (request_id, keeper, keeper),
        )

    async def latest_note_of(self, request_id: int, member_id: int) -> int:
        """The id of this member's newest note on the case (0: none); ids only grow."""
        return await self.db.fetchval(
            "SELECT COALESCE(MAX(id), 0) FROM case_notes WHERE request_id = ? AND member_id = ?",
            (request_id, member_id))

    async def has_notes(self, request_id: int) -> bool:
        return bool(await self.db.fetchval("SELECT 1 FROM case_notes WHERE request_id = ? LIMIT 1", (request_id,)))

    async def unshare_notes(self, request_id: int) -> None:
        """At a hand-over every note is hidden again until the requester answers."""
        await self.db.execute("UPDATE case_notes SET shared = 0 WHERE request_id = ?", (request_id,))

    async def set_notes_consent(self, request_id: int, value: str, *, only_if: str | None = None) -> bool:
        if only_if is None:
            sql, params = "UPDATE requests SET notes_consent = ? WHERE id = ?", (value, request_id)
        else:
            sql = "UPDATE requests SET notes_consent = ? WHERE id = ? AND notes_consent = ?"
            params = (value, request_id, only_if)
        return 1 == await self.db.execute(sql, params)

    # Themes, level, outcome ------------------------------------------------------------

    async def facts(self, request_id: int) -> CaseFacts | None:
        return (await self.facts_of([request_id])).get(request_id)

    async def facts_of(self, request_ids: Sequence[int]) -> dict[int, CaseFacts]:
        """The casework fields of these requests, in two statements however many there are."""
        if not request_ids:
            return {}
        marks = ", ".join("?" * len(request_ids))
        rows = await self.db.fetchall(
            "SELECT id, outcome, level, notes_consent, closed_at, content_erased_at FROM requests"
            f" WHERE id IN ({marks})", tuple(request_ids))
        themes: dict[int, set[str]] = {}
        for request_id, theme in await self.db.fetchall(
                f"SELECT request_id, theme FROM case_themes WHERE request_id IN ({marks})", tuple(request_ids)):
            themes.setdefault(request_id, set()).add(theme)
        return {r["id"]: CaseFacts(r["outcome"], r["level"], r["notes_consent"],
                                   None if r["closed_at"] is None else clock.parse(r["closed_at"]),
                                   r["content_erased_at"] is not None, frozenset(themes.get(r["id"], ())))
                for r in rows}

    async def set_theme(self, request_id: int, theme: str, tagged: bool) -> bool:
        """Add or remove a theme; True when that changed anything."""
        if tagged:
            sql = "INSERT INTO case_themes (request_id, theme) VALUES (?, ?) ON CONFLICT DO NOTHING"
        else:
            sql = "DELETE FROM case_themes WHERE request_id = ? AND theme = ?"
        return 1 == await self.db.execute(sql, (request_id, theme))

    async def note_by_origin(self, origin: int | None) -> bool:
        return await by_origin(self.db, "case_notes", origin) is not None

    async def set_level(self, request_id: int, level: str) -> None:
        await self.db.execute("UPDATE requests SET level = ? WHERE id = ?", (level, request_id))

    async def set_outcome(self, request_id: int, outcome: str) -> bool:
        """Record the outcome once; False when one was recorded already."""
        return 1 == await self.db.execute(
            "UPDATE requests SET outcome = ? WHERE id = ? AND outcome IS NULL", (outcome, request_id)
        )

    # Referrals -------------------------------------------------------------------

    async def add_referral(self, request_id: int, kind: str, consent: bool, answer: str | None = None) -> int:
        """`answer`: 'asked' while the colleague's own answer is awaited; None when nothing is shared."""
        return await self.db.insert(
            "INSERT INTO case_referrals (request_id, kind, consent, answer, created_at) VALUES (?, ?, ?, ?, ?)",
            (request_id, kind, int(consent), answer, self.db.calendar.day()),
        )

    async def referral(self, referral_id: int) -> tuple[int, str, str | None] | None:
        """(request id, kind, answer) of a referral."""
        row = await self.db.fetchone("SELECT request_id, kind, answer FROM case_referrals WHERE id = ?",
                                     (referral_id,))
        return None if row is None else (row[0], row[1], row[2])

    async def answer_referral(self, referral_id: int, answer: str) -> bool:
        """The colleague's answer (or 'unreachable'), once, to a question still asked."""
        return 1 == await self.db.execute(
            "UPDATE case_referrals SET answer = ?, consent = ? WHERE id = ? AND answer = 'asked'",
            (answer, int(answer == "yes"), referral_id))

    async def asked_referrals(self, request_id: int) -> list[tuple[int, str]]:
        """(id, kind) of the referrals whose question still waits for the colleague."""
        rows = await self.db.fetchall(
            "SELECT id, kind FROM case_referrals WHERE request_id = ? AND answer = 'asked' ORDER BY id", (request_id,))
        return [(r[0], r[1]) for r in rows]

    # Feedback --------------------------------------------------------------------

    async def add_rating(self, request_id: int, rating: int, day: str | None = None) -> bool:
        """One rating per case; False when there is one already. (`day`: for demonstrations.)"""
        return 1 == await self.db.execute(
            "INSERT INTO feedback (request_id, rating, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (request_id, rating, day or self.db.calendar.day()),
        )

    async def closed_cases(self, start: str, end: str) -> list[tuple[int, str]]:
        """(request id, the organisation's day it closed) of the cases closed between two moments
        (demonstrations only)."""
        rows = await self.db.fetchall(
            "SELECT id, closed_at FROM requests WHERE state = 'closed' AND closed_at >= ?"
            " AND closed_at < ? ORDER BY id", (start, end))
        return [(r[0], self.db.calendar.day(clock.parse(r[1]))) for r in rows]

    async def add_comment(self, request_id: int, comment: str) -> bool:
        """The rating's comment, once; False without a rating or with a comment already."""
        async with self.db.transaction():
            feedback_id = await self.db.fetchval(
                "SELECT id FROM feedback WHERE request_id = ? AND comment_enc IS NULL", (request_id,)
            )
            if feedback_id is None:
                return False
            await self.db.execute(
                "UPDATE feedback SET comment_enc = ? WHERE id = ?",
                (self.vault.seal("feedback", "comment", feedback_id, comment), feedback_id),
            )
            return True

    async def quality(self, first_day: str, end_day: str) -> Quality:
        """Ratings and comments of a period (first_day <= day < end_day), network-wide: never per
        case or per member."""
        rows = await self.db.fetchall(
            "SELECT rating, comment_enc IS NOT NULL AS comment_enc FROM feedback WHERE created_at >= ? AND created_at < ?",
            (first_day, end_day),
        )
        by_rating = {n: 0 for n in range(1, 6)}
        for row in rows:
            by_rating[row["rating"]] += 1
        return Quality(len(rows), by_rating, sum(1 for row in rows if row["comment_enc"]))

    # Retention and erasure ------------------------------------------------------------

    async def due_for_retention(self, cutoff: datetime) -> list[int]:
        rows = await self.db.fetchall(
            "SELECT id FROM requests WHERE state IN ('closed', 'withdrawn') AND content_erased_at IS NULL"
            " AND closed_at < ? ORDER BY id",
            (clock.iso(cutoff),),
        )
        return [r[0] for r in rows]

    async def requests_of(self, person_id: int) -> list[int]:
        rows = await self.db.fetchall("SELECT id FROM requests WHERE requester_id = ? ORDER BY id", (person_id,))
        return [r[0] for r in rows]

    async def erase_case_content(self, request_id: int) -> None:
        """Everything a person wrote or that links the case to them; the figures' fields stay.

        Kept: ref, state, department, request-level times, urgency, themes, level, outcome,
        referral kinds, the member link and the rating; the sealed wishes and language go. Outbox rows and delivery marks of
        relayed messages go with their messages (ON DELETE CASCADE).
        """
        async with self.db.transaction():
            await self.db.execute("DELETE FROM messages WHERE request_id = ?", (request_id,))
            await self.db.execute("DELETE FROM outbox WHERE request_id = ?", (request_id,))
            await self.db.execute("DELETE FROM case_notes WHERE request_id = ?", (request_id,))
            await self.db.execute("UPDATE feedback SET comment_enc = NULL WHERE request_id = ?", (request_id,))
            await self.db.execute(
                "UPDATE requests SET requester_id = NULL, wishes_enc = NULL, history_consent = NULL,"
                " history_until = NULL, content_erased_at = ? WHERE id = ?",
                (clock.iso(clock.now()), request_id),
            )

    async def drop_old_free_text(self, cutoff: datetime) -> int:
        """Drafts nobody sent, and finished deliveries, from before the cutoff.

        Deliveries of a case that is still open stay (a reply to them finds its case), and so
        do offers of an open request (they are edited when it is taken or withdrawn).
        """
        cutoff_text = self.db.calendar.day(cutoff)
        async with self.db.transaction():
            # Days, not moments, are kept: what was made on the cutoff day goes too.
            drafts = await self.db.execute("DELETE FROM drafts WHERE created_at <= ?", (cutoff_text,))
            stale = ("state != 'pending' AND created_at <= ? AND (request_id IS NULL"
                     " OR request_id NOT IN (SELECT id FROM requests WHERE state IN"
                     " ('new', 'offered', 'claimed', 'contacted')))"
                     " AND id NOT IN (SELECT o.outbox_id FROM offers o JOIN requests r ON r.id = o.request_id"
                     " WHERE o.outbox_id IS NOT NULL AND r.state IN ('new', 'offered', 'claimed', 'contacted'))")
            # Counted first: the DELETE's own count would include the edits and links that go with them.
            deliveries = await self.db.fetchval(f"SELECT COUNT(*) FROM outbox WHERE {stale}", (cutoff_text,))
            await self.db.execute(f"DELETE FROM outbox WHERE {stale}", (cutoff_text,))
        return drafts + deliveries

    async def drop_idle_people(self, cutoff: datetime) -> int:
        """People who are nothing more than a keyed hash and a chat id: no role, no membership,
        no request, nothing they chose to hear about, nothing to deliver, and first seen before the
        cutoff. (Someone who follows the network's news stays until they stop or use /forget.)
        Counted first: the DELETE's own count would include what goes with them."""
        idle = ("created_at <= ?"
                " AND id NOT IN (SELECT person_id FROM roles)"
                " AND id NOT IN (SELECT person_id FROM members)"
                " AND id NOT IN (SELECT person_id FROM subscriptions)"
                " AND id NOT IN (SELECT requester_id FROM requests WHERE requester_id IS NOT NULL)"
                " AND id NOT IN (SELECT person_id FROM outbox WHERE state = 'pending')")
        async with self.db.transaction():
            people = await self.db.fetchval(f"SELECT COUNT(*) FROM people WHERE {idle}", (self.db.calendar.day(cutoff),))
            await self.db.execute(f"DELETE FROM people WHERE {idle}", (self.db.calendar.day(cutoff),))
        return people

    async def drop_person(self, person_id: int) -> bool:
        """The people row and what cascades from it (drafts, outbox, roles, membership)."""
        return 0 < await self.db.execute("DELETE FROM people WHERE id = ?", (person_id,))  # with its cascades

    async def drop_drafts_of(self, person_id: int) -> int:
        """For someone whose people row must stay (a role depends on it)."""
        return await self.db.execute("DELETE FROM drafts WHERE person_id = ?", (person_id,))
