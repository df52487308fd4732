"""The one long-lived SQLite connection, its PRAGMAs and transactions.

All access goes through one lock: with a single connection, a read from one coroutine must
not see another coroutine's uncommitted transaction. Inside `transaction()` the same task may
nest freely (re-entrant via a ContextVar).

Where a statement runs. Every query of the bot's everyday work reads or writes a few rows
through an index (tests/test_query_plans.py checks the ones that matter), which SQLite does
in microseconds: handing each of them to a thread and back would cost ten times more than
the statement itself. So statements run on the event loop's thread, and only what may wait
for the disk or for another process goes to the connection's own worker thread: COMMIT (the
fsync), a write outside a transaction (it commits), a checkpoint, and the few queries that
read many rows (`scan`, for figures and retention). The lock makes the two threads take
turns, never overlap.

Durability. A transaction is `durable` (the default) when something outside the database
will follow from it: a message sent, an update confirmed to Telegram. It commits with
`synchronous = FULL`, an fsync of the write-ahead log. A transaction that only records what
already happened (a delivery that reached Telegram, an update that was handled) may be
`durable=False`: it commits without its own fsync and becomes durable with the next durable
commit, since the log is written in order and SQLite recovers it up to the first incomplete
frame. A process crash loses nothing either way; a power cut may lose such a record, and
what it recorded is then done again, as after any crash: a delivery goes again marked as a
possible repeat, an update is handled again and finds what it made (its origin).
"""
from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

PRAGMAS = (
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA busy_timeout = 5000",
    # Deleted content is overwritten with zeros, so it does not linger in the file.
    "PRAGMA secure_delete = ON",
)

Row = sqlite3.Row
T = TypeVar("T")

_in_transaction: ContextVar[bool] = ContextVar("waakzaam_in_transaction", default=False)


class Database:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path) if str(path) != ":memory:" else path
        self._conn: sqlite3.Connection | None = None
        self._lock = asyncio.Lock()
        self._worker: ThreadPoolExecutor | None = None
        self._synchronous = "FULL"
        self.commits = 0          # how many transactions committed, and how many of them with an fsync:
        self.durable_commits = 0  # counts for tests and benchmarks

    async def connect(self) -> None:
        if isinstance(self.path, Path):
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            # Readable by the bot's user only; SQLite gives its -wal and -shm files the same mode.
            os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="waakzaam-sqlite")
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves. The connection is used from the
            # loop's thread and the worker, never at once (the lock).
            self._conn = await self._off_loop(sqlite3.connect, str(self.path), isolation_level=None,
                                              check_same_thread=False)
            self._conn.row_factory = sqlite3.Row
            for pragma in PRAGMAS:
                await self._off_loop(_all, self._conn, pragma)
            self._synchronous = "FULL"
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await self._off_loop(conn.close)
        if self._worker is not None:
            self._worker.shutdown(wait=True)
            self._worker = None

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("database is not connected")
        return self._conn

    async def _off_loop(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run `fn` on the connection's worker thread (what may wait for the disk)."""
        if self._worker is None:
            raise RuntimeError("database is not connected")
        return await asyncio.get_running_loop().run_in_executor(self._worker, lambda: fn(*args, **kwargs))

    def _set_synchronous(self, level: str) -> None:
        if self._synchronous != level:  # outside a transaction: SQLite refuses it inside one
            self.conn.execute(f"PRAGMA synchronous = {level}")
            self._synchronous = level

    @asynccontextmanager
    async def transaction(self, *, durable: bool = True) -> AsyncIterator[None]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception; nests within a task (a nested
        transaction is part of the outer one, and so as durable as that one)."""
        if _in_transaction.get():
            yield
            return
        async with self._lock:
            token = _in_transaction.set(True)
            try:
                self._set_synchronous("FULL" if durable else "NORMAL")
                self.conn.execute("BEGIN IMMEDIATE")
                try:
                    yield
                except BaseException:
                    self.conn.execute("ROLLBACK")
                    raise
                await self._commit(durable)
            finally:
                _in_transaction.reset(token)

    async def _commit(self, durable: bool) -> None:
        try:
            await self._off_loop(self.conn.execute, "COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        self.commits += 1
        self.durable_commits += durable

    @asynccontextmanager
    async def _access(self) -> AsyncIterator[sqlite3.Connection]:
        if _in_transaction.get():
            yield self.conn
        else:
            async with self._lock:
                yield self.conn

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run one statement; returns the number of rows it changed. Outside a transaction it
        commits on its own (durably), on the worker thread."""
        async with self._access() as conn:
            if _in_transaction.get():
                cursor = conn.execute(sql, tuple(params))
            else:
                self._set_synchronous("FULL")
                cursor = await self._off_loop(conn.execute, sql, tuple(params))
            changed = cursor.rowcount
            cursor.close()
            return changed

    async def insert(self, sql: str, params: Iterable[Any] = ()) -> int | None:
        """Run one INSERT; returns the new row's id, or None when it inserted nothing."""
        async with self._access() as conn:
            if _in_transaction.get():
                cursor = conn.execute(sql, tuple(params))
            else:
                self._set_synchronous("FULL")
                cursor = await self._off_loop(conn.execute, sql, tuple(params))
            new_id = cursor.lastrowid if cursor.rowcount == 1 else None
            cursor.close()
            return new_id

    async def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        """One statement over many rows (bulk loads), on the worker thread."""
        async with self._access() as conn:
            await self._off_loop(conn.executemany, sql, rows)

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        async with self._access() as conn:
            cursor = conn.execute(sql, tuple(params))
            try:
                return cursor.fetchone()
            finally:
                cursor.close()  # a query with more rows must not stay open (COMMIT refuses then)

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        async with self._access() as conn:
            return _all(conn, sql, tuple(params))

    async def fetchval(self, sql: str, params: Iterable[Any] = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    async def scan(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        """A query that reads many rows (figures over years, retention): on the worker thread,
        so the bot keeps answering (what needs no database) meanwhile."""
        async with self._access() as conn:
            return await self._off_loop(_all, conn, sql, tuple(params))

    async def has_tables(self) -> bool:
        return bool(await self.fetchval("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"))

    async def checkpoint(self) -> None:
        """Fold the WAL back into the main file (used after deletions and on shutdown)."""
        async with self._access() as conn:
            await self._off_loop(_all, conn, "PRAGMA wal_checkpoint(TRUNCATE)")


def _all(conn: sqlite3.Connection, sql: str, params: tuple = ()) -> list[Row]:
    """Every row of a statement, its cursor closed (an open one would keep COMMIT from working)."""
    cursor = conn.execute(sql, params)
    try:
        return cursor.fetchall()
    finally:
        cursor.close()
