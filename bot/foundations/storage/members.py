"""Members (volunteer listeners): joining, profile, availability and load."""
from __future__ import annotations

import json
import secrets

from bot.foundations import clock
from bot.foundations.crypto import Vault
from bot.foundations.model import Hours, Member, Span

from .database import Database

# Without look-alikes (0/O, 1/I), so a code read aloud or retyped stays right.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PROFILE_FIELDS = ("gender", "age_band", "status", "department", "hr")


def random_code(length: int = 6) -> str:
    """Member handles (6) and case references (5)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


class MemberRepository:
    def __init__(self, db: Database, vault: Vault) -> None:
        self.db = db
        self.vault = vault

    _SELECT = (
        "SELECT m.*, (SELECT COUNT(*) FROM requests r WHERE r.member_id = m.id"
        " AND r.state IN ('claimed', 'contacted')) AS open_cases FROM members m"
    )

    def _member(self, row) -> Member:
        name = None
        if row["display_name_enc"]:
            name = self.vault.open("members", "display_name", row["id"], row["display_name_enc"])
        return Member(
            id=row["id"],
            person_id=row["person_id"],
            handle=row["handle"],
            display_name=name,
            gender=row["gender"],
            age_band=row["age_band"],
            status=row["status"],
            department=row["department"],
            languages=tuple(x for x in row["languages"].split(",") if x),
            charter_accepted=row["charter_accepted_at"] is not None,
            profile_complete=bool(row["profile_complete"]),
            max_open_cases=row["max_open_cases"],
            paused_until=row["paused_until"],
            left=row["left_at"] is not None,
            open_cases=row["open_cases"],
            hours=_load_hours(row["hours"]),
            hr=bool(row["hr"]),
        )

    async def by_person(self, person_id: int) -> Member | None:
        row = await self.db.fetchone(f"{self._SELECT} WHERE m.person_id = ?", (person_id,))
        return None if row is None else self._member(row)

    async def get(self, member_id: int) -> Member | None:
        row = await self.db.fetchone(f"{self._SELECT} WHERE m.id = ?", (member_id,))
        return None if row is None else self._member(row)

    async def by_handle(self, handle: str) -> Member | None:
        row = await self.db.fetchone(f"{self._SELECT} WHERE m.handle = ?", (handle,))
        return None if row is None else self._member(row)

    async def active(self) -> list[Member]:
        rows = await self.db.fetchall(
            f"{self._SELECT} WHERE m.left_at IS NULL AND m.charter_accepted_at IS NOT NULL"
            " AND m.profile_complete = 1 ORDER BY m.id"
        )
        return [self._member(r) for r in rows]

    async def enrol(self, person_id: int) -> Member:
        """A member row for an invited person (re-joining after leaving starts over)."""
        async with self.db.transaction():
            existing = await self.by_person(person_id)
            if existing is None:
                while await self.db.fetchval(
                    "SELECT 1 FROM members WHERE handle = ?", (handle := random_code(),)
                ):
                    pass
                await self.db.execute(
                    "INSERT INTO members (person_id, handle, joined_at) VALUES (?, ?, ?)",
                    (person_id, handle, clock.iso(clock.now())),
                )
            elif existing.left:
                await self.db.execute(
                    "UPDATE members SET left_at = NULL, charter_accepted_at = NULL, joined_at = ?"
                    " WHERE id = ?",
                    (clock.iso(clock.now()), existing.id),
                )
            return await self.by_person(person_id)

    async def accept_charter(self, member_id: int) -> None:
        await self.db.execute(
            "UPDATE members SET charter_accepted_at = ? WHERE id = ? AND charter_accepted_at IS NULL",
            (clock.iso(clock.now()), member_id),
        )

    async def set_display_name(self, member_id: int, name: str) -> None:
        await self.db.execute(
            "UPDATE members SET display_name_enc = ? WHERE id = ?",
            (self.vault.seal("members", "display_name", member_id, name), member_id),
        )

    async def set_field(self, member_id: int, field: str, value: str | None) -> None:
        if field not in PROFILE_FIELDS:
            raise ValueError(field)
        await self.db.execute(f"UPDATE members SET {field} = ? WHERE id = ?", (value, member_id))

    async def set_languages(self, member_id: int, languages: tuple[str, ...]) -> None:
        await self.db.execute(
            "UPDATE members SET languages = ? WHERE id = ?", (",".join(languages), member_id)
        )

    async def mark_profile_complete(self, member_id: int) -> None:
        await self.db.execute("UPDATE members SET profile_complete = 1 WHERE id = ?", (member_id,))

    async def set_hours(self, member_id: int, hours: Hours | None) -> None:
        await self.db.execute("UPDATE members SET hours = ? WHERE id = ?", (_dump_hours(hours), member_id))

    async def set_limit(self, member_id: int, limit: int) -> None:
        await self.db.execute("UPDATE members SET max_open_cases = ? WHERE id = ?", (limit, member_id))

    async def pause(self, member_id: int, until: str | None) -> None:
        """Pause offers until a UTC time (ISO), or resume with None."""
        await self.db.execute("UPDATE members SET paused_until = ? WHERE id = ?", (until, member_id))

    async def pause_ended(self, now) -> list[Member]:
        rows = await self.db.fetchall(
            f"{self._SELECT} WHERE m.paused_until IS NOT NULL AND m.paused_until <= ? AND m.left_at IS NULL",
            (clock.iso(now),),
        )
        return [self._member(r) for r in rows]

    async def end_pause(self, member_id: int, was: str) -> bool:
        return 1 == await self.db.execute(
            "UPDATE members SET paused_until = NULL WHERE id = ? AND paused_until = ?", (member_id, was)
        )

    async def leave(self, member_id: int, removed_by: int | None = None) -> bool:
        """End membership (removed_by: the coordinator who ended it, when it was not their choice)."""
        return 1 == await self.db.execute(
            "UPDATE members SET left_at = ?, paused_until = NULL, removed_by = ? WHERE id = ? AND left_at IS NULL",
            (clock.iso(clock.now()), removed_by, member_id),
        )

    async def turnover(self, start: str, end: str) -> tuple[int, int]:
        """Listeners who joined (and accepted the charter) and who left between two moments (UTC ISO,
        start <= moment < end). A listener who came back counts from their latest joining."""
        joined = await self.db.fetchval(
            "SELECT COUNT(*) FROM members WHERE charter_accepted_at IS NOT NULL AND joined_at >= ? AND joined_at < ?",
            (start, end))
        left = await self.db.fetchval("SELECT COUNT(*) FROM members WHERE left_at >= ? AND left_at < ?", (start, end))
        return joined, left


def _dump_hours(hours: Hours | None) -> str | None:
    return None if hours is None else json.dumps([[s.day, s.start, s.end] for s in hours])


def _load_hours(text: str | None) -> Hours | None:
    return None if text is None else tuple(Span(*item) for item in json.loads(text))
