"""Encryption at rest.

One 256-bit master key lives in a key file outside the database folder. From it,
HKDF derives one subkey per purpose, so a leak of one subkey exposes one use only.

Sealed values are `key version (1 byte) | nonce (12) | AES-256-GCM ciphertext+tag`,
with associated data naming table, column and row: a value copied to another row
or column fails to open instead of revealing its text there.

Key versions: version 1 is the file WAAKZAAM_KEY_FILE names (`master.key`); version N > 1,
made by `waakzaam rotate-key`, is the file beside it with `.vN` before the suffix
(`master.v2.key`). Every version present is loaded; the database says which one is active.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_BYTES = 32
NONCE_BYTES = 12
CURRENT_KEY_VERSION = 1


class KeyFileError(Exception):
    """The key file is missing, malformed or does not fit the database."""


class DecryptionError(Exception):
    """A sealed value did not authenticate: wrong key, wrong record or tampering."""


def _subkey(master: bytes, purpose: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=f"waakzaam/{purpose}".encode()
    ).derive(master)


def _associated_data(table: str, column: str, row_id: int | str) -> bytes:
    return f"{table}\x1f{column}\x1f{row_id}".encode()


@dataclass(frozen=True)
class _KeySet:
    """What one master key version gives: the sealing key and the three hashing keys."""

    aead: AESGCM
    user_key: bytes
    code_key: bytes
    copy_key: bytes

    @classmethod
    def derive(cls, master: bytes) -> "_KeySet":
        if len(master) != KEY_BYTES:
            raise KeyFileError(f"the master key must be {KEY_BYTES} bytes")
        return cls(AESGCM(_subkey(master, "aead/v1")), _subkey(master, "user-id-hash/v1"),
                   _subkey(master, "code-hash/v1"), _subkey(master, "copy-hash/v1"))


class Vault:
    """Seals and opens values bound to their record, and hashes Telegram ids.

    A vault holds one or more key versions (a keyring): it seals with the active one and
    opens a value with the version named in its first byte, so during and after a key
    rotation values of the old and the new version both open.
    """

    __slots__ = ("_keys", "key_version")

    def __init__(self, keys: dict[int, _KeySet], active: int) -> None:
        if active not in keys:
            raise KeyFileError(f"no key of version {active}")
        self._keys = dict(keys)
        self.key_version = active

    def __repr__(self) -> str:  # never the keys, whatever logs or prints it
        return f"<Vault key version {self.key_version}>"

    @classmethod
    def from_master_key(cls, master: bytes, key_version: int = CURRENT_KEY_VERSION) -> "Vault":
        return cls({key_version: _KeySet.derive(master)}, key_version)

    @classmethod
    def from_master_keys(cls, masters: dict[int, bytes], active: int) -> "Vault":
        """A keyring: every version given opens its values; `active` seals new ones."""
        return cls({version: _KeySet.derive(key) for version, key in masters.items()}, active)

    @property
    def versions(self) -> tuple[int, ...]:
        return tuple(sorted(self._keys))

    def with_active(self, version: int) -> "Vault":
        return Vault(self._keys, version)

    def seal(self, table: str, column: str, row_id: int | str, value: str | bytes) -> bytes:
        data = value.encode() if isinstance(value, str) else value
        nonce = os.urandom(NONCE_BYTES)
        ciphertext = self._keys[self.key_version].aead.encrypt(nonce, data, _associated_data(table, column, row_id))
        return bytes([self.key_version]) + nonce + ciphertext

    def open_bytes(self, table: str, column: str, row_id: int | str, sealed: bytes) -> bytes:
        if len(sealed) < 1 + NONCE_BYTES + 16 or sealed[0] not in self._keys:
            raise DecryptionError(f"{table}.{column}: not a value sealed with this key")
        nonce, ciphertext = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
        try:
            return self._keys[sealed[0]].aead.decrypt(nonce, ciphertext, _associated_data(table, column, row_id))
        except InvalidTag:
            raise DecryptionError(f"{table}.{column}: value does not authenticate") from None

    def open(self, table: str, column: str, row_id: int | str, sealed: bytes) -> str:
        return self.open_bytes(table, column, row_id, sealed).decode()

    def user_hash(self, user_id: int, version: int | None = None) -> bytes:
        """Keyed hash of a Telegram user id: stable lookups without storing the id."""
        key = self._keys[version or self.key_version].user_key
        return hmac.new(key, str(user_id).encode(), hashlib.sha256).digest()

    def user_hashes(self, user_id: int) -> list[bytes]:
        """The id's hash under every key version held, the active one first: a person whose
        row was not re-keyed yet is still found (and re-keyed then)."""
        return [self.user_hash(user_id, v) for v in (self.key_version, *(v for v in self.versions
                                                                      if v != self.key_version))]

    def code_hash(self, code: str, version: int | None = None) -> bytes:
        """Keyed hash of a secret code (invitations): a stolen database cannot replay it."""
        key = self._keys[version or self.key_version].code_key
        return hmac.new(key, code.encode(), hashlib.sha256).digest()

    def copy_hash(self, person_id: int, text: str, version: int | None = None) -> bytes:
        """Keyed hash of a text the bot may have shown a person twice: recognises a copy they reply
        to (16 bytes; without the key it confirms no guess)."""
        key = self._keys[version or self.key_version].copy_key
        return hmac.new(key, f"{person_id}\x1f{text}".encode(), hashlib.sha256).digest()[:16]

    def copy_hashes(self, person_id: int, text: str) -> list[bytes]:
        """Under every key version held: a copy hashed before a key rotation is still recognised."""
        return [self.copy_hash(person_id, text, v) for v in self.versions]

    def code_hashes(self, code: str) -> list[bytes]:
        """An invitation made before a key rotation still works while its key version is held."""
        return [self.code_hash(code, v) for v in self.versions]


def new_master_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def check_key_file_access(path: Path) -> None:
    """Refuse, as ssh does, a key others could read, or one in a folder others could change."""
    info = path.stat()
    if info.st_mode & 0o077:
        raise KeyFileError(
            f"the key file {path} can be read by others (mode {stat.S_IMODE(info.st_mode):o}); "
            f"make it private with: chmod 600 {path}")
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise KeyFileError(f"the key file {path} belongs to another user; it must belong to the user that runs the bot")
    folder = path.parent.stat()
    if folder.st_mode & 0o022:
        raise KeyFileError(
            f"the key file's folder {path.parent} can be changed by others (mode {stat.S_IMODE(folder.st_mode):o}); "
            f"run: chmod go-w {path.parent}")


def read_key_file(path: Path) -> bytes | None:
    """The master key, or None when the file does not exist."""
    if not path.exists():
        return None
    check_key_file_access(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise KeyFileError(f"cannot read the key file {path}: {exc.strerror or exc.__class__.__name__}") from None
    try:
        key = bytes.fromhex(data.decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        held = (f"{len(data)} raw bytes" if len(data) == KEY_BYTES
                else f"{len(data)} bytes that are not {KEY_BYTES * 2} hex digits")
        raise KeyFileError(f"the key file {path} holds {held}: a Waakzaam key file holds the {KEY_BYTES}-byte key as "
                           f"{KEY_BYTES * 2} hex digits on one line, as the bot writes it (xxd -p -c {KEY_BYTES} "
                           "turns raw bytes into that)")
    return key


def write_key_file(path: Path, key: bytes) -> None:
    """Create the key file with mode 0600, whole or not at all; never overwrite an existing key.

    Written to a temporary name, flushed to disk, then linked in place (link fails if the name
    exists) and the folder flushed: a crash leaves either no key file or a complete one."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.exists():
        raise FileExistsError(path)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key.hex() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.link(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    sync_folder(path.parent)


def sync_folder(folder: Path) -> None:
    """Make a new name in `folder` durable (a rename or link survives a power cut)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def key_path(first: Path, version: int) -> Path:
    """Where key version `version` lives: `master.key` for 1, `master.v2.key` for 2, ..."""
    if version == 1:
        return first
    return first.with_name(f"{first.stem}.v{version}{first.suffix}")


def key_versions_on_disk(first: Path) -> dict[int, Path]:
    """Every key version present beside (and including) the first key file."""
    found = {1: first} if first.exists() else {}
    if first.parent.is_dir():
        shape = re.compile(rf"^{re.escape(first.stem)}\.v([1-9][0-9]{{0,2}}){re.escape(first.suffix)}$")
        for path in first.parent.iterdir():
            if (match := shape.match(path.name)) and 1 < int(match[1]) < 256:
                found[int(match[1])] = path
    return dict(sorted(found.items()))


def read_key_files(first: Path) -> dict[int, bytes]:
    """Every key version present, each checked as read_key_file does."""
    return {version: key for version, path in key_versions_on_disk(first).items()
            if (key := read_key_file(path)) is not None}
