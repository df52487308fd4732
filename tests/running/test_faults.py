"""One classifier: what each failure of a Telegram call (or of the disk) means."""
from __future__ import annotations

import sqlite3
from datetime import timedelta

import httpx
import pytest
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)

from bot.foundations.storage.database import TransactionAborted
from bot.running.faults import Fate, classify, passing, storage_trouble


def _caused(error: Exception, cause: Exception) -> Exception:
    error.__cause__ = cause  # as python-telegram-bot raises them: `raise TimedOut from err`
    return error


REQUEST = httpx.Request("POST", "https://api.telegram.org/botX/sendMessage")

CASES = [
    # A 400 is a NetworkError in python-telegram-bot: told apart first, and final.
    (BadRequest("Message is not modified: specified new message content and reply markup are exactly the same"),
     Fate.NOT_MODIFIED),
    (BadRequest("Message to edit not found"), Fate.EDIT_GONE),
    (BadRequest("Message can't be edited"), Fate.EDIT_GONE),
    (BadRequest("There is no text in the message to edit"), Fate.EDIT_GONE),
    (BadRequest("Query is too old and response timeout expired or query id is invalid"), Fate.QUERY_OLD),
    (BadRequest("Chat not found"), Fate.GONE),
    (BadRequest("PEER_ID_INVALID"), Fate.GONE),
    (BadRequest("Can't parse entities: unsupported start tag"), Fate.REFUSED),
    (BadRequest("Message is too long"), Fate.REFUSED),
    (Forbidden("Forbidden: bot was blocked by the user"), Fate.GONE),
    (ChatMigrated(-100123), Fate.GONE),
    (Conflict("Conflict: terminated by other getUpdates request"), Fate.REFUSED),
    (InvalidToken("Unauthorized"), Fate.TOKEN),
    # Passing: not sent when httpx failed before writing a byte...
    (_caused(NetworkError("httpx.ConnectError: refused"), httpx.ConnectError("refused", request=REQUEST)),
     Fate.NOT_SENT),
    (_caused(TimedOut(), httpx.ConnectTimeout("connect", request=REQUEST)), Fate.NOT_SENT),
    (_caused(TimedOut("Pool timeout"), httpx.PoolTimeout("pool", request=REQUEST)), Fate.NOT_SENT),
    # ...maybe sent once the request went out: a read time-out, a reset, a 5xx.
    (_caused(TimedOut(), httpx.ReadTimeout("read", request=REQUEST)), Fate.MAYBE_SENT),
    (_caused(TimedOut(), httpx.WriteTimeout("write", request=REQUEST)), Fate.MAYBE_SENT),
    (_caused(NetworkError("httpx.ReadError: reset"), httpx.ReadError("reset", request=REQUEST)), Fate.MAYBE_SENT),
    (_caused(NetworkError("httpx.RemoteProtocolError: Server disconnected without sending a response"),
             httpx.RemoteProtocolError("Server disconnected", request=REQUEST)), Fate.MAYBE_SENT),
    (NetworkError("Bad Gateway (502)"), Fate.MAYBE_SENT),
    (NetworkError("Internal Server Error"), Fate.MAYBE_SENT),
    (TimedOut(), Fate.MAYBE_SENT),  # no cause to say when: an extra 🔁 rather than a silent repeat
]


@pytest.mark.parametrize(("error", "fate"), CASES, ids=[f"{e.__class__.__name__}:{e}"[:60] for e, _ in CASES])
def test_each_failure_has_one_fate(error, fate):
    assert classify(error).fate is fate
    assert passing(error) == (fate in (Fate.NOT_SENT, Fate.MAYBE_SENT, Fate.WAIT, Fate.TOKEN))


def test_a_rate_limit_waits_as_long_as_telegram_asks():
    verdict = classify(RetryAfter(7))
    assert verdict.fate is Fate.WAIT and verdict.wait == timedelta(seconds=7) and verdict.passing


@pytest.mark.parametrize(("error", "trouble"), [
    (sqlite3.OperationalError("database or disk is full"), True),
    (sqlite3.OperationalError("database is locked"), True),
    (sqlite3.OperationalError("attempt to write a readonly database"), True),
    (TransactionAborted("rolled back by SQLite"), True),
    (OSError(28, "No space left on device"), True),
    (sqlite3.IntegrityError("UNIQUE constraint failed"), False),
    (RuntimeError("a bug"), False),
])
def test_storage_trouble_passes_a_bug_does_not(error, trouble):
    assert storage_trouble(error) is trouble
    assert passing(error) is trouble
