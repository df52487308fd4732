"""Functions the offload tests run in a child process (spawn imports them by name from here)."""
from __future__ import annotations

import os
import time
from pathlib import Path


def sleep_after_saying_who(path: str, seconds: float) -> None:
    """Write this process's id, then sleep: a digest's solver that takes its time."""
    Path(path).write_text(str(os.getpid()))
    time.sleep(seconds)


def spin_after_saying_who(path: str, seconds: float) -> None:
    """Write this process's id, then keep the CPU (and the GIL) busy in pure Python."""
    Path(path).write_text(str(os.getpid()))
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        n += 1
