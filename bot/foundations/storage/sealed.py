"""Inserting a row whose sealed columns are bound to the row's own id, in one statement.

The id is allocated first, inside the transaction (which holds SQLite's write lock), so the
seal can name it: no placeholder row, no second write of the same record.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.foundations.crypto import DecryptionError, Vault

from .database import Database


@dataclass(frozen=True)
class SealedColumn:
    """A column that holds sealed values, and what each seal is bound to."""

    table: str
    name: str              # the column's name in the seal (the associated data)
    row_key: str = "id"    # the column whose value the seal names as its row
    only: str | None = None  # a condition, for tables where only some rows are sealed

    @property
    def stored(self) -> str:
        """The column in the table: `<name>_enc`, except meta.value."""
        return self.name if self.table == "meta" else f"{self.name}_enc"


# The meta rows whose value is sealed (the others are plain facts, such as when a warning went out).
SEALED_META_KEYS = ("key_check",)

# Every sealed column of the schema: what a key rotation re-seals and what a check opens.
# tests/test_rotation.py fails when a migration adds an `_enc` column missing here.
SEALED_COLUMNS = (
    SealedColumn("meta", "value", "key", only="key IN ({})".format(", ".join(f"'{k}'" for k in SEALED_META_KEYS))),
    SealedColumn("people", "chat_id"),
    SealedColumn("people", "language"),
    SealedColumn("people", "name"),
    SealedColumn("members", "display_name"),
    SealedColumn("requests", "wishes"),
    SealedColumn("messages", "body"),
    SealedColumn("drafts", "body"),
    SealedColumn("outbox", "payload"),
    SealedColumn("case_notes", "body"),
    SealedColumn("feedback", "comment"),
    SealedColumn("inbox", "payload", "update_id"),
    SealedColumn("prompts", "data", "person_id"),
    SealedColumn("volunteers", "name", "person_id"),
    SealedColumn("digests", "published", "week"),
    SealedColumn("suggestions", "body"),
    SealedColumn("signals", "reason"),
    SealedColumn("actions", "title"),
    SealedColumn("actions", "owner"),
    SealedColumn("actions", "plan"),
    SealedColumn("actions", "feedback"),
    SealedColumn("action_updates", "note"),
    SealedColumn("news", "body"),
    SealedColumn("news_versions", "body"),
    SealedColumn("figure_periods", "cells", "label"),
    SealedColumn("releases", "body", "label"),
)


async def insert_sealed(
    db: Database, vault: Vault, table: str, values: Mapping[str, Any], sealed: Mapping[str, str | bytes]
) -> int:
    """Insert `values` plus each `sealed[column]` as `<column>_enc`; returns the new id."""
    (row_id,) = await insert_sealed_many(db, vault, table, [(values, sealed)])
    return row_id


async def insert_sealed_many(
    db: Database, vault: Vault, table: str, rows: Sequence[tuple[Mapping[str, Any], Mapping[str, str | bytes]]],
    *, on_conflict: str = "", ids: Sequence[int] | None = None,
) -> list[int]:
    """`insert_sealed` for many rows with the same columns, in two statements whatever their
    number (one INSERT with a row of values each): the ids are taken in a row inside the write
    transaction, so each seal is bound to its row before the insert. `on_conflict`: a clause for
    rows a unique key already holds (an id then stays unused). `ids`: taken already by
    `next_ids`, in the caller's transaction (when a row must name another's id)."""
    if not rows:
        return []
    async with db.one_write():  # the write lock, from the ids' choice to the insert
        ids = list(ids) if ids is not None else await next_ids(db, table, len(rows))
        records = []
        for row_id, (values, sealed) in zip(ids, rows, strict=True):
            columns: dict[str, Any] = {"id": row_id, **values}
            for column, plain in sealed.items():
                columns[f"{column}_enc"] = vault.seal(table, column, row_id, plain)
            records.append(columns)
        names = list(records[0])
        row_marks = f"({', '.join('?' * len(names))})"
        await db.execute(  # one statement, all rows: one execution, one trip
            f"INSERT INTO {table} ({', '.join(names)}) VALUES {', '.join([row_marks] * len(records))} {on_conflict}",
            [record[name] for record in records for name in names],
        )
    return ids


async def next_ids(db: Database, table: str, count: int) -> list[int]:
    """The ids the next `count` rows of `table` get, in a row. Only inside the transaction that
    inserts them (it holds the write lock, so nobody takes them meanwhile)."""
    first = await db.fetchval(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")
    return list(range(first, first + count))


def open_or_empty(vault: Vault, table: str, column: str, row_id: int, value: bytes | None) -> str:
    """A sealed text that may be absent or no longer open (a person's words erased by retention):
    the empty text then, never an error in front of a reader."""
    if not value:
        return ""
    try:
        return vault.open(table, column, row_id, value)
    except DecryptionError:
        return ""


async def by_origin(db: Database, table: str, origin: int | None) -> int | None:
    """The row an update already created in `table` (a replayed update finds it)."""
    if origin is None:
        return None
    return await db.fetchval(f"SELECT id FROM {table} WHERE origin = ?", (origin,))
