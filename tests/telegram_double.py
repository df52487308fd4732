"""An offline Bot API for fast tests (the pattern of PTB's own tests/auxil/networking.py).

`OfflineRequest` answers the bot's HTTP calls from memory and records them, so the real
`Application` runs, handlers and all, without a network. `SimUser` builds real `Update`
objects for `process_update`, typing text and pressing buttons like a person would.
"""
from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

BOT_ID = 700000001
BOT = {"id": BOT_ID, "is_bot": True, "first_name": "Waakzaam", "username": "waakzaam_test_bot",
       "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False}


@dataclass
class Sent:
    """One message as the user's Telegram client shows it (edits applied)."""

    chat_id: int
    message_id: int
    text: str
    buttons: list[list[dict]] = field(default_factory=list)
    protect_content: bool = False
    edits: int = 0
    raw: dict = field(default_factory=dict)
    photo: bytes | None = None  # a picture (sendPhoto): its bytes; `text` is then the caption

    def button_data(self) -> list[str]:
        return [b["callback_data"] for row in self.buttons for b in row]


class OfflineRequest(BaseRequest):
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.messages: dict[tuple[int, int], Sent] = {}
        self.order: list[Sent] = []
        self._ids = itertools.count(1000)
        # endpoint -> an exception to raise, or (HTTP status, description) to answer, once; a third
        # item True: Telegram did what was asked first (a message sent, then a 502 or a reset)
        self.fail_next: dict[str, Exception | tuple[int, str] | tuple[int, str, bool] | tuple[Exception, bool]] = {}
        self.answered: set[str] = set()
        # Awaited with (endpoint, params) while a call is in flight: lets a test act in that window.
        self.during_call = None
        # Nothing is said while an update's transaction is open (it is said once committed): each
        # call made while `in_transaction()` says one is open is noted here, for the fixture to fail.
        self.in_transaction = None
        self.calls_in_transaction: list[str] = []
        self.reactions: dict[tuple[int, int], str] = {}  # (chat, message) -> the bot's reaction
        # Updates Telegram holds for getUpdates, by its rule: handed out on every call until a later
        # call's offset confirms them (offset > update_id); `confirmed` lists those it let go of.
        self.updates: list[dict] = []
        self.confirmed: list[int] = []
        self.menus: dict[tuple[str, int | None, str | None], list[str]] = {}  # (scope, chat, language) -> names

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout=None, write_timeout=None, connect_timeout=None,
                         pool_timeout=None) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]
        params: dict[str, Any] = dict(request_data.parameters) if request_data else {}
        self.calls.append((endpoint, params))
        if self.in_transaction is not None and endpoint != "getUpdates" and self.in_transaction():
            self.calls_in_transaction.append(endpoint)
        if self.during_call is not None:
            await self.during_call(endpoint, params)
        if endpoint in self.fail_next:
            failure = self.fail_next.pop(endpoint)
            if isinstance(failure, tuple) and failure[-1] is True:  # processed, then the answer is lost
                failure = failure[:-1] if len(failure) > 2 else failure[0]
                self._answer(endpoint, params)
            if isinstance(failure, Exception):
                raise failure
            status, description = failure
            return status, json.dumps({"ok": False, "error_code": status, "description": description}).encode()
        if endpoint == "answerCallbackQuery":
            # Telegram takes one answer per button press; a second one is a 400.
            if params["callback_query_id"] in self.answered:
                return 400, json.dumps({"ok": False, "error_code": 400,
                                        "description": "Bad Request: query is too old"}).encode()
            self.answered.add(params["callback_query_id"])
        if endpoint == "sendPhoto":
            files = request_data.multipart_data if request_data else {}
            params["photo"] = next(iter(files.values()))[1] if files else params.get("photo")
        try:
            result = self._answer(endpoint, params)
        except _Refused as refused:
            return 400, json.dumps({"ok": False, "error_code": 400, "description": str(refused)}).encode()
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def _answer(self, endpoint: str, params: dict) -> Any:
        if endpoint == "getMe":
            return BOT
        if endpoint == "getUpdates":
            offset = int(params.get("offset") or 0)
            self.confirmed += [u["update_id"] for u in self.updates if u["update_id"] < offset]
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
            return self.updates[: int(params.get("limit") or 100)]
        if endpoint == "sendMessage":
            chat_id = int(params["chat_id"])
            sent = Sent(chat_id, next(self._ids), params["text"],
                        _buttons(params.get("reply_markup")), bool(params.get("protect_content")))
            sent.raw = self._message_json(sent)
            self.messages[(chat_id, sent.message_id)] = sent
            self.order.append(sent)
            return sent.raw
        if endpoint == "setMessageReaction":
            reaction = params.get("reaction")
            reaction = json.loads(reaction) if isinstance(reaction, str) else reaction
            self.reactions[(int(params["chat_id"]), int(params["message_id"]))] = reaction[0]["emoji"]
            return True
        if endpoint in ("setMyCommands", "deleteMyCommands"):
            scope = params.get("scope") or {"type": "default"}
            scope = json.loads(scope) if isinstance(scope, str) else scope
            key = (scope["type"], scope.get("chat_id") and int(scope["chat_id"]), params.get("language_code"))
            commands = params.get("commands") or []
            commands = json.loads(commands) if isinstance(commands, str) else commands
            if endpoint == "deleteMyCommands":
                self.menus.pop(key, None)
            else:
                self.menus[key] = [c["command"] for c in commands]
            return True
        if endpoint == "sendPhoto":
            chat_id = int(params["chat_id"])
            sent = Sent(chat_id, next(self._ids), params.get("caption") or "",
                        _buttons(params.get("reply_markup")), bool(params.get("protect_content")),
                        photo=params["photo"])
            sent.raw = self._message_json(sent)
            self.messages[(chat_id, sent.message_id)] = sent
            self.order.append(sent)
            return sent.raw
        if endpoint in ("editMessageText", "editMessageReplyMarkup"):
            key = (int(params["chat_id"]), int(params["message_id"]))
            sent = self.messages.get(key)
            if sent is None:
                raise _Refused("Bad Request: message to edit not found")
            if "text" in params and sent.photo is not None:
                raise _Refused("Bad Request: there is no text in the message to edit")
            buttons = _buttons(params.get("reply_markup"))
            if params.get("text", sent.text) == sent.text and buttons == sent.buttons:
                raise _Refused("Bad Request: message is not modified: specified new message content and reply "
                               "markup are exactly the same as a current content and reply markup of the message")
            if "text" in params:
                sent.text = params["text"]
            sent.buttons = buttons
            sent.edits += 1
            sent.raw = self._message_json(sent)
            return sent.raw
        return True

    @staticmethod
    def _message_json(sent: Sent) -> dict:
        message = {"message_id": sent.message_id, "date": int(time.time()),
                   "chat": {"id": sent.chat_id, "type": "private"}, "from": BOT,
                   "has_protected_content": sent.protect_content}
        if sent.photo is None:
            message["text"] = sent.text
        else:
            message["photo"] = [{"file_id": f"photo{sent.message_id}", "file_unique_id": f"p{sent.message_id}",
                                 "width": 1040, "height": 1040, "file_size": len(sent.photo)}]
            if sent.text:
                message["caption"] = sent.text
        if sent.buttons:
            message["reply_markup"] = {"inline_keyboard": sent.buttons}
        return message

    def sent_to(self, chat_id: int) -> list[Sent]:
        return [m for m in self.order if m.chat_id == chat_id]

    def methods(self) -> list[str]:
        return [name for name, _ in self.calls]


class _Refused(Exception):
    """Telegram answers 400 with this description."""


def _buttons(markup: Any) -> list[list[dict]]:
    if not markup:
        return []
    if isinstance(markup, str):
        markup = json.loads(markup)
    return markup.get("inline_keyboard", [])


_update_ids = itertools.count(1)
_message_ids = itertools.count(1)


class SimUser:
    """A person in a private chat with the bot."""

    def __init__(self, app: Application, request: OfflineRequest, user_id: int,
                 first_name: str = "Test", language_code: str = "en", username: str | None = None) -> None:
        self.app, self.request, self.id = app, request, user_id
        self.user = {"id": user_id, "is_bot": False, "first_name": first_name,
                     "language_code": language_code}
        if username:
            self.user["username"] = username
        self._seen = 0
        self.direct = False  # True: skip the durable inbox (for tests of concurrent handling)

    async def _process(self, payload: dict) -> None:
        """The way production handles an update: stored in the inbox, then handled from there."""
        payload["update_id"] = next(_update_ids)
        inbox = self.app.bot_data.get("inbox")
        if self.direct or inbox is None:
            await self.app.process_update(Update.de_json(payload, self.app.bot))
            return
        await inbox.receive([payload])
        await inbox.handle_pending()

    def _message(self, text: str, reply_to: Sent | None = None) -> dict:
        message = {"message_id": next(_message_ids), "date": int(time.time()),
                   "chat": {"id": self.id, "type": "private"}, "from": self.user, "text": text}
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        if reply_to is not None:
            message["reply_to_message"] = reply_to.raw
        return message

    async def send(self, text: str, reply_to: Sent | None = None) -> int:
        """Type a message; returns its id in this chat (the bot may react to it)."""
        message = self._message(text, reply_to)
        await self._process({"message": message})
        return message["message_id"]

    def reaction(self, message_id: int) -> str | None:
        """The bot's reaction on one of this person's own messages."""
        return self.request.reactions.get((self.id, message_id))

    def menu(self) -> list[str]:
        """The commands this person's phone offers: their own menu, else the default one."""
        own = self.request.menus.get(("chat", self.id, None))
        if own is not None:
            return own
        return self.request.menus.get(("default", None, self.user.get("language_code")), [])

    async def send_raw(self, message_fields: dict) -> None:
        message = {"message_id": next(_message_ids), "date": int(time.time()),
                   "chat": {"id": self.id, "type": "private"}, "from": self.user, **message_fields}
        await self._process({"message": message})

    async def press(self, label_or_data: str, message: Sent | None = None) -> None:
        """Press a button by (part of) its label, on the newest message that has it."""
        candidates = [message] if message else reversed(self.inbox())
        for sent in candidates:
            for row in sent.buttons:
                for button in row:
                    if label_or_data in (button["text"], button["callback_data"]) or label_or_data in button["text"]:
                        await self.press_data(button["callback_data"], sent)
                        return
        raise AssertionError(f"no button {label_or_data!r} in {[m.text[:40] for m in self.inbox()]}")

    async def press_data(self, data: str, message: Sent) -> None:
        query = {"id": str(next(_update_ids)), "from": self.user, "chat_instance": "ci",
                 "data": data, "message": message.raw}
        await self._process({"callback_query": query})

    def inbox(self) -> list[Sent]:
        return self.request.sent_to(self.id)

    def new(self) -> list[Sent]:
        """Messages that arrived since the last call."""
        messages = self.inbox()
        fresh, self._seen = messages[self._seen:], len(messages)
        return fresh

    def last(self) -> Sent:
        return self.inbox()[-1]

    def texts(self) -> str:
        return "\n---\n".join(m.text for m in self.inbox())
