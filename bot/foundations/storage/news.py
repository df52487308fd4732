""""You said, we did": drafts, the second person's approval, what was published; and the
reminders that go once per label (nudges).

A draft's text is the author's own words: sealed, bound to its row, and deleted when a second
person sends it back.
"""
from __future__ import annotations

from dataclasses import dataclass, field
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
    language: str | None = None  # the language its author wrote it in (None: written before that was kept)
    versions: dict[str, str] = field(default_factory=dict)  # the same message in other languages

    def text_in(self, lang: str) -> str | None:
        """The message in this language, when it was written in it or given a version in it."""
        if self.language in (None, lang):
            return self.text
        return self.versions.get(lang)


class NewsRepository:
    def __init__(self, db: Database, vault: Vault) -> None:
        self.db = db
        self.vault = vault

    def _news(self, row, versions: dict[str, str] | None = None) -> News:
        text = open_or_empty(self.vault, "news", "body", row["id"], row["body_enc"])
        return News(row["id"], row["author"], row["action_id"], text, bool(row["figures"]), bool(row["flagged"]),
                    row["state"], row["decided_by"], date.fromisoformat(row["created_at"]),
                    date.fromisoformat(row["published_at"]) if row["published_at"] else None, row["digest_week"],
                    row["recipients"], row["language"], versions or {})

    async def _with_versions(self, rows) -> list[News]:
        """The messages of these rows with their versions, read in one query."""
        if not rows:
            return []
        ids = [r["id"] for r in rows]
        versions: dict[int, dict[str, str]] = {}
        for v in await self.db.fetchall(
                f"SELECT id, news_id, language, body_enc FROM news_versions WHERE news_id IN ({', '.join('?' * len(ids))})",
                ids):
            versions.setdefault(v["news_id"], {})[v["language"]] = open_or_empty(
                self.vault, "news_versions", "body", v["id"], v["body_enc"])
        return [self._news(r, versions.get(r["id"])) for r in rows]

    async def add(self, author: int, text: str, *, action_id: int | None, flagged: bool,
                  origin: int | None = None, day: str | None = None, language: str | None = None) -> int:
        return await insert_sealed(
            self.db, self.vault, "news",
            {"author": author, "action_id": action_id, "flagged": int(flagged), "state": "draft",
             "created_at": day or self.db.calendar.day(), "origin": origin, "language": language},
            {"body": text})

    async def set_language(self, news_id: int, language: str) -> bool:
        """The language the author wrote it in, while a draft; a version in that language goes."""
        async with self.db.transaction():
            changed = 1 == await self.db.execute(
                "UPDATE news SET language = ? WHERE id = ? AND state = 'draft'", (language, news_id))
            if changed:
                await self.db.execute("DELETE FROM news_versions WHERE news_id = ? AND language = ?",
                                      (news_id, language))
            return changed

    async def set_version(self, news_id: int, language: str, text: str) -> None:
        """The message in another language, new or rewritten (sealed, bound to its own row)."""
        async with self.db.transaction():
            version_id = await self.db.fetchval(
                "SELECT id FROM news_versions WHERE news_id = ? AND language = ?", (news_id, language))
            if version_id is None:
                await insert_sealed(self.db, self.vault, "news_versions", {"news_id": news_id, "language": language},
                                    {"body": text})
            else:
                await self.db.execute("UPDATE news_versions SET body_enc = ? WHERE id = ?",
                                      (self.vault.seal("news_versions", "body", version_id, text), version_id))

    async def flag(self, news_id: int) -> None:
        """A version may point at a person: the second person sees the warning."""
        await self.db.execute("UPDATE news SET flagged = 1 WHERE id = ?", (news_id,))

    async def by_origin(self, origin: int | None) -> News | None:
        if origin is None:
            return None
        row = await self.db.fetchone("SELECT * FROM news WHERE origin = ?", (origin,))
        return None if row is None else (await self._with_versions([row]))[0]

    async def get(self, news_id: int) -> News | None:
        row = await self.db.fetchone("SELECT * FROM news WHERE id = ?", (news_id,))
        return None if row is None else (await self._with_versions([row]))[0]

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
        """Returned: its text, in every language, is deleted at once."""
        marks = ", ".join("?" * len(only_if))
        async with self.db.transaction():
            returned = 1 == await self.db.execute(
                f"UPDATE news SET state = 'returned', decided_by = ?, body_enc = x'' WHERE id = ? AND state IN ({marks})",
                (by, news_id, *only_if))
            if returned:
                await self.db.execute("DELETE FROM news_versions WHERE news_id = ?", (news_id,))
            return returned

    async def drafts_of(self, author: int) -> list[News]:
        rows = await self.db.fetchall("SELECT * FROM news WHERE author = ? AND state = 'draft' ORDER BY id",
                                      (author,))
        return await self._with_versions(rows)

    async def pending(self) -> list[News]:
        rows = await self.db.fetchall("SELECT * FROM news WHERE state = 'pending' ORDER BY id")
        return await self._with_versions(rows)

    async def published(self, first_day: str | None = None, end_day: str | None = None, limit: int = 50
                        ) -> list[News]:
        """Published messages, newest first (published_at in [first_day, end_day) when given)."""
        rows = await self.db.fetchall(
            "SELECT * FROM news WHERE state = 'published' AND published_at >= ? AND published_at < ?"
            " ORDER BY published_at DESC, id DESC LIMIT ?", (first_day or "0000", end_day or "9999", limit))
        return await self._with_versions(rows)

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
