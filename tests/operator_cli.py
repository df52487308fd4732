"""The operator's side of the tests: an installation folder with its own env file, the real
`waakzaam` command run as a subprocess from another folder, and what a folder holds (to assert
that a refused command changed nothing, byte for byte)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import hermetic
import launcher

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "123456789:AAHtestTokenForOfflineTestsOnly_0123456"
# As root, file modes do not stop a process: this runs the command without the capabilities that
# let root ignore them, as a service user would be (setpriv is in util-linux).
AS_PLAIN_USER = (["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"]
                 if os.geteuid() == 0 and shutil.which("setpriv") else [])


def install(tmp_path: Path, name: str = "site", **settings: str) -> Path:
    """An installation folder with its own env file (relative paths, as an operator writes them)."""
    folder = tmp_path / name
    (folder / "keys").mkdir(parents=True)
    (folder / "keys").chmod(0o700)
    lines = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot",
             "WAAKZAAM_DB": "data/waakzaam.db", "WAAKZAAM_KEY_FILE": "keys/master.key", **settings}
    env = folder / "waakzaam.env"
    env.write_text("".join(f"{k}={v}\n" for k, v in lines.items()))
    env.chmod(0o600)
    return env


def cli(env_file: Path, *args: str, cwd: Path | str = "/", extra: dict | None = None, timeout: float = 60,
        plain_user: bool = False, **kwargs) -> subprocess.CompletedProcess:
    """The `waakzaam` command, forked from the launcher (tests/launcher.py), or as a new process
    without root's capabilities (`plain_user`)."""
    env = hermetic.environ()
    env.update({"PYTHONPATH": str(ROOT), "WAAKZAAM_ENV_FILE": str(env_file), **(extra or {})})
    prefix = AS_PLAIN_USER if plain_user else []
    return launcher.run([*prefix, sys.executable, "-m", "bot", *args], cwd=cwd, env=env, capture_output=True,
                        text=True, timeout=timeout, **kwargs)


def snapshot(*folders: Path) -> dict[str, bytes | None]:
    """Every file under these folders and its bytes (None for a folder): equal snapshots mean that
    nothing was created, removed or changed. SQLite's shared-memory index (-shm) and an empty
    write-ahead log, which any reader of a WAL database makes beside it, hold no data: left out; the
    lock file's text names its last holder (only that it exists is compared)."""
    found: dict[str, bytes | None] = {}
    for folder in folders:
        if not folder.exists():
            continue
        for path in sorted(folder.rglob("*")):
            if path.name.endswith("-shm") or (path.name.endswith("-wal") and path.stat().st_size == 0):
                continue
            found[str(path)] = None if path.is_dir() else b"<lock>" if path.suffix == ".lock" else path.read_bytes()
    return found


def one_line(result: subprocess.CompletedProcess) -> str:
    """The single line a refused command wrote to stderr (fails when there is more, or a traceback)."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]
