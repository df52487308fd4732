"""A Telegram Bot API double with Telegram's delivery rules and fault injection.

It serves ``/bot<token>/<method>`` over HTTP (tornado) on 127.0.0.1, from a background
thread with its own event loop, so a test drives it directly while a real bot (a
subprocess, or PTB in-process) talks to it through its real HTTP layer::

    with TelegramDouble() as tg:                       # start() ... stop()
        env = {"TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_API_BASE_URL": tg.api_base_url}
        ann = tg.user(first_name="Ann")
        ann.send("/start")
        welcome = ann.wait_for("Welcome")                 # substring, regex or predicate
        ann.press(welcome, "ask:start")                   # only a button on it *now*
        tg.fail_next("sendMessage", status=429, retry_after=2)
        tg.set_outage(True)                               # every call: connection dropped

What it keeps from Telegram, because crash tests depend on it:

* getUpdates: an update is handed out again on every call until a *later* call
  confirms it with ``offset > update_id``; a negative offset keeps only the last
  ``-offset`` updates; ``timeout`` long-polls; ``allowed_updates`` is remembered and
  applies to updates created afterwards (as Telegram documents); a second concurrent
  poll ends the first with 409 Conflict; while a webhook is set, getUpdates is a 409.
* Bot messages are real Message objects (``from`` = the bot, ``date`` in seconds,
  ``has_protected_content`` only when true, inline ``reply_markup``, ``reply_to_message``).
  Message ids are counted per private chat, shared by both sides, as in Telegram.
* 400 "message is not modified" for an edit that changes nothing; 400 "query is too
  old..." for a second answer to a callback query; 403 "bot was blocked by the user".

Everything the bot calls is counted by method (``calls``) and logged (``call_log``);
the state is guarded by one lock, so the test thread and the server thread can both
use it. Methods not listed in ``_METHODS`` answer ``{"ok": true, "result": true}`` and
are logged once (``unknown_methods``).
"""
from __future__ import annotations

import asyncio
import copy
import itertools
import json
import logging
import random
import re
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import tornado.httpserver
import tornado.netutil
import tornado.web
from matching import Match, describe, matches

log = logging.getLogger("telegram_double")

HOST = "127.0.0.1"
MAX_TEXT = 4096  # UTF-16 code units, after entity parsing (no parse_mode handling here)
MAX_CAPTION = 1024
# Update types Telegram does not send unless asked for by name in allowed_updates.
DEFAULT_EXCLUDED = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
BLOCKED = "Forbidden: bot was blocked by the user"
POLL_CONFLICT = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
WEBHOOK_CONFLICT = "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
BAD_GATEWAY_HTML = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)

# PTB posts every non-string value JSON-encoded ("true", "123", '{"inline_keyboard": ...}')
# and strings as they are (telegram/request/_requestparameter.py, json_value). A free-text
# field must stay a string even when it looks like JSON: a person may well type "123".
TEXT_FIELDS = frozenset({
    "text", "caption", "parse_mode", "callback_query_id", "inline_message_id", "url", "query",
    "description", "short_description", "name", "title", "first_name", "last_name", "username",
    "language_code", "emoji", "business_connection_id", "message_effect_id", "custom_emoji_id",
    "question", "explanation", "payload", "currency", "start_parameter", "secret_token",
    "switch_pm_text", "switch_pm_parameter", "next_offset", "button_text", "keywords",
    "photo", "document", "video", "audio", "voice", "animation", "video_note", "sticker",
    "thumbnail", "address", "action", "invite_link", "emojis", "ip_address", "phone_number",
})
_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![^\s])")



class DoubleError(RuntimeError):
    """A test asked the double for something a Telegram user could not do."""


class ApiError(Exception):
    """An error answer of the Bot API: {"ok": false, "error_code", "description", "parameters"}."""

    def __init__(self, status: int, description: str, parameters: dict | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def command_entities(text: str) -> list[dict[str, Any]]:
    """The bot_command entities Telegram's servers attach to a typed message."""
    return [
        {"type": "bot_command", "offset": utf16_len(text[: m.start()]), "length": utf16_len(m.group())}
        for m in _COMMAND.finditer(text)
    ]


def make_token(bot_id: int | None = None) -> str:
    """A token in the shape @BotFather hands out: digits, a colon and 35 characters."""
    bot_id = bot_id or 1_000_000_000 + secrets.randbelow(8_999_999_999)
    return f"{bot_id}:{secrets.token_urlsafe(32)[:35]}"


# ---------------------------------------------------------------------------------------
# Records


@dataclass
class Fault:
    """What the next ``count`` calls (of ``method``, or of any method) get instead of an answer.

    kind: "status"  answer ``status`` (429 with retry_after, 500 JSON, 502 nginx HTML, 400 or 403 with
                    ``description``); processed first when ``processed`` (Telegram did it, then a
                    502 came back: the bot cannot know);
          "drop"    close the connection without an answer; processed first when ``processed``;
          "delay"   answer after ``seconds`` (longer than the client's timeout, typically);
                    processed at once when ``processed`` (Telegram did it, the answer is late),
                    else only when the delay is over.
    """

    kind: str
    method: str | None = None
    count: int = 1
    status: int = 429
    retry_after: int = 1
    seconds: float = 0.0
    processed: bool = False
    description: str | None = None
    skip: int = 0  # let this many matching calls pass first (a fault for the third message, say)


@dataclass
class Call:
    """One Bot API call as the double saw it."""

    at: float
    method: str
    params: dict[str, Any]
    status: int | str = "?"  # HTTP status, or "dropped" / "outage"
    fault: str | None = None
    latency: float = 0.0  # how late the answer was sent on purpose


@dataclass
class UpdateRecord:
    """An update the double created, and what became of it."""

    update: dict[str, Any]
    created_at: float
    handed_out: int = 0  # how many getUpdates answers carried it
    handed_at: list[float] = field(default_factory=list)  # monotonic times of those answers
    confirmed_at: float | None = None
    forgotten: bool = False  # dropped by drop_pending_updates or a negative offset

    @property
    def update_id(self) -> int:
        return self.update["update_id"]

    @property
    def kind(self) -> str:
        return next(k for k in self.update if k != "update_id")


@dataclass
class StoredMessage:
    """A message in a chat: the public Message plus what only the test may see."""

    public: dict[str, Any]
    sender: str  # "bot" or "user"
    method: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    edit_history: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False
    reactions: list[dict[str, Any]] = field(default_factory=list)  # the bot's setMessageReaction
    upload_bytes: int | None = None  # size of an uploaded file (sendPhoto, ...)


@dataclass
class CallbackRecord:
    user_id: int
    created_at: float
    answer: dict[str, Any] | None = None


class BotMessage:
    """A snapshot of a bot message as the user's client shows it (edits applied)."""

    def __init__(self, stored: StoredMessage) -> None:
        self.raw: dict[str, Any] = copy.deepcopy(stored.public)
        self.method = stored.method
        self.params = copy.deepcopy(stored.params)
        self.edit_history = copy.deepcopy(stored.edit_history)
        self.deleted = stored.deleted
        self.reactions = copy.deepcopy(stored.reactions)
        self.upload_bytes = stored.upload_bytes

    @property
    def message_id(self) -> int:
        return self.raw["message_id"]

    @property
    def chat_id(self) -> int:
        return self.raw["chat"]["id"]

    @property
    def text(self) -> str:
        """The text, or the caption of a media message."""
        return self.raw.get("text", self.raw.get("caption", "")) or ""

    @property
    def protect_content(self) -> bool:
        return bool(self.raw.get("has_protected_content"))

    @property
    def buttons(self) -> list[list[dict[str, Any]]]:
        return (self.raw.get("reply_markup") or {}).get("inline_keyboard", [])

    @property
    def button_texts(self) -> list[str]:
        return [b["text"] for row in self.buttons for b in row]

    @property
    def button_data(self) -> list[str]:
        return [b["callback_data"] for row in self.buttons for b in row if "callback_data" in b]

    def button(self, text: str) -> dict[str, Any]:
        for row in self.buttons:
            for b in row:
                if b["text"] == text:
                    return b
        raise LookupError(f"message {self.message_id} has no button {text!r}; buttons: {self.button_texts}")

    @property
    def edit_count(self) -> int:
        return len(self.edit_history)

    @property
    def reply_to_message_id(self) -> int | None:
        reply = self.raw.get("reply_to_message")
        return reply["message_id"] if reply else None

    def matches(self, match: Match) -> bool:
        return matches(self, match)

    def __repr__(self) -> str:
        extra = f" buttons={self.button_data}" if self.buttons else ""
        edits = f" edits={self.edit_count}" if self.edit_history else ""
        return f"<BotMessage #{self.message_id} chat={self.chat_id} {self.text[:70]!r}{extra}{edits}>"


# ---------------------------------------------------------------------------------------
# The double


class TelegramDouble:
    """The Bot API of one bot (one token), its users, and the faults to inject."""

    def __init__(
        self,
        token: str | None = None,
        *,
        bot_first_name: str = "Waakzaam Test",
        bot_username: str = "WaakzaamTestBot",
        first_update_id: int = 100_000_001,
        callback_query_ttl: float | None = None,
        latency: tuple[float, float] = (0.0, 0.0),
        latency_seed: int = 0,
    ) -> None:
        self.token = token or make_token()
        self.bot_id = int(self.token.split(":")[0])
        self.bot_user = {"id": self.bot_id, "is_bot": True, "first_name": bot_first_name, "username": bot_username}
        # None: a callback query may be answered at any time (once). Telegram refuses late
        # answers too; set a number of seconds to test that.
        self.callback_query_ttl = callback_query_ttl
        self.time_offset = 0.0  # seconds added to every date the double hands out

        self._cond = threading.Condition(threading.RLock())
        self._update_ids = itertools.count(first_update_id)
        self._query_ids = itertools.count(4_000_000_000_000_000_001)
        self._user_ids = itertools.count(6_000_000_001)
        self.updates: list[UpdateRecord] = []  # every update ever created, oldest first
        self._pending: list[UpdateRecord] = []  # not confirmed yet
        self.allowed_updates: list[str] | None = None
        self.webhook: dict[str, Any] | None = None
        self.users: dict[int, SimUser] = {}
        self.chats: dict[int, dict[str, Any]] = {}
        self._next_message_id: dict[int, int] = {}
        self.messages: dict[tuple[int, int], StoredMessage] = {}
        self.callbacks: dict[str, CallbackRecord] = {}
        self.blocked: set[int] = set()
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.settings: dict[str, Any] = {}  # setChatMenuButton, setMyDescription, ...
        self.calls: Counter[str] = Counter()
        self.call_log: list[Call] = []
        self.unknown_methods: Counter[str] = Counter()
        self.internal_errors: list[str] = []  # bugs of the double itself; tests should assert empty
        self.faults: list[Fault] = []
        self._outage = False
        self._outage_until: float | None = None
        self.last_activity = 0.0  # monotonic time of the last call other than getUpdates

        self._observers: list[Callable[[str, Call, Any], None]] = []
        # Every answer comes this many seconds late (uniform in [low, high]): Telegram is
        # not on localhost, and a bot's handling of an update spans its calls' round trips.
        self.latency = latency
        self._latency_rng = random.Random(latency_seed)
        self._poll: _Poll | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: tornado.httpserver.HTTPServer | None = None
        self.port: int | None = None

    # -- life cycle ------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> TelegramDouble:
        if self._thread is not None:
            raise DoubleError("already started")
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            try:
                sockets = tornado.netutil.bind_sockets(0, HOST)
                app = tornado.web.Application([(r"/bot([^/]*)/([A-Za-z0-9_]+)", _ApiHandler, {"double": self})],
                                              default_handler_class=_NotFound, log_function=_log_request)
                self._server = tornado.httpserver.HTTPServer(app, max_buffer_size=64 * 1024 * 1024)
                self._server.add_sockets(sockets)
                self.port = sockets[0].getsockname()[1]
            except BaseException as exc:  # noqa: BLE001 - handed to start()
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(self._shutdown_server())
                pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
                for task in pending:
                    task.cancel()
                if pending:
                    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                loop.close()

        self._thread = threading.Thread(target=run, name="telegram-double", daemon=True)
        self._thread.start()
        if not ready.wait(timeout) or failure:
            raise DoubleError(f"the double did not start: {failure[0] if failure else 'timeout'}")
        return self

    async def _shutdown_server(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._end_poll(None)
            try:
                await asyncio.wait_for(self._server.close_all_connections(), 5)
            except (asyncio.TimeoutError, Exception):  # noqa: BLE001 - best effort at shutdown
                pass

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving, close every connection and free the port."""
        if self._thread is None:
            return
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        self._thread = None
        self._server = None

    def __enter__(self) -> TelegramDouble:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise DoubleError("not started")
        return f"http://{HOST}:{self.port}"

    @property
    def api_base_url(self) -> str:
        """What TELEGRAM_API_BASE_URL (PTB's base_url) should be: the token follows it."""
        return f"{self.base_url}/bot"

    def url(self, method: str, token: str | None = None) -> str:
        return f"{self.api_base_url}{token or self.token}/{method}"

    # -- time --------------------------------------------------------------------------

    def now(self) -> int:
        return int(time.time() + self.time_offset)

    # -- faults ------------------------------------------------------------------------

    def inject(self, fault: Fault) -> Fault:
        with self._cond:
            self.faults.append(fault)
        return fault

    def fail_next(self, method: str | None = None, *, status: int = 429, count: int = 1, retry_after: int = 1,
                  processed: bool = False, description: str | None = None) -> Fault:
        """The next ``count`` calls answer ``status`` (429 carries retry_after; 502 is nginx HTML).

        processed=True: the double does what was asked first (a sent message exists), then answers
        the error: a 5xx after Telegram took the request. ``description``: the error's words (a 400's).
        """
        return self.inject(Fault("status", method, count, status=status, retry_after=retry_after,
                                 processed=processed, description=description))

    def drop_next(self, method: str | None = None, *, count: int = 1, processed: bool = False) -> Fault:
        """The next ``count`` calls get their connection closed without an answer.

        processed=True: the double does what was asked first (a sent message exists), so the
        bot cannot know that Telegram has it. That is a send that reached Telegram just
        before a crash.
        """
        return self.inject(Fault("drop", method, count, processed=processed))

    def delay_next(self, method: str | None = None, *, seconds: float, count: int = 1, processed: bool = True) -> Fault:
        """The next ``count`` calls are answered only after ``seconds`` (beyond the client's timeout)."""
        return self.inject(Fault("delay", method, count, seconds=seconds, processed=processed))

    def clear_faults(self) -> None:
        with self._cond:
            self.faults.clear()

    def set_outage(self, on: bool = True) -> None:
        """While on, every call fails with a connection error (closed without an answer)."""
        with self._cond:
            self._outage = on
            self._outage_until = None
        if on and self._loop is not None:
            self._loop.call_soon_threadsafe(self._end_poll, "drop")

    def outage_for(self, seconds: float) -> None:
        """An outage that ends by itself after ``seconds``."""
        self.set_outage(True)
        with self._cond:
            self._outage_until = time.monotonic() + seconds

    @property
    def outage(self) -> bool:
        with self._cond:
            if self._outage and self._outage_until is not None and time.monotonic() >= self._outage_until:
                self._outage, self._outage_until = False, None
            return self._outage

    def _take_fault(self, method: str) -> Fault | None:
        with self._cond:
            for fault in self.faults:
                if fault.method is None or fault.method.lower() == method.lower():
                    if fault.skip > 0:  # this call still passes: the fault is for a later one
                        fault.skip -= 1
                        return None
                    fault.count -= 1
                    if fault.count <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    # -- users -------------------------------------------------------------------------

    def user(self, user_id: int | None = None, first_name: str = "Test", last_name: str | None = None,
             username: str | None = None, language_code: str | None = "en") -> SimUser:
        with self._cond:
            user_id = user_id if user_id is not None else next(self._user_ids)
            if user_id in self.users:
                raise DoubleError(f"user {user_id} exists already")
            user = SimUser(self, user_id, first_name, last_name, username, language_code)
            self.users[user_id] = user
            chat = {"id": user_id, "first_name": first_name}
            if last_name:
                chat["last_name"] = last_name
            if username:
                chat["username"] = username
            chat["type"] = "private"
            self.chats[user_id] = chat
            return user

    def _new_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _push_update(self, kind: str, payload: dict[str, Any]) -> UpdateRecord | None:
        """Create an update, unless allowed_updates (as set when it happens) excludes its kind."""
        with self._cond:
            allowed = self.allowed_updates
            if allowed:
                wanted = kind in allowed
            else:
                wanted = kind not in DEFAULT_EXCLUDED
            if not wanted:
                log.debug("update of kind %s not created: not in allowed_updates", kind)
                return None
            record = UpdateRecord({"update_id": next(self._update_ids), kind: payload}, time.monotonic())
            self.updates.append(record)
            self._pending.append(record)
            self._cond.notify_all()
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake_poll)
        return record

    # -- observing ---------------------------------------------------------------------

    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not confirmed yet (what a restarted bot would get), oldest first."""
        with self._cond:
            return [copy.deepcopy(r.update) for r in self._pending]

    def bot_messages(self, chat_id: int | None = None, *, include_deleted: bool = False) -> list[BotMessage]:
        with self._cond:
            return [
                BotMessage(m) for (chat, _), m in sorted(self.messages.items())
                if m.sender == "bot" and (chat_id is None or chat == chat_id) and (include_deleted or not m.deleted)
            ]

    def calls_of(self, method: str) -> list[Call]:
        with self._cond:
            return [c for c in self.call_log if c.method == method]

    def get_my_commands(self, scope: dict | None = None, language_code: str = "") -> list[dict[str, Any]]:
        with self._cond:
            return copy.deepcopy(self.commands.get(_scope_key(scope, language_code), []))

    def wait_until(self, predicate: Callable[[], Any], timeout: float = 10.0, what: str = "a condition") -> Any:
        """Block until ``predicate()`` is truthy (re-checked at every change); returns its value."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                value = predicate()
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
                self._cond.wait(min(left, 0.2))

    def wait_for_poll(self, after: float | None = None, timeout: float = 30.0) -> None:
        """Until a getUpdates call arrives after the monotonic time ``after`` (default: now)."""
        after = time.monotonic() if after is None else after
        self.wait_until(lambda: any(c.method == "getUpdates" and c.at > after for c in reversed(self.call_log[-50:])),
                        timeout, "a getUpdates call")

    def add_observer(self, observer: Callable[[str, Call, Any], None]) -> None:
        """``observer(event, call, payload)`` runs on the server thread (keep it short) when

        * "confirmed": a getUpdates call confirmed updates (payload: their update ids), so
          Telegram forgets them: from now on only the bot has them;
        * "processed": the double did what a call asked (payload: the result), before the
          answer is on its way (see ``latency``);
        * "answered": a successful answer has been written (payload: the result).

        A kill test uses these to SIGKILL the bot at the moments that matter.
        """
        with self._cond:
            self._observers.append(observer)

    def remove_observer(self, observer: Callable[[str, Call, Any], None]) -> None:
        with self._cond:
            if observer in self._observers:
                self._observers.remove(observer)

    # -- the server side (runs on the double's loop) -------------------------------------

    def _draw_latency(self) -> float:
        low, high = self.latency
        if high <= 0:
            return 0.0
        with self._cond:
            return self._latency_rng.uniform(low, high)

    def _notify(self, event: str, call: Call, payload: Any) -> None:
        with self._cond:
            observers = list(self._observers)
        for observer in observers:
            try:
                observer(event, call, payload)
            except Exception as exc:  # noqa: BLE001 - a broken observer must not break the server
                self.internal_errors.append(f"observer {observer!r}: {exc!r}")

    def _wake_poll(self) -> None:
        if self._poll is not None and not self._poll.future.done():
            self._poll.future.set_result("wake")

    def _end_poll(self, how: str | None) -> None:
        """End the waiting long poll: None = empty answer, "drop", or "conflict"."""
        poll, self._poll = self._poll, None
        if poll is not None and not poll.future.done():
            poll.future.set_result(how or "end")

    def _record_call(self, method: str, params: dict[str, Any]) -> Call:
        call = Call(time.monotonic(), method, params)
        with self._cond:
            self.calls[method] += 1
            self.call_log.append(call)
            if method != "getUpdates":
                self.last_activity = call.at
            self._cond.notify_all()
        return call

    def _dispatch(self, method: str, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        handler = _METHODS.get(method.lower())
        with self._cond:
            try:
                if handler is None:
                    if self.unknown_methods[method] == 0:
                        log.info("Bot API method %s answered true (not emulated)", method)
                    self.unknown_methods[method] += 1
                    return True
                return handler(self, params, files)
            finally:
                self._cond.notify_all()

    # -- getUpdates ------------------------------------------------------------------------

    def _confirm(self, offset: int) -> list[int]:
        """Forget what ``offset`` confirms; returns the confirmed update ids."""
        now = time.monotonic()
        if offset > 0:
            keep = [r for r in self._pending if r.update_id >= offset]
            for r in self._pending:
                if r.update_id < offset:
                    r.confirmed_at = now
        elif offset < 0:
            keep = self._pending[offset:] if -offset < len(self._pending) else list(self._pending)
            for r in self._pending[: len(self._pending) - len(keep)]:
                r.forgotten = True
                r.confirmed_at = now
        else:
            return []
        confirmed = [r.update_id for r in self._pending if r not in keep]
        self._pending = keep
        return confirmed

    def _take(self, limit: int) -> list[dict[str, Any]]:
        with self._cond:
            batch = self._pending[:limit]
            now = time.monotonic()
            for r in batch:
                r.handed_out += 1
                r.handed_at.append(now)
            self._cond.notify_all()
            return [copy.deepcopy(r.update) for r in batch]

    async def _get_updates(self, params: dict[str, Any], handler: _ApiHandler) -> list[dict[str, Any]]:
        offset = _int(params.get("offset"), 0)
        limit = min(100, max(1, _int(params.get("limit"), 100)))
        timeout = max(0.0, float(params.get("timeout") or 0))
        with self._cond:
            if self.webhook is not None:
                raise ApiError(409, WEBHOOK_CONFLICT)
            if "allowed_updates" in params and isinstance(params["allowed_updates"], list):
                self.allowed_updates = list(params["allowed_updates"])
            confirmed = self._confirm(offset)
        if confirmed:
            self._notify("confirmed", handler.call, confirmed)
        # Only one poll at a time: Telegram ends the older one with a Conflict.
        self._end_poll("conflict")
        updates = self._take(limit)
        if updates or timeout == 0:
            return updates
        poll = _Poll(asyncio.get_running_loop().create_future(), handler)
        self._poll = poll
        handler.on_gone = lambda: poll.future.done() or poll.future.set_result("gone")
        try:
            how = await asyncio.wait_for(asyncio.shield(poll.future), timeout)
        except asyncio.TimeoutError:
            how = "timeout"
        finally:
            if self._poll is poll:
                self._poll = None
        if how == "conflict":
            raise ApiError(409, POLL_CONFLICT)
        if how in ("drop", "gone"):
            raise _Drop()
        if how == "wake":
            return self._take(limit)
        return []


@dataclass
class _Poll:
    future: asyncio.Future
    handler: Any


class _Drop(Exception):
    """Close the connection without an answer."""


# ---------------------------------------------------------------------------------------
# Simulated users


class SimUser:
    """A person in a private chat with the bot (chat id == user id). Thread-safe, blocking."""

    def __init__(self, double: TelegramDouble, user_id: int, first_name: str, last_name: str | None,
                 username: str | None, language_code: str | None) -> None:
        self.double = double
        self.id = self.chat_id = user_id
        self.first_name, self.last_name, self.username = first_name, last_name, username
        self.language_code = language_code
        self.last_seen_id = 0
        self.sent: list[dict[str, Any]] = []  # what this user sent, as the bot received it

    def __repr__(self) -> str:
        return f"<SimUser {self.id} {self.first_name!r}>"

    @property
    def from_user(self) -> dict[str, Any]:
        user = {"id": self.id, "is_bot": False, "first_name": self.first_name, "last_name": self.last_name,
                "username": self.username, "language_code": self.language_code}
        return {k: v for k, v in user.items() if v is not None}

    @property
    def blocked(self) -> bool:
        return self.id in self.double.blocked

    # -- acting ------------------------------------------------------------------------

    def _new_message(self, fields: dict[str, Any], reply_to: BotMessage | int | None = None) -> dict[str, Any]:
        d = self.double
        with d._cond:
            if self.blocked:
                raise DoubleError(f"{self} blocked the bot; unblock() first")
            message = {"message_id": d._new_message_id(self.id), "from": self.from_user,
                       "chat": copy.deepcopy(d.chats[self.id]), "date": d.now(), **fields}
            if reply_to is not None:
                reply_id = reply_to if isinstance(reply_to, int) else reply_to.message_id
                target = d.messages.get((self.id, reply_id))
                if target is None or target.deleted:
                    raise DoubleError(f"{self} cannot reply to message {reply_id}: not in the chat")
                message["reply_to_message"] = _shallow(target.public)
            d.messages[(self.id, message["message_id"])] = StoredMessage(copy.deepcopy(message), "user")
            self.sent.append(message)
        d._push_update("message", message)
        return copy.deepcopy(message)

    def send(self, text: str, *, reply_to: BotMessage | int | None = None,
             entities: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """Type a text. /commands get bot_command entities, as Telegram adds them (pass [] for none)."""
        entities = command_entities(text) if entities is None else entities
        fields: dict[str, Any] = {"text": text}
        if entities:
            fields["entities"] = entities
        return self._new_message(fields, reply_to)

    def command(self, name: str, payload: str | None = None) -> dict[str, Any]:
        command = "/" + name.lstrip("/")
        return self.send(f"{command} {payload}" if payload else command)

    def reply(self, to: BotMessage | int, text: str) -> dict[str, Any]:
        return self.send(text, reply_to=to)

    def edit(self, message: dict[str, Any] | int, text: str) -> dict[str, Any]:
        """Edit a text this user sent: the bot gets an edited_message update."""
        d = self.double
        message_id = message if isinstance(message, int) else message["message_id"]
        with d._cond:
            stored = d.messages.get((self.id, message_id))
            if stored is None or stored.sender != "user" or stored.deleted or "text" not in stored.public:
                raise DoubleError(f"{self} has no text message {message_id} to edit")
            stored.edit_history.append(copy.deepcopy(stored.public))
            stored.public["text"] = text
            entities = command_entities(text)
            if entities:
                stored.public["entities"] = entities
            else:
                stored.public.pop("entities", None)
            stored.public["edit_date"] = d.now()
            edited = copy.deepcopy(stored.public)
        d._push_update("edited_message", edited)
        return edited

    def send_voice(self, duration: int = 3) -> dict[str, Any]:
        return self._new_message({"voice": {**_file("voice", 4000 * duration), "duration": duration,
                                            "mime_type": "audio/ogg"}})

    def send_photo(self, caption: str | None = None) -> dict[str, Any]:
        fields: dict[str, Any] = {"photo": [{**_file("photo", 1200), "width": 90, "height": 67},
                                            {**_file("photo", 52000), "width": 800, "height": 600}]}
        if caption:
            fields["caption"] = caption
        return self._new_message(fields)

    def send_document(self, file_name: str = "report.pdf", mime_type: str = "application/pdf") -> dict[str, Any]:
        return self._new_message({"document": {**_file("document", 20480), "file_name": file_name,
                                               "mime_type": mime_type}})

    def send_sticker(self, emoji: str = "👍") -> dict[str, Any]:
        return self._new_message({"sticker": {**_file("sticker", 9000), "type": "regular", "width": 512,
                                              "height": 512, "is_animated": False, "is_video": False,
                                              "emoji": emoji}})

    def send_location(self, latitude: float = 50.8503, longitude: float = 4.3517) -> dict[str, Any]:
        return self._new_message({"location": {"latitude": latitude, "longitude": longitude}})

    def send_contact(self, phone_number: str = "+32470000000", first_name: str = "Someone") -> dict[str, Any]:
        return self._new_message({"contact": {"phone_number": phone_number, "first_name": first_name}})

    def press(self, message: BotMessage | int, callback_data: str | None = None, *, text: str | None = None) -> str:
        """Press an inline button by callback_data or label; only a button on the message now.

        Returns the callback query id (see ``callback_answer``).
        """
        if (callback_data is None) == (text is None):
            raise TypeError("press() needs exactly one of callback_data or text=")
        d = self.double
        message_id = message if isinstance(message, int) else message.message_id
        with d._cond:
            if self.blocked:
                raise DoubleError(f"{self} blocked the bot; unblock() first")
            stored = d.messages.get((self.id, message_id))
            if stored is None or stored.sender != "bot" or stored.deleted:
                raise DoubleError(f"{self}: no bot message {message_id} to press a button on")
            current = BotMessage(stored)
            if text is not None:
                button = current.button(text)
                if "callback_data" not in button:
                    raise DoubleError(f"button {text!r} is not a callback button")
                callback_data = button["callback_data"]
            elif callback_data not in current.button_data:
                raise DoubleError(f"{self}: message {message_id} has no button {callback_data!r} now; "
                                  f"it has {current.button_data}")
            query_id = str(next(d._query_ids))
            d.callbacks[query_id] = CallbackRecord(self.id, time.monotonic())
            query = {"id": query_id, "from": self.from_user, "message": copy.deepcopy(stored.public),
                     "chat_instance": str(-(self.id * 7919 % 10**18)), "data": callback_data}
        d._push_update("callback_query", query)
        return query_id

    def block(self) -> None:
        """Block the bot: a my_chat_member update, and 403 on everything sent to this chat."""
        self._set_blocked(True)

    def unblock(self) -> None:
        self._set_blocked(False)

    def _set_blocked(self, blocked: bool) -> None:
        d = self.double
        with d._cond:
            if blocked == self.blocked:
                return
            (d.blocked.add if blocked else d.blocked.discard)(self.id)
            old, new = ("member", "kicked") if blocked else ("kicked", "member")

            def member(status: str) -> dict[str, Any]:
                info: dict[str, Any] = {"user": dict(d.bot_user), "status": status}
                if status == "kicked":
                    info["until_date"] = 0
                return info

            update = {"chat": copy.deepcopy(d.chats[self.id]), "from": self.from_user, "date": d.now(),
                      "old_chat_member": member(old), "new_chat_member": member(new)}
        d._push_update("my_chat_member", update)

    # -- observing ---------------------------------------------------------------------

    def inbox(self, *, include_deleted: bool = False) -> list[BotMessage]:
        """Every bot message in this chat, oldest first, as shown now (edits applied)."""
        return self.double.bot_messages(self.id, include_deleted=include_deleted)

    def texts(self) -> list[str]:
        return [m.text for m in self.inbox()]

    def message(self, message_id: int) -> BotMessage:
        with self.double._cond:
            stored = self.double.messages.get((self.id, message_id))
            if stored is None or stored.sender != "bot":
                raise LookupError(f"no bot message {message_id} in chat {self.id}")
            return BotMessage(stored)

    def wait_for(self, match: Match = None, timeout: float = 15.0) -> BotMessage:
        """The first bot message newer than the last one returned that matches."""
        __tracebackhide__ = True

        def found() -> BotMessage | None:
            for m in self.inbox():
                if m.message_id > self.last_seen_id and m.matches(match):
                    return m
            return None

        try:
            message = self.double.wait_until(found, timeout, f"{self} to get {describe(match)}")
        except AssertionError:
            unseen = [m for m in self.inbox() if m.message_id > self.last_seen_id]
            raise AssertionError(f"{self} got no bot message with {describe(match)} within {timeout}s; "
                                 f"unseen: {unseen or 'none'}") from None
        self.last_seen_id = message.message_id
        return message

    def wait_for_edit(self, message: BotMessage, match: Match = None, timeout: float = 15.0) -> BotMessage:
        """Until ``message`` has been edited again (and matches ``match``)."""
        __tracebackhide__ = True

        def edited() -> BotMessage | None:
            now = self.message(message.message_id)
            return now if now.edit_count > message.edit_count and now.matches(match) else None

        try:
            return self.double.wait_until(edited, timeout, f"an edit of {message}")
        except AssertionError:
            raise AssertionError(f"{self}: {message} was not edited to {describe(match)} within {timeout}s; "
                                 f"now {self.message(message.message_id)}") from None

    def skip_seen(self) -> None:
        self.last_seen_id = max([self.last_seen_id, *(m.message_id for m in self.inbox(include_deleted=True))])

    def callback_answer(self, query_id: str, timeout: float = 15.0) -> dict[str, Any]:
        """The bot's answerCallbackQuery for a press: {text, show_alert, url, cache_time}."""
        return self.double.wait_until(lambda: self.double.callbacks[query_id].answer, timeout,
                                      f"an answer to callback query {query_id}")


def _file(kind: str, size: int) -> dict[str, Any]:
    unique = secrets.token_urlsafe(10)
    return {"file_id": f"{kind[:2].upper()}{secrets.token_urlsafe(30)}", "file_unique_id": unique, "file_size": size}


def _shallow(message: dict[str, Any]) -> dict[str, Any]:
    """A message as it appears inside reply_to_message (Telegram nests one level only)."""
    out = copy.deepcopy(message)
    out.pop("reply_to_message", None)
    return out


def _int(value: Any, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _bad(f"invalid integer value {value!r}") from None


def _scope_key(scope: Any, language_code: Any) -> tuple[str, str]:
    scope = scope or {"type": "default"}
    return json.dumps(scope, sort_keys=True), str(language_code or "")


# ---------------------------------------------------------------------------------------
# Bot API methods: (double, params, files) -> result, or raise ApiError. Called under the lock.


def _chat(d: TelegramDouble, params: dict[str, Any], name: str = "chat_id") -> int:
    raw = params.get(name)
    try:
        chat_id = int(raw)
    except (TypeError, ValueError):
        raise _bad("chat not found") from None
    if chat_id not in d.chats:
        raise _bad("chat not found")
    if chat_id in d.blocked:
        raise ApiError(403, BLOCKED)
    return chat_id


def _inline_markup(raw: Any) -> dict[str, Any] | None:
    """Message.reply_markup holds inline keyboards only; reply keyboards are not echoed."""
    if not raw:
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise _bad("can't parse reply keyboard markup JSON object") from None
    if not isinstance(raw, dict):
        raise _bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in raw:
        return None
    keyboard = raw["inline_keyboard"]
    if not isinstance(keyboard, list) or not all(isinstance(row, list) for row in keyboard):
        raise _bad("field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array of Arrays")
    for row in keyboard:
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                raise _bad("text buttons are unallowed in the inline keyboard")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= 64:
                raise _bad("BUTTON_DATA_INVALID")
    return {"inline_keyboard": keyboard} if keyboard else None


def _reply_target(d: TelegramDouble, params: dict[str, Any], chat_id: int) -> dict[str, Any] | None:
    reply = params.get("reply_parameters")
    if reply is None and params.get("reply_to_message_id") is not None:
        reply = {"message_id": params["reply_to_message_id"],
                 "allow_sending_without_reply": params.get("allow_sending_without_reply")}
    if not reply:
        return None
    if not isinstance(reply, dict) or "message_id" not in reply:
        raise _bad("can't parse reply parameters JSON object")
    target_chat = int(reply.get("chat_id", chat_id))
    target = d.messages.get((target_chat, int(reply["message_id"])))
    if target is None or target.deleted:
        if reply.get("allow_sending_without_reply"):
            return None
        raise _bad("message to be replied not found")
    return _shallow(target.public)


def _store_bot_message(d: TelegramDouble, params: dict[str, Any], chat_id: int, content: dict[str, Any],
                       method: str, upload_bytes: int | None = None) -> dict[str, Any]:
    reply = _reply_target(d, params, chat_id)
    markup = _inline_markup(params.get("reply_markup"))
    message: dict[str, Any] = {"message_id": d._new_message_id(chat_id), "from": dict(d.bot_user),
                               "chat": copy.deepcopy(d.chats[chat_id]), "date": d.now()}
    if reply is not None:
        message["reply_to_message"] = reply
    message.update(content)
    if params.get("protect_content") is True:
        message["has_protected_content"] = True
    if markup:
        message["reply_markup"] = markup
    d.messages[(chat_id, message["message_id"])] = StoredMessage(
        copy.deepcopy(message), "bot", method, _loggable(params), upload_bytes=upload_bytes)
    return message


def _check_text(text: Any, limit: int, what: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise _bad(f"message {what} is empty")
    if utf16_len(text) > limit:
        raise _bad("message is too long" if what == "text" else "message caption is too long")
    return text


def m_get_me(d: TelegramDouble, params, files) -> dict[str, Any]:
    return {**d.bot_user, "can_join_groups": True, "can_read_all_group_messages": False,
            "supports_inline_queries": False, "can_connect_to_business": False, "has_main_web_app": False}


def m_send_message(d: TelegramDouble, params, files) -> dict[str, Any]:
    chat_id = _chat(d, params)
    text = _check_text(params.get("text"), MAX_TEXT, "text")
    content: dict[str, Any] = {"text": text}
    if isinstance(params.get("entities"), list) and params["entities"]:
        content["entities"] = params["entities"]
    if isinstance(params.get("link_preview_options"), dict):
        content["link_preview_options"] = params["link_preview_options"]
    return _store_bot_message(d, params, chat_id, content, "sendMessage")


def _edit_target(d: TelegramDouble, params) -> StoredMessage | None:
    if params.get("inline_message_id") is not None:
        return None  # inline messages: Telegram answers true; not kept here
    chat_id = _chat(d, params)
    try:
        key = (chat_id, int(params.get("message_id")))
    except (TypeError, ValueError):
        raise _bad("message identifier is not specified") from None
    stored = d.messages.get(key)
    if stored is None or stored.deleted:
        raise _bad("message to edit not found")
    if stored.sender != "bot":
        raise _bad("message can't be edited")
    return stored


def _apply_edit(d: TelegramDouble, stored: StoredMessage, changes: dict[str, Any]) -> dict[str, Any]:
    """Telegram replaces what the edit names; no reply_markup removes the keyboard."""
    if all(stored.public.get(k) == v for k, v in changes.items()):
        raise ApiError(400, NOT_MODIFIED)
    stored.edit_history.append(copy.deepcopy(stored.public))
    for k, v in changes.items():
        if v is None:
            stored.public.pop(k, None)
        else:
            stored.public[k] = v
    stored.public["edit_date"] = d.now()
    return copy.deepcopy(stored.public)


def m_edit_message_text(d: TelegramDouble, params, files) -> Any:
    stored = _edit_target(d, params)
    text = _check_text(params.get("text"), MAX_TEXT, "text")
    if stored is None:
        return True
    if "text" not in stored.public:
        raise _bad("there is no text in the message to edit")
    entities = params.get("entities") if isinstance(params.get("entities"), list) and params["entities"] else None
    return _apply_edit(d, stored, {"text": text, "entities": entities,
                                   "reply_markup": _inline_markup(params.get("reply_markup"))})


def m_edit_message_caption(d: TelegramDouble, params, files) -> Any:
    stored = _edit_target(d, params)
    if stored is None:
        return True
    if "text" in stored.public:
        raise _bad("there is no caption in the message to edit")
    caption = params.get("caption")
    if caption is not None:
        _check_text(caption, MAX_CAPTION, "caption")
    return _apply_edit(d, stored, {"caption": caption or None,
                                   "reply_markup": _inline_markup(params.get("reply_markup"))})


def m_edit_message_reply_markup(d: TelegramDouble, params, files) -> Any:
    stored = _edit_target(d, params)
    if stored is None:
        return True
    return _apply_edit(d, stored, {"reply_markup": _inline_markup(params.get("reply_markup"))})


def m_delete_message(d: TelegramDouble, params, files) -> bool:
    chat_id = _chat(d, params)
    stored = d.messages.get((chat_id, _int(params.get("message_id"), 0)))
    if stored is None or stored.deleted:
        raise _bad("message to delete not found")
    stored.deleted = True
    return True


def m_answer_callback_query(d: TelegramDouble, params, files) -> bool:
    record = d.callbacks.get(str(params.get("callback_query_id")))
    too_late = (record is not None and d.callback_query_ttl is not None
                and time.monotonic() - record.created_at > d.callback_query_ttl)
    if record is None or record.answer is not None or too_late:
        raise ApiError(400, QUERY_TOO_OLD)
    text = params.get("text")
    if text is not None and utf16_len(str(text)) > 200:
        raise _bad("MESSAGE_TOO_LONG")
    record.answer = {"text": text, "show_alert": params.get("show_alert") is True, "url": params.get("url"),
                     "cache_time": params.get("cache_time")}
    return True


def m_get_updates(d: TelegramDouble, params, files) -> Any:  # pragma: no cover - served asynchronously
    raise AssertionError("getUpdates is served by TelegramDouble._get_updates")


def m_delete_webhook(d: TelegramDouble, params, files) -> bool:
    if params.get("drop_pending_updates") is True:
        d._confirm(d._pending[-1].update_id + 1 if d._pending else 0)
        for r in d.updates:
            if r.confirmed_at is not None and r.handed_out == 0:
                r.forgotten = True
    d.webhook = None
    return True


def m_set_webhook(d: TelegramDouble, params, files) -> bool:
    url = params.get("url") or ""
    if not url:
        d.webhook = None
        return True
    if not str(url).startswith("https://"):
        raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
    if params.get("drop_pending_updates") is True:
        m_delete_webhook(d, {"drop_pending_updates": True}, files)
    d.webhook = {"url": url, "secret_token": params.get("secret_token"),
                 "max_connections": params.get("max_connections", 40),
                 "certificate": "certificate" in files or params.get("certificate") is not None}
    if isinstance(params.get("allowed_updates"), list):
        d.allowed_updates = list(params["allowed_updates"])
    return True


def m_get_webhook_info(d: TelegramDouble, params, files) -> dict[str, Any]:
    info: dict[str, Any] = {"url": (d.webhook or {}).get("url", ""), "has_custom_certificate": False,
                            "pending_update_count": len(d._pending)}
    if d.webhook:
        info["max_connections"] = d.webhook["max_connections"]
        if d.allowed_updates:
            info["allowed_updates"] = list(d.allowed_updates)
    return info


def m_set_my_commands(d: TelegramDouble, params, files) -> bool:
    commands = params.get("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise _bad("BOT_COMMANDS_TOO_MUCH" if isinstance(commands, list) else "can't parse commands JSON object")
    for c in commands:
        if not isinstance(c, dict) or not re.fullmatch(r"[a-z0-9_]{1,32}", str(c.get("command", ""))):
            raise _bad("BOT_COMMAND_INVALID")
        description = c.get("description")
        if not isinstance(description, str) or not description.strip() or len(description) > 256:
            raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
    key = _scope_key(params.get("scope"), params.get("language_code"))
    if commands:
        d.commands[key] = [{"command": c["command"], "description": c["description"]} for c in commands]
    else:
        d.commands.pop(key, None)
    return True


def m_get_my_commands(d: TelegramDouble, params, files) -> list[dict[str, Any]]:
    return copy.deepcopy(d.commands.get(_scope_key(params.get("scope"), params.get("language_code")), []))


def m_delete_my_commands(d: TelegramDouble, params, files) -> bool:
    d.commands.pop(_scope_key(params.get("scope"), params.get("language_code")), None)
    return True


def m_set_message_reaction(d: TelegramDouble, params, files) -> bool:
    chat_id = _chat(d, params)
    stored = d.messages.get((chat_id, _int(params.get("message_id"), 0)))
    if stored is None or stored.deleted:
        raise _bad("message to react not found")
    reaction = params.get("reaction") or []
    if not isinstance(reaction, list):
        raise _bad("can't parse reaction types JSON object")
    for r in reaction:
        if not isinstance(r, dict) or r.get("type") not in ("emoji", "custom_emoji", "paid"):
            raise _bad("REACTION_INVALID")
    stored.reactions = copy.deepcopy(reaction)
    return True


_MEDIA = {  # method -> (field, maximum size of an upload in bytes)
    "sendphoto": ("photo", 10 * 1024 * 1024),
    "senddocument": ("document", 50 * 1024 * 1024),
    "sendvoice": ("voice", 50 * 1024 * 1024),
    "sendaudio": ("audio", 50 * 1024 * 1024),
    "sendvideo": ("video", 50 * 1024 * 1024),
    "sendanimation": ("animation", 50 * 1024 * 1024),
    "sendsticker": ("sticker", 50 * 1024 * 1024),
}


def _media_sender(method: str) -> Callable[..., dict[str, Any]]:
    kind, limit = _MEDIA[method.lower()]

    def send(d: TelegramDouble, params, files) -> dict[str, Any]:
        chat_id = _chat(d, params)
        value = params.get(kind)
        size: int | None = None
        if isinstance(value, str) and value.startswith("attach://"):
            value = files.get(value.removeprefix("attach://"))
        elif value is None:
            value = files.get(kind)
        if isinstance(value, bytes):
            size = len(value)
            if size == 0:
                raise _bad("file must be non-empty")
            if size > limit:
                raise ApiError(413, "Request Entity Too Large")
        elif not value:
            raise _bad(f"there is no {kind} in the request")
        content: dict[str, Any] = {}
        if kind == "photo":
            content["photo"] = [{**_file("photo", min(size or 1200, 1200)), "width": 90, "height": 90},
                                {**_file("photo", size or 50000), "width": 1280, "height": 960}]
        else:
            content[kind] = _file(kind, size or 20000)
            if kind == "document":
                content[kind]["file_name"] = "file"
        caption = params.get("caption")
        if caption is not None and kind != "sticker":
            content["caption"] = _check_text(caption, MAX_CAPTION, "caption")
        return _store_bot_message(d, params, chat_id, content, method, upload_bytes=size)

    return send


def m_send_chat_action(d: TelegramDouble, params, files) -> bool:
    _chat(d, params)
    return True


def m_set_chat_menu_button(d: TelegramDouble, params, files) -> bool:
    key = f"menu_button:{params.get('chat_id', '')}"
    d.settings[key] = params.get("menu_button") or {"type": "default"}
    return True


def m_get_chat_menu_button(d: TelegramDouble, params, files) -> dict[str, Any]:
    return copy.deepcopy(d.settings.get(f"menu_button:{params.get('chat_id', '')}", {"type": "default"}))


def m_get_chat(d: TelegramDouble, params, files) -> dict[str, Any]:
    chat_id = _int(params.get("chat_id"), 0)
    if chat_id not in d.chats:
        raise _bad("chat not found")
    return {**copy.deepcopy(d.chats[chat_id]), "accent_color_id": 0, "max_reaction_count": 11,
            "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False,
                                    "premium_subscription": False}}


_METHODS: dict[str, Callable[..., Any]] = {
    "getme": m_get_me,
    "getupdates": m_get_updates,
    "deletewebhook": m_delete_webhook,
    "setwebhook": m_set_webhook,
    "getwebhookinfo": m_get_webhook_info,
    "sendmessage": m_send_message,
    "editmessagetext": m_edit_message_text,
    "editmessagecaption": m_edit_message_caption,
    "editmessagereplymarkup": m_edit_message_reply_markup,
    "deletemessage": m_delete_message,
    "answercallbackquery": m_answer_callback_query,
    "setmycommands": m_set_my_commands,
    "getmycommands": m_get_my_commands,
    "deletemycommands": m_delete_my_commands,
    "setmessagereaction": m_set_message_reaction,
    "sendchataction": m_send_chat_action,
    "setchatmenubutton": m_set_chat_menu_button,
    "getchatmenubutton": m_get_chat_menu_button,
    "getchat": m_get_chat,
    **{name: _media_sender(name) for name in _MEDIA},
}
# Telegram's method names are case-insensitive; the log uses the canonical spelling.
_CANONICAL = {
    "getme": "getMe", "getupdates": "getUpdates", "deletewebhook": "deleteWebhook", "setwebhook": "setWebhook",
    "getwebhookinfo": "getWebhookInfo", "sendmessage": "sendMessage", "editmessagetext": "editMessageText",
    "editmessagecaption": "editMessageCaption", "editmessagereplymarkup": "editMessageReplyMarkup",
    "deletemessage": "deleteMessage", "answercallbackquery": "answerCallbackQuery",
    "setmycommands": "setMyCommands", "getmycommands": "getMyCommands", "deletemycommands": "deleteMyCommands",
    "setmessagereaction": "setMessageReaction", "sendchataction": "sendChatAction",
    "setchatmenubutton": "setChatMenuButton", "getchatmenubutton": "getChatMenuButton", "getchat": "getChat",
    "sendphoto": "sendPhoto", "senddocument": "sendDocument", "sendvoice": "sendVoice", "sendaudio": "sendAudio",
    "sendvideo": "sendVideo", "sendanimation": "sendAnimation", "sendsticker": "sendSticker",
}


def _loggable(params: dict[str, Any]) -> dict[str, Any]:
    return {k: (f"<{len(v)} bytes>" if isinstance(v, bytes) else v) for k, v in params.items()}


# ---------------------------------------------------------------------------------------
# HTTP


def _decode(name: str, raw: str) -> Any:
    if name in TEXT_FIELDS:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def parse_params(request: tornado.httputil.HTTPServerRequest) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Query string, form-urlencoded, multipart (fields JSON-encoded as PTB sends them) or a JSON body."""
    params: dict[str, Any] = {}
    files: dict[str, bytes] = {}
    content_type = request.headers.get("Content-Type", "")
    for name, values in request.arguments.items():  # query + urlencoded/multipart body fields
        if values:
            params[name] = _decode(name, values[-1].decode("utf-8", "replace"))
    for name, uploads in request.files.items():
        if uploads:
            files[name] = uploads[-1]["body"]
    if content_type.startswith("application/json") and request.body:
        try:
            body = json.loads(request.body)
        except ValueError:
            raise _bad("can't parse JSON body") from None
        if isinstance(body, dict):
            params.update(body)
    return params, files


def _log_request(handler: tornado.web.RequestHandler) -> None:
    # tornado.access would print every 4xx as a warning; 400s are part of the Bot API here.
    log.debug("%s %s %s", handler.get_status(), handler.request.method, handler.request.path.rsplit("/", 1)[-1])


class _NotFound(tornado.web.RequestHandler):
    def prepare(self) -> None:
        self.set_status(404)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"ok": False, "error_code": 404, "description": "Not Found"}))


class _ApiHandler(tornado.web.RequestHandler):
    def initialize(self, double: TelegramDouble) -> None:
        self.double = double
        self.call: Call | None = None
        self.on_gone: Callable[[], Any] | None = None
        self.gone = False

    def on_connection_close(self) -> None:
        self.gone = True
        if self.on_gone is not None:
            self.on_gone()

    def check_xsrf_cookie(self) -> None:  # an API, not a web form
        pass

    async def get(self, token: str, method: str) -> None:
        await self._serve(token, method)

    async def post(self, token: str, method: str) -> None:
        await self._serve(token, method)

    def _drop(self, call: Call | None, how: str = "dropped") -> None:
        if call is not None:
            call.status = how
        self._finished = True  # nothing more is written: the client sees the connection close
        self.request.connection.close()  # type: ignore[attr-defined]

    def _answer(self, call: Call | None, status: int, body: str, content_type: str = "application/json") -> None:
        if call is not None:
            call.status = status
        stream = getattr(self.request.connection, "stream", None)
        if self.gone or stream is None or stream.closed():
            self._finished = True  # the client left (killed, or timed out): nobody to answer
            return
        self.set_status(status)
        self.set_header("Content-Type", content_type)
        self.finish(body)

    def _error(self, call: Call | None, exc: ApiError) -> None:
        body: dict[str, Any] = {"ok": False, "error_code": exc.status, "description": exc.description}
        if exc.parameters:
            body["parameters"] = exc.parameters
        self._answer(call, exc.status, json.dumps(body))

    async def _serve(self, token: str, method: str) -> None:
        d = self.double
        canonical = _CANONICAL.get(method.lower(), method)
        try:
            params, files = parse_params(self.request)
        except ApiError as exc:
            self._error(self.double._record_call(canonical, {}), exc)
            return
        call = d._record_call(canonical, _loggable({**params, **{k: v for k, v in files.items()}}))
        self.call = call
        if d.outage:
            self._drop(call, "outage")
            return
        if token != d.token:
            # Telegram: 401 for a well-formed token it does not know, 404 for a malformed one.
            status = 401 if re.fullmatch(r"\d+:[A-Za-z0-9_-]{30,}", token) else 404
            self._error(call, ApiError(status, "Unauthorized" if status == 401 else "Not Found"))
            return
        call.latency = d._draw_latency()
        fault = d._take_fault(canonical)
        if fault is not None:
            call.fault = f"{fault.kind}:{fault.status if fault.kind == 'status' else fault.seconds}"
            if fault.kind == "status":
                if fault.processed:
                    await self._process(canonical, params, files, call)
                await self._sleep(call.latency)
                self._status_fault(call, fault)
                return
            if fault.kind == "drop":
                if fault.processed:
                    await self._process(canonical, params, files, call)
                await self._sleep(call.latency)
                self._drop(call)
                return
            if fault.kind == "delay" and not fault.processed:
                await self._sleep(fault.seconds)
        # Telegram acts when the request arrives; the answer reaches the bot a little later.
        outcome = await self._process(canonical, params, files, call)
        await self._sleep(call.latency + (fault.seconds if fault and fault.kind == "delay" and fault.processed else 0))
        self._deliver(call, outcome)

    async def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            await asyncio.sleep(seconds)

    def _status_fault(self, call: Call, fault: Fault) -> None:
        if fault.status == 429:
            self._error(call, ApiError(429, f"Too Many Requests: retry after {fault.retry_after}",
                                       {"retry_after": fault.retry_after}))
        elif fault.status == 502:
            self._answer(call, 502, BAD_GATEWAY_HTML, "text/html")
        else:
            default = {500: "Internal Server Error", 400: "Bad Request", 403: "Forbidden"}.get(fault.status, "Error")
            self._error(call, ApiError(fault.status, fault.description or default))

    async def _process(self, method: str, params: dict[str, Any], files: dict[str, bytes],
                       call: Call) -> tuple[str, Any]:
        """Do what the call asks; returns ("ok", result) | ("error", ApiError) | ("drop", None)."""
        d = self.double
        try:
            if method == "getUpdates":
                result = await d._get_updates(params, self)
            else:
                result = d._dispatch(method, params, files)
            d._notify("processed", call, result)
            return "ok", result
        except ApiError as exc:
            return "error", exc
        except _Drop:
            return "drop", None
        except Exception as exc:  # noqa: BLE001 - a bug in the double: tell the test
            log.exception("the double failed on %s", method)
            d.internal_errors.append(f"{method}: {exc!r}")
            return "error", ApiError(500, "Internal Server Error")

    def _deliver(self, call: Call, outcome: tuple[str, Any]) -> None:
        kind, value = outcome
        if kind == "ok":
            self._answer(call, 200, json.dumps({"ok": True, "result": value}, ensure_ascii=False))
            if call.status == 200 and not self.gone:
                self.double._notify("answered", call, value)
        elif kind == "error":
            self._error(call, value)
        else:
            self._drop(call)

    def log_exception(self, typ, value, tb) -> None:  # noqa: ANN001 - tornado's signature
        self.double.internal_errors.append(f"tornado: {value!r}")
        super().log_exception(typ, value, tb)


__all__ = [
    "ApiError", "BotMessage", "Call", "DoubleError", "Fault", "SimUser", "TelegramDouble", "UpdateRecord",
    "command_entities", "make_token",
]
