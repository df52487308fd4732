"""The database as a file: online copies (SQLite's backup API) and read-only inspection.

These run in a thread of their own with the standard library's sqlite3, beside the bot's
connection if it is running: a copy is one consistent snapshot, and the bot keeps writing
(WAL mode lets one writer and readers work at once).
"""
from __future__ import annotations

import errno
import os
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .erasures import Erased
from .meta import KEY_CHECK_NAME
from .rekeying import ROTATION_KEY

# Sidecar files SQLite may leave beside a database.
SIDECARS = ("-wal", "-shm", "-journal")
NEARLY_FULL = 256 * 1024  # bytes left for this user below which a disk counts as full


def disk_full(folder: Path) -> bool:
    """Whether the file system holding `folder` has (nearly) no room left for this user."""
    try:
        found = os.statvfs(folder)
    except OSError:
        return False
    return found.f_bavail * found.f_frsize < NEARLY_FULL


def trouble(exc: BaseException, path: Path) -> str:
    """What went wrong with the database file at `path`, in the operator's words: a full disk, a
    read-only file system, a folder this user may not write, or the disk itself. SQLite's own
    words are vague ("disk I/O error", "unable to open database file"); the file system says more."""
    folder = Path(path).parent
    code = getattr(exc, "errno", None)
    text = str(exc).lower()
    if code == errno.EISDIR or Path(path).is_dir():
        return f"{path} is a folder; WAAKZAAM_DB must name the database file in it, such as {Path(path) / 'waakzaam.db'}"
    if code == errno.ENOTDIR or any(p.exists() and not p.is_dir() for p in Path(path).parents):
        return f"part of {path} is a file where a folder should be; check WAAKZAAM_DB"
    if code in (errno.ENOSPC, errno.EDQUOT) or "full" in text or disk_full(folder):
        return f"the disk holding {folder} is full"
    if code == errno.EFBIG:
        return "the file is larger than this process may write (a file size limit, ulimit -f)"
    if code == errno.EROFS or "read-only file system" in text or _read_only_mount(folder):
        return f"{folder} is on a read-only file system"
    if code in (errno.EACCES, errno.EPERM) or "readonly" in text or not os.access(folder, os.W_OK) or (
            Path(path).exists() and not os.access(path, os.W_OK)):
        return (f"this user (uid {os.getuid()}) may not write {path} or its folder {folder}: SQLite writes its "
                "-wal and -shm files beside the database; run as the user that owns them")
    if "disk i/o error" in text:
        return "the disk could not be read or written (disk I/O error: see the kernel log, dmesg)"
    if isinstance(exc, OSError):
        return exc.strerror or exc.__class__.__name__
    return str(exc) or exc.__class__.__name__


def _read_only_mount(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


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


def erasure_log(path: Path) -> list[Erased] | None:
    """The erasures the database at `path` remembers (read-only); None when it is too old to keep
    them (before schema 16, migrations/016_erasure_log.sql)."""
    conn = _connect_read_only(path)
    try:
        if not _has_table(conn, "erasures"):
            return None
        return [Erased(bytes(r[0]), r[1]) for r in conn.execute("SELECT tag, day FROM erasures ORDER BY id")]
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


def readable_problem(path: Path) -> str | None:
    """None when the database at `path` can be read; else why not, in words. Reading a database in
    WAL mode needs its -shm file, which SQLite makes beside it: a folder this user may not write
    stops a reader too."""
    try:
        conn = _connect_read_only(path)
        try:
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()
    except (OSError, sqlite3.Error) as exc:
        return trouble(exc, path)
    return None


def copy_database(source: Path, target: Path, *, created: bool = False) -> None:
    """Copy the database at `source` into the new file `target` (mode 0600) with SQLite's online
    backup API, as one consistent snapshot, then make the copy a single self-contained file.
    `created`: the caller made `target` already (empty, mode 0600).

    On any error the partial copy and its sidecars are removed before the error goes on."""
    if not created:
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
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


def self_contained(path: Path) -> None:
    """Fold the log in and leave the file in rollback-journal mode: one file, no -wal or -shm
    beside it, ready to be renamed (the bot turns WAL on again when it opens it)."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode = DELETE")
    finally:
        conn.close()
    for sidecar in SIDECARS:
        path.with_name(path.name + sidecar).unlink(missing_ok=True)
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())
