"""Logging that carries no message text and no ids.

Our own log lines never include content. Libraries do at DEBUG level (PTB logs
every Bot API call with its parameters; aiosqlite every statement and its
values; httpx every URL, which holds the bot token), so their records below
their floor are dropped whatever level the operator picks.
"""
from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

LIBRARY_FLOORS = {
    "telegram": logging.INFO,
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "aiosqlite": logging.WARNING,
    "apscheduler": logging.WARNING,
    "matplotlib": logging.WARNING,
}


# A bot token (digits, colon, secret) can hide in an exception's text, e.g. a URL.
_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")
_plain = logging.Formatter()


def redact(text: str) -> str:
    return _TOKEN.sub("<token>", text)


class PrivacyFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for prefix, floor in LIBRARY_FLOORS.items():
            if record.name == prefix or record.name.startswith(prefix + "."):
                if record.levelno < floor:
                    return False
                break
        record.msg, record.args = redact(record.getMessage()), ()
        if record.exc_info:
            record.exc_text = redact(_plain.formatException(record.exc_info))
            record.exc_info = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line for log collectors: time (UTC), level, logger, message, and the
    error's traceback when there is one. It formats what the PrivacyFilter let through."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_text:
            line["error"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)


def configure(level: str = "INFO", fmt: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json"
                         else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(PrivacyFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
