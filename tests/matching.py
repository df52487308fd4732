"""What the two Bot API doubles share (tests/e2e/harness.py against the emulator,
tests/crash/double.py faithful to Telegram's confirmation rule): how a test says which bot
message it waits for, and how a bot process is stopped."""
from __future__ import annotations

import re
import signal
import subprocess
from collections.abc import Callable
from typing import Any

# Text it contains, a pattern it matches, a predicate on the message, or None for any message.
Match = str | re.Pattern[str] | Callable[[Any], bool] | None


def matches(message: Any, match: Match) -> bool:
    """Whether a bot message (anything with `.text`) is the one `match` describes."""
    if match is None:
        return True
    if isinstance(match, str):
        return match in message.text
    if isinstance(match, re.Pattern):
        return match.search(message.text) is not None
    return bool(match(message))


def describe(match: Match) -> str:
    """`match` in words, for a failure message."""
    if match is None:
        return "any message"
    if isinstance(match, str):
        return f"text containing {match!r}"
    if isinstance(match, re.Pattern):
        return f"text matching /{match.pattern}/"
    return getattr(match, "__name__", repr(match))


def stop_process(proc: subprocess.Popen, timeout: float) -> None:
    """SIGINT (the bot's graceful stop), then SIGKILL after `timeout` seconds."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
