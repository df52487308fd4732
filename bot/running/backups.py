"""Backups and restores of the database, while the bot runs (backup) or is stopped (restore).

A backup is a copy made with SQLite's online backup API into a new file of mode 0600. It
stays encrypted (the key is not in it: back the key file up apart), and it is checked before
it is called done: its integrity, its foreign keys, and that the key opens it. It is written
under a temporary name and renamed at the end, so a full disk leaves no half file that looks
good. Every problem is one BackupError line for the operator.
"""
from __future__ import annotations

import errno
import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.foundations.crypto import DecryptionError, Vault, sync_folder
from bot.foundations.storage import files
from bot.foundations.storage.meta import KEY_CHECK_NAME
from bot.foundations.storage.migrations import discover

KEEP_BEFORE_MIGRATIONS = 3  # automatic copies kept beside the database


class BackupError(Exception):
    """A backup or restore cannot be done; the message says why and what to do, in one line."""


@dataclass(frozen=True)
class Copy:
    path: Path
    size: int
    schema_version: int
    key_version: int


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S")


def _inside(path: Path, folder: Path) -> bool:
    folder = folder.resolve()
    return path == folder or folder in path.parents


def _why(exc: BaseException) -> str:
    text = str(exc).lower()
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) or "full" in text:
        return "the disk is full"
    if "disk i/o error" in text:
        return "the disk could not be written (is it full?)"
    if isinstance(exc, OSError):
        return exc.strerror or exc.__class__.__name__
    return str(exc) or exc.__class__.__name__


def verify(path: Path, vault: Vault) -> files.Inspection:
    """A sound database that this vault opens, at a schema this code knows; else BackupError."""
    try:
        found = files.inspect(path)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a readable Waakzaam database ({_why(exc)}).") from None
    if not found.sound:
        raise BackupError(f"{path} is damaged: the integrity check says {found.integrity[0]!r} "
                          f"and {found.foreign_key_problems} broken references.")
    if found.key_check is None:
        raise BackupError(f"{path} is not a Waakzaam database (it has no key check).")
    try:
        vault.open_bytes("meta", "value", KEY_CHECK_NAME, found.key_check)
    except DecryptionError:
        raise BackupError(
            f"{path} was made with another key (key version {found.key_check[0]}): none of the key files held here "
            "opens it. Put the key file that was made with it beside the current one, then try again.") from None
    latest = len(discover())
    if found.schema_version > latest:
        raise BackupError(f"{path} is at schema version {found.schema_version}, newer than this code knows ({latest}); "
                          "use the newer Waakzaam release.")
    return found


def _copy_verified(source: Path, target: Path, vault: Vault) -> Copy:
    """Copy under a temporary name, verify, then rename into place."""
    partial = target.with_name(target.name + ".partial")
    files.remove_database_files(partial)
    try:
        files.copy_database(source, partial)
    except (OSError, sqlite3.Error) as exc:
        raise BackupError(f"cannot write the backup {target}: {_why(exc)}. Nothing was left there.") from None
    try:
        found = verify(partial, vault)
        os.rename(partial, target)
        sync_folder(target.parent)
    except BaseException:
        files.remove_database_files(partial)
        raise
    return Copy(target, target.stat().st_size, found.schema_version, found.key_check[0])


def make(db_path: Path, key_file: Path, vault: Vault, target: Path) -> Copy:
    """`waakzaam backup PATH`: PATH is a new file, or a folder to put a dated file in."""
    if not db_path.is_file():
        raise BackupError(f"there is no database at {db_path} to back up (WAAKZAAM_DB).")
    target = target.expanduser().absolute()
    if target.is_dir():
        target = target / f"waakzaam-{_stamp()}.db"
    if _inside(target.resolve(), db_path.parent):
        raise BackupError(f"{target} is inside the database's folder {db_path.parent.resolve()}: a backup there is "
                          "lost with the database. Choose another disk or folder.")
    if _inside(target.resolve(), key_file.parent):
        raise BackupError(f"{target} is inside the key's folder {key_file.parent.resolve()}: a backup must never "
                          "travel with its key. Choose another folder.")
    if target.exists():
        raise BackupError(f"{target} exists already; choose a new name (a backup never overwrites a file).")
    if not target.parent.is_dir():
        raise BackupError(f"the folder {target.parent} does not exist; create it first.")
    return _copy_verified(db_path, target, vault)


def before_migrations(db_path: Path, vault: Vault, version: int, to: int) -> Copy:
    """The automatic copy before migrations run, beside the database; the newest few are kept."""
    target = db_path.with_name(f"{db_path.name}.before-schema-{to:03d}-from-{version:03d}-{_stamp()}")
    try:
        made = _copy_verified(db_path, target, vault)
    except BackupError as exc:
        raise BackupError(f"the automatic backup before the database moves to schema {to} failed: {exc} "
                          "The migrations did not run; nothing was changed.") from None
    old = sorted(db_path.parent.glob(f"{db_path.name}.before-schema-*"), key=lambda p: p.stat().st_mtime)
    for extra in [p for p in old if not p.name.endswith(".partial")][:-KEEP_BEFORE_MIGRATIONS]:
        extra.unlink(missing_ok=True)
    return made


@dataclass(frozen=True)
class Restored:
    source: Path
    db_path: Path
    kept_aside: Path | None
    schema_version: int


def _last_change(db_path: Path) -> float:
    return max(p.stat().st_mtime for p in (db_path, db_path.with_name(db_path.name + "-wal")) if p.exists())


def restore(source: Path, db_path: Path, vault: Vault, *, force: bool = False) -> Restored:
    """`waakzaam restore PATH` (the bot stopped): the backup replaces the database; the database
    it replaces is kept aside as `<name>.before-restore-<time>`."""
    source = source.expanduser().absolute()
    if not source.is_file():
        raise BackupError(f"there is no backup file at {source}.")
    if db_path.exists() and source.resolve() == db_path.resolve():
        raise BackupError(f"{source} is the database itself; name a backup file.")
    found = verify(source, vault)
    kept = None
    if db_path.exists() and db_path.stat().st_size > 0:
        try:
            live = files.inspect(db_path)
        except sqlite3.DatabaseError:
            live = None  # a damaged database: replacing it is the point; it is kept aside all the same
        if live is not None and not force:
            if live.schema_version > found.schema_version:
                raise BackupError(
                    f"the database {db_path} is at schema version {live.schema_version}, newer than the backup's "
                    f"({found.schema_version}). Add --force to restore it all the same (the database is kept aside).")
            if _last_change(db_path) > source.stat().st_mtime:
                changed = datetime.fromtimestamp(_last_change(db_path), UTC).strftime("%Y-%m-%d %H:%M UTC")
                raise BackupError(
                    f"the database {db_path} was changed ({changed}) after this backup was made; restoring it loses "
                    "what happened since. Add --force to restore it all the same (the database is kept aside).")
        if live is not None:
            files.fold_wal(db_path)
        kept = db_path.with_name(f"{db_path.name}.before-restore-{_stamp()}")
    db_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    incoming = db_path.with_name(db_path.name + ".restoring")
    files.remove_database_files(incoming)
    try:
        files.copy_database(source, incoming)
    except (OSError, sqlite3.Error) as exc:
        raise BackupError(f"cannot write {incoming}: {_why(exc)}. The database was not changed.") from None
    if kept is not None:
        os.rename(db_path, kept)
        for sidecar in files.SIDECARS:
            db_path.with_name(db_path.name + sidecar).unlink(missing_ok=True)
    os.rename(incoming, db_path)
    sync_folder(db_path.parent)
    return Restored(source, db_path, kept, found.schema_version)
