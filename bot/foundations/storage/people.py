"""People who talk to the bot, and the coordinator and steering roles.

A Telegram user id is kept only as a keyed hash; the chat id, the language a person speaks
and the name a coordinator or steering member chose are sealed.
"""
from __future__ import annotations

import secrets
from datetime import datetime

from bot.foundations import clock
from bot.foundations.crypto import Vault
from bot.foundations.model import Person

from .database import Database
from .sealed import insert_sealed

ERASURE_TAG_BYTES = 16
_COLUMNS = ("SELECT p.id, p.language_enc, p.access_granted,"
            " (SELECT group_concat(role) FROM roles r WHERE r.person_id = p.id) AS roles")
_SELECT = f"{_COLUMNS} FROM people p"


class PeopleRepository:
    def __init__(self, db: Database, vault: Vault) -> None:
        self.db = db
        self.vault = vault

    def _person(self, row) -> Person:
        roles = frozenset(row["roles"].split(",")) if row["roles"] else frozenset()
        language = self.vault.open("people", "language", row["id"], row["language_enc"])
        return Person(row["id"], language, bool(row["access_granted"]), roles)

    async def get(self, person_id: int) -> Person | None:
        row = await self.db.fetchone(f"{_SELECT} WHERE p.id = ?", (person_id,))
        return None if row is None else self._person(row)

    async def find(self, user_id: int) -> Person | None:
        hashes = self.vault.user_hashes(user_id)
        row = await self.db.fetchone(
            f"{_COLUMNS}, p.user_hash FROM people p WHERE p.user_hash IN ({', '.join('?' * len(hashes))}) LIMIT 1",
            hashes)
        if row is None:
            return None
        if row["user_hash"] != hashes[0]:
            # Hashed under an older key version (a key rotation could not re-key this row):
            # re-keyed now that the id is at hand.
            await self.db.execute("UPDATE people SET user_hash = ? WHERE id = ?", (hashes[0], row["id"]))
        return self._person(row)

    async def ensure(self, user_id: int, chat_id: int, language: str) -> Person:
        """The person for this Telegram user, created on first contact."""
        if person := await self.find(user_id):
            return person
        async with self.db.transaction():
            if person := await self.find(user_id):  # created meanwhile by another update
                return person
            person_id = await insert_sealed(
                self.db, self.vault, "people",
                {"user_hash": self.vault.user_hash(user_id), "created_at": self.db.calendar.day(),
                 "erasure_tag": secrets.token_bytes(ERASURE_TAG_BYTES)},
                {"chat_id": str(chat_id), "language": language},
            )
        return Person(person_id, language, False, frozenset())

    async def user_hash_of(self, person_id: int) -> bytes | None:
        return await self.db.fetchval("SELECT user_hash FROM people WHERE id = ?", (person_id,))

    async def erasure_tag(self, person_id: int) -> bytes | None:
        """The person's random tag: what the erasure log keeps of them (storage/erasures.py)."""
        tag = await self.db.fetchval("SELECT erasure_tag FROM people WHERE id = ?", (person_id,))
        return None if tag is None else bytes(tag)

    async def renew_erasure_tag(self, person_id: int) -> None:
        """A new random tag for a row that stays after an erasure (a role holder's): the one in the
        erasure log then matches only copies from before, never the live row."""
        await self.db.execute("UPDATE people SET erasure_tag = ? WHERE id = ?",
                              (secrets.token_bytes(ERASURE_TAG_BYTES), person_id))

    async def with_erasure_tags(self, tags: list[bytes]) -> list[int]:
        """The people whose tag is one of these."""
        if not tags:
            return []
        rows = await self.db.fetchall(
            f"SELECT id FROM people WHERE erasure_tag IN ({', '.join('?' * len(tags))}) ORDER BY id", tags)
        return [r[0] for r in rows]

    async def chat_id(self, person_id: int) -> int | None:
        sealed = await self.db.fetchval("SELECT chat_id_enc FROM people WHERE id = ?", (person_id,))
        return None if not sealed else int(self.vault.open("people", "chat_id", person_id, sealed))

    async def language(self, person_id: int) -> str:
        sealed = await self.db.fetchval("SELECT language_enc FROM people WHERE id = ?", (person_id,))
        return "en" if sealed is None else self.vault.open("people", "language", person_id, sealed)

    async def languages(self, person_ids: list[int]) -> dict[int, str]:
        """Many people's languages in one read per 500 ("en" for one without, as `language`)."""
        found: dict[int, str] = {}
        for start in range(0, len(person_ids), 500):
            chunk = person_ids[start:start + 500]
            for row in await self.db.fetchall(
                    f"SELECT id, language_enc FROM people WHERE id IN ({', '.join('?' * len(chunk))})", chunk):
                if row["language_enc"] is not None:
                    found[row["id"]] = self.vault.open("people", "language", row["id"], row["language_enc"])
        return {person_id: found.get(person_id, "en") for person_id in person_ids}

    async def set_language(self, person_id: int, language: str) -> None:
        await self.db.execute("UPDATE people SET language_enc = ? WHERE id = ?",
                              (self.vault.seal("people", "language", person_id, language), person_id))

    async def set_name(self, person_id: int, name: str) -> None:
        """How a coordinator or steering member is shown to coordinators."""
        await self.db.execute("UPDATE people SET name_enc = ? WHERE id = ?",
                              (self.vault.seal("people", "name", person_id, name), person_id))

    async def name(self, person_id: int) -> str | None:
        sealed = await self.db.fetchval("SELECT name_enc FROM people WHERE id = ?", (person_id,))
        return None if sealed is None else self.vault.open("people", "name", person_id, sealed)

    async def grant_access(self, person_id: int) -> None:
        await self.db.execute("UPDATE people SET access_granted = 1 WHERE id = ?", (person_id,))

    async def add_role(self, person_id: int, role: str) -> None:
        await self.db.execute(
            "INSERT OR IGNORE INTO roles (person_id, role, granted_at) VALUES (?, ?, ?)",
            (person_id, role, clock.iso(clock.now())),
        )

    async def drop_role(self, person_id: int, role: str) -> bool:
        return 1 == await self.db.execute("DELETE FROM roles WHERE person_id = ? AND role = ?", (person_id, role))

    async def role_since(self, person_id: int, roles: tuple[str, ...]) -> datetime | None:
        """When the person got the earliest of these roles they hold; None when they hold none."""
        granted = await self.db.fetchval(
            f"SELECT MIN(granted_at) FROM roles WHERE person_id = ? AND role IN ({', '.join('?' * len(roles))})",
            (person_id, *roles))
        return None if granted is None else clock.parse(granted)

    async def with_role(self, role: str) -> list[int]:
        rows = await self.db.fetchall(
            "SELECT person_id FROM roles WHERE role = ? ORDER BY person_id", (role,)
        )
        return [r["person_id"] for r in rows]
