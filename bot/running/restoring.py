"""`waakzaam restore BACKUP` (the bot stopped, the lock held): a backup replaces the database, all
or nothing (the journal in bot/running/backups.py), and what was erased stays erased.

Before the copy is put in place it is brought to this code's schema and everyone the replaced
database had forgotten since the backup (its erasure log: each person's random tag, kept
WAAKZAAM_BACKUP_KEEP_DAYS) is erased again in it. Content past the retention period needs no
log: the bot's retention erases it again at its first start. What cannot be known is said: with
no database to replace, or one too old to keep the log, erasures made after the backup are not
re-applied; nor are they for a backup made before the log existed (its people get new tags when
it is brought up to date, which no entry of the log can match).
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.foundations.crypto import Vault, key_versions_on_disk
from bot.foundations.settings import Settings
from bot.foundations.storage import files
from bot.foundations.storage.migrations import current_version, discover
from bot.services import Services

from . import backups
from .backups import BackupError
from .startup import StartupError, open_core


@dataclass(frozen=True)
class Restored:
    source: Path
    db_path: Path
    kept_aside: Path | None
    schema_from: int
    schema_version: int
    key_version: int
    erased_again: int            # people of the backup erased again
    erasures_known: bool         # False: there was no log to take them from
    erasures_since: int          # erasures the replaced database made since the backup
    older_than_keep: bool = False  # made before the oldest erasure the log can still remember
    before_the_log: bool = False   # made before the erasure log existed: nobody in it can be matched


def erasure_log_schema() -> int:
    """The schema version that brought the erasure log and everyone's random tag."""
    return next(m.version for m in discover() if m.name == "erasure_log")


def _retired(settings: Settings, version: int) -> int | None:
    """The newest key version on disk when `version` is older than it (retired by a rotation)."""
    newest = max(key_versions_on_disk(settings.key_file), default=version)
    return newest if newest > version else None


def _check_live(db: Path, found: files.Inspection, made: float, force: bool) -> bool:
    """Whether the database there holds something to keep aside; refuses (unless `force`) one that
    is newer than the backup."""
    if not db.exists() or db.stat().st_size == 0:
        return False
    try:
        live = files.inspect(db)
    except sqlite3.DatabaseError:
        return True  # a damaged database: replacing it is the point; it is kept aside all the same
    if not force:
        if live.schema_version > found.schema_version:
            raise BackupError(
                f"the database {db} is at schema version {live.schema_version}, newer than the backup's "
                f"({found.schema_version}). Add --force to restore it all the same (the database is kept aside).")
        if backups.last_change(db) > made:
            changed = datetime.fromtimestamp(backups.last_change(db), UTC).strftime("%Y-%m-%d %H:%M UTC")
            raise BackupError(
                f"the database {db} was changed ({changed}) after this backup was made; restoring it loses what "
                "happened since. Add --force to restore it all the same (the database is kept aside).")
    return True


async def restore(settings: Settings, source: Path, vault: Vault, *, force: bool = False) -> Restored:
    """Check the backup, copy it beside the database, bring it up to date, erase again, verify,
    then put it in place in one rename. Refuses, changing nothing, in one BackupError line."""
    db = backups.real(settings.db_path)
    source = source.expanduser().absolute()
    if not source.is_file():
        raise BackupError(f"there is no backup file at {source}.")
    if db.exists() and source.resolve() == db:
        raise BackupError(f"{source} is the database itself; name a backup file.")
    found = backups.verify(source, vault)
    version = found.key_check[0]
    if (newest := _retired(settings, version)) is not None and not force:
        raise BackupError(
            f"{source} is sealed under key version {version}, which a key rotation retired (key version {newest} is "
            f"in use): restoring it would make the retired key, perhaps seen by someone, the one in use again. Add "
            "--force to restore it all the same, then run `waakzaam rotate-key` at once.")
    keep = _check_live(db, found, source.stat().st_mtime, force)
    if not db.parent.is_dir():
        if settings.default_db is None or db != backups.real(settings.default_db):
            raise BackupError(f"the database's folder {db.parent} does not exist. Check WAAKZAAM_DB, or create the "
                              "folder first (mode 700).")
        db.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    known = None
    before_the_log = found.schema_version < erasure_log_schema()
    if keep and not before_the_log:
        try:
            known = files.erasure_log(db)
        except sqlite3.DatabaseError:
            known = None
    journal = backups.begin(source, db, keep)
    try:
        files.copy_database(source, journal.incoming)
        backups.CRASH_AT("copied")
        restored = await _bring_up_to_date(settings, journal.incoming, known)
        files.self_contained(journal.incoming)
        backups.verify(journal.incoming, vault)
    except BaseException:
        backups.undo(journal)
        raise
    backups.finish(journal)
    made = backups.made_at(source)
    return replace(restored, source=source, db_path=db, kept_aside=journal.kept, schema_from=found.schema_version,
                   older_than_keep=made < datetime.now(UTC) - timedelta(days=settings.backup_keep_days),
                   before_the_log=before_the_log)


async def _bring_up_to_date(settings: Settings, incoming: Path, known: list | None) -> Restored:
    """Migrate the copy and erase again whom the replaced database had forgotten since."""
    try:
        # The backup file itself is the copy from before the upgrade; a rotation the backup was
        # made in the middle of is finished by `rotate-key` afterwards.
        core = await open_core(replace(settings, db_path=incoming), copy_before=False, rotating=True)
    except StartupError as exc:
        raise BackupError(f"the backup cannot be brought to this code's schema: {exc}") from None
    try:
        again, since = None, 0
        if known is not None:
            own = set(await core.erasures.entries())
            todo = [entry for entry in known if entry not in own]
            since = len(todo)
            again = await Services(core).retention.erase_again(todo)
        return Restored(incoming, incoming, None, 0, await current_version(core.db), core.vault.key_version,
                        again.people if again else 0, known is not None, since)
    finally:
        await core.close()


__all__ = ["Restored", "restore"]
