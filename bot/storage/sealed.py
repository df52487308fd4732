"""Inserting a row whose sealed columns are bound to the row's own id, in one statement.

The id is allocated first, inside the transaction (which holds SQLite's write lock), so the
seal can name it: no placeholder row, no second write of the same record.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..crypto import Vault
from .database import Database


async def insert_sealed(
    db: Database, vault: Vault, table: str, values: Mapping[str, Any], sealed: Mapping[str, str | bytes]
) -> int:
    """Insert `values` plus each `sealed[column]` as `<column>_enc`; returns the new id."""
    async with db.transaction():
        row_id = await db.fetchval(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")
        columns: dict[str, Any] = {"id": row_id, **values}
        for column, plain in sealed.items():
            columns[f"{column}_enc"] = vault.seal(table, column, row_id, plain)
        await db.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            tuple(columns.values()),
        )
    return row_id


async def by_origin(db: Database, table: str, origin: int | None) -> int | None:
    """The row an update already created in `table` (a replayed update finds it)."""
    if origin is None:
        return None
    return await db.fetchval(f"SELECT id FROM {table} WHERE origin = ?", (origin,))
