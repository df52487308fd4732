"""One-time, expiring invitations. Only a keyed hash of each code is kept."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.foundations import clock
from bot.foundations.crypto import Vault

from .database import Database

ROLES = ("coordinator", "member", "steering")


class InviteRepository:
    def __init__(self, db: Database, vault: Vault) -> None:
        self.db = db
        self.vault = vault
        self._hash = vault.code_hash

    async def create(self, role: str, ttl: timedelta, created_by: int | None = None) -> str:
        if role not in ROLES:
            raise ValueError(role)
        # 'i' + 22 url-safe characters: fits a t.me start parameter, 128 bits of chance.
        code = "i" + secrets.token_urlsafe(16)
        now = clock.now()
        await self.db.execute(
            "INSERT INTO invites (code_hash, role, created_by, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (self._hash(code), role, created_by, clock.iso(now), clock.iso(now + ttl)),
        )
        return code

    async def redeem(self, code: str, person_id: int) -> tuple[str | None, str]:
        """(role, "ok") when the code was valid and is now used, else (None, reason).

        The reason is "unknown", "used", "expired" or "cancelled". Use is atomic: a code races
        once. The person who used it may use it again (the same update, handled after a crash).
        """
        # Under every key version held: an invitation made before a key rotation still works.
        hashes = self.vault.code_hashes(code)
        now = clock.iso(clock.now())
        async with self.db.transaction():
            row = await self.db.fetchone(
                "SELECT id, role, used_at, used_by, expires_at, cancelled_at FROM invites"
                f" WHERE code_hash IN ({', '.join('?' * len(hashes))}) LIMIT 1",
                hashes,
            )
            if row is None:
                return None, "unknown"
            if row["used_at"] is not None:
                return (row["role"], "ok") if row["used_by"] == person_id else (None, "used")
            if row["cancelled_at"] is not None:
                return None, "cancelled"
            if row["expires_at"] <= now:
                return None, "expired"
            await self.db.execute(
                "UPDATE invites SET used_at = ?, used_by = ? WHERE id = ? AND used_at IS NULL",
                (now, person_id, row["id"]),
            )
            return row["role"], "ok"


    async def inviter_of(self, person_id: int, role: str) -> int | None:
        """Who made the invitation this person used for this role (None: the operator, with
        `waakzaam invite`, or nobody known)."""
        return await self.db.fetchval(
            "SELECT created_by FROM invites WHERE used_by = ? AND role = ? ORDER BY id DESC LIMIT 1", (person_id, role))

    async def open_ones(self) -> list[OpenInvitation]:
        """Invitations not used, cancelled or expired: what a coordinator may still cancel."""
        rows = await self.db.fetchall(
            "SELECT id, role, created_by, expires_at FROM invites WHERE used_at IS NULL AND cancelled_at IS NULL"
            " AND expires_at > ? ORDER BY id", (clock.iso(clock.now()),))
        return [OpenInvitation(r["id"], r["role"], r["created_by"], clock.parse(r["expires_at"])) for r in rows]

    async def cancel(self, invite_id: int) -> str | None:
        """Cancel an open invitation; its role, or None when it was no longer open."""
        async with self.db.transaction():
            role = await self.db.fetchval(
                "SELECT role FROM invites WHERE id = ? AND used_at IS NULL AND cancelled_at IS NULL", (invite_id,))
            if role is not None:
                await self.db.execute("UPDATE invites SET cancelled_at = ? WHERE id = ?",
                                      (clock.iso(clock.now()), invite_id))
            return role


@dataclass(frozen=True)
class OpenInvitation:
    id: int
    role: str
    created_by: int | None
    expires_at: datetime


def looks_like_invite(text: str) -> bool:
    return text.startswith("i") and len(text) == 23
