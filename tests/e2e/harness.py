"""End-to-end harness: a local Bot API emulator, simulated users, and the bot as a subprocess.

    emulator = Emulator().start()                     # node emulator/server.js on a free port
    bot = BotProcess([sys.executable, "-m", "bot"],
                     env={"TELEGRAM_BOT_TOKEN": token,
                          "TELEGRAM_API_BASE_URL": emulator.api_base_url}).start()
    emulator.wait_until_polling(token, process=bot)
    user = SimUser(emulator, token, first_name="Ann")
    await user.send("hello")
    reply = await user.wait_for("Welcome")
    await user.press(reply, text="Nederlands")

The emulator keeps one conversation per (bot token, user id); use a fresh token per
bot process (``Emulator.new_token``) so tests never see each other's messages.
"""
from __future__ import annotations

import asyncio
import atexit
import base64
import itertools
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
import launcher
from matching import Match, describe, matches, stop_process

E2E_DIR = Path(__file__).resolve().parent
EMULATOR_DIR = E2E_DIR / "emulator"
INSTALL_HINT = "run `npm ci --prefix tests/e2e/emulator`"


_user_ids = itertools.count(700_000_001)
_live: set[Emulator | BotProcess] = set()  # started and not yet stopped


@atexit.register
def _stop_leftovers() -> None:
    # A crashed or interrupted test run must not leave node or bot processes behind.
    for proc in list(_live):
        proc.stop(timeout=3)


class HarnessError(RuntimeError):
    """The test environment is broken (as opposed to the bot misbehaving)."""


def make_token(bot_id: int | None = None) -> str:
    """A random token in the shape @BotFather hands out (digits, colon, 35 characters)."""
    bot_id = bot_id or 1_000_000_000 + secrets.randbelow(8_999_999_999)
    return f"{bot_id}:{secrets.token_urlsafe(32)[:35]}"


_COMMAND_RE = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![^\s])")


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def command_entities(text: str) -> list[dict[str, Any]]:
    """The bot_command entities Telegram's servers attach to a typed message."""
    return [
        {"type": "bot_command", "offset": _utf16_len(text[: m.start()]), "length": _utf16_len(m.group())}
        for m in _COMMAND_RE.finditer(text)
    ]


def _tail(text: str, lines: int = 60) -> str:
    return "\n".join(text.splitlines()[-lines:])


class BotMessage:
    """A message the bot sent, as the user's client sees it now (edits applied).

    ``raw`` is the emulator's record: the Telegram Message fields plus ``params``
    (the normalized arguments of the Bot API call), ``method`` (sendMessage,
    copyMessage, forwardMessage, ...), ``protect_content``, ``edit_history`` and
    ``deleted``.
    """

    def __init__(self, raw: dict[str, Any]):
        self.raw = raw

    @property
    def message_id(self) -> int:
        return self.raw["message_id"]

    @property
    def chat_id(self) -> int:
        return self.raw["chat"]["id"]

    @property
    def text(self) -> str:
        """Text (or caption) as displayed: HTML/Markdown markup already parsed away."""
        return self.raw.get("text", self.raw.get("caption", "")) or ""

    @property
    def photo(self) -> bytes | None:
        """The picture's bytes, for a message sent with sendPhoto."""
        raw = self.raw.get("photo_bytes")
        return base64.b64decode(raw) if raw else None

    @property
    def protect_content(self) -> bool:
        return bool(self.raw.get("protect_content")) and bool(self.raw.get("has_protected_content"))

    @property
    def params(self) -> dict[str, Any]:
        return self.raw.get("params", {})

    @property
    def method(self) -> str:
        return self.raw.get("method", "")

    @property
    def is_forwarded(self) -> bool:
        return any(k in self.raw for k in ("forward_origin", "forward_from", "forward_from_chat", "forward_date"))

    @property
    def reply_to_message_id(self) -> int | None:
        reply = self.raw.get("reply_to_message")
        return reply["message_id"] if reply else None

    @property
    def buttons(self) -> list[list[dict[str, Any]]]:
        """Inline keyboard rows currently on the message (empty when there is none)."""
        markup = self.raw.get("reply_markup") or {}
        return markup.get("inline_keyboard", [])

    @property
    def button_texts(self) -> list[str]:
        return [b["text"] for row in self.buttons for b in row]

    def button(self, text: str) -> dict[str, Any]:
        for row in self.buttons:
            for b in row:
                if b["text"] == text:
                    return b
        raise LookupError(f"message {self.message_id} has no button {text!r}; buttons: {self.button_texts}")

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """Rows of a custom reply keyboard sent with this message, if any."""
        markup = self.params.get("reply_markup")
        if not isinstance(markup, dict) or "keyboard" not in markup:
            return None
        return [[b if isinstance(b, str) else b["text"] for b in row] for row in markup["keyboard"]]

    @property
    def edit_count(self) -> int:
        return len(self.raw.get("edit_history", []))

    @property
    def deleted(self) -> bool:
        return bool(self.raw.get("deleted"))

    def matches(self, match: Match) -> bool:
        return matches(self, match)

    def __repr__(self) -> str:
        extra = f" buttons={self.button_texts}" if self.buttons else ""
        edits = f" edits={self.edit_count}" if self.edit_count else ""
        return f"<BotMessage #{self.message_id} chat={self.chat_id} {self.text[:80]!r}{extra}{edits}>"


def _result(response: httpx.Response) -> Any:
    try:
        body = response.json()
    except ValueError:
        raise HarnessError(f"emulator answered {response.status_code}: {response.text[:300]}") from None
    if not body.get("ok"):
        raise HarnessError(f"emulator refused {response.request.url.path}: {body.get('description', body)}")
    return body["result"]


class Emulator:
    """The Node Bot API emulator (emulator/server.js) as a child process on 127.0.0.1."""

    def __init__(
        self,
        port: int = 0,
        *,
        emulator_dir: Path | str = EMULATOR_DIR,
        log_path: Path | str | None = None,
        startup_timeout: float = 15.0,
        env: Mapping[str, str] | None = None,
    ):
        self.requested_port = port  # 0: the server binds a free port itself, so there is no race
        self.emulator_dir = Path(emulator_dir)
        self.log_path = Path(log_path) if log_path else Path(tempfile.mkdtemp(prefix="waakzaam-e2e-")) / "emulator.log"
        self.startup_timeout = startup_timeout
        self.env = dict(env or {})
        self.port: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._http: httpx.Client | None = None

    # -- lifecycle

    def _check_install(self) -> str:
        node = shutil.which("node")
        if node is None:
            raise HarnessError(
                f"Node.js (`node`) is not on PATH; the e2e tests need Node.js >= 18, then {INSTALL_HINT}."
            )
        if not (self.emulator_dir / "server.js").is_file():
            raise HarnessError(f"{self.emulator_dir / 'server.js'} is missing.")
        package = self.emulator_dir / "node_modules" / "telegram-test-api" / "package.json"
        if not package.is_file():
            raise HarnessError(
                f"The Bot API emulator's npm packages are not installed ({package.parent} is missing); "
                f"{INSTALL_HINT}."
            )
        return node

    def start(self) -> Emulator:
        node = self._check_install()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            # stdin stays an open pipe: the server exits when it closes (--watch-stdin),
            # so it dies with this process even if nobody calls stop().
            self._proc = subprocess.Popen(
                [node, "server.js", str(self.requested_port), "--watch-stdin"],
                cwd=self.emulator_dir,
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, **self.env},
            )
        _live.add(self)
        deadline = time.monotonic() + self.startup_timeout
        while self.port is None:
            found = re.search(r"^READY (\d+)$", self.log_text(), re.MULTILINE)
            if found:
                self.port = int(found.group(1))
            elif self._proc.poll() is not None:
                raise HarnessError(f"the emulator exited with {self._proc.returncode}:\n{_tail(self.log_text())}")
            elif time.monotonic() > deadline:
                self.stop()
                raise HarnessError(
                    f"the emulator did not print READY within {self.startup_timeout}s:\n{_tail(self.log_text())}"
                )
            else:
                time.sleep(0.02)
        self._http = httpx.Client(base_url=self.base_url, timeout=10)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None
        proc, self._proc = self._proc, None
        _live.discard(self)
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stdin:
            proc.stdin.close()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise HarnessError("the emulator is not started")
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base_url(self) -> str:
        """Value for TELEGRAM_API_BASE_URL; PTB appends the token and /method."""
        return f"{self.base_url}/bot"

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def new_token(self) -> str:
        return make_token()

    def user(self, token: str, **kwargs: Any) -> SimUser:
        return SimUser(self, token, **kwargs)

    # -- client API (synchronous, for fixtures and assertions)

    def _post(self, path: str, payload: dict[str, Any]) -> Any:
        if self._http is None:
            raise HarnessError("the emulator is not started")
        return _result(self._http.post(path, json=payload))

    def bot_messages(
        self, token: str, chat_id: int | None = None, *, include_deleted: bool = False
    ) -> list[BotMessage]:
        raw = self._post("/getBotMessages", {"token": token, "chatId": chat_id, "includeDeleted": include_deleted})
        return [BotMessage(m) for m in raw]

    def bot_calls(self, token: str, method: str | None = None) -> list[dict[str, Any]]:
        """Every Bot API call the bot made except getUpdates: [{method, params, time}]."""
        return self._post("/getBotCalls", {"token": token, "method": method})

    def updates_history(self, token: str) -> list[dict[str, Any]]:
        """The stock /getUpdatesHistory: bot messages and user updates in time order."""
        return self._post("/getUpdatesHistory", {"token": token})

    def bot_status(self, token: str) -> dict[str, Any]:
        """{polls, lastPollAt, waiting, pending_updates} for the bot using this token."""
        return self._post("/getBotStatus", {"token": token})

    def wait_until_polling(self, token: str, timeout: float = 20.0, *, process: BotProcess | None = None) -> None:
        """Block until the bot with `token` has called getUpdates (so it is past startup)."""
        deadline = time.monotonic() + timeout
        while self.bot_status(token)["polls"] == 0:
            if process is not None and process.returncode is not None:
                raise HarnessError(
                    f"the bot exited with {process.returncode} before polling:\n{_tail(process.log_text())}"
                )
            if time.monotonic() > deadline:
                log = f":\n{_tail(process.log_text())}" if process is not None else ""
                raise HarnessError(f"the bot did not start polling within {timeout}s{log}")
            time.sleep(0.05)


class SimUser:
    """A Telegram user in a private chat with the bot (chat id == user id).

    All methods are coroutines. ``wait_for`` keeps a cursor: it only considers bot
    messages newer than the last one it returned, so a test can step through a
    conversation in order.
    """

    def __init__(
        self,
        emulator: Emulator | str,
        bot_token: str,
        user_id: int | None = None,
        first_name: str = "Test",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "nl",
        *,
        poll_interval: float = 0.05,
    ):
        self.base_url = emulator if isinstance(emulator, str) else emulator.base_url
        self.token = bot_token
        self.user_id = user_id if user_id is not None else next(_user_ids)
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.poll_interval = poll_interval
        self.last_seen_id = 0
        self._http: httpx.AsyncClient | None = None

    @property
    def chat_id(self) -> int:
        return self.user_id

    @property
    def from_user(self) -> dict[str, Any]:
        user = {
            "id": self.user_id,
            "is_bot": False,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "username": self.username,
            "language_code": self.language_code,
        }
        return {k: v for k, v in user.items() if v is not None}

    def __repr__(self) -> str:
        return f"<SimUser {self.user_id} {self.first_name!r}>"

    async def _post(self, path: str, payload: dict[str, Any]) -> Any:
        if self._http is None:
            self._http = httpx.AsyncClient(base_url=self.base_url, timeout=10)
        return _result(await self._http.post(path, json=payload))

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def __aenter__(self) -> SimUser:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- acting

    async def send(
        self, text: str, *, entities: list[dict[str, Any]] | None = None, reply_to: BotMessage | int | None = None
    ) -> dict[str, Any]:
        """Type a message. Returns the Message the bot will receive (with its message_id).

        Like Telegram, typed ``/commands`` get bot_command entities unless ``entities``
        is given (pass ``[]`` for a message without any).
        """
        payload: dict[str, Any] = {"botToken": self.token, "from": self.from_user, "text": text}
        entities = command_entities(text) if entities is None else entities
        if entities:
            payload["entities"] = entities
        if reply_to is not None:
            payload["reply_to_message_id"] = reply_to if isinstance(reply_to, int) else reply_to.message_id
        return (await self._post("/sendMessage", payload))["message"]

    async def command(self, name: str, payload: str | None = None) -> dict[str, Any]:
        """Send ``/name payload`` with the bot_command entity Telegram attaches."""
        command = "/" + name.lstrip("/")
        text = f"{command} {payload}" if payload else command
        entity = {"type": "bot_command", "offset": 0, "length": _utf16_len(command)}
        body = {"botToken": self.token, "from": self.from_user, "text": text, "entities": [entity]}
        return (await self._post("/sendCommand", body))["message"]

    async def reply(self, to_message: BotMessage | int, text: str) -> dict[str, Any]:
        """Reply (swipe-reply) to one of the bot's messages."""
        return await self.send(text, reply_to=to_message)

    async def edit(self, sent: dict[str, Any] | int, text: str) -> None:
        """Edit a message this user sent earlier; the bot gets an edited_message update."""
        message_id = sent if isinstance(sent, int) else sent["message_id"]
        await self._post(
            "/editUserMessage",
            {"botToken": self.token, "chat_id": self.chat_id, "message_id": message_id, "text": text},
        )

    async def press(
        self, message: BotMessage | int, callback_data: str | None = None, *, text: str | None = None
    ) -> str:
        """Press an inline button, by its callback_data or by its label (``text=``).

        Like in Telegram, only a button that is on the message right now can be
        pressed. Returns the callback query id (see ``callback_answer``).
        """
        message_id = message if isinstance(message, int) else message.message_id
        if (callback_data is None) == (text is None):
            raise TypeError("press() needs exactly one of callback_data or text=")
        if text is not None:
            button = (await self.message(message_id)).button(text)
            if "callback_data" not in button:
                raise HarnessError(f"button {text!r} is not a callback button: {button}")
            callback_data = button["callback_data"]
        body = {
            "botToken": self.token,
            "from": self.from_user,
            "chat_id": self.chat_id,
            "message_id": message_id,
            "data": callback_data,
        }
        return (await self._post("/sendCallback", body))["callback_query_id"]

    async def block(self, blocked: bool = True) -> None:
        """Block the bot: it gets a my_chat_member update and 403 on every send."""
        await self._post("/setUserBlocked", {"botToken": self.token, "from": self.from_user, "blocked": blocked})

    async def unblock(self) -> None:
        await self.block(False)

    async def ask(self, text: str, expect: Match = None, timeout: float = 10.0) -> BotMessage:
        """Send ``text`` and wait for the next bot message matching ``expect``."""
        await self.send(text)
        return await self.wait_for(expect, timeout)

    # -- observing

    async def messages(self, *, include_deleted: bool = False) -> list[BotMessage]:
        """All bot messages in this chat, oldest first, in their current (edited) state."""
        raw = await self._post(
            "/getBotMessages", {"token": self.token, "chatId": self.chat_id, "includeDeleted": include_deleted}
        )
        return [BotMessage(m) for m in raw]

    async def message(self, message_id: int) -> BotMessage:
        for m in await self.messages(include_deleted=True):
            if m.message_id == message_id:
                return m
        raise LookupError(f"no bot message {message_id} in chat {self.chat_id}")

    async def wait_for(self, match: Match = None, timeout: float = 10.0) -> BotMessage:
        """The first bot message newer than the last one returned that matches.

        ``match``: substring of the text, a compiled regex, a predicate on
        BotMessage, or None for any message. Fails the test on timeout.
        """
        __tracebackhide__ = True  # point failures at the test, not here
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            fresh = [m for m in await self.messages() if m.message_id > self.last_seen_id]
            for m in fresh:
                if m.matches(match):
                    self.last_seen_id = m.message_id
                    return m
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(
                    f"{self} got no bot message with {describe(match)} within {timeout}s; "
                    f"unseen bot messages: {fresh or 'none'}"
                )
            await asyncio.sleep(self.poll_interval)

    async def wait_for_edit(self, message: BotMessage, match: Match = None, timeout: float = 10.0) -> BotMessage:
        """Wait until ``message`` has been edited (again) and, if given, matches ``match``."""
        __tracebackhide__ = True  # point failures at the test, not here
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            current = await self.message(message.message_id)
            if current.edit_count > message.edit_count and current.matches(match):
                return current
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(
                    f"{self}: message {message.message_id} was not edited to {describe(match)} "
                    f"within {timeout}s; it is now {current} (history: {current.raw.get('edit_history')})"
                )
            await asyncio.sleep(self.poll_interval)

    async def assert_no_message(self, within: float = 0.5) -> None:
        """Fail if the bot sends this user anything new during the next ``within`` seconds."""
        __tracebackhide__ = True  # point failures at the test, not here
        before = max((m.message_id for m in await self.messages(include_deleted=True)), default=0)
        await asyncio.sleep(within)
        new = [m for m in await self.messages(include_deleted=True) if m.message_id > before]
        assert not new, f"{self} expected no bot message, got {new}"

    async def skip_seen(self) -> None:
        """Move the wait_for cursor past every bot message that exists now."""
        self.last_seen_id = max([self.last_seen_id, *(m.message_id for m in await self.messages(include_deleted=True))])

    async def callback_answer(self, query_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """Wait for the bot's answerCallbackQuery: {text, show_alert, url, cache_time}."""
        __tracebackhide__ = True  # point failures at the test, not here
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            answer = await self._post("/getCallbackAnswer", {"token": self.token, "callbackQueryId": query_id})
            if answer is not None:
                return answer
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{self}: the bot did not answer callback query {query_id} within {timeout}s")
            await asyncio.sleep(self.poll_interval)


class BotProcess:
    """Any command run as the bot under test, its output captured in a log file."""

    def __init__(
        self,
        args: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | str | None = None,
        log_path: Path | str | None = None,
        inherit_env: bool = True,
        token: str | None = None,
        new_python: bool = False,
    ):
        """`new_python`: start from nothing, as a service manager does; else `python -m bot` is
        forked by the suite's launcher (tests/launcher.py), a process of its own all the same."""
        self.args = [str(a) for a in args]
        self.new_python = new_python
        self.env = {**(os.environ if inherit_env else {}), "PYTHONUNBUFFERED": "1", **(env or {})}
        self.cwd = Path(cwd) if cwd else None
        self.log_path = Path(log_path) if log_path else Path(tempfile.mkdtemp(prefix="waakzaam-e2e-")) / "bot.log"
        self.token = token or self.env.get("TELEGRAM_BOT_TOKEN")
        self._proc: subprocess.Popen[bytes] | launcher.Popen | None = None

    def start(self) -> BotProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self._proc = (subprocess.Popen if self.new_python else launcher.popen)(
                self.args, cwd=self.cwd, env=self.env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )
        _live.add(self)
        return self

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def returncode(self) -> int | None:
        """None while running (or never started), else the exit status (-N: killed by signal N)."""
        return self._proc.poll() if self._proc else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGINT (a bot's graceful shutdown), then SIGKILL after ``timeout`` seconds."""
        _live.discard(self)
        if self._proc is None:
            return None
        stop_process(self._proc, timeout)
        return self._proc.returncode

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def error_lines(self) -> list[str]:
        """Log lines that look like errors (tracebacks, ERROR/CRITICAL records).

        Worth asserting empty: a bot that crashes *after* its API call still leaves
        the message in the emulator, so only its log shows that it failed.
        """
        pattern = re.compile(r"Traceback \(most recent call last\)|\b(ERROR|CRITICAL)\b")
        return [line for line in self.log_text().splitlines() if pattern.search(line)]

    def wait_for_log(self, text: str | re.Pattern[str], timeout: float = 10.0) -> str:
        """Block until the log contains ``text``; returns the log. Fails if the bot exits first."""
        __tracebackhide__ = True  # point failures at the test, not here
        deadline = time.monotonic() + timeout
        while True:
            log = self.log_text()
            if (text in log) if isinstance(text, str) else text.search(log):
                return log
            if self.returncode is not None:
                raise AssertionError(f"the bot exited ({self.returncode}) before logging {text!r}:\n{_tail(log)}")
            if time.monotonic() > deadline:
                raise AssertionError(f"the bot did not log {text!r} within {timeout}s:\n{_tail(log)}")
            time.sleep(0.05)

    def __enter__(self) -> BotProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<BotProcess pid={self.pid} rc={self.returncode} {' '.join(self.args)[:80]!r}>"
