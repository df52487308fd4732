"""What a failure means, in one place: Telegram's answers and the disk's.

Every call to Telegram that fails ends in one of these fates, and only here is it decided
which. The sender acts on the fate where the failure happens; the inbox asks only whether a
failure may pass (then the update is handled again later) or not (then it is final at once).

- Passing: a time-out, a 5xx, a reset connection, Telegram's rate limit (429, after its
  `retry_after`), and the disk being full, read-only or locked.
- Final: any 400 Bad Request (in python-telegram-bot a subclass of NetworkError, so it must be
  told apart first), a 403, "message is not modified", "message to edit not found".

A passing failure is either *not sent* (the request never left this machine: the connection
could not be made, no connection was free) or *maybe sent* (it went out and the answer was lost
or was a 5xx: Telegram may have done it). What may have been sent goes again marked as a
possible repeat; an edit goes again as it is, since an edit made twice shows the same.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum

import httpx
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.foundations.storage.database import TransactionAborted


class Fate(Enum):
    NOT_SENT = "not sent"          # passing: it never left; again, unmarked
    MAYBE_SENT = "maybe sent"      # passing: Telegram may have it; again, marked (an edit: again as it is)
    WAIT = "wait"                  # passing: Telegram's rate limit (429); again after `wait`
    TOKEN = "token"                # passing: the token or the API address was refused (401/404): the operator's
    NOT_MODIFIED = "not modified"  # final: an edit that changes nothing (a double tap): done
    EDIT_GONE = "edit gone"        # final: the message to edit is gone or cannot be edited
    QUERY_OLD = "query old"        # final: a button press that can no longer be answered
    GONE = "gone"                  # final: the person blocked the bot or the chat is gone
    REFUSED = "refused"            # final: Telegram refused this request (a 400 that is ours)


PASSING = frozenset({Fate.NOT_SENT, Fate.MAYBE_SENT, Fate.WAIT, Fate.TOKEN})


@dataclass(frozen=True)
class Verdict:
    fate: Fate
    wait: timedelta | None = None  # for WAIT: how long Telegram asks us to wait

    @property
    def passing(self) -> bool:
        return self.fate in PASSING


# Telegram's words (in a 400's description), by what they mean. Matched in lower case.
_NOT_MODIFIED = ("message is not modified",)
_EDIT_GONE = ("message to edit not found", "message can't be edited", "there is no text in the message to edit",
              "there is no caption in the message to edit", "message_id_invalid", "message to react not found")
_QUERY_OLD = ("query is too old", "query id is invalid")
_GONE = ("chat not found", "user is deactivated", "bot was blocked", "peer_id_invalid", "bot was kicked",
         "bot can't initiate conversation")
# httpx's failures that happen before a byte of the request is written.
_BEFORE_SENDING = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)
_STORAGE_TROUBLE = ("disk is full", "readonly", "read-only", "disk i/o error", "unable to open", "locked")


def classify(error: BaseException) -> Verdict:
    """The fate of a Telegram call that raised `error`. The order matters: BadRequest and
    TimedOut are NetworkErrors in python-telegram-bot."""
    if isinstance(error, RetryAfter):
        wait = error.retry_after
        return Verdict(Fate.WAIT, wait if isinstance(wait, timedelta) else timedelta(seconds=float(wait)))
    if isinstance(error, BadRequest):
        reason = str(error).lower()
        for words, fate in ((_NOT_MODIFIED, Fate.NOT_MODIFIED), (_EDIT_GONE, Fate.EDIT_GONE),
                            (_QUERY_OLD, Fate.QUERY_OLD), (_GONE, Fate.GONE)):
            if any(word in reason for word in words):
                return Verdict(fate)
        return Verdict(Fate.REFUSED)
    if isinstance(error, Forbidden | ChatMigrated):
        return Verdict(Fate.GONE)
    if isinstance(error, InvalidToken):
        return Verdict(Fate.TOKEN)
    if isinstance(error, NetworkError):  # time-outs, resets, 5xx, anything httpx raised
        if isinstance(error.__cause__, _BEFORE_SENDING):
            return Verdict(Fate.NOT_SENT)
        return Verdict(Fate.MAYBE_SENT)  # without a cause to say otherwise: an extra 🔁 beats a silent repeat
    if isinstance(error, TelegramError):  # Conflict and the like: never asked of a send
        return Verdict(Fate.REFUSED)
    return Verdict(Fate.MAYBE_SENT)


def storage_trouble(error: BaseException) -> bool:
    """The database cannot be written right now (full, read-only, locked, gone)."""
    if isinstance(error, TransactionAborted):
        return True
    if isinstance(error, sqlite3.OperationalError | sqlite3.DatabaseError):
        return any(words in str(error).lower() for words in _STORAGE_TROUBLE)
    return isinstance(error, OSError)


def passing(error: BaseException) -> bool:
    """Worth handling the update again later: Telegram or the disk may be fine in a moment. A bug,
    a 400 or a 403 is not: handled again, it would fail the same way."""
    if storage_trouble(error):
        return True
    return isinstance(error, TelegramError) and classify(error).passing


__all__ = ["Fate", "Verdict", "classify", "passing", "storage_trouble"]
