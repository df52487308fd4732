"""The database as a file: online copies (SQLite's backup API) and read-only inspection.

These run in a thread of their own with the standard library's sqlite3, beside the bot's
connection if it is running: a copy is one consistent snapshot, and the bot keeps writing
(WAL mode lets one writer and readers work at once).
"""
from __future__ import annotations

import os
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .meta import KEY_CHECK_NAME
from .rekeying import ROTATION_KEY

# Sidecar files SQLite may leave beside a database.
SIDECARS = ("-wal", "-shm", "-journal")


@dataclass
class Inspection:
    """What a database file holds, read without changing it."""

    integrity: list[str]           # ["ok"] when sound
    foreign_key_problems: int
    schema_version: int
    has_tables: bool
    key_check: bytes | None
    rotation: int | None
    listeners: list[dict] = field(default_factory=list)  # available listeners' profiles, no names

    @property
    def sound(self) -> bool:
        return self.integrity == ["ok"] and self.foreign_key_problems == 0


def _connect_read_only(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(Path(path).absolute().as_uri() + "?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    return conn


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None


def inspect(path: Path, *, listeners: bool = False) -> Inspection:
    """Integrity, foreign keys, schema version, key check and an unfinished rotation of the
    database at `path` (read-only). Raises sqlite3.DatabaseError for a file that is no database."""
    conn = _connect_read_only(path)
    try:
        integrity = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        problems = len(conn.execute("PRAGMA foreign_key_check").fetchall())
        has_tables = conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] > 0
        version = 0
        if _has_table(conn, "schema_version"):
            version = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0]
        check = rotation = None
        if _has_table(conn, "meta"):
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (KEY_CHECK_NAME,)).fetchone()
            check = None if row is None else bytes(row[0])
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (ROTATION_KEY,)).fetchone()
            rotation = None if row is None else int(bytes(row[0]).decode())
        found = Inspection(integrity, problems, version, has_tables, check, rotation)
        if listeners and _has_table(conn, "members"):
            found.listeners = [dict(row) for row in conn.execute(
                "SELECT gender, age_band, status, department, languages, paused_until FROM members"
                " WHERE left_at IS NULL AND profile_complete = 1 AND charter_accepted_at IS NOT NULL")]
        return found
    finally:
        conn.close()


def count_profiles(rows: list[dict], field_name: str) -> Counter:
    counts: Counter = Counter()
    for row in rows:
        if field_name == "languages":
            counts.update(lang for lang in (row["languages"] or "").split(",") if lang)
        else:
            counts[row[field_name] or "not given"] += 1
    return counts


def copy_database(source: Path, target: Path) -> None:
    """Copy the database at `source` into the new file `target` (mode 0600) with SQLite's online
    backup API, as one consistent snapshot, then make the copy a single self-contained file.

    On any error the partial copy and its sidecars are removed before the error goes on."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    try:
        src = _connect_read_only(source)
        try:
            dst = sqlite3.connect(target)
            try:
                src.backup(dst)  # all pages in one step: one snapshot, however busy the bot is
                dst.execute("PRAGMA journal_mode = DELETE")  # no -wal beside the copy
            finally:
                dst.close()
        finally:
            src.close()
        with open(target, "rb+") as handle:
            os.fsync(handle.fileno())
    except BaseException:
        remove_database_files(target)
        raise


def remove_database_files(path: Path) -> None:
    for name in (path, *(path.with_name(path.name + s) for s in SIDECARS)):
        name.unlink(missing_ok=True)


def fold_wal(path: Path) -> None:
    """Fold the write-ahead log into the database file (before it is moved aside)."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
