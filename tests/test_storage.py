import sqlite3

import pytest

from bot.storage.database import Database
from bot.storage.migrations import MigrationError, current_version, discover, migrate


@pytest.fixture
async def db(tmp_path):
    database = Database(tmp_path / "t.db")
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
    assert await migrate(db) == latest
    assert await current_version(db) == latest
    assert await migrate(db) == latest  # idempotent
    rows = await db.fetchall("SELECT version FROM schema_version")
    assert [r[0] for r in rows] == list(range(1, latest + 1))


async def test_newer_database_is_refused(db):
    await migrate(db)
    await db.execute("INSERT INTO schema_version VALUES (999, 'future', '2030-01-01T00:00:00+00:00')")
    with pytest.raises(MigrationError, match="newer"):
        await migrate(db)


async def test_failed_migration_leaves_nothing(db, tmp_path):
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "001_good.sql").write_text("CREATE TABLE a (x INTEGER);\n")
    (folder / "002_bad.sql").write_text("CREATE TABLE b (x INTEGER);\nINSERT INTO nowhere VALUES (1);\n")
    with pytest.raises(sqlite3.OperationalError):
        await migrate(db, folder)
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
    await migrate(db)
    await db.execute("INSERT INTO people (id, user_hash, chat_id_enc, language, created_at) VALUES (1, x'01', x'', 'en', 'now')")
    insert = ("INSERT INTO requests (ref, requester_id, state, language, created_at, deadline_at)"
              " VALUES (?, 1, ?, 'en', 'now', 'later')")
    await db.execute(insert, ("AAAAA", "offered"))
    await db.execute(insert, ("BBBBB", "closed"))
    with pytest.raises(sqlite3.IntegrityError):
        await db.execute(insert, ("CCCCC", "new"))
