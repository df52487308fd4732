"""Backups and restores of the database, while the bot runs (backup) or is stopped (restore).

A backup is a copy made with SQLite's online backup API into a new file of mode 0600. It
stays encrypted (the key is not in it: back the key file up apart), and it is checked before
it is called done: its integrity, its foreign keys, and that the key opens it. It is written
under a temporary name (`.partial`, locked with flock while it is written) and renamed at the
end, so a full disk leaves no half file that looks good, and a `.partial` whose writer died is
removed by the next backup.

Copies expire. `waakzaam backup FOLDER` (the nightly timer) removes the dated backups in that
folder older than WAAKZAAM_BACKUP_KEEP_DAYS; the copies made beside the database before a schema
upgrade (`.before-schema-*`) or a restore (`.before-restore-*`) are removed after as many days
by the bot's nightly job. An erasure reaches a copy only when the copy expires (SECURITY.md).

A restore is all or nothing. A journal beside the database (`<db>.restore`, JSON, written
atomically) says how far it got:

1. `copying`: the backup is copied to `<db>.restoring`, brought to this code's schema, the
   erasures the replaced database knew are applied again (bot/running/restoring.py), and the
   copy is verified. Killed here, nothing was changed: recovery removes the copy.
2. `ready`: the old database's write-ahead log is folded in, the old file gets a second name
   (`.before-restore-<time>`, a hard link) and the copy is renamed over the database in one
   `rename(2)`: at every moment the database is the old file or the new one, never missing.
   Killed here, recovery finishes these steps.

Every start, `invite`, `rotate-key`, `restore` and `backup` recover a journal they find (after
taking the lock) and say what they did; `check` fails while one exists. Every problem is one
BackupError line for the operator.
"""
from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.foundations.crypto import DecryptionError, Vault, sync_folder
from bot.foundations.storage import files
from bot.foundations.storage.meta import KEY_CHECK_NAME
from bot.foundations.storage.migrations import discover

KEEP_BEFORE_MIGRATIONS = 3  # automatic copies before an upgrade kept beside the database, at most
_STAMP = re.compile(r"(\d{8}-\d{6})")


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


def real(db_path: Path) -> Path:
    """The database's real path: a restore replaces the file a symbolic link points to, never the link."""
    return Path(os.path.realpath(db_path))


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


# --- partial files ------------------------------------------------------------------------------

def _partial(target: Path) -> tuple[Path, int]:
    """A new `.partial` file for `target`, locked (flock) for as long as its writer lives."""
    partial = target.with_name(target.name + ".partial")
    remove_stale_partials(target.parent, target.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return partial, fd


def remove_stale_partials(folder: Path, pattern: str = "*.partial") -> list[Path]:
    """Remove every `.partial` in `folder` whose writer is gone (its flock can be taken); one that
    is being written is left alone. Returns what was removed."""
    removed = []
    if not folder.is_dir():
        return removed
    for path in sorted(folder.glob(pattern)):
        if not path.name.endswith(".partial") or not path.is_file():
            continue
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue  # a live writer
        try:
            files.remove_database_files(path)
            removed.append(path)
        except OSError:
            pass
        finally:
            os.close(fd)
    return removed


def _copy_verified(source: Path, target: Path, vault: Vault) -> Copy:
    """Copy under a temporary name, verify, then rename into place."""
    try:
        partial, fd = _partial(target)
    except OSError as exc:
        raise BackupError(f"cannot write the backup {target}: {files.trouble(exc, target)}. "
                          "Nothing was left there.") from None
    try:
        try:
            files.copy_database(source, partial, created=True)
        except (OSError, sqlite3.Error) as exc:
            raise BackupError(_copy_failed(exc, source, target)) from None
        try:
            found = verify(partial, vault)
            os.rename(partial, target)
            sync_folder(target.parent)
        except BaseException:
            files.remove_database_files(partial)
            raise
    finally:
        os.close(fd)
    return Copy(target, target.stat().st_size, found.schema_version, found.key_check[0])


def _copy_failed(exc: BaseException, source: Path, target: Path) -> str:
    """Which side failed: reading the database, or writing the copy."""
    if files.readable_problem(source) is not None:
        return (f"cannot read the database {source}: {files.trouble(exc, source)}. Nothing was left at {target}; "
                "the database was not changed.")
    return f"cannot write the backup {target}: {_why(exc)}. Nothing was left there."


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
    if (problem := files.readable_problem(db_path)) is not None:
        raise BackupError(f"cannot read the database {db_path}: {problem}. Nothing was written.")
    return _copy_verified(db_path, target, vault)


# --- expiry ---------------------------------------------------------------------------------------

def made_at(path: Path) -> datetime:
    """When a copy was made: the time in its name, else the file's."""
    if (match := _STAMP.search(path.name)) is not None:
        try:
            return datetime.strptime(match[1], "%Y%m%d-%H%M%S").replace(tzinfo=UTC)
        except ValueError:
            pass
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def expired(paths: list[Path], keep_days: int, now: datetime | None = None) -> list[Path]:
    cutoff = (now or datetime.now(UTC)) - timedelta(days=keep_days)
    return [p for p in paths if made_at(p) < cutoff]


def dated_backups(folder: Path) -> list[Path]:
    """The backups `waakzaam backup FOLDER` wrote there (waakzaam-<date>-<time>.db)."""
    return sorted(p for p in folder.glob("waakzaam-*.db") if _STAMP.search(p.name) and p.is_file())


def prune_backups(folder: Path, keep_days: int, now: datetime | None = None) -> list[Path]:
    """Remove the dated backups in `folder` older than `keep_days`, and dead `.partial` files."""
    gone = remove_stale_partials(folder, "waakzaam-*.db.partial")
    for path in expired(dated_backups(folder), keep_days, now):
        path.unlink(missing_ok=True)
        gone.append(path)
    if gone:
        sync_folder(folder)
    return gone


def copies_beside(db_path: Path) -> list[Path]:
    """The copies made beside the database before an upgrade or a restore, oldest first."""
    db = real(db_path)
    if not db.parent.is_dir():
        return []
    found = [p for p in db.parent.glob(f"{db.name}.before-*") if p.is_file() and not p.name.endswith(".partial")]
    return sorted(found, key=made_at)


def prune_copies(db_path: Path, keep_days: int, now: datetime | None = None) -> list[Path]:
    """Remove the copies beside the database older than `keep_days` (and beyond the newest few made
    before upgrades), and dead `.partial` files there."""
    db = real(db_path)
    gone = remove_stale_partials(db.parent, f"{db.name}.*.partial")
    copies = copies_beside(db)
    before_schema = [p for p in copies if ".before-schema-" in p.name]
    for path in {*expired(copies, keep_days, now), *before_schema[:-KEEP_BEFORE_MIGRATIONS]}:
        files.remove_database_files(path)
        gone.append(path)
    if gone:
        sync_folder(db.parent)
    return gone


def before_migrations(db_path: Path, vault: Vault, version: int, to: int, keep_days: int) -> Copy:
    """The automatic copy before migrations run, beside the database."""
    db = real(db_path)
    target = db.with_name(f"{db.name}.before-schema-{to:03d}-from-{version:03d}-{_stamp()}")
    try:
        made = _copy_verified(db, target, vault)
    except BackupError as exc:
        raise BackupError(f"the automatic backup before the database moves to schema {to} failed: {exc} "
                          "The migrations did not run; nothing was changed.") from None
    prune_copies(db, keep_days)
    return made


# --- restore: the journal and the swap --------------------------------------------------------------

@dataclass(frozen=True)
class Journal:
    path: Path
    stage: str              # "copying" or "ready"
    source: str
    db: Path
    incoming: Path
    kept: Path | None

    @classmethod
    def of(cls, db_path: Path) -> Path:
        db = real(db_path)
        return db.with_name(db.name + ".restore")

    def write(self, stage: str) -> "Journal":
        """Atomically: a crash leaves the old journal or the new one, whole."""
        journal = Journal(self.path, stage, self.source, self.db, self.incoming, self.kept)
        partial = self.path.with_name(self.path.name + ".tmp")
        body = json.dumps({"stage": stage, "source": self.source, "incoming": str(self.incoming),
                           "kept": None if self.kept is None else str(self.kept)})
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, body.encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(partial, self.path)
        sync_folder(self.path.parent)
        return journal

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)
        sync_folder(self.path.parent)


def pending_restore(db_path: Path) -> Journal | None:
    """The journal of a restore that did not finish, or None."""
    path = Journal.of(db_path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Journal(path, data["stage"], data["source"], real(db_path), Path(data["incoming"]),
                       Path(data["kept"]) if data.get("kept") else None)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        # A journal that cannot be read was never completed by its writer (it is written whole, or
        # not at all): the restore had not changed anything yet.
        return Journal(path, "copying", "an unknown backup", real(db_path), real(db_path).with_name(
            real(db_path).name + ".restoring"), None)


def begin(source: Path, db_path: Path, kept: bool) -> Journal:
    db = real(db_path)
    journal = Journal(Journal.of(db), "copying", str(source), db, db.with_name(db.name + ".restoring"),
                      db.with_name(f"{db.name}.before-restore-{_stamp()}") if kept else None)
    files.remove_database_files(journal.incoming)
    return journal.write("copying")


def undo(journal: Journal) -> None:
    files.remove_database_files(journal.incoming)
    journal.remove()


# A test names a step to die at (SIGKILL, as a power cut would stop the process) to prove each is safe.
CRASH_AT: Callable[[str], None] = lambda step: None  # noqa: E731 - replaced by tests only


def finish(journal: Journal) -> None:
    """Steps after `ready`, each safe to repeat: the old file keeps a second name, then the copy
    replaces the database in one rename, then the journal goes."""
    db = journal.db
    journal = journal if journal.stage == "ready" else journal.write("ready")
    CRASH_AT("ready")
    if db.exists() and journal.kept is not None:
        try:
            files.fold_wal(db)  # the old file whole in itself, so its second name is all of it
        except sqlite3.DatabaseError:
            pass  # a damaged database is kept as it is
        if not journal.kept.exists():
            try:
                os.link(db, journal.kept)
            except OSError:  # no hard links here (another file system type): a copy instead
                _copy_file(db, journal.kept)
            sync_folder(db.parent)
        CRASH_AT("linked")
    # A write-ahead log of the old file must never meet the new one.
    for sidecar in files.SIDECARS:
        db.with_name(db.name + sidecar).unlink(missing_ok=True)
    os.replace(journal.incoming, db)
    sync_folder(db.parent)
    CRASH_AT("replaced")
    for sidecar in files.SIDECARS:
        journal.incoming.with_name(journal.incoming.name + sidecar).unlink(missing_ok=True)
    journal.remove()


def _copy_file(source: Path, target: Path) -> None:
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with open(source, "rb") as src, os.fdopen(fd, "wb") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)
        dst.flush()
        os.fsync(dst.fileno())


def recover(db_path: Path) -> str | None:
    """Finish or undo a restore that was interrupted (the caller holds the lock); one line saying
    what was done, or None when there was nothing to do."""
    journal = pending_restore(db_path)
    db = real(db_path)
    if journal is None:
        incoming = db.with_name(db.name + ".restoring")
        if incoming.exists():  # left by a restore of an older release, which kept no journal
            files.remove_database_files(incoming)
            return f"removed {incoming}, left by an interrupted restore; the database is as it was"
        return None
    if journal.stage != "ready":
        undo(journal)
        return (f"a restore of {journal.source} was interrupted before it changed anything: the database is as it "
                "was; run the restore again")
    if journal.incoming.exists():
        finish(journal)
        kept = f"; the database it replaced is kept as {journal.kept}" if journal.kept else ""
        return f"finished an interrupted restore of {journal.source}{kept}"
    journal.remove()
    return f"an interrupted restore of {journal.source} had put the backup in place already; nothing was left to do"


def last_change(db_path: Path) -> float:
    return max(p.stat().st_mtime for p in (db_path, db_path.with_name(db_path.name + "-wal")) if p.exists())
