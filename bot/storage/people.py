"""People who talk to the bot, and the coordinator and steering roles."""
from __future__ import annotations

from .. import clock
from ..crypto import Vault
from ..model import Person
from .database import Database
from .sealed import insert_sealed

_SELECT = ("SELECT p.id, p.language, p.access_granted,"
           " (SELECT group_concat(role) FROM roles r WHERE r.person_id = p.id) AS roles FROM people p")


def _person(row) -> Person:
    roles = frozenset(row["roles"].split(",")) if row["roles"] else frozenset()
    return Person(row["id"], row["language"], bool(row["access_granted"]), roles)


class PeopleRepository:
    def __init__(self, db: Database, vault: Vault) -> None:
        self.db = db
        self.vault = vault

    async def get(self, person_id: int) -> Person | None:
        row = await self.db.fetchone(f"{_SELECT} WHERE p.id = ?", (person_id,))
        return None if row is None else _person(row)

    async def find(self, user_id: int) -> Person | None:
        row = await self.db.fetchone(f"{_SELECT} WHERE p.user_hash = ?", (self.vault.user_hash(user_id),))
        return None if row is None else _person(row)

    async def ensure(self, user_id: int, chat_id: int, language: str) -> Person:
        """The person for this Telegram user, created on first contact."""
        if person := await self.find(user_id):
            return person
        async with self.db.transaction():
            if person := await self.find(user_id):  # created meanwhile by another update
                return person
            person_id = await insert_sealed(
                self.db, self.vault, "people",
                {"user_hash": self.vault.user_hash(user_id), "language": language,
                 "created_at": clock.iso(clock.now())},
                {"chat_id": str(chat_id)},
            )
        return Person(person_id, language, False, frozenset())

    async def user_hash_of(self, person_id: int) -> bytes | None:
        return await self.db.fetchval("SELECT user_hash FROM people WHERE id = ?", (person_id,))

    async def chat_id(self, person_id: int) -> int | None:
        sealed = await self.db.fetchval("SELECT chat_id_enc FROM people WHERE id = ?", (person_id,))
        return None if not sealed else int(self.vault.open("people", "chat_id", person_id, sealed))

    async def language(self, person_id: int) -> str:
        return await self.db.fetchval("SELECT language FROM people WHERE id = ?", (person_id,)) or "en"

    async def set_language(self, person_id: int, language: str) -> None:
        await self.db.execute("UPDATE people SET language = ? WHERE id = ?", (language, person_id))

    async def grant_access(self, person_id: int) -> None:
        await self.db.execute("UPDATE people SET access_granted = 1 WHERE id = ?", (person_id,))

    async def add_role(self, person_id: int, role: str) -> None:
        await self.db.execute(
            "INSERT OR IGNORE INTO roles (person_id, role, granted_at) VALUES (?, ?, ?)",
            (person_id, role, clock.iso(clock.now())),
        )

    async def with_role(self, role: str) -> list[int]:
        rows = await self.db.fetchall(
            "SELECT person_id FROM roles WHERE role = ? ORDER BY person_id", (role,)
        )
        return [r["person_id"] for r in rows]
