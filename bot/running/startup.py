"""Opening the store at start-up: the key must fit, a schema upgrade is preceded by a copy, and
every problem is one line for the operator (StartupError) with nothing changed.

A new database is made only on purpose: by `run` or `invite` (the CLI asks `creation_refused`
first), when its folder exists or it is the default `data/waakzaam.db`, no key file exists yet
and nothing else of an organisation is there. A typo in WAAKZAAM_DB beside an existing key
never starts a bot on an empty database: people who write to it would be "new".
"""
from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

from bot.foundations.calendar import Calendar
from bot.foundations.charter import Charter
from bot.foundations.core import Core
from bot.foundations.crypto import (
    DecryptionError,
    KeyFileError,
    Vault,
    key_path,
    key_versions_on_disk,
    new_master_key,
    read_key_files,
    write_key_file,
)
from bot.foundations.settings import Settings
from bot.foundations.storage import files
from bot.foundations.storage.database import Database
from bot.foundations.storage.meta import KEY_CHECK, KEY_CHECK_NAME, MetaRepository
from bot.foundations.storage.migrations import (
    MigrationError,
    current_version,
    migrate,
    pending,
)
from bot.foundations.storage.rekeying import Rekeying

from . import backups

log = logging.getLogger(__name__)


class StartupError(Exception):
    """Start-up cannot go on; the message tells the operator what to do."""


def traces(db_path: Path) -> list[Path]:
    """What an organisation leaves beside its database: copies made before an upgrade or a restore,
    an interrupted restore, a write-ahead log."""
    folder = db_path.parent
    if not folder.is_dir():
        return []
    name = db_path.name
    return sorted(p for p in folder.iterdir()
                  if p.name.startswith((f"{name}.before-", f"{name}.restor", f"{name}-wal")))


def _folder_missing(settings: Settings) -> str | None:
    db = settings.db_path
    if db.parent.is_dir() or (settings.default_db is not None and db == settings.default_db):
        return None
    return (f"there is no database at {db}, and its folder {db.parent} does not exist. Check WAAKZAAM_DB "
            "(a typo?); for a new installation, create the folder first (mode 700). Nothing was created.")


def folder_refused(settings: Settings) -> str | None:
    """None when the database's folder is there (the default data/ folder is made here); else one
    line: a folder that does not exist is a typo far more often than a wish."""
    db = settings.db_path
    if db.parent.is_dir():
        return None
    if problem := _folder_missing(settings):
        return problem
    try:
        db.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        return f"cannot create the folder {db.parent} for the database ({files.trouble(exc, db.parent)})."
    return None


def creation_refused(settings: Settings) -> str | None:
    """None when the database exists or may be made now; else one line saying what was expected.

    A new database needs its folder (or the default one, made by folder_refused), no key file yet (a key belongs to one
    database) and no copies or traces of one beside it."""
    db = settings.db_path
    if db.exists():
        return None
    keys = key_versions_on_disk(settings.key_file)
    if keys:
        return (f"there is no database at {db}, but the key file {next(iter(keys.values()))} exists, and a key "
                "belongs to one database. Check WAAKZAAM_DB (a typo?), or put the database back with "
                "`waakzaam restore BACKUP`. To start a new, empty database instead, move the key file(s) away "
                "first. Nothing was created.")
    if found := traces(db):
        return (f"there is no database at {db}, but {found[0]} is beside it: a database was there. Check "
                "WAAKZAAM_DB, or put it back with `waakzaam restore BACKUP`. Nothing was created.")
    return _folder_missing(settings)


async def _unlock(db: Database, settings: Settings) -> Vault:
    """The vault for this database; refuses, changing nothing, when the key does not fit.

    Every key version on disk is loaded (a keyring); the key check's first byte names the
    active one, which must be there and must open it."""
    has_tables = await db.has_tables()
    meta = MetaRepository(db)
    check = await meta.get(KEY_CHECK_NAME) if await meta.has_table() else None
    try:
        keys = read_key_files(settings.key_file)
    except KeyFileError as exc:
        raise StartupError(f"{exc}. Nothing was changed.") from None
    active = check[0] if check else max(keys, default=1)
    if active not in keys:
        if has_tables:
            raise StartupError(
                f"the key file {key_path(settings.key_file, active)} is missing but the database {settings.db_path} "
                "holds data. Restore the key file (WAAKZAAM_KEY_FILE); without it the data cannot "
                "be read. Nothing was changed."
            )
        keys[active] = new_master_key()
        try:
            write_key_file(settings.key_file, keys[active])
        except OSError as exc:
            raise StartupError(
                f"cannot create the key file {settings.key_file} ({_reason(exc)}). Check WAAKZAAM_KEY_FILE: "
                "its folder must be creatable and writable by this user. Nothing was changed."
            ) from None
    vault = Vault.from_master_keys(keys, active)
    if check is not None:
        try:
            vault.open_bytes("meta", "value", KEY_CHECK_NAME, check)
        except DecryptionError:
            raise StartupError(
                f"the key in {key_path(settings.key_file, active)} does not fit the database {settings.db_path}. "
                "Use the key file that was made with this database. Nothing was changed."
            ) from None
    return vault


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or exc.__class__.__name__


async def open_core(settings: Settings, charter: Charter | None = None, *, rotating: bool = False,
                    copy_before: bool = True) -> Core:
    """Open the database and its key; every problem is one StartupError line for the operator.

    Pending migrations run after an automatic backup beside the database (unless not
    `copy_before`: a restore's copy, whose backup file is that copy). A database whose key
    rotation was interrupted opens only for `rotating` (the rotation itself, or a restore)."""
    db = Database(settings.db_path, Calendar(settings.timezone))
    try:
        await db.connect()
    except (OSError, sqlite3.Error) as exc:
        await db.close()
        raise StartupError(
            f"cannot open the database {settings.db_path}: {files.trouble(exc, settings.db_path)}. Nothing was "
            "changed."
        ) from None
    try:
        vault = await _unlock(db, settings)
        if not rotating and await MetaRepository(db).has_table() and (target := await Rekeying(db, vault).target()):
            raise StartupError(
                f"a key rotation to key version {target} was interrupted. Run `waakzaam rotate-key` again to finish "
                "it (it goes on where it stopped), then start the bot. Nothing was changed.")
        try:
            before, copy = await _backup_before_migrations(db, vault, settings) if copy_before else (0, None)
            after = await migrate(db, vault)
            await MetaRepository(db).add(KEY_CHECK_NAME, vault.seal("meta", "value", KEY_CHECK_NAME, KEY_CHECK))
        except (MigrationError, backups.BackupError) as exc:
            raise StartupError(str(exc)) from None
        except sqlite3.Error as exc:
            raise StartupError(
                f"cannot write the database {settings.db_path}: {files.trouble(exc, settings.db_path)}. Nothing was "
                "changed."
            ) from None
        if copy is not None:
            log.info("database upgraded from schema version %d to %d; the copy made before is %s (kept %d days)",
                     before, after, copy.path, settings.backup_keep_days)
        return Core(settings, db, vault, charter or Charter.load())
    except BaseException:
        await db.close()
        raise


async def _backup_before_migrations(db: Database, vault: Vault,
                                    settings: Settings) -> tuple[int, backups.Copy | None]:
    """A database with data that is about to change schema is copied first, beside itself;
    returns the version it was at and the copy (None when nothing was to change)."""
    todo = await pending(db)
    version = await current_version(db)
    if todo and version > 0:
        return version, await asyncio.to_thread(backups.before_migrations, settings.db_path, vault, version,
                                                todo[-1].version, settings.backup_keep_days)
    return version, None
