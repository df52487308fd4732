"""Any update Telegram can send, valid or not, is answered without an unhandled exception.

Generated messages, commands with odd arguments, button data (random, truncated, stale,
forged numbers), edits, every message kind, group chats and blocks, from people with every
role. Set FUZZ_EXAMPLES for a longer run (the default keeps the suite fast).
"""
from __future__ import annotations

import itertools
import os
import string

from flows import ask_for_conversation, join_as_member
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.foundations import callbacks

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "120"))
USERS = (201, 202, 301, 302, 401)  # two listeners, two employees, one stranger
COMMANDS = ("start", "help", "language", "cases", "note", "profile", "limit", "pause", "resume", "leave",
            "forget", "invite", "members", "audit", "quality", "nonsense")
CODES = [value for value in vars(callbacks).values() if isinstance(value, callbacks.Code)]
_ids = itertools.count(10_000_000)

texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80)
odd_args = st.one_of(texts, st.sampled_from([
    "0001-01-01", "9999-12-31", "31/02/2026", "2026-13-01", "99999999999999999999", "-1", "1e309",
    "2026-11-30", "i" + "A" * 22, "'; DROP TABLE requests;--", "\x00", "🙂" * 30,
]))


@st.composite
def button_data(draw) -> str:
    kind = draw(st.sampled_from(["code", "random", "truncated", "number"]))
    if kind == "random":
        return draw(st.text(alphabet=string.printable, max_size=64))
    code = draw(st.sampled_from(CODES))
    fields = [draw(st.one_of(st.sampled_from(["ZZZZZ", "AB2CD", "woman", "1", "0", "-", "done", "yes"]),
                             st.text(alphabet=string.ascii_letters + string.digits + "_:-", max_size=12)))
              for _ in code.fields]
    data = ":".join([code.prefix, *fields])
    if kind == "truncated":
        return data[: draw(st.integers(0, len(data)))]
    if kind == "number":
        return f"{code.prefix}:{draw(st.integers(-10**22, 10**22))}"
    return data


@st.composite
def update(draw) -> dict:
    user_id = draw(st.sampled_from(USERS))
    user = {"id": user_id, "is_bot": False, "first_name": "Fuzz", "language_code": draw(
        st.sampled_from(["en", "nl", "fr", "de", None]))}
    chat = {"id": user_id, "type": draw(st.sampled_from(["private"] * 8 + ["group", "supergroup"]))}
    if chat["type"] != "private":
        chat["id"] = -1000 - user_id
    message = {"message_id": next(_ids), "date": 1, "chat": chat, "from": user}
    kind = draw(st.sampled_from(["text", "command", "command", "other", "edited", "callback", "callback",
                                 "member"]))
    if kind in ("text", "edited"):
        message["text"] = draw(texts) or "."
        if draw(st.booleans()):
            message["reply_to_message"] = {"message_id": draw(st.integers(1, 2000)), "date": 1, "chat": chat,
                                           "text": "x"}
    elif kind == "command":
        name = draw(st.sampled_from(COMMANDS))
        message["text"] = f"/{name} {draw(odd_args)}".rstrip() if draw(st.booleans()) else f"/{name}"
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(name) + 1}]
    elif kind == "other":
        message.update(draw(st.sampled_from([
            {"photo": [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}], "caption": "look"},
            {"voice": {"file_id": "v", "file_unique_id": "v", "duration": 3}},
            {"document": {"file_id": "d", "file_unique_id": "d"}},
            {"sticker": {"file_id": "s", "file_unique_id": "s", "type": "regular", "width": 1, "height": 1,
                         "is_animated": False, "is_video": False}},
            {"location": {"latitude": 50.8, "longitude": 4.3}},
            {"contact": {"phone_number": "+32470000000", "first_name": "Someone"}},
            {"dice": {"emoji": "🎲", "value": 3}},
            {"new_chat_members": [user]},
            {"text": "forwarded", "forward_origin": {"type": "hidden_user", "date": 1, "sender_user_name": "X"}},
        ])))
    if kind == "edited":
        message["edit_date"] = 2
        return {"edited_message": message}
    if kind == "callback":
        bot_message = {"message_id": draw(st.integers(1, 2000)), "date": 1, "chat": chat,
                       "from": {"id": 700000001, "is_bot": True, "first_name": "Waakzaam"}, "text": "x"}
        return {"callback_query": {"id": str(next(_ids)), "from": user, "chat_instance": "c",
                                   "data": draw(button_data()), "message": bot_message}}
    if kind == "member":
        status = draw(st.sampled_from(["kicked", "member"]))
        return {"my_chat_member": {"chat": chat, "from": user, "date": 1,
                                   "old_chat_member": {"status": "member", "user": user},
                                   "new_chat_member": {"status": status, "user": user,
                                                       **({"until_date": 0} if status == "kicked" else {})}}}
    return {"message": message}


async def _network(services, people):
    anna, bert = people(201, "Anna"), people(202, "Bert")
    await join_as_member(services, anna, "Anna")
    await join_as_member(services, bert, "Bert", gender="man")
    ref = await ask_for_conversation(people(301, "Emma"), first_message="hello")
    await anna.press(f"claim:{ref}")


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(batch=st.lists(update(), min_size=1, max_size=12))
async def test_no_update_raises_an_unhandled_exception(batch, services, people, app, caplog):
    if not await services.core.members.active():
        await _network(services, people)
    caplog.clear()
    inbox = app.bot_data["inbox"]
    failed_before = await services.core.db.fetchval("SELECT COUNT(*) FROM inbox WHERE state = 'failed'")
    for number, raw in enumerate(batch):
        raw["update_id"] = next(_ids) * 10 + number
    await inbox.receive(batch)
    await inbox.handle_pending()
    failed = await services.core.db.fetchval("SELECT COUNT(*) FROM inbox WHERE state = 'failed'") - failed_before
    errors = [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
    assert failed == 0 and not errors, [r.getMessage() for r in errors]
