"""The sealed conversation of a request, and drafts awaiting a target case."""
from __future__ import annotations

from datetime import date

from bot.foundations.crypto import Vault
from bot.foundations.model import Message

from .database import Database
from .sealed import by_origin, insert_sealed


class ConversationRepository:
    def __init__(self, db: Database, vault: Vault) -> None:
        self.db = db
        self.vault = vault

    async def add(self, request_id: int, author: str, body: str, origin: int | None = None,
                  author_message_id: int | None = None) -> int:
        return await insert_sealed(
            self.db, self.vault, "messages",
            {"request_id": request_id, "author": author, "origin": origin, "written_on": self.db.calendar.day(),
             "author_message_id": author_message_id},
            {"body": body},
        )

    async def waiting_since_asking(self, request_id: int) -> int:
        return await self.db.fetchval(
            "SELECT COUNT(*) FROM messages m WHERE m.request_id = ? AND m.author = 'requester' AND m.delivered = 0"
            " AND m.origin IS NOT (SELECT origin FROM requests WHERE id = m.request_id)", (request_id,))

    async def last_from(self, request_id: int, author: str) -> Message | None:
        """The latest message one side wrote: what a listener recognises a conversation by."""
        row = await self.db.fetchone(
            "SELECT * FROM messages WHERE request_id = ? AND author = ? ORDER BY id DESC LIMIT 1",
            (request_id, author))
        return None if row is None else self._message(row)

    async def by_origin(self, origin: int | None) -> Message | None:
        """The message an update already stored, if it is replayed."""
        message_id = await by_origin(self.db, "messages", origin)
        return None if message_id is None else await self.get(message_id)

    async def get(self, message_id: int) -> Message | None:
        row = await self.db.fetchone("SELECT * FROM messages WHERE id = ?", (message_id,))
        return None if row is None else self._message(row)

    async def last_seen(self, request_id: int) -> int | None:
        """The last message a listener has seen in the conversation (one they wrote, or the colleague's
        that reached them); None when there is none. Read without opening anything."""
        return await self.db.fetchval(
            "SELECT MAX(id) FROM messages WHERE request_id = ? AND (author = 'member' OR delivered = 1)",
            (request_id,))

    async def up_to(self, request_id: int, until: int) -> list[Message]:
        """The conversation up to message `until`, in order: what a listener who takes over may read."""
        rows = await self.db.fetchall(
            "SELECT * FROM messages WHERE request_id = ? AND id <= ? ORDER BY id", (request_id, until))
        return [self._message(r) for r in rows]

    async def holds_author_message(self, request_ids: list[int], person_id: int, author_message_id: int) -> bool:
        """Was this message of the person's own chat passed on in one of these conversations, or is
        it kept as a draft waiting for its conversation?"""
        marks = ", ".join("?" * len(request_ids))
        in_conversation = (f"SELECT 1 FROM messages WHERE request_id IN ({marks}) AND author_message_id = ?"
                           if request_ids else "SELECT 1 WHERE 0")
        return bool(await self.db.fetchval(
            f"SELECT EXISTS ({in_conversation}) OR EXISTS (SELECT 1 FROM drafts WHERE person_id = ?"
            " AND author_message_id = ?)", (*request_ids, *([author_message_id] if request_ids else []), person_id,
                                             author_message_id)))

    async def undelivered(self, request_id: int, author: str) -> list[Message]:
        rows = await self.db.fetchall(
            "SELECT * FROM messages WHERE request_id = ? AND author = ? AND delivered = 0"
            " ORDER BY id",
            (request_id, author),
        )
        return [self._message(r) for r in rows]


    def _message(self, row) -> Message:
        body = self.vault.open("messages", "body", row["id"], row["body_enc"])
        written = row["written_on"]
        return Message(row["id"], row["request_id"], row["author"], body, bool(row["delivered"]),
                       None if written is None else date.fromisoformat(written), row["author_message_id"])

    # Drafts -------------------------------------------------------------------

    async def add_draft(self, person_id: int, body: str, origin: int | None = None,
                        author_message_id: int | None = None) -> int:
        async with self.db.transaction():
            if (existing := await by_origin(self.db, "drafts", origin)) is not None:
                return existing
            return await insert_sealed(
                self.db, self.vault, "drafts",
                {"person_id": person_id, "created_at": self.db.calendar.day(), "origin": origin,
                 "author_message_id": author_message_id},
                {"body": body},
            )

    async def take_draft(self, draft_id: int, person_id: int) -> tuple[str, int | None] | None:
        """The draft's text and the author's own message it came from, deleted as it is taken;
        None if it is not this person's."""
        async with self.db.transaction():
            row = await self.db.fetchone(
                "SELECT body_enc, author_message_id FROM drafts WHERE id = ? AND person_id = ?", (draft_id, person_id)
            )
            if row is None:
                return None
            await self.db.execute("DELETE FROM drafts WHERE id = ?", (draft_id,))
            return self.vault.open("drafts", "body", draft_id, row["body_enc"]), row["author_message_id"]

    async def drop_draft(self, draft_id: int, person_id: int) -> bool:
        """Delete a draft of this person's unsent; False if there is none."""
        return 1 == await self.db.execute("DELETE FROM drafts WHERE id = ? AND person_id = ?", (draft_id, person_id))
