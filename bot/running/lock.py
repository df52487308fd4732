"""One process at a time works on a database: the bot, a key rotation or a restore.

An advisory lock (flock) on `<database>.lock` beside the database, held for as long as the
process runs; the kernel lets go of it when the process ends, however it ends, so a killed
process never leaves a stale lock behind.

The lock is keyed on the database's real path (symbolic links resolved, of the file and of
every folder above it): two bots that reach one database by different paths take the same
lock file, so the second is refused. The lock never creates a folder: the commands that may
create a database make its folder first (bot/running/startup.py).
"""
from __future__ import annotations

import errno
import fcntl
import os
from pathlib import Path


class Busy(Exception):
    """Another process holds the database; the message names it."""


class LockError(Exception):
    """The lock file cannot be made or opened; the message says why, in one line."""


def lock_path(db_path: Path) -> Path:
    real = Path(os.path.realpath(db_path))
    return real.with_name(real.name + ".lock")


class DatabaseLock:
    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self.path = lock_path(db_path)
        self._fd: int | None = None

    def acquire(self, what: str) -> "DatabaseLock":
        """Take the lock for `what` (e.g. "the bot") or raise Busy at once, naming the holder;
        LockError when the lock file cannot be opened (no folder, no permission)."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise LockError(self._cannot(exc)) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise Busy(f"the database is in use by {holder}; wait for it to end, or stop it first") from None
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{what} (pid {os.getpid()})\n".encode(), 0)
        except OSError:
            pass  # a full disk: the lock holds all the same, only who holds it is not written down
        self._fd = fd
        return self

    def _cannot(self, exc: OSError) -> str:
        folder = self.path.parent
        if exc.errno == errno.ENOENT:
            return f"the database's folder {folder} does not exist (WAAKZAAM_DB is {self.db_path})"
        if exc.errno in (errno.EACCES, errno.EPERM):
            return (f"this user (uid {os.getuid()}) may not write in the database's folder {folder}, so it cannot take "
                    f"the lock {self.path.name} there; run the command as the user that runs the bot (the folder's "
                    "owner)")
        if exc.errno == errno.EROFS:
            return f"the database's folder {folder} is on a read-only file system, so the lock cannot be taken there"
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return f"the disk holding {folder} is full, so the lock {self.path.name} cannot be made there"
        return f"cannot take the lock {self.path} ({exc.strerror or exc.__class__.__name__})"

    def held_elsewhere(self) -> str | None:
        """Who holds the lock now (without taking it), or None."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            return None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        finally:
            os.close(fd)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "DatabaseLock":
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
