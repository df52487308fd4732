"""The one long-lived SQLite connection, its PRAGMAs and transactions.

All access goes through one lock: with a single connection, a read from one
coroutine must not see another coroutine's uncommitted transaction. Inside
`transaction()` the same task may nest freely (re-entrant via a ContextVar).
"""
from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import aiosqlite

PRAGMAS = (
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA busy_timeout = 5000",
    # Deleted content is overwritten with zeros, so it does not linger in the file.
    "PRAGMA secure_delete = ON",
)

_in_transaction: ContextVar[bool] = ContextVar("waakzaam_in_transaction", default=False)


class Database:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path) if str(path) != ":memory:" else path
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    async def connect(self) -> None:
        if isinstance(self.path, Path):
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            # Readable by the bot's user only; SQLite gives its -wal and -shm files the same mode.
            os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
        # isolation_level=None: we issue BEGIN/COMMIT ourselves.
        self._conn = await aiosqlite.connect(self.path, isolation_level=None)
        self._conn.row_factory = aiosqlite.Row
        for pragma in PRAGMAS:
            await self._conn.execute(pragma)

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("database is not connected")
        return self._conn

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception; nests within a task."""
        if _in_transaction.get():
            yield
            return
        async with self._lock:
            token = _in_transaction.set(True)
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
            else:
                await self.conn.execute("COMMIT")
            finally:
                _in_transaction.reset(token)

    @asynccontextmanager
    async def _access(self) -> AsyncIterator[aiosqlite.Connection]:
        if _in_transaction.get():
            yield self.conn
        else:
            async with self._lock:
                yield self.conn

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run one statement; returns the number of rows it changed."""
        async with self._access() as conn:
            cursor = await conn.execute(sql, tuple(params))
            changed = cursor.rowcount
            await cursor.close()
            return changed

    async def insert(self, sql: str, params: Iterable[Any] = ()) -> int | None:
        """Run one INSERT; returns the new row's id, or None when it inserted nothing."""
        async with self._access() as conn:
            cursor = await conn.execute(sql, tuple(params))
            new_id = cursor.lastrowid if cursor.rowcount == 1 else None
            await cursor.close()
            return new_id

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> aiosqlite.Row | None:
        async with self._access() as conn:
            async with conn.execute(sql, tuple(params)) as cursor:
                return await cursor.fetchone()

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[aiosqlite.Row]:
        async with self._access() as conn:
            async with conn.execute(sql, tuple(params)) as cursor:
                return list(await cursor.fetchall())

    async def fetchval(self, sql: str, params: Iterable[Any] = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    async def has_tables(self) -> bool:
        return bool(await self.fetchval("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"))

    async def checkpoint(self) -> None:
        """Fold the WAL back into the main file (used after deletions and on shutdown)."""
        async with self._access() as conn:
            await conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
