"""The sealed conversation of a request, and drafts awaiting a target case."""
from __future__ import annotations

from .. import clock
from ..crypto import Vault
from ..model import Message
from .database import Database
from .sealed import by_origin, insert_sealed


class ConversationRepository:
    def __init__(self, db: Database, vault: Vault) -> None:
        self.db = db
        self.vault = vault

    async def add(self, request_id: int, author: str, body: str, origin: int | None = None) -> int:
        return await insert_sealed(
            self.db, self.vault, "messages",
            {"request_id": request_id, "author": author, "origin": origin},
            {"body": body},
        )

    async def by_origin(self, origin: int | None) -> Message | None:
        """The message an update already stored, if it is replayed."""
        message_id = await by_origin(self.db, "messages", origin)
        return None if message_id is None else await self.get(message_id)

    async def get(self, message_id: int) -> Message | None:
        row = await self.db.fetchone("SELECT * FROM messages WHERE id = ?", (message_id,))
        return None if row is None else self._message(row)

    async def undelivered(self, request_id: int, author: str) -> list[Message]:
        rows = await self.db.fetchall(
            "SELECT * FROM messages WHERE request_id = ? AND author = ? AND delivered = 0"
            " ORDER BY id",
            (request_id, author),
        )
        return [self._message(r) for r in rows]


    def _message(self, row) -> Message:
        body = self.vault.open("messages", "body", row["id"], row["body_enc"])
        return Message(row["id"], row["request_id"], row["author"], body, bool(row["delivered"]))

    # Drafts -------------------------------------------------------------------

    async def add_draft(self, person_id: int, body: str, origin: int | None = None) -> int:
        async with self.db.transaction():
            if (existing := await by_origin(self.db, "drafts", origin)) is not None:
                return existing
            return await insert_sealed(
                self.db, self.vault, "drafts",
                {"person_id": person_id, "created_at": clock.day(), "origin": origin},
                {"body": body},
            )

    async def take_draft(self, draft_id: int, person_id: int) -> str | None:
        """The draft's text, deleted as it is taken; None if it is not this person's."""
        async with self.db.transaction():
            row = await self.db.fetchone(
                "SELECT body_enc FROM drafts WHERE id = ? AND person_id = ?", (draft_id, person_id)
            )
            if row is None:
                return None
            await self.db.execute("DELETE FROM drafts WHERE id = ?", (draft_id,))
            return self.vault.open("drafts", "body", draft_id, row["body_enc"])
