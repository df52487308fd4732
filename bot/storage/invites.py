"""One-time, expiring invitations. Only a keyed hash of each code is kept."""
from __future__ import annotations

import secrets
from datetime import timedelta

from .. import clock
from ..crypto import Vault
from .database import Database

ROLES = ("coordinator", "member", "steering")


class InviteRepository:
    def __init__(self, db: Database, vault: Vault) -> None:
        self.db = db
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

        The reason is "unknown", "used" or "expired". Use is atomic: a code races once.
        """
        code_hash = self._hash(code)
        now = clock.iso(clock.now())
        async with self.db.transaction():
            row = await self.db.fetchone(
                "SELECT id, role, used_at, expires_at FROM invites WHERE code_hash = ?", (code_hash,)
            )
            if row is None:
                return None, "unknown"
            if row["used_at"] is not None:
                return None, "used"
            if row["expires_at"] <= now:
                return None, "expired"
            await self.db.execute(
                "UPDATE invites SET used_at = ?, used_by = ? WHERE id = ? AND used_at IS NULL",
                (now, person_id, row["id"]),
            )
            return row["role"], "ok"


def looks_like_invite(text: str) -> bool:
    return text.startswith("i") and len(text) == 23
