""""You said, we did": drafts, the second person's approval, what was published; and the
reminders that go once per label (nudges).

A draft's text is the author's own words: sealed, bound to its row, and deleted when a second
person sends it back.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.foundations import clock
from bot.foundations.crypto import Vault

from .database import Database
from .sealed import insert_sealed, open_or_empty

STATES = ("draft", "pending", "published", "returned")


@dataclass(frozen=True)
class News:
    id: int
    author: int | None
    action_id: int | None
    text: str           # empty once sent back
    figures: bool
    flagged: bool
    state: str
    decided_by: int | None
    created_at: date
    published_at: date | None
    digest_week: str | None
    recipients: int | None


class NewsRepository:
    def __init__(self, db: Database, vault: Vault) -> None:
        self.db = db
        self.vault = vault

    def _news(self, row) -> News:
        text = open_or_empty(self.vault, "news", "body", row["id"], row["body_enc"])
        return News(row["id"], row["author"], row["action_id"], text, bool(row["figures"]), bool(row["flagged"]),
                    row["state"], row["decided_by"], date.fromisoformat(row["created_at"]),
                    date.fromisoformat(row["published_at"]) if row["published_at"] else None, row["digest_week"],
                    row["recipients"])

    async def add(self, author: int, text: str, *, action_id: int | None, flagged: bool,
                  origin: int | None = None, day: str | None = None) -> int:
        return await insert_sealed(
            self.db, self.vault, "news",
            {"author": author, "action_id": action_id, "flagged": int(flagged), "state": "draft",
             "created_at": day or self.db.calendar.day(), "origin": origin},
            {"body": text})

    async def by_origin(self, origin: int | None) -> News | None:
        if origin is None:
            return None
        row = await self.db.fetchone("SELECT * FROM news WHERE origin = ?", (origin,))
        return None if row is None else self._news(row)

    async def get(self, news_id: int) -> News | None:
        row = await self.db.fetchone("SELECT * FROM news WHERE id = ?", (news_id,))
        return None if row is None else self._news(row)

    async def set_figures(self, news_id: int, figures: bool) -> bool:
        return 1 == await self.db.execute("UPDATE news SET figures = ? WHERE id = ? AND state = 'draft'",
                                          (int(figures), news_id))

    async def submit(self, news_id: int) -> bool:
        return 1 == await self.db.execute("UPDATE news SET state = 'pending' WHERE id = ? AND state = 'draft'",
                                          (news_id,))

    async def publish(self, news_id: int, by: int, digest_week: str | None, recipients: int,
                      day: str | None = None) -> bool:
        """Pending -> published, once: the second of two approvals at once changes nothing."""
        return 1 == await self.db.execute(
            "UPDATE news SET state = 'published', decided_by = ?, published_at = ?, digest_week = ?, recipients = ?"
            " WHERE id = ? AND state = 'pending'", (by, day or self.db.calendar.day(), digest_week, recipients, news_id))

    async def send_back(self, news_id: int, by: int | None, *, only_if: tuple[str, ...] = ("pending",)) -> bool:
        """Returned: its text is deleted at once."""
        marks = ", ".join("?" * len(only_if))
        return 1 == await self.db.execute(
            f"UPDATE news SET state = 'returned', decided_by = ?, body_enc = x'' WHERE id = ? AND state IN ({marks})",
            (by, news_id, *only_if))

    async def drafts_of(self, author: int) -> list[News]:
        rows = await self.db.fetchall("SELECT * FROM news WHERE author = ? AND state = 'draft' ORDER BY id",
                                      (author,))
        return [self._news(r) for r in rows]

    async def pending(self) -> list[News]:
        rows = await self.db.fetchall("SELECT * FROM news WHERE state = 'pending' ORDER BY id")
        return [self._news(r) for r in rows]

    async def published(self, first_day: str | None = None, end_day: str | None = None, limit: int = 50
                        ) -> list[News]:
        """Published messages, newest first (published_at in [first_day, end_day) when given)."""
        rows = await self.db.fetchall(
            "SELECT * FROM news WHERE state = 'published' AND published_at >= ? AND published_at < ?"
            " ORDER BY published_at DESC, id DESC LIMIT ?", (first_day or "0000", end_day or "9999", limit))
        return [self._news(r) for r in rows]

    async def told_about(self, action_id: int, closed_day: str) -> bool:
        """Was something told after the action closed: a message about it, or any message since?"""
        return bool(await self.db.fetchval(
            "SELECT 1 FROM news WHERE state = 'published' AND (action_id = ? OR published_at >= ?) LIMIT 1",
            (action_id, closed_day)))

    # Nudges: once per kind and label --------------------------------------------------------

    async def nudge_once(self, kind: str, label: str) -> bool:
        """True the first time for this kind and label (call it inside the transaction that sends it)."""
        return await self.db.insert("INSERT INTO nudges (kind, label, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                                    (kind, label, clock.iso(clock.now()))) is not None

    async def nudged(self, kind: str, label: str) -> bool:
        return bool(await self.db.fetchval("SELECT 1 FROM nudges WHERE kind = ? AND label = ?", (kind, label)))


__all__ = ["NewsRepository", "News", "STATES"]
