"""Numbered SQL migrations from `migrations/`, each applied in one transaction."""
from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.foundations.crypto import Vault

from .database import Database
from .upgrades import BEFORE

MIGRATIONS_DIR = Path(__file__).resolve().parents[3] / "migrations"
_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")


class MigrationError(Exception):
    """The database cannot be brought to this code's schema."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path

    @property
    def without_foreign_keys(self) -> bool:
        """A table rebuild: SQLite wants foreign keys off around it (checked before commit)."""
        return self.path.read_text(encoding="utf-8").startswith("-- foreign_keys: off")

    def statements(self) -> list[str]:
        # Split on complete statements so the whole file runs inside our transaction
        # (executescript would commit on its own).
        statements, buffer = [], ""
        for line in self.path.read_text(encoding="utf-8").splitlines(keepends=True):
            buffer += line
            if sqlite3.complete_statement(buffer):
                if buffer.strip():
                    statements.append(buffer.strip())
                buffer = ""
        if buffer.strip() and not buffer.strip().startswith("--"):
            raise MigrationError(f"{self.path.name}: the last statement has no closing ';'")
        return statements


def discover(folder: Path = MIGRATIONS_DIR) -> list[Migration]:
    found = []
    for path in sorted(folder.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files are named NNN_description.sql")
        found.append(Migration(int(match[1]), match[2], path))
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise MigrationError(f"migrations must be numbered 001, 002, ... without gaps: {versions}")
    return found


async def current_version(db: Database) -> int:
    exists = await db.fetchval(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    )
    if not exists:
        return 0
    return await db.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_version")


async def pending(db: Database, folder: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migrations this database has not had yet."""
    return discover(folder)[await current_version(db):]


async def migrate(db: Database, vault: Vault, folder: Path = MIGRATIONS_DIR) -> int:
    """Apply pending migrations; refuse a database written by newer code. Returns the version."""
    migrations = discover(folder)
    latest = migrations[-1].version if migrations else 0
    async with db.transaction():
        await db.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
    version = await current_version(db)
    if version > latest:
        raise MigrationError(
            f"the database is at schema version {version}, newer than this code knows ({latest}); "
            "run the newer Waakzaam release or restore a matching backup"
        )
    for migration in migrations[version:]:
        if migration.without_foreign_keys:
            await db.execute("PRAGMA foreign_keys = OFF")  # no effect inside a transaction
        try:
            async with db.transaction():
                if step := BEFORE.get(migration.version):
                    await step(db, vault)
                for statement in migration.statements():
                    await db.execute(statement)
                if migration.without_foreign_keys and await db.fetchall("PRAGMA foreign_key_check"):
                    raise MigrationError(f"{migration.path.name}: the rebuilt tables break a foreign key")
                await db.execute(
                    "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                    (migration.version, migration.name, datetime.now(UTC).isoformat(timespec="seconds")),
                )
        finally:
            if migration.without_foreign_keys:
                await db.execute("PRAGMA foreign_keys = ON")
    return latest
