"""The Bot API double itself (driven with httpx and PTB's own Bot), and one smoke test of the real bot."""
from __future__ import annotations

import datetime as dt
import json
import re
import socket
import threading
import time

import httpx
import pytest
import telegram
from double import BLOCKED, NOT_MODIFIED, QUERY_TOO_OLD, DoubleError, TelegramDouble
from kill_driver import (
    LISTENER_NAME,
    Setup,
    ask_for_conversation,
    claim,
    copies_of,
    invite_from_cli,
    join_as_listener,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut


def call(tg: TelegramDouble, method: str, http_timeout: float = 15.0, **params) -> httpx.Response:
    """POST like PTB does: form fields, strings as they are, everything else JSON-encoded."""
    data = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    return httpx.post(tg.url(method), data=data, timeout=http_timeout)


def ok(tg: TelegramDouble, method: str, **params):
    response = call(tg, method, **params)
    body = response.json()
    assert response.status_code == 200 and body["ok"], body
    return body["result"]


def refused(tg: TelegramDouble, method: str, status: int, **params) -> str:
    response = call(tg, method, **params)
    body = response.json()
    assert response.status_code == status and body == {"ok": False, "error_code": status,
                                                       "description": body["description"]}, body
    return body["description"]


def ids(updates: list[dict]) -> list[int]:
    return [u["update_id"] for u in updates]


KEYBOARD = {"inline_keyboard": [[{"text": "Yes", "callback_data": "yes"}, {"text": "No", "callback_data": "no"}]]}


# -- getUpdates ---------------------------------------------------------------------------


def test_updates_are_handed_out_again_until_a_later_call_confirms_them(double):
    ann = double.user(first_name="Ann")
    for text in ("one", "two", "three"):
        ann.send(text)
    first = ok(double, "getUpdates")
    assert [u["message"]["text"] for u in first] == ["one", "two", "three"]
    # Not confirmed: the same updates again, as often as asked (a bot killed now loses nothing).
    assert ids(ok(double, "getUpdates")) == ids(first)
    assert ids(ok(double, "getUpdates", offset=first[0]["update_id"])) == ids(first)
    # An offset confirms every update before it, on this later call.
    assert ok(double, "getUpdates", offset=first[1]["update_id"]) == first[1:]
    assert ok(double, "getUpdates", offset=first[2]["update_id"] + 1) == []
    assert ok(double, "getUpdates") == []  # forgotten for good
    records = {r.update_id: r for r in double.updates}
    assert [records[i].handed_out for i in ids(first)] == [3, 4, 4]
    assert all(records[i].confirmed_at is not None for i in ids(first))


def test_limit_and_negative_offset(double):
    ann = double.user()
    for n in range(5):
        ann.send(f"m{n}")
    assert [u["message"]["text"] for u in ok(double, "getUpdates", limit=2)] == ["m0", "m1"]
    # A negative offset keeps the last -offset updates and forgets the earlier ones.
    assert [u["message"]["text"] for u in ok(double, "getUpdates", offset=-2)] == ["m3", "m4"]
    assert [u["message"]["text"] for u in ok(double, "getUpdates")] == ["m3", "m4"]
    assert [r.forgotten for r in double.updates] == [True, True, True, False, False]


def test_long_polling_waits_for_an_update_or_the_timeout(double):
    started = time.monotonic()
    assert ok(double, "getUpdates", timeout=1) == []
    assert 0.9 < time.monotonic() - started < 3

    ann = double.user()
    threading.Timer(0.3, ann.send, args=("wake up",)).start()
    started = time.monotonic()
    updates = ok(double, "getUpdates", timeout=10)
    assert [u["message"]["text"] for u in updates] == ["wake up"]
    assert time.monotonic() - started < 3


def test_a_second_poll_ends_the_first_with_a_conflict(double):
    answers = {}

    def first() -> None:
        answers["first"] = call(double, "getUpdates", timeout=10)

    thread = threading.Thread(target=first)
    thread.start()
    double.wait_until(lambda: double.calls["getUpdates"] == 1)
    time.sleep(0.1)
    assert ok(double, "getUpdates", timeout=0) == []
    thread.join(5)
    assert answers["first"].status_code == 409
    assert "terminated by other getUpdates request" in answers["first"].json()["description"]


def test_allowed_updates_apply_to_updates_created_afterwards(double):
    ann = double.user()
    sent = ok(double, "sendMessage", chat_id=ann.id, text="Pick one", reply_markup=KEYBOARD)
    ann.send("before")  # created while every default kind is allowed
    assert len(ok(double, "getUpdates", allowed_updates=["callback_query"])) == 1
    ann.send("after")  # a message: not wanted any more, never created
    ann.press(sent["message_id"], "yes")
    updates = ok(double, "getUpdates")
    assert [k for u in updates for k in u if k != "update_id"] == ["message", "callback_query"]
    assert double.allowed_updates == ["callback_query"]
    # The setting stays until the bot sends another one; [] means the default kinds.
    ok(double, "getUpdates", offset=updates[-1]["update_id"] + 1, allowed_updates=[])
    ann.send("again")
    assert [u["message"]["text"] for u in ok(double, "getUpdates")] == ["again"]


def test_webhook_is_stored_and_blocks_get_updates(double):
    double.user().send("queued")
    refused(double, "setWebhook", 400, url="http://insecure.example/hook")
    assert ok(double, "setWebhook", url="https://bot.example/hook", secret_token="s3cret") is True
    assert "webhook is active" in refused(double, "getUpdates", 409)
    info = ok(double, "getWebhookInfo")
    assert info["url"] == "https://bot.example/hook" and info["pending_update_count"] == 1
    assert double.webhook["secret_token"] == "s3cret"
    assert ok(double, "deleteWebhook", drop_pending_updates=True) is True
    assert ok(double, "getUpdates") == [] and double.updates[0].forgotten


# -- sending and editing ------------------------------------------------------------------


def test_send_message_is_a_telegram_message(double):
    ann = double.user(first_name="Ann", username="ann_x")
    typed = ann.send("/start hello")
    assert typed["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    message = ok(double, "sendMessage", chat_id=ann.id, text="Hi Ann", protect_content=True, reply_markup=KEYBOARD,
                 reply_parameters={"message_id": typed["message_id"]})
    assert set(message) == {"message_id", "from", "chat", "date", "text", "has_protected_content", "reply_markup",
                            "reply_to_message"}
    assert message["from"] == double.bot_user and message["from"]["is_bot"] is True
    assert message["chat"] == {"id": ann.id, "first_name": "Ann", "username": "ann_x", "type": "private"}
    assert abs(message["date"] - time.time()) < 5  # seconds, not milliseconds
    assert message["reply_to_message"]["text"] == "/start hello"
    # Message ids are per chat and shared by both sides.
    assert message["message_id"] == typed["message_id"] + 1
    plain = ok(double, "sendMessage", chat_id=ann.id, text="123")  # text stays a string
    assert plain["text"] == "123" and "has_protected_content" not in plain and "reply_markup" not in plain
    # A reply keyboard is shown, but Message.reply_markup carries inline keyboards only.
    keyboard = ok(double, "sendMessage", chat_id=ann.id, text="k", reply_markup={"keyboard": [["a"]]})
    assert "reply_markup" not in keyboard
    inbox = ann.inbox()
    assert [m.text for m in inbox] == ["Hi Ann", "123", "k"]
    assert inbox[0].protect_content and inbox[0].button_data == ["yes", "no"]
    assert inbox[0].reply_to_message_id == typed["message_id"]


def test_send_message_limits_and_errors(double):
    ann = double.user()
    assert ok(double, "sendMessage", chat_id=ann.id, text="x" * 4096)
    assert refused(double, "sendMessage", 400, chat_id=ann.id, text="x" * 4097) == "Bad Request: message is too long"
    assert refused(double, "sendMessage", 400, chat_id=ann.id, text="💬" * 2049) == "Bad Request: message is too long"
    assert refused(double, "sendMessage", 400, chat_id=ann.id, text="") == "Bad Request: message text is empty"
    assert refused(double, "sendMessage", 400, chat_id=42, text="hi") == "Bad Request: chat not found"
    assert "replied not found" in refused(double, "sendMessage", 400, chat_id=ann.id, text="hi",
                                          reply_parameters={"message_id": 999})
    assert ok(double, "sendMessage", chat_id=ann.id, text="hi",
              reply_parameters={"message_id": 999, "allow_sending_without_reply": True})
    response = httpx.post(double.url("getMe", token="123456:" + "A" * 35))
    assert response.status_code == 401 and response.json()["description"] == "Unauthorized"
    assert httpx.post(double.url("getMe", token="nonsense")).status_code == 404


def test_parameters_as_json_body_and_query_string(double):
    ann = double.user()
    by_json = httpx.post(double.url("sendMessage"), json={"chat_id": ann.id, "text": "json body"}).json()
    by_query = httpx.get(double.url("sendMessage"), params={"chat_id": ann.id, "text": "query"}).json()
    assert by_json["result"]["text"] == "json body" and by_query["result"]["text"] == "query"
    # Method names are case-insensitive, as in Telegram.
    assert httpx.post(double.url("getme")).json()["result"]["id"] == double.bot_id
    assert double.calls["getMe"] == 1 and double.calls["sendMessage"] == 2


def test_edits_apply_to_the_inbox_and_unchanged_edits_are_refused(double):
    ann = double.user()
    sent = ok(double, "sendMessage", chat_id=ann.id, text="Question?", reply_markup=KEYBOARD)
    edited = ok(double, "editMessageText", chat_id=ann.id, message_id=sent["message_id"], text="Answered")
    assert edited["text"] == "Answered" and "reply_markup" not in edited and "edit_date" in edited
    assert refused(double, "editMessageText", 400, chat_id=ann.id, message_id=sent["message_id"],
                   text="Answered") == NOT_MODIFIED
    ok(double, "editMessageReplyMarkup", chat_id=ann.id, message_id=sent["message_id"], reply_markup=KEYBOARD)
    assert refused(double, "editMessageReplyMarkup", 400, chat_id=ann.id, message_id=sent["message_id"],
                   reply_markup=KEYBOARD) == NOT_MODIFIED
    assert "not found" in refused(double, "editMessageText", 400, chat_id=ann.id, message_id=999, text="x")
    shown = ann.message(sent["message_id"])
    assert shown.text == "Answered" and shown.button_data == ["yes", "no"]
    assert [v["text"] for v in shown.edit_history] == ["Question?", "Answered"]


def test_buttons_presses_and_one_answer_per_press(double):
    ann = double.user()
    sent = ok(double, "sendMessage", chat_id=ann.id, text="Pick", reply_markup=KEYBOARD)
    query_id = ann.press(sent["message_id"], text="Yes")
    update = ok(double, "getUpdates")[-1]["callback_query"]
    assert update["id"] == query_id and update["data"] == "yes" and update["from"]["id"] == ann.id
    assert update["message"]["message_id"] == sent["message_id"] and update["chat_instance"]
    assert ok(double, "answerCallbackQuery", callback_query_id=query_id, text="Done") is True
    assert ann.callback_answer(query_id)["text"] == "Done"
    assert refused(double, "answerCallbackQuery", 400, callback_query_id=query_id) == QUERY_TOO_OLD
    assert refused(double, "answerCallbackQuery", 400, callback_query_id="12345") == QUERY_TOO_OLD
    # Only buttons on the message now can be pressed.
    ok(double, "editMessageText", chat_id=ann.id, message_id=sent["message_id"], text="Picked")
    with pytest.raises(DoubleError):
        ann.press(sent["message_id"], "no")


def test_late_callback_answers_can_be_refused(double):
    double.callback_query_ttl = 0.2
    ann = double.user()
    sent = ok(double, "sendMessage", chat_id=ann.id, text="Pick", reply_markup=KEYBOARD)
    query_id = ann.press(sent["message_id"], "yes")
    time.sleep(0.3)
    assert refused(double, "answerCallbackQuery", 400, callback_query_id=query_id) == QUERY_TOO_OLD


def test_commands_per_scope_and_language(double):
    commands = [{"command": "start", "description": "Begin"}]
    ok(double, "setMyCommands", commands=commands)
    ok(double, "setMyCommands", commands=[{"command": "cases", "description": "Mijn gesprekken"}],
       language_code="nl", scope={"type": "all_private_chats"})
    assert ok(double, "getMyCommands") == commands
    assert ok(double, "getMyCommands", language_code="nl") == []
    assert ok(double, "getMyCommands", language_code="nl", scope={"type": "all_private_chats"})[0]["command"] == "cases"
    assert double.get_my_commands({"type": "all_private_chats"}, "nl")[0]["description"] == "Mijn gesprekken"
    assert "BOT_COMMAND_INVALID" in refused(double, "setMyCommands", 400,
                                            commands=[{"command": "Bad Name", "description": "x"}])
    ok(double, "deleteMyCommands")
    assert ok(double, "getMyCommands") == []


def test_reactions_photos_deletions_menu_button_and_other_methods(double):
    ann = double.user()
    typed = ann.send("thanks")
    ok(double, "setMessageReaction", chat_id=ann.id, message_id=typed["message_id"],
       reaction=[{"type": "emoji", "emoji": "👍"}])
    assert double.messages[(ann.id, typed["message_id"])].reactions == [{"type": "emoji", "emoji": "👍"}]
    # sendPhoto as PTB uploads it: multipart, the file in its own part, other fields JSON-encoded.
    photo = httpx.post(double.url("sendPhoto"), data={"chat_id": str(ann.id), "caption": "A chart",
                                                      "protect_content": "true"},
                       files={"photo": ("chart.png", b"\x89PNG" + b"\0" * 996, "image/png")}).json()["result"]
    assert photo["caption"] == "A chart" and photo["has_protected_content"] and len(photo["photo"]) == 2
    attached = httpx.post(double.url("sendPhoto"), data={"chat_id": str(ann.id), "photo": "attach://f1"},
                          files={"f1": ("x.png", b"12345", "image/png")}).json()["result"]
    shown = ann.inbox()
    assert [m.upload_bytes for m in shown] == [1000, 5]
    assert shown[0].text == "A chart" and shown[0].protect_content and attached["message_id"] == shown[1].message_id
    assert ok(double, "deleteMessage", chat_id=ann.id, message_id=photo["message_id"]) is True
    assert [m.message_id for m in ann.inbox()] == [attached["message_id"]]
    assert ann.inbox(include_deleted=True)[0].deleted
    assert "not found" in refused(double, "deleteMessage", 400, chat_id=ann.id, message_id=photo["message_id"])
    ok(double, "setChatMenuButton", chat_id=ann.id, menu_button={"type": "commands"})
    assert ok(double, "getChatMenuButton", chat_id=ann.id) == {"type": "commands"}
    assert ok(double, "setMyShortDescription", short_description="Listening colleagues") is True
    assert double.unknown_methods["setMyShortDescription"] == 1


def test_users_send_other_kinds_edit_and_block(double):
    ann = double.user()
    typed = ann.send("hello")
    ann.send_voice()
    ann.send_photo()
    ann.send_document()
    ann.send_sticker()
    ann.send_location()
    ann.send_contact()
    ann.edit(typed, "hello again")
    updates = ok(double, "getUpdates")
    kinds = [next(k for k in u["message"] if k in ("text", "voice", "photo", "document", "sticker", "location",
                                                     "contact")) for u in updates[:-1]]
    assert kinds == ["text", "voice", "photo", "document", "sticker", "location", "contact"]
    assert all("text" not in u["message"] for u in updates[1:-1])
    edited = updates[-1]["edited_message"]
    assert edited["message_id"] == typed["message_id"] and edited["text"] == "hello again" and "edit_date" in edited

    ann.block()
    assert refused(double, "sendMessage", 403, chat_id=ann.id, text="still there?") == BLOCKED
    with pytest.raises(DoubleError):
        ann.send("I blocked it")
    ann.unblock()
    assert ok(double, "sendMessage", chat_id=ann.id, text="welcome back")
    members = [u["my_chat_member"] for u in ok(double, "getUpdates", offset=updates[-1]["update_id"] + 1)]
    assert [m["new_chat_member"]["status"] for m in members] == ["kicked", "member"]


# -- faults -------------------------------------------------------------------------------


def test_status_faults_per_method_and_global(double):
    ann = double.user()
    double.fail_next("sendMessage", status=429, count=2, retry_after=7)
    assert ok(double, "getMe")  # another method is not affected
    for _ in range(2):
        response = call(double, "sendMessage", chat_id=ann.id, text="hi")
        assert response.status_code == 429
        assert response.json() == {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 7",
                                   "parameters": {"retry_after": 7}}
    assert ok(double, "sendMessage", chat_id=ann.id, text="hi")
    double.fail_next(status=500)
    assert call(double, "getMe").json()["description"] == "Internal Server Error"
    double.fail_next(status=502)
    response = call(double, "getMe")
    assert response.status_code == 502 and "<html>" in response.text
    assert [m.text for m in ann.inbox()] == ["hi"]  # refused calls did nothing
    assert double.calls["sendMessage"] == 3 and double.calls["getMe"] == 3


def test_dropped_connections_with_and_without_processing(double):
    ann = double.user()
    double.drop_next("sendMessage")
    with pytest.raises(httpx.RemoteProtocolError):
        call(double, "sendMessage", chat_id=ann.id, text="lost on the way")
    double.drop_next("sendMessage", processed=True)
    with pytest.raises(httpx.RemoteProtocolError):
        call(double, "sendMessage", chat_id=ann.id, text="arrived, answer lost")
    assert [m.text for m in ann.inbox()] == ["arrived, answer lost"]
    assert [c.status for c in double.calls_of("sendMessage")] == ["dropped", "dropped"]


def test_a_delay_beyond_the_client_timeout(double):
    ann = double.user()
    double.delay_next("sendMessage", seconds=1.5)
    with pytest.raises(httpx.ReadTimeout):
        call(double, "sendMessage", http_timeout=0.5, chat_id=ann.id, text="slow")
    assert [m.text for m in ann.inbox()] == ["slow"]  # Telegram has it; the bot does not know
    double.delay_next("getMe", seconds=0.3)
    started = time.monotonic()
    assert ok(double, "getMe")
    assert time.monotonic() - started >= 0.3


def test_outage_fails_every_call_until_switched_off(double):
    ann = double.user()
    ann.send("queued during the outage")
    double.set_outage(True)
    for method in ("getMe", "getUpdates", "sendMessage"):
        with pytest.raises(httpx.TransportError):
            call(double, method, chat_id=ann.id, text="x")
    double.set_outage(False)
    assert len(ok(double, "getUpdates")) == 1  # nothing was confirmed or lost meanwhile
    double.outage_for(2.0)  # long enough that a loaded machine still calls within it
    with pytest.raises(httpx.TransportError):
        call(double, "getMe")
    time.sleep(2.1)
    assert ok(double, "getMe")
    assert [c.status for c in double.calls_of("getMe")] == ["outage", "outage", 200]


def test_an_outage_ends_a_waiting_long_poll(double):
    errors = []

    def poll() -> None:
        try:
            call(double, "getUpdates", timeout=10)
        except httpx.TransportError as exc:
            errors.append(exc)

    thread = threading.Thread(target=poll)
    thread.start()
    double.wait_until(lambda: double.calls["getUpdates"] == 1)
    time.sleep(0.1)
    double.set_outage(True)
    thread.join(5)
    assert errors and not thread.is_alive()


def test_latency_delays_answers_but_not_the_action(double):
    double.latency = (0.2, 0.2)
    ann = double.user()
    seen = []
    double.add_observer(lambda event, c, payload: seen.append((event, c.method)))
    started = time.monotonic()
    ok(double, "sendMessage", chat_id=ann.id, text="hi")
    assert time.monotonic() - started >= 0.2
    # "answered" is told once the reply is written, which may be just after the client read it.
    double.wait_until(lambda: len(seen) >= 2, what="the answered event")
    assert seen == [("processed", "sendMessage"), ("answered", "sendMessage")]


def test_stop_frees_the_port():
    tg = TelegramDouble().start()
    port = tg.port
    tg.user().send("pending")
    ended = []

    def poll() -> None:
        try:
            ended.append(call(tg, "getUpdates", offset=999_999_999, timeout=10).status_code)
        except httpx.TransportError as exc:
            ended.append(type(exc).__name__)

    thread = threading.Thread(target=poll)
    thread.start()
    tg.wait_until(lambda: tg.calls["getUpdates"] == 1)
    tg.stop()
    thread.join(5)
    assert ended and not thread.is_alive()  # the waiting poll did not outlive the double
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))


# -- PTB's own Bot against the double -----------------------------------------------------


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # RetryAfter.retry_after
async def test_ptb_reads_every_answer_and_error(double):
    ann = double.user(first_name="Ann")
    ann.send("/start")
    async with telegram.Bot(double.token, base_url=double.api_base_url) as bot:
        assert bot.username == "WaakzaamTestBot"
        updates = await bot.get_updates(timeout=0)
        assert updates[0].message.text == "/start" and updates[0].message.from_user.first_name == "Ann"
        markup = telegram.InlineKeyboardMarkup([[telegram.InlineKeyboardButton("Yes", callback_data="yes")]])
        message = await bot.send_message(ann.id, "Hello", reply_markup=markup, protect_content=True,
                                         reply_parameters=telegram.ReplyParameters(updates[0].message.message_id))
        assert message.has_protected_content and message.from_user.is_bot and message.reply_to_message.text == "/start"
        assert message.reply_markup == markup and message.date.year >= 2024
        edited = await bot.edit_message_text("Hello again", chat_id=ann.id, message_id=message.message_id)
        assert isinstance(edited, telegram.Message) and edited.edit_date is not None
        with pytest.raises(BadRequest, match="not modified"):
            await bot.edit_message_text("Hello again", chat_id=ann.id, message_id=message.message_id)
        await bot.set_my_commands([telegram.BotCommand("start", "Begin")], language_code="en")
        assert (await bot.get_my_commands(language_code="en"))[0].command == "start"
        photo = await bot.send_photo(ann.id, b"\x89PNG" + b"\0" * 100, caption="chart", protect_content=True)
        assert photo.caption == "chart" and double.messages[(ann.id, photo.message_id)].upload_bytes == 104
        await bot.set_message_reaction(ann.id, updates[0].message.message_id, "👍")
        double.fail_next("sendMessage", status=429, retry_after=3)
        with pytest.raises(RetryAfter) as retry:
            await bot.send_message(ann.id, "x")
        assert retry.value.retry_after in (3, dt.timedelta(seconds=3))
        double.fail_next("sendMessage", status=502)
        with pytest.raises(NetworkError):
            await bot.send_message(ann.id, "x")
        double.drop_next("sendMessage")
        with pytest.raises(NetworkError):
            await bot.send_message(ann.id, "x")
        double.delay_next("sendMessage", seconds=1.0)
        with pytest.raises(TimedOut):
            await bot.send_message(ann.id, "late", read_timeout=0.3)
        ann.block()
        with pytest.raises(Forbidden, match="blocked"):
            await bot.send_message(ann.id, "x")
    assert [m.text for m in ann.inbox()] == ["Hello again", "chart", "late"]


# -- the real bot, as a process -----------------------------------------------------------


def test_real_bot_joins_asks_claims_and_relays(double, tmp_path):
    setup = Setup(tmp_path, double)
    code = invite_from_cli(setup.env, "member", setup.workdir)
    assert double.calls["getMe"] == 1  # the CLI asked the bot's name for the t.me link
    setup.start_bot()
    try:
        listener, employee = setup.listener, setup.employee
        join_as_listener(listener, code)
        ref = ask_for_conversation(employee, "Ik slaap slecht sinds de reorganisatie")
        claim(listener, employee, ref)
        first = listener.wait_for("Ik slaap slecht")
        assert first.text == f"💬 Colleague {ref}:\nIk slaap slecht sinds de reorganisatie"
        assert first.protect_content

        written = listener.send("Dag, ik ben er. Vertel gerust.")
        answer = employee.wait_for("Vertel gerust")
        assert answer.text == f"💬 {LISTENER_NAME}:\nDag, ik ben er. Vertel gerust."
        assert answer.protect_content
        # Delivered: shown as a reaction on the listener's own message, not as another message.
        reaction = double.wait_until(lambda: double.messages[(listener.id, written["message_id"])].reactions,
                                     what="a reaction on the listener's message")
        assert reaction[0]["emoji"] == "👌"
        employee.send("Dank je, het is de werkdruk.")
        relayed = listener.wait_for("werkdruk")
        assert relayed.text == f"💬 Colleague {ref}:\nDank je, het is de werkdruk."
        for leak in ("Ilse", "Wouters", "ilse_w", str(employee.id)):
            assert leak not in relayed.text and leak not in first.text
        assert len(copies_of(employee.inbox(), "Dag, ik ben er. Vertel gerust.")) == 1

        # What the bot set up on the way: commands per language, no webhook, only wanted updates.
        assert [c["command"] for c in double.get_my_commands(language_code="nl")] == [
            "start", "urgent", "help", "language", "news", "forget"]
        listener_menu = double.get_my_commands({"type": "chat", "chat_id": listener.id})
        assert "cases" in [c["command"] for c in listener_menu]  # the listener's own menu
        assert double.allowed_updates == ["message", "edited_message", "callback_query", "my_chat_member"]
        assert double.calls["deleteWebhook"] == 1
    finally:
        exit_code = setup.bot.stop()
    assert exit_code == 0, setup.bot.tail()
    assert not setup.bot.error_lines(), setup.bot.log_text()
    assert not double.pending_updates()  # a graceful stop confirms what it fetched
    assert re.search(r"INFO waakzaam: starting", setup.bot.log_text())
