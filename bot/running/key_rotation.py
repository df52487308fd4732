"""`waakzaam rotate-key`: a new key version, and every sealed value re-sealed with it.

The steps, each durable before the next, so that a rotation killed at any point is finished
by running it again:

1. The target version is written to the database (`meta.rotation`).
2. Its key file is created whole (`master.vN.key`, mode 0600) unless it is there already: no
   value is sealed with a version before its file is on disk.
3. The key check is re-sealed with the new version: from here the new version is active.
4. Every sealed value (the registry in `storage/sealed.py`) is re-sealed in small
   transactions; a value is always whole, under the old or the new version, and the vault
   opens both. Keyed hashes of Telegram ids are re-keyed where the id is at hand.
5. When no value of another version is left, `meta.rotation` goes: the rotation is done.

The old key file is never touched: backups made before the rotation need it. The operator
removes it when those have expired. While the rotation runs it holds the database lock, so
the bot and a second rotation are refused; a bot started after an interrupted rotation
refuses to run until the rotation is finished.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.foundations.core import Core
from bot.foundations.crypto import (
    KeyFileError,
    Vault,
    key_path,
    key_versions_on_disk,
    new_master_key,
    read_key_files,
    write_key_file,
)
from bot.foundations.storage.meta import KEY_CHECK, KEY_CHECK_NAME
from bot.foundations.storage.rekeying import Rekeying
from bot.foundations.storage.sealed import SEALED_COLUMNS

MAX_VERSION = 255  # one byte in every sealed value


class RotationError(Exception):
    """The rotation cannot go on; the message says why and what to do."""


@dataclass
class Rotated:
    version: int
    key_file: Path
    created: bool                  # this run made the key file (False: a rerun found it)
    resumed: bool                  # an interrupted rotation was finished
    resealed: int = 0
    rekeyed: int = 0
    unproven: int = 0              # id hashes that stay on the old version until the person writes
    old_versions: dict[int, Path] = field(default_factory=dict)


async def rotate(core: Core, *, batch: int = 500,
                 progress: Callable[[int, int], None] = lambda done, total: None) -> Rotated:
    """Run (or finish) a key rotation on an open core (opened with rotating=True, lock held)."""
    settings = core.settings
    keying = Rekeying(core.db, core.vault)
    target = await keying.target()
    resumed = target is not None
    if target is None:
        on_disk = key_versions_on_disk(settings.key_file)
        target = max([*on_disk, *core.vault.versions]) + 1
        if target > MAX_VERSION:
            raise RotationError(f"there are {MAX_VERSION} key versions already; no more can be made.")
        async with core.db.transaction():
            await keying.begin(target)
    new_file = key_path(settings.key_file, target)
    created = not new_file.exists()
    if created:
        try:
            write_key_file(new_file, new_master_key())
        except OSError as exc:
            raise RotationError(f"cannot create the key file {new_file} ({exc.strerror or exc}). "
                                "Nothing was re-sealed; run it again when it can be written.") from None
    try:
        keys = read_key_files(settings.key_file)
    except KeyFileError as exc:
        raise RotationError(f"{exc}.") from None
    vault = Vault.from_master_keys(keys, target)
    keying = Rekeying(core.db, vault)
    missing = sorted(set(await keying.versions_in_use()) - set(keys))
    if missing:
        raise RotationError(
            f"some values are sealed with key version {missing[0]}, but its key file "
            f"{key_path(settings.key_file, missing[0])} is not there. Put it back and run it again.")

    # The key check under the new version: from here on the new version is the active one.
    async with core.db.transaction():
        await core.meta.put(KEY_CHECK_NAME, vault.seal("meta", "value", KEY_CHECK_NAME, KEY_CHECK))

    report = Rotated(target, new_file, created, resumed,
                     old_versions={v: key_path(settings.key_file, v) for v in keys if v != target})
    total = await keying.left()
    progress(0, total)
    for column in SEALED_COLUMNS:
        after, seen = 0, True
        while seen:
            after, seen, done = await keying.reseal(column, after, batch)
            report.resealed += done
            if done:
                progress(min(report.resealed, total), total)
    for step in (keying.rehash_people, keying.rehash_inbox):
        after = 0
        while (found := await step(after, batch)).seen:
            after = found.last_id
            report.rekeyed += found.rekeyed
            report.unproven += found.unproven

    if left := await keying.left():
        raise RotationError(f"{left} values still carry an older key version; run it again.")
    async with core.db.transaction():
        await keying.finish()
    await core.db.checkpoint()  # the old ciphertexts leave the write-ahead log too
    return report
