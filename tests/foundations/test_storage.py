import asyncio
import shutil
import sqlite3
from contextvars import ContextVar
from zoneinfo import ZoneInfo

import pytest
from trips import Trips

from bot.foundations.calendar import Calendar
from bot.foundations.crypto import Vault, new_master_key
from bot.foundations.offload import Offload
from bot.foundations.storage.casework import CaseworkRepository
from bot.foundations.storage.database import LATER, Database, StepSuspended, TransactionAborted, on_its_thread
from bot.foundations.storage.migrations import (
    MIGRATIONS_DIR,
    MigrationError,
    current_version,
    discover,
    migrate,
)
from bot.foundations.storage.people import PeopleRepository
from bot.foundations.storage.requests import RequestRepository

VAULT = Vault.from_master_key(new_master_key())


@pytest.fixture
async def db(tmp_path):
    database = Database(tmp_path / "t.db", Calendar(ZoneInfo("Europe/Brussels")))
    await database.connect()
    yield database
    await database.close()


async def test_pragmas_at_connect(db):
    assert (await db.fetchval("PRAGMA journal_mode")) == "wal"
    assert (await db.fetchval("PRAGMA foreign_keys")) == 1
    assert (await db.fetchval("PRAGMA secure_delete")) == 1
    assert (await db.fetchval("PRAGMA synchronous")) == 2  # FULL
    assert (await db.fetchval("PRAGMA busy_timeout")) == 5000


async def test_database_files_are_private(db, tmp_path):
    await db.execute("CREATE TABLE t (x)")
    await db.execute("INSERT INTO t VALUES (1)")
    for name in ("t.db", "t.db-wal"):
        assert (tmp_path / name).stat().st_mode & 0o077 == 0, name


async def test_migrations_apply_once_and_are_tracked(db):
    latest = len(discover())
    assert await migrate(db, VAULT) == latest
    assert await current_version(db) == latest
    assert await migrate(db, VAULT) == latest  # idempotent
    rows = await db.fetchall("SELECT version FROM schema_version")
    assert [r[0] for r in rows] == list(range(1, latest + 1))


async def test_newer_database_is_refused(db):
    await migrate(db, VAULT)
    await db.execute("INSERT INTO schema_version VALUES (999, 'future', '2030-01-01T00:00:00+00:00')")
    with pytest.raises(MigrationError, match="newer"):
        await migrate(db, VAULT)


async def test_failed_migration_leaves_nothing(db, tmp_path):
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "001_good.sql").write_text("CREATE TABLE a (x INTEGER);\n")
    (folder / "002_bad.sql").write_text("CREATE TABLE b (x INTEGER);\nINSERT INTO nowhere VALUES (1);\n")
    with pytest.raises(sqlite3.OperationalError):
        await migrate(db, VAULT, folder)
    assert await current_version(db) == 1
    assert not await db.fetchval("SELECT 1 FROM sqlite_master WHERE name = 'b'")


async def test_transactions_roll_back_and_nest(db):
    await db.execute("CREATE TABLE t (x INTEGER)")
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await db.execute("INSERT INTO t VALUES (1)")
            async with db.transaction():
                await db.execute("INSERT INTO t VALUES (2)")
            raise RuntimeError
    assert await db.fetchval("SELECT COUNT(*) FROM t") == 0
    async with db.transaction():
        async with db.transaction():
            await db.execute("INSERT INTO t VALUES (3)")
    assert await db.fetchval("SELECT COUNT(*) FROM t") == 1


async def test_one_open_request_per_person_is_a_database_rule(db):
    await migrate(db, VAULT)
    await db.execute("INSERT INTO people (id, user_hash, chat_id_enc, language_enc, created_at)"
                     " VALUES (1, x'01', x'', x'', 'now')")
    insert = "INSERT INTO requests (ref, requester_id, state, created_at, deadline_at) VALUES (?, 1, ?, 'now', 'later')"
    await db.execute(insert, ("AAAAA", "offered"))
    await db.execute(insert, ("BBBBB", "closed"))
    with pytest.raises(sqlite3.IntegrityError):
        await db.execute(insert, ("CCCCC", "new"))


async def test_an_older_database_is_upgraded_and_its_metadata_sealed(db, tmp_path):
    """A database from before schema 5 keeps everything, with language and wishes now sealed."""
    old = tmp_path / "old-migrations"
    old.mkdir()
    for path in sorted(MIGRATIONS_DIR.glob("00[1-4]_*.sql")):
        shutil.copy(path, old / path.name)
    await migrate(db, VAULT, old)
    await db.execute("INSERT INTO people (id, user_hash, chat_id_enc, language, created_at)"
                     " VALUES (7, x'07', x'', 'fr', '2026-03-01T10:11:12+00:00')")
    await db.execute(
        "INSERT INTO requests (id, ref, requester_id, state, language, department, pref_gender, pref_language,"
        " pref_other_department, allow_widening, created_at, deadline_at)"
        " VALUES (3, 'ABCDE', 7, 'new', 'fr', 'Office', 'woman', 'nl', 1, 0,"
        " '2026-03-01T10:11:12+00:00', '2026-03-02T10:11:12+00:00')")
    await db.execute("INSERT INTO messages (id, request_id, author, body_enc, created_at, delivered_at)"
                     " VALUES (1, 3, 'requester', x'00', '2026-03-01T10:11:12+00:00', '2026-03-01T10:11:13+00:00')")
    await migrate(db, VAULT)
    person = await PeopleRepository(db, VAULT).get(7)
    request = await RequestRepository(db, VAULT).get(3)
    assert person.language == "fr"
    assert request.language == "nl" and request.preferences.gender == "woman"
    assert request.preferences.other_department and not request.allow_widening
    assert request.department == "Office" and request.requester_id == 7
    assert await db.fetchval("SELECT delivered FROM messages WHERE id = 1") == 1
    assert await db.fetchval("SELECT created_at FROM people WHERE id = 7") == "2026-03-01"
    columns = {r[1] for r in await db.fetchall("PRAGMA table_info(requests)")}
    assert not columns & {"language", "pref_gender", "pref_language", "allow_widening"}
    assert await db.fetchval("PRAGMA foreign_keys") == 1
    assert await db.fetchall("PRAGMA foreign_key_check") == []


@pytest.mark.parametrize("zone,placed,next_placed", [("Europe/Brussels", "2026-12-06", "2026-12-07"),
                                                     ("America/New_York", "2026-12-06", "2026-12-07"),
                                                     ("Pacific/Kiritimati", "2026-12-07", "2026-12-08")])
async def test_days_kept_in_utc_before_schema_12_become_the_organisations(tmp_path, zone, placed, next_placed):
    """A UTC day D goes to the organisation's date of D 12:00 UTC: itself within twelve hours of UTC
    (the hour after local midnight keeps the day before), the next day at UTC+14, once: two days
    in a row both move by one, not the first by two. An action's due date, always the
    organisation's, stays."""
    first_eleven = tmp_path / "old"
    first_eleven.mkdir()
    for path in sorted(MIGRATIONS_DIR.glob("*.sql"))[:11]:
        shutil.copy(path, first_eleven / path.name)
    db = Database(tmp_path / "o.db", Calendar(ZoneInfo(zone)))
    await db.connect()
    try:
        await migrate(db, VAULT, first_eleven)
        await db.execute("INSERT INTO audit_log (actor_role, actor_id, action, request_ref, at)"
                         " VALUES ('coordinator', 1, 'invited', NULL, '2026-12-06')")
        await db.execute("INSERT INTO audit_log (actor_role, actor_id, action, request_ref, at)"
                         " VALUES ('coordinator', 1, 'invited', NULL, '2026-12-07')")
        await db.execute("INSERT INTO team_signals (dedupe, department, level, created_at)"
                         " VALUES (x'01', 'Logistics', 'team', '2026-12-06')")
        await migrate(db, VAULT)
        assert [r[0] for r in await db.fetchall("SELECT at FROM audit_log ORDER BY id")] == [placed, next_placed]
        assert await db.fetchval("SELECT created_at FROM team_signals") == placed
    finally:
        await db.close()


async def test_schema_20_sets_the_epoch_after_old_digests_rekeys_team_signals_and_marks_conversations(db, tmp_path):
    """A database that had digests of 13-week windows: figures start with the first whole month after
    the last one; each live team signal gets its account's key for its quarter; a request with a
    recorded outcome of a conversation, or a message from the colleague after contact, conversed."""
    old = tmp_path / "upto19"
    old.mkdir()
    for path in sorted(MIGRATIONS_DIR.glob("*.sql"))[:19]:
        (old / path.name).write_text(path.read_text())
    await migrate(db, VAULT, old)
    await db.execute("INSERT INTO people (id, user_hash, chat_id_enc, language_enc, created_at)"
                     " VALUES (7, x'01', x'', x'', '2026-01-01')")
    await db.execute("INSERT INTO digests (week, slot_at, made_at, ledger, separate, published_enc)"
                     " VALUES ('2026-W34', '2026-08-17T06:30:00+00:00', '2026-08-17T06:31:00+00:00', '{}', '[]', x'')")
    await db.execute("INSERT INTO team_signals (id, dedupe, department, level, created_at) VALUES (1, ?, 'Office',"
                     " 'team', '2026-08-03')", (VAULT.code_hash("team-signal:7"),))
    for rid, outcome, contacted in ((1, "listened", "2026-08-01T09:00:00+00:00"), (2, "no_reply", None),
                                    (3, None, "2026-08-02T09:00:00+00:00")):
        await db.execute(
            "INSERT INTO requests (id, ref, requester_id, state, created_at, deadline_at, contacted_at, outcome)"
            " VALUES (?, ?, NULL, ?, '2026-08-01T08:00:00+00:00', '2026-08-02T08:00:00+00:00', ?, ?)",
            (rid, f"REF{rid}", "closed" if outcome else "contacted", contacted, outcome))
    await db.execute("INSERT INTO messages (request_id, author, body_enc) VALUES (3, 'requester', x'00')")
    assert await migrate(db, VAULT) == len(discover())
    assert bytes(await db.fetchval("SELECT value FROM meta WHERE key = 'figures_epoch'")) == b"2026-09-01"
    assert bytes(await db.fetchval("SELECT dedupe FROM team_signals WHERE id = 1")) == \
        VAULT.code_hash("team-signal:7:2026-Q3")
    assert [r[0] for r in await db.fetchall("SELECT conversed FROM requests ORDER BY id")] == [1, 0, 1]


# Transactions inside transactions: savepoints ------------------------------------------------

async def test_a_nested_transaction_that_fails_undoes_only_its_own_writes(db):
    await db.execute("CREATE TABLE t (x)")
    async with db.transaction():
        await db.execute("INSERT INTO t VALUES (1)")
        with pytest.raises(ValueError):
            async with db.transaction():
                await db.execute("INSERT INTO t VALUES (2)")
                async with db.transaction():
                    await db.execute("INSERT INTO t VALUES (3)")
                raise ValueError("a service refuses after writing")
        async with db.transaction():
            await db.execute("INSERT INTO t VALUES (4)")
        with pytest.raises(ValueError):
            async with db.transaction():  # nothing ran inside: nothing to undo, no savepoint made
                raise ValueError
    assert [r[0] for r in await db.fetchall("SELECT x FROM t ORDER BY x")] == [1, 4]


async def test_a_savepoint_costs_no_trip_of_its_own(db):
    await db.execute("CREATE TABLE t (x)")
    async with Trips(db) as counted:
        async with db.transaction():
            async with db.transaction():
                async with db.transaction():
                    await db.execute("INSERT INTO t VALUES (1)")
    statements, trips = counted.statements, counted.count
    assert statements == ["BEGIN IMMEDIATE", "SAVEPOINT s1", "SAVEPOINT s2", "INSERT INTO t VALUES (1)", "COMMIT"]
    assert trips == 3


async def test_a_transaction_sqlite_rolled_back_itself_refuses_further_writes(db, monkeypatch):
    await db.execute("CREATE TABLE t (x)")
    with pytest.raises(TransactionAborted):
        async with db.transaction():
            await db.execute("INSERT INTO t VALUES (1)")
            await db.conn.execute_fetchall("ROLLBACK")  # what SQLite does on SQLITE_FULL or an I/O error
            with pytest.raises(sqlite3.OperationalError):
                await db.execute("RELEASE nothing")  # the next statement fails and finds no transaction
            await db.execute("INSERT INTO t VALUES (2)")  # would commit on its own, outside any transaction
    assert await db.fetchval("SELECT COUNT(*) FROM t") == 0
    async with db.transaction():  # the next transaction is a transaction again
        await db.execute("INSERT INTO t VALUES (3)")
    assert await db.fetchval("SELECT COUNT(*) FROM t") == 1


async def test_in_a_step_too_a_transaction_sqlite_rolled_back_itself_refuses_further_writes(db):
    """Inside a step a statement is a plain call on the connection: it still notices."""
    await db.execute("CREATE TABLE t (x)")

    async def work() -> None:
        await db.execute("INSERT INTO t VALUES (1)")
        await db.execute("ROLLBACK")  # what SQLite does on SQLITE_FULL or an I/O error
        with pytest.raises(sqlite3.OperationalError):
            await db.execute("RELEASE nothing")
        await db.execute("INSERT INTO t VALUES (2)")  # would commit on its own, outside any transaction

    with pytest.raises(TransactionAborted):
        await db.step(work)
    assert await db.fetchval("SELECT COUNT(*) FROM t") == 0


async def test_a_checkpoint_asked_inside_a_transaction_runs_after_its_commit(db):
    await db.execute("CREATE TABLE t (x)")
    async with db.transaction():
        await db.execute("INSERT INTO t VALUES ('gone soon')")
    statements = []
    await db.conn.set_trace_callback(statements.append)
    async with db.transaction():
        await db.execute("DELETE FROM t")
        await db.checkpoint()
        assert not any("checkpoint" in s for s in statements)
    await db.conn.set_trace_callback(None)
    assert statements[-2:] == ["COMMIT", "PRAGMA wal_checkpoint(TRUNCATE)"]


# Steps: a piece of work on the database's thread, in one trip -------------------------------

async def _write_and_read(db, values):
    """Repository-style code: awaits the database only."""
    for value in values:
        await db.execute("INSERT INTO t VALUES (?)", (value,))
    assert on_its_thread()
    return [r[0] for r in await db.fetchall("SELECT x FROM t ORDER BY x")]


async def test_a_step_runs_its_statements_in_one_trip_and_one_commit(db):
    await db.execute("CREATE TABLE t (x)")
    durable, commits = db.durable_commits, db.commits
    async with Trips(db) as trips:
        assert await db.step(_write_and_read, db, [1, 2, 3]) == [1, 2, 3]
    assert trips.count == 1
    assert trips.statements == ["BEGIN IMMEDIATE", "INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (2)",
                                "INSERT INTO t VALUES (3)", "SELECT x FROM t ORDER BY x", "COMMIT"]
    assert (db.commits, db.durable_commits) == (commits + 1, durable + 1)
    assert not on_its_thread()  # back on the event loop


async def test_a_step_keeps_the_callers_context_and_its_durability(db):
    seen: ContextVar[str] = ContextVar("seen", default="")
    await db.execute("CREATE TABLE t (x)")

    async def work():
        await db.execute("INSERT INTO t VALUES (?)", (seen.get(),))

    seen.set("the caller's")
    durable = db.durable_commits
    async with Trips(db) as trips:
        await db.step(work, durable=False)
    assert trips.statements[:2] == ["PRAGMA synchronous = NORMAL", "BEGIN IMMEDIATE"] and trips.count == 1
    assert db.durable_commits == durable
    assert await db.fetchval("SELECT x FROM t") == "the caller's"


async def test_a_step_that_awaits_anything_but_the_database_is_rolled_back_and_says_so(db):
    await db.execute("CREATE TABLE t (x)")

    async def waits():
        await db.execute("INSERT INTO t VALUES (1)")
        await asyncio.sleep(0)  # the event loop's business: not on the database's thread
        await db.execute("INSERT INTO t VALUES (2)")

    with pytest.raises(StepSuspended):
        await db.step(waits)
    assert await db.fetchval("SELECT COUNT(*) FROM t") == 0
    assert db.suspended == 1
    await db.step(_write_and_read, db, [5])  # the database is free again, and the connection outside a transaction
    assert await db.fetchval("SELECT COUNT(*) FROM t") == 1


async def test_a_step_inside_a_transaction_is_a_savepoint_of_it(db):
    await db.execute("CREATE TABLE t (x)")

    async def refuses():
        await db.execute("INSERT INTO t VALUES (2)")
        raise ValueError("a service refuses after writing")

    async with Trips(db) as trips:
        async with db.transaction():
            await db.execute("INSERT INTO t VALUES (1)")
            with pytest.raises(ValueError):
                await db.step(refuses)
            await db.step(_write_and_read, db, [3])
    assert [r[0] for r in await db.fetchall("SELECT x FROM t ORDER BY x")] == [1, 3]
    assert "ROLLBACK TO s1" in trips.statements and trips.statements[-1] == "COMMIT"
    # BEGIN, the insert, the two steps (each one trip, its ROLLBACK TO included), COMMIT.
    assert trips.count == 5


async def test_work_on_the_thread_may_commit_several_transactions_in_one_trip(db):
    await db.execute("CREATE TABLE t (x)")

    async def two():
        async with db.transaction(durable=False):
            await db.execute("INSERT INTO t VALUES (1)")
        async with db.transaction():
            await db.execute("INSERT INTO t VALUES (2)")
        return await db.fetchval("SELECT COUNT(*) FROM t")

    durable = db.durable_commits
    async with Trips(db) as trips:
        assert await db.on_thread(two) == 2
    assert trips.count == 1 and trips.statements.count("COMMIT") == 2
    assert db.durable_commits == durable + 1


async def test_while_a_step_runs_the_database_is_its_own(db):
    await db.execute("CREATE TABLE t (x)")
    order = []

    async def slow():
        await db.execute("INSERT INTO t VALUES (1)")
        order.append("step")

    async def other():
        await db.execute("INSERT INTO t VALUES (2)")
        order.append("other")

    await asyncio.gather(db.step(slow), other())
    assert order == ["step", "other"]


async def _on_disk(db, sql):
    """What a reader past our Database sees (the raw connection): what is written, and nothing more."""
    return (await db.conn.execute_fetchall(sql))[0][0]


async def test_a_record_rides_along_with_the_next_transaction_before_its_own_work(db):
    await db.execute("CREATE TABLE t (x)")
    db.later(db.execute, "INSERT INTO t VALUES ('what went')")
    assert await _on_disk(db, "SELECT COUNT(*) FROM t") == 0  # not written yet
    commits = db.commits
    async with Trips(db) as trips:
        await db.step(_write_and_read, db, [1])
    # In the step's trip and its commit, first, in a savepoint of its own.
    assert trips.count == 1 and db.commits == commits + 1
    assert trips.statements[:3] == ["BEGIN IMMEDIATE", "SAVEPOINT s1", "INSERT INTO t VALUES ('what went')"]
    assert await _on_disk(db, "SELECT COUNT(*) FROM t") == 2
    async with Trips(db) as trips:
        await db.step(_write_and_read, db, [2])
    assert "INSERT INTO t VALUES ('what went')" not in trips.statements  # once


async def test_nobody_reads_around_a_record_that_waits(db):
    await db.execute("CREATE TABLE t (x)")
    db.later(db.execute, "INSERT INTO t VALUES (1)")
    assert await db.fetchval("SELECT COUNT(*) FROM t") == 1  # a read outside a transaction writes it first
    db.later(db.execute, "INSERT INTO t VALUES (2)")

    async def reads():
        return await db.fetchval("SELECT COUNT(*) FROM t")

    assert await db.on_thread(reads) == 2  # so does a read on the database's thread


async def test_a_record_that_nothing_comes_along_for_is_written_within_a_moment_and_at_close(tmp_path):
    db = Database(tmp_path / "t.db", Calendar(ZoneInfo("Europe/Brussels")))
    await db.connect()
    await db.execute("CREATE TABLE t (x)")
    db.later(db.execute, "INSERT INTO t VALUES (1)")
    await asyncio.sleep(LATER / 2)
    assert await _on_disk(db, "SELECT COUNT(*) FROM t") == 0
    for _ in range(100):  # written by the timer alone (nothing here takes the database); a busy machine may be slow
        await asyncio.sleep(LATER)
        if await _on_disk(db, "SELECT COUNT(*) FROM t"):
            break
    assert await _on_disk(db, "SELECT COUNT(*) FROM t") == 1
    db.later(db.execute, "INSERT INTO t VALUES (2)")
    await db.close()
    reopened = sqlite3.connect(tmp_path / "t.db")
    assert reopened.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 2
    reopened.close()


async def test_a_record_is_written_alone_only_once_it_waited_its_whole_moment(db):
    # Under steady work, records ride along; the moment's timer, set by an earlier one written
    # along already, must not write a newer one early: that would be a commit of its own for nothing.
    await db.execute("CREATE TABLE t (x)")
    loop = asyncio.get_running_loop()
    db.later(db.execute, "INSERT INTO t VALUES (1)")
    await db.step(_write_and_read, db, [0])  # it rides along; the timer stays set
    await asyncio.sleep(LATER / 2)
    db.later(db.execute, "INSERT INTO t VALUES (2)")
    registered = loop.time()
    while await _on_disk(db, "SELECT COUNT(*) FROM t") < 3:
        assert loop.time() - registered < 5, "never written"
        await asyncio.sleep(LATER / 10)
    assert loop.time() - registered >= LATER


async def test_a_record_that_fails_does_not_take_the_transaction_it_rides_with_down(db, caplog):
    await db.execute("CREATE TABLE t (x PRIMARY KEY)")

    async def broken():
        await db.execute("INSERT INTO t VALUES ('half')")
        await db.execute("INSERT INTO no_such_table VALUES (1)")

    db.later(broken)
    await db.step(_write_and_read, db, [1])
    assert [r[0] for r in await db.fetchall("SELECT x FROM t")] == [1]  # the step's own; nothing of the record
    assert "records that waited could not be written" in caplog.text


async def test_a_record_waits_on_when_the_transaction_it_rode_with_is_undone(db):
    await db.execute("CREATE TABLE t (x)")
    db.later(db.execute, "INSERT INTO t VALUES ('what went')")

    async def waits():
        await db.execute("INSERT INTO t VALUES (1)")
        await asyncio.sleep(0)

    with pytest.raises(StepSuspended):
        await db.step(waits)
    assert await db.fetchval("SELECT x FROM t") == "what went"  # undone with the step, then written after all


async def test_a_closed_case_is_dated_by_the_organisations_day(db):
    """23:30 UTC on 6 December is 00:30 on the 7th in Brussels: the case closed on the 7th there."""
    await migrate(db, VAULT)
    await db.execute("INSERT INTO people (id, user_hash, chat_id_enc, language_enc, created_at)"
                     " VALUES (1, x'01', x'', x'', '2026-12-01')")
    await db.execute("INSERT INTO requests (ref, requester_id, state, created_at, deadline_at, closed_at)"
                     " VALUES ('AAAAA', 1, 'closed', 'now', 'later', '2026-12-06T23:30:00+00:00')")
    assert await CaseworkRepository(db, VAULT).closed_cases("2026-12-01", "2026-12-08") == [(1, "2026-12-07")]


async def test_a_step_is_not_fooled_by_code_that_carries_on_after_any_failure(db):
    """Offloaded work (a chart drawn in a child process) cannot run on the database's thread; code
    that carries on without it after any Exception must not keep the step going without it."""
    await db.execute("CREATE TABLE t (x)")

    async def draws_if_it_can():
        await db.execute("INSERT INTO t VALUES (1)")
        try:
            await Offload().run(sum, [1, 2])
        except Exception:  # "the chart could not be drawn; the text goes without it"
            return "without"
        return "with"

    with pytest.raises(StepSuspended):
        await db.step(draws_if_it_can)
    assert await db.fetchval("SELECT COUNT(*) FROM t") == 0
    assert await draws_if_it_can() == "with"  # on the event loop, as ever
