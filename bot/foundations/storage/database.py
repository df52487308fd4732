"""The one long-lived SQLite connection, its PRAGMAs and transactions.

All access goes through one lock: with a single connection, a read from one coroutine must
not see another coroutine's uncommitted transaction. Inside `transaction()` the same task may
nest freely (re-entrant via a ContextVar): a nested transaction is a savepoint, so a service
that fails inside a larger transaction (the handling of an update) undoes only its own writes.
Its SAVEPOINT travels with its first statement, in the same trip; it is never released (the
COMMIT of the outer transaction releases them all).

Should SQLite roll a transaction back by itself (a full disk, an I/O error), every later
statement of it raises TransactionAborted instead of running outside any transaction.

Trips to the database's thread. The connection is aiosqlite's: statements run on its thread,
so the event loop never waits for the disk. A trip there and back costs more than an indexed
statement itself (a hand-over between threads, and more under load, when the thread must wait
for a core), so:

- A statement awaited on the event loop is one trip (no cursor opened, walked or closed of our
  own; how many rows a write changed is `total_changes` before and after, and whether a
  transaction is open is `in_transaction`, both read without a trip). BEGIN and COMMIT are a
  trip each; a change of durability travels with the BEGIN (below).
- `step(fn)` runs a whole piece of work, `fn` (async code that awaits nothing but this
  database: repositories, services, the handling of an update), on the database's thread, in
  ONE trip, as one transaction (or a savepoint of the caller's). There every statement of this
  class is a plain call: the coroutine never suspends, and is driven to its end by one
  `send(None)`. Should it await anything else (a lock held elsewhere, the network, a child
  process), that cannot happen on this thread: it is stopped and rolled back, and
  StepSuspended is raised, so the caller can do it the ordinary way on the event loop.
  `on_thread(fn)` is the same without a transaction of its own (`fn` opens what it needs).
  While a step runs, the database is its own, as in a transaction.

Durability. A transaction is `durable` (the default) when something outside the database
will follow from it: a message sent, an update confirmed to Telegram. It commits with
`synchronous = FULL`, an fsync of the write-ahead log. A transaction that only records what
already happened (a delivery that reached Telegram, an update that was handled) may be
`durable=False`: it commits with `synchronous = NORMAL`, without an fsync of its own, and
becomes durable with the next durable commit, since the log is written in order and SQLite
recovers it up to the first incomplete frame. A process crash loses nothing either way; a
power cut may lose such a record, and what it recorded is then done again, as after any crash:
a delivery goes again marked as a possible repeat, an update is handled again and finds what
it made (its origin).

SQLite refuses to change `synchronous` inside a transaction, so the level is set just before
a BEGIN, in the same trip (`PRAGMA synchronous = NORMAL; BEGIN IMMEDIATE`), only when it
changes, and left as it is after the COMMIT. A write outside a transaction commits on its own
and is always durable: it first puts the level back to FULL if a non-durable transaction left
it at NORMAL.

Records that ride along (`later`). What the sender heard back from Telegram (a message went,
its id) is a record of what already happened, which nothing outside waits for. Rather than a
trip and a commit of its own after every batch of calls, it is written first thing in the next
transaction (in the next update's storing, when people write), as a savepoint of that one; or,
should nothing else come, in a transaction of its own a moment later (`LATER`). Nobody reads
around it: whatever next takes the database (a transaction, a statement, a step) writes what
waits first, so every reader sees it; closing the database writes it too. A crash before it is
written is a crash before the record, as ever: what went is sent again, marked.
"""
from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from bot.foundations.calendar import Calendar

PRAGMAS = (
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA busy_timeout = 5000",
    # Deleted content is overwritten with zeros, so it does not linger in the file.
    "PRAGMA secure_delete = ON",
)

Row = aiosqlite.Row
T = TypeVar("T")
log = logging.getLogger(__name__)
LATER = 0.1  # seconds a record waits for a transaction to ride along with, at most


class TransactionAborted(sqlite3.OperationalError):
    """SQLite rolled the transaction back by itself (a full disk, an I/O error): nothing of it
    was kept, and nothing more may be written as if it were still open."""


class StepSuspended(BaseException):
    """A step awaited something other than the database (a lock held elsewhere, the network, a
    child process): that cannot happen on the database's thread. What it wrote is rolled back;
    the caller does the work the ordinary way, on the event loop. Not an Exception (like a
    cancellation): code that carries on after any failure (a chart that could not be drawn, a
    handler's error) must not take it for one and carry on inside the step."""


@dataclass(eq=False)
class _Frame:
    """A transaction, or a transaction nested in one (a savepoint), as seen by the task in it."""

    root: _Frame | None = None        # the outermost transaction (None: this is it)
    parent: _Frame | None = None
    savepoint: str | None = None      # a nested one's savepoint, once made (at its first statement)
    # Kept on the outermost frame only:
    made: int = 0                     # savepoints made so far (their names)
    aborted: bool = False             # SQLite rolled it all back by itself
    checkpoint: bool = False          # a checkpoint was asked for inside: it runs after the COMMIT

    @property
    def top(self) -> _Frame:
        return self.root or self

    def unmade(self) -> list[_Frame]:
        """The nested frames, outermost first, whose savepoint a statement here must make first."""
        frames, frame = [], self
        while frame.root is not None and frame.savepoint is None:
            frames.append(frame)
            frame = frame.parent
        return frames[::-1]


_frame: ContextVar[_Frame | None] = ContextVar("waakzaam_transaction", default=None)
# Set while code runs on the database's thread, inside a step: the connection itself.
_here: ContextVar[sqlite3.Connection | None] = ContextVar("waakzaam_on_thread", default=None)


def on_its_thread() -> bool:
    """Is this code running inside a step, on the database's thread (where nothing but the
    database may be awaited)?"""
    return _here.get() is not None


# What runs on the database's thread: one statement each (plus the savepoints it is the first of).

def _rows(raw: sqlite3.Connection, sql: str, params: tuple | Mapping[str, Any]) -> list[sqlite3.Row]:
    return raw.execute(sql, params).fetchall()


def _changes(raw: sqlite3.Connection, sql: str, params: tuple | Mapping[str, Any]) -> int:
    before = raw.total_changes
    raw.execute(sql, params).fetchall()
    return raw.total_changes - before


def _insert(raw: sqlite3.Connection, sql: str, params: tuple) -> int | None:
    before = raw.total_changes
    cursor = raw.execute(sql, params)
    return cursor.lastrowid if raw.total_changes - before == 1 else None


def _many(raw: sqlite3.Connection, sql: str, rows: Iterable[Iterable[Any]]) -> None:
    raw.executemany(sql, rows).close()


def _run_script(raw: sqlite3.Connection, *statements: str) -> None:
    for statement in statements:
        raw.execute(statement)


class Database:
    def __init__(self, path: Path | str, calendar: Calendar | None = None) -> None:
        self.path = Path(path) if str(path) != ":memory:" else path
        self._calendar = calendar
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._synchronous: str | None = None  # the connection's level; None: not known
        self.commits = 0          # how many transactions committed, and how many of them with an fsync:
        self.durable_commits = 0  # counts for tests and benchmarks
        self.steps = 0            # how many steps ran on the database's thread (and how many could not):
        self.suspended = 0        # counts for tests and benchmarks
        self._later: list[tuple[Callable[..., Awaitable[object]], tuple]] = []  # records waiting to ride along
        self._later_since = 0.0  # when the first of those waiting came (the event loop's time)
        self._later_timer: asyncio.TimerHandle | None = None
        self._later_task: asyncio.Future[None] | None = None  # held: the event loop keeps tasks only weakly

    @property
    def calendar(self) -> Calendar:
        """The organisation's calendar, which stamps every day stored here. A database opened
        without it (a copy being checked, a migration test) refuses to stamp one rather than
        fall back to UTC days."""
        if self._calendar is None:
            raise RuntimeError("this database was opened without the organisation's calendar")
        return self._calendar

    async def connect(self) -> None:
        if isinstance(self.path, Path):
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            # Readable by the bot's user only; SQLite gives its -wal and -shm files the same mode.
            os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
        # isolation_level=None: we issue BEGIN/COMMIT ourselves.
        self._conn = await aiosqlite.connect(self.path, isolation_level=None)
        self._conn.row_factory = aiosqlite.Row
        try:
            await self._conn.executescript(";\n".join(PRAGMAS))
        except BaseException:
            await self.close()
            raise
        self._synchronous = "FULL"

    async def close(self) -> None:
        if self._later_timer is not None:
            self._later_timer.cancel()
            self._later_timer = None
        if self._conn is not None:
            if self._later:
                await self._write_later_alone()
            conn, self._conn = self._conn, None
            await conn.close()

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("database is not connected")
        return self._conn

    def in_transaction(self) -> bool:
        """Is this task inside a transaction (what it writes is not committed yet)?"""
        return _frame.get() is not None

    def one_write(self) -> AbstractAsyncContextManager[None]:
        """For a read and the one write that follows from it (ids chosen, then the rows inserted
        in one statement), with no other writer between them: the task's transaction as it is
        when it is in one (a savepoint would cost a statement and undo nothing that one statement
        does not undo itself), else a transaction of their own."""
        return nullcontext() if _frame.get() is not None else self.transaction()

    # Steps: work done on the database's thread, in one trip ---------------------------------

    async def step(self, fn: Callable[..., Awaitable[T]], /, *args: Any, durable: bool = True, **kwargs: Any) -> T:
        """`await fn(*args, **kwargs)` as one transaction (a savepoint, inside the caller's), run
        on the database's thread in one trip. `fn` awaits nothing but this database; should it
        await anything else, it is rolled back and StepSuspended is raised."""
        async def inside() -> T:
            async with self.transaction(durable=durable):
                return await fn(*args, **kwargs)
        return await self.on_thread(inside)

    async def on_thread(self, fn: Callable[..., Awaitable[T]], /, *args: Any, **kwargs: Any) -> T:
        """`await fn(*args, **kwargs)` on the database's thread, in one trip, holding the database
        meanwhile (as a transaction does); `fn` opens the transactions it needs. Already there: a
        plain call."""
        if _here.get() is not None:
            return await fn(*args, **kwargs)
        async with nullcontext() if _frame.get() is not None else self._lock:
            conn = self.conn
            # The caller's context (its transaction, the update being handled) travels along;
            # what the step sets in it stays there.
            return await conn._execute(contextvars.copy_context().run, self._drive, conn._conn, fn, args, kwargs)

    def _drive(self, raw: sqlite3.Connection, fn: Callable[..., Awaitable[T]], args: tuple, kwargs: dict) -> T:
        """On the database's thread: run the coroutine to its end in one go. Every statement here
        is a plain call, so it suspends only if it awaits something else."""
        _here.set(raw)
        outermost = _frame.get() is None
        coroutine = fn(*args, **kwargs)
        try:
            try:
                coroutine.send(None)
            except StopIteration as done:
                self.steps += 1
                return done.value
            coroutine.close()  # what it began is rolled back by its own `async with`
            self.suspended += 1
            raise StepSuspended(f"{getattr(fn, '__qualname__', fn)} awaited something other than the database")
        except BaseException:
            if outermost and raw.in_transaction:  # never leave a transaction open behind a failed step
                raw.execute("ROLLBACK")
            raise

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(connection, *args)` on the database's thread: a plain call inside a step, else one trip."""
        raw = _here.get()
        if raw is not None:
            return fn(raw, *args)
        conn = self.conn
        return await conn._execute(fn, conn._conn, *args)

    # Transactions ---------------------------------------------------------------------------

    @asynccontextmanager
    async def transaction(self, *, durable: bool = True) -> AsyncIterator[None]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception. Nested within a task it is a
        savepoint of the outer one: rolled back alone on an exception (what it wrote is undone,
        what the outer one wrote stays), committed with the outer one, and so as durable as that
        one. The savepoint is made by its first statement, in the same trip."""
        outer = _frame.get()
        if outer is not None:
            frame = _Frame(root=outer.top, parent=outer)
            token = _frame.set(frame)
            try:
                yield
            except BaseException:
                if frame.savepoint is not None and not outer.top.aborted and self._raw().in_transaction:
                    await self._call(_run_script, f"ROLLBACK TO {frame.savepoint}")
                raise
            finally:
                _frame.reset(token)
            return
        # Inside a step, the database is the step's already (its trip holds the lock).
        async with nullcontext() if _here.get() is not None else self._lock:
            async with self._outermost(durable):
                yield

    @asynccontextmanager
    async def _outermost(self, durable: bool) -> AsyncIterator[None]:
        """A transaction of the task's own, the database held: what waits to ride along first."""
        frame = _Frame()
        token = _frame.set(frame)
        try:
            await self._begin("FULL" if durable else "NORMAL")
            rode, self._later = self._later, []
            try:
                if rode and not await self._write_later(rode):
                    rode = []  # they failed (logged): lost, as in a crash
                yield
            except BaseException:
                self._later[:0] = rode  # undone with this transaction: they wait for the next
                if self._raw().in_transaction:  # SQLite may have rolled it back itself (disk full)
                    await self._call(_run_script, "ROLLBACK")
                raise
            if frame.aborted:
                raise TransactionAborted("the transaction was rolled back by the database")
            await self._commit(durable)
        finally:
            _frame.reset(token)
        if frame.checkpoint:
            await self._call(_run_script, "PRAGMA wal_checkpoint(TRUNCATE)")

    # Records that ride along ----------------------------------------------------------------

    def later(self, fn: Callable[..., Awaitable[object]], /, *args: Any) -> None:
        """`await fn(*args)`, a record of what already happened that nothing outside waits for,
        written first in the next transaction (as a savepoint of it), or in one of its own
        within LATER seconds. Called on the event loop; `fn` awaits nothing but this database, as a
        step's work."""
        loop = asyncio.get_running_loop()
        if not self._later:
            self._later_since = loop.time()
        self._later.append((fn, args))
        if self._later_timer is None:
            # Its own context: what the timer starts must not run inside the caller's transaction.
            self._later_timer = loop.call_later(LATER, self._later_due, context=contextvars.Context())

    def _later_due(self) -> None:
        self._later_timer = None
        if not self._later or self._conn is None:
            return
        loop = asyncio.get_running_loop()
        if (waited := loop.time() - self._later_since) < LATER:
            # Those before were written along with a transaction; these came since: their turn.
            self._later_timer = loop.call_later(LATER - waited, self._later_due, context=contextvars.Context())
            return
        self._later_task = asyncio.ensure_future(self._write_later_alone())

    async def _write_later_alone(self) -> None:
        """What waits, when nothing else came to ride along with (or at close)."""
        try:
            async with self._lock:
                if self._conn is not None:
                    await self._write_waiting()
        except Exception as exc:  # noqa: BLE001 - a lost record is a crash's loss: sent again, marked
            log.error("database: records that waited could not be written", exc_info=exc)

    async def _write_waiting(self) -> None:
        """The database held, outside a transaction: what waits, in a transaction of its own."""
        if self._later:
            async with self._outermost(durable=False):
                pass  # it writes what waits as it begins

    async def _write_later(self, waiting: list[tuple[Callable[..., Awaitable[object]], tuple]]) -> bool:
        """Inside a transaction just begun: `waiting`, in a savepoint. Should that fail, the
        transaction goes on without them, and False is returned (a record lost is a crash's loss);
        a failure SQLite rolled the whole transaction back for reaches its own work too."""
        try:
            async with self.transaction():
                for fn, args in waiting:
                    await fn(*args)
        except Exception as exc:  # noqa: BLE001 - see above
            log.error("database: records that waited could not be written", exc_info=exc)
            return False
        return True

    def _raw(self) -> sqlite3.Connection:
        return _here.get() or self.conn._conn

    async def _begin(self, level: str) -> None:
        """BEGIN IMMEDIATE at this durability: one trip, the level set with it when it changes."""
        if self._synchronous == level:
            await self._call(_run_script, "BEGIN IMMEDIATE")
            return
        self._synchronous = None  # should the BEGIN fail after the PRAGMA, the level is not known
        await self._call(_run_script, f"PRAGMA synchronous = {level}", "BEGIN IMMEDIATE")
        self._synchronous = level

    async def _commit(self, durable: bool) -> None:
        try:
            await self._call(_run_script, "COMMIT")
        except BaseException:
            if self._raw().in_transaction:
                await self._call(_run_script, "ROLLBACK")
            raise
        self.commits += 1
        self.durable_commits += durable

    @asynccontextmanager
    async def _access(self, *, write: bool = False) -> AsyncIterator[None]:
        """The connection, for one statement: inside the task's transaction as it is, else under
        the lock (a step's already); a write outside a transaction commits on its own, so durably
        (FULL)."""
        frame = _frame.get()
        if frame is not None:
            if frame.top.aborted:
                raise TransactionAborted("the transaction was rolled back by the database")
            try:
                yield
            except sqlite3.Error:
                if not self._raw().in_transaction:  # a full disk or an I/O error: SQLite rolled it all back
                    frame.top.aborted = True
                raise
            return
        async with nullcontext() if _here.get() is not None else self._lock:
            if self._later:  # written before anything is read or written around it
                await self._write_waiting()
            if write and self._synchronous != "FULL":
                self._synchronous = None
                await self._call(_run_script, "PRAGMA synchronous = FULL")  # no transaction is open here
                self._synchronous = "FULL"
            yield

    async def _run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run one statement function on the database's thread (one trip, unless inside a step),
        first making the savepoints of the nested transactions this statement is the first of."""
        frame = _frame.get()
        unmade = frame.unmade() if frame is not None else []
        if not unmade:
            return await self._call(fn, *args)
        for nested in unmade:
            nested.top.made += 1
            nested.savepoint = f"s{nested.top.made}"
        names = [nested.savepoint for nested in unmade]

        def with_savepoints(raw: sqlite3.Connection, *rest: Any) -> Any:
            for name in names:
                raw.execute(f"SAVEPOINT {name}")
            return fn(raw, *rest)

        try:
            return await self._call(with_savepoints, *args)
        except BaseException:
            for nested in unmade:  # whether they were made is not known: none is relied on
                nested.savepoint = None
            raise

    @staticmethod
    def _plain(raw: sqlite3.Connection, fn: Callable[..., T], *args: Any) -> T:
        """A statement inside a step's transaction whose savepoints are made (`_ready`): a plain
        call on the connection, without the bookkeeping of `_access` and `_run` (most statements
        of a relay)."""
        try:
            return fn(raw, *args)
        except sqlite3.Error:
            if not raw.in_transaction:  # a full disk or an I/O error: SQLite rolled it all back
                _frame.get().top.aborted = True
            raise

    # Statements -----------------------------------------------------------------------------

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run one statement; returns how many rows it changed, those its foreign-key actions
        changed included (the rows a DELETE cascades to; where only one table's count will do,
        count before deleting). Outside a transaction it commits on its own, durably."""
        if (raw := _ready()) is not None:
            return self._plain(raw, _changes, sql, _params(params))
        async with self._access(write=True):
            return await self._run(_changes, sql, _params(params))

    async def insert(self, sql: str, params: Iterable[Any] = ()) -> int | None:
        """Run one INSERT; returns the new row's id, or None when it inserted nothing."""
        if (raw := _ready()) is not None:
            return self._plain(raw, _insert, sql, tuple(params))
        async with self._access(write=True):
            return await self._run(_insert, sql, tuple(params))

    async def executemany(self, sql: str, rows: Iterable[Iterable[Any]]) -> None:
        """One statement over many rows (bulk loads), in one trip."""
        async with self._access(write=True):
            await self._run(_many, sql, rows)

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Row]:
        if (raw := _ready()) is not None:
            return self._plain(raw, _rows, sql, _params(params))
        async with self._access():
            return await self._run(_rows, sql, _params(params))

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Row | None:
        """The first row (the queries asked this way yield one row at most)."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchval(self, sql: str, params: Iterable[Any] = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    async def has_tables(self) -> bool:
        return bool(await self.fetchval("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"))

    async def checkpoint(self) -> None:
        """Fold the WAL back into the main file (used after deletions and on shutdown). Inside a
        transaction it is done right after the COMMIT, when what was deleted is gone for good."""
        if (frame := _frame.get()) is not None:
            frame.top.checkpoint = True
            return
        async with self._access():
            await self._call(_run_script, "PRAGMA wal_checkpoint(TRUNCATE)")


def _ready() -> sqlite3.Connection | None:
    """The connection, when this code is on the database's thread in a transaction that is not
    aborted and whose savepoints are all made (so a statement is a plain call on it); else None."""
    if (raw := _here.get()) is None or (frame := _frame.get()) is None:
        return None
    return raw if (frame.root is None or frame.savepoint is not None) and not frame.top.aborted else None


def _params(params: Iterable[Any] | Mapping[str, Any]) -> tuple | Mapping[str, Any]:
    """Positional parameters as a tuple; named ones (":cut") as they are."""
    return params if isinstance(params, Mapping) else tuple(params)
