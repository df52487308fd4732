"""Steps of a migration that SQL cannot do: sealing values that were stored in the clear.

A step runs in the migration's transaction, before its SQL file, and leaves what it sealed in
TEMP `stage_*` tables for the SQL to pick up. Each is keyed by the version it prepares.
"""
from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from bot.foundations.crypto import Vault

from .database import Database

# The wishes that used to be columns of `requests`, and their JSON keys now.
_WISH_COLUMNS = (("pref_gender", "gender"), ("pref_age_band", "age_band"), ("pref_status", "status"),
                 ("pref_other_department", "other_department"), ("pref_member_id", "member_id"))


async def _seal_metadata(db: Database, vault: Vault) -> None:
    """Schema 5: a person's language, and a request's language and wishes, get sealed."""
    await db.execute("CREATE TEMP TABLE stage_people (id INTEGER PRIMARY KEY, language_enc BLOB NOT NULL)")
    await db.execute("CREATE TEMP TABLE stage_requests (id INTEGER PRIMARY KEY, wishes_enc BLOB NOT NULL)")
    for row in await db.fetchall("SELECT id, language FROM people"):
        await db.execute("INSERT INTO stage_people VALUES (?, ?)",
                         (row["id"], vault.seal("people", "language", row["id"], row["language"])))
    for row in await db.fetchall("SELECT * FROM requests"):
        if row["content_erased_at"] is not None:
            continue  # retention removed the wishes already
        wishes = {new: row[old] for old, new in _WISH_COLUMNS}
        wishes["other_department"] = bool(wishes["other_department"])
        # The old wish for a language becomes the conversation's language.
        wishes["language"] = row["pref_language"] or row["language"]
        wishes["allow_widening"] = bool(row["allow_widening"])
        await db.execute("INSERT INTO stage_requests VALUES (?, ?)",
                         (row["id"], vault.seal("requests", "wishes", row["id"], json.dumps(wishes))))


BEFORE: dict[int, Callable[[Database, Vault], Awaitable[None]]] = {5: _seal_metadata}
