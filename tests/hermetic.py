"""The suite's own environment: nothing from the developer's configuration reaches a test.

`isolate()` runs once, when tests/conftest.py is imported (before any test module is collected):
every `WAAKZAAM_*` and `TELEGRAM_*` variable goes, `WAAKZAAM_ENV_FILE` names an empty file (so
the repository's `.env` is never read), and HOME and XDG_CONFIG_HOME are a folder of the suite's
own. Subprocesses inherit that. A test that needs a setting sets it itself.
"""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

ENV_FILE = "WAAKZAAM_ENV_FILE"
_OURS = ("WAAKZAAM_", "TELEGRAM_", "WAKZAAM_")


def _settings(name: str) -> bool:
    return name.startswith(_OURS) and name != ENV_FILE


def isolate() -> None:
    for name in list(os.environ):
        if name.startswith(_OURS):
            del os.environ[name]
    home = Path(tempfile.mkdtemp(prefix="waakzaam-tests-"))
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    (home / "empty.env").write_text("", encoding="utf-8")
    (home / "empty.env").chmod(0o600)  # as an operator's would be: no warning about it
    os.environ[ENV_FILE] = str(home / "empty.env")
    os.environ["HOME"] = str(home)
    os.environ["XDG_CONFIG_HOME"] = str(home / ".config")


def environ(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a subprocess: the suite's, without any setting a test set earlier."""
    return {**{k: v for k, v in os.environ.items() if not _settings(k)}, **(extra or {})}


def clear(monkeypatch) -> None:
    """Remove every setting from this test's environment (the empty env file stays named)."""
    for name in list(os.environ):
        if _settings(name):
            monkeypatch.delenv(name)
