"""Opening the store at start-up: the key must fit, a schema upgrade is preceded by a copy, and
every problem is one line for the operator (StartupError) with nothing changed."""
from __future__ import annotations

import asyncio
import sqlite3

from bot.foundations.calendar import Calendar
from bot.foundations.charter import Charter
from bot.foundations.core import Core
from bot.foundations.crypto import (
    DecryptionError,
    KeyFileError,
    Vault,
    key_path,
    new_master_key,
    read_key_files,
    write_key_file,
)
from bot.foundations.settings import Settings
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


class StartupError(Exception):
    """Start-up cannot go on; the message tells the operator what to do."""


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


async def open_core(settings: Settings, charter: Charter | None = None, *, rotating: bool = False) -> Core:
    """Open the database and its key; every problem is one StartupError line for the operator.

    Pending migrations run after an automatic backup beside the database. A database whose key
    rotation was interrupted opens only for `rotating` (the rotation itself)."""
    db = Database(settings.db_path, Calendar(settings.timezone))
    try:
        await db.connect()
    except (OSError, sqlite3.Error) as exc:
        await db.close()
        raise StartupError(
            f"cannot open the database {settings.db_path} ({_reason(exc)}). Check WAAKZAAM_DB: it must be a "
            "file in a folder this user can write."
        ) from None
    try:
        vault = await _unlock(db, settings)
        if not rotating and await MetaRepository(db).has_table() and (target := await Rekeying(db, vault).target()):
            raise StartupError(
                f"a key rotation to key version {target} was interrupted. Run `waakzaam rotate-key` again to finish "
                "it (it goes on where it stopped), then start the bot. Nothing was changed.")
        try:
            await _backup_before_migrations(db, vault, settings)
            await migrate(db, vault)
            await MetaRepository(db).add(KEY_CHECK_NAME, vault.seal("meta", "value", KEY_CHECK_NAME, KEY_CHECK))
        except (MigrationError, backups.BackupError) as exc:
            raise StartupError(str(exc)) from None
        except sqlite3.Error as exc:
            raise StartupError(
                f"cannot write the database {settings.db_path} ({_reason(exc)}): is the disk full, or the file or "
                "its folder read-only? Nothing was changed."
            ) from None
        return Core(settings, db, vault, charter or Charter.load())
    except BaseException:
        await db.close()
        raise


async def _backup_before_migrations(db: Database, vault: Vault, settings: Settings) -> None:
    """A database with data that is about to change schema is copied first, beside itself."""
    todo = await pending(db)
    version = await current_version(db)
    if todo and version > 0:
        await asyncio.to_thread(backups.before_migrations, settings.db_path, vault, version, todo[-1].version)
