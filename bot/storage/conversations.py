"""The sealed conversation of a request, and drafts awaiting a target case."""
from __future__ import annotations

from dataclasses import dataclass

from .. import clock
from ..crypto import Vault
from .database import Database


@dataclass(frozen=True)
class Message:
    id: int
    request_id: int
    author: str
    body: str
    delivered: bool


class ConversationRepository:
    def __init__(self, db: Database, vault: Vault) -> None:
        self.db = db
        self.vault = vault

    async def add(self, request_id: int, author: str, body: str) -> int:
        async with self.db.transaction():
            message_id = await self.db.insert(
                "INSERT INTO messages (request_id, author, body_enc, created_at) VALUES (?, ?, x'', ?)",
                (request_id, author, clock.iso(clock.now())),
            )
            await self.db.execute(
                "UPDATE messages SET body_enc = ? WHERE id = ?",
                (self.vault.seal("messages", "body", message_id, body), message_id),
            )
        return message_id

    async def get(self, message_id: int) -> Message | None:
        row = await self.db.fetchone("SELECT * FROM messages WHERE id = ?", (message_id,))
        return None if row is None else self._message(row)

    async def undelivered(self, request_id: int, author: str) -> list[Message]:
        rows = await self.db.fetchall(
            "SELECT * FROM messages WHERE request_id = ? AND author = ? AND delivered_at IS NULL"
            " ORDER BY id",
            (request_id, author),
        )
        return [self._message(r) for r in rows]

    async def mark_delivered(self, message_id: int) -> None:
        await self.db.execute(
            "UPDATE messages SET delivered_at = ? WHERE id = ? AND delivered_at IS NULL",
            (clock.iso(clock.now()), message_id),
        )

    def _message(self, row) -> Message:
        body = self.vault.open("messages", "body", row["id"], row["body_enc"])
        return Message(row["id"], row["request_id"], row["author"], body, row["delivered_at"] is not None)

    # Drafts -------------------------------------------------------------------

    async def add_draft(self, person_id: int, body: str) -> int:
        async with self.db.transaction():
            draft_id = await self.db.insert(
                "INSERT INTO drafts (person_id, body_enc, created_at) VALUES (?, x'', ?)",
                (person_id, clock.iso(clock.now())),
            )
            await self.db.execute(
                "UPDATE drafts SET body_enc = ? WHERE id = ?",
                (self.vault.seal("drafts", "body", draft_id, body), draft_id),
            )
        return draft_id

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
