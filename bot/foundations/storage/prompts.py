"""What the bot is waiting for each person to answer: one question at a time, kept in the
database so a restart never turns a private note into a relayed message."""
from __future__ import annotations

from dataclasses import dataclass

from bot.foundations.crypto import Vault

from .database import Database


@dataclass(frozen=True)
class StoredPrompt:
    kind: str
    ref: str | None
    data: str | None


class PromptRepository:
    def __init__(self, db: Database, vault: Vault) -> None:
        self.db = db
        self.vault = vault

    async def put(self, person_id: int, kind: str, ref: str | None = None, data: str | None = None) -> None:
        sealed = None if data is None else self.vault.seal("prompts", "data", person_id, data)
        await self.db.execute(
            "INSERT INTO prompts (person_id, kind, ref, data_enc, created_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (person_id) DO UPDATE SET kind = excluded.kind, ref = excluded.ref,"
            " data_enc = excluded.data_enc, created_at = excluded.created_at",
            (person_id, kind, ref, sealed, self.db.calendar.day()),
        )

    async def get(self, person_id: int) -> StoredPrompt | None:
        row = await self.db.fetchone("SELECT kind, ref, data_enc FROM prompts WHERE person_id = ?", (person_id,))
        if row is None:
            return None
        data = None if row["data_enc"] is None else self.vault.open("prompts", "data", person_id, row["data_enc"])
        return StoredPrompt(row["kind"], row["ref"], data)

    async def clear(self, person_id: int, kinds: tuple[str, ...] = ()) -> bool:
        """Forget the question (only if it is one of `kinds`, when given)."""
        if kinds:
            marks = ", ".join("?" * len(kinds))
            return 0 < await self.db.execute(
                f"DELETE FROM prompts WHERE person_id = ? AND kind IN ({marks})", (person_id, *kinds))
        return 0 < await self.db.execute("DELETE FROM prompts WHERE person_id = ?", (person_id,))
