"""Encryption at rest.

One 256-bit master key lives in a key file outside the database folder. From it,
HKDF derives one subkey per purpose, so a leak of one subkey exposes one use only.

Sealed values are `key version (1 byte) | nonce (12) | AES-256-GCM ciphertext+tag`,
with associated data naming table, column and row: a value copied to another row
or column fails to open instead of revealing its text there.
"""
from __future__ import annotations

import hashlib
import hmac
import os
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


@dataclass(frozen=True, repr=False)
class Vault:
    """Seals and opens values bound to their record, and hashes Telegram ids."""

    _aead: AESGCM
    _user_key: bytes
    _code_key: bytes
    key_version: int = CURRENT_KEY_VERSION

    def __repr__(self) -> str:  # never the keys, whatever logs or prints it
        return f"<Vault key version {self.key_version}>"

    @classmethod
    def from_master_key(cls, master: bytes, key_version: int = CURRENT_KEY_VERSION) -> "Vault":
        if len(master) != KEY_BYTES:
            raise KeyFileError(f"the master key must be {KEY_BYTES} bytes")
        return cls(
            AESGCM(_subkey(master, "aead/v1")),
            _subkey(master, "user-id-hash/v1"),
            _subkey(master, "code-hash/v1"),
            key_version,
        )

    def seal(self, table: str, column: str, row_id: int | str, value: str | bytes) -> bytes:
        data = value.encode() if isinstance(value, str) else value
        nonce = os.urandom(NONCE_BYTES)
        ciphertext = self._aead.encrypt(nonce, data, _associated_data(table, column, row_id))
        return bytes([self.key_version]) + nonce + ciphertext

    def open_bytes(self, table: str, column: str, row_id: int | str, sealed: bytes) -> bytes:
        if len(sealed) < 1 + NONCE_BYTES + 16 or sealed[0] != self.key_version:
            raise DecryptionError(f"{table}.{column}: not a value sealed with this key")
        nonce, ciphertext = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, ciphertext, _associated_data(table, column, row_id))
        except InvalidTag:
            raise DecryptionError(f"{table}.{column}: value does not authenticate") from None

    def open(self, table: str, column: str, row_id: int | str, sealed: bytes) -> str:
        return self.open_bytes(table, column, row_id, sealed).decode()

    def user_hash(self, user_id: int) -> bytes:
        """Keyed hash of a Telegram user id: stable lookups without storing the id."""
        return hmac.new(self._user_key, str(user_id).encode(), hashlib.sha256).digest()

    def code_hash(self, code: str) -> bytes:
        """Keyed hash of a secret code (invitations): a stolen database cannot replay it."""
        return hmac.new(self._code_key, code.encode(), hashlib.sha256).digest()


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
        raw = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"cannot read the key file {path}: {exc.__class__.__name__}") from None
    try:
        key = bytes.fromhex(raw)
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise KeyFileError(f"the key file {path} does not hold a {KEY_BYTES}-byte hex key")
    return key


def write_key_file(path: Path, key: bytes) -> None:
    """Create the key file with mode 0600; never overwrite an existing key."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key.hex() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
