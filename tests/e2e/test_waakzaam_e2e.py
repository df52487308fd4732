"""Waakzaam as a process, polling the local Bot API emulator: people join, ask, claim and talk.

This is how a new user would try it: the CLI makes the first invitation, the bot runs
in polling mode through PTB's real HTTP layer, and afterwards the database is read
without the key.
"""
from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import launcher

REPO_ROOT = Path(__file__).resolve().parents[2]
NAMES = ["Griet Coppens", "Jozef Vermeulen", "Saskia Claes", "Ilse Wouters", "Rachid Benali"]
TEXTS = [
    "Mijn ploegbaas kleineert mij elke ochtend",
    "Sinds de herstructurering slaap ik nog maar vier uur",
    "Ik hoor je, vertel gerust verder",
    "Ik voel me nergens meer thuis op het werk",
]


def _env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "data").mkdir(mode=0o700, parents=True, exist_ok=True)  # a database is made only in a folder that is there
    return {
        "WAAKZAAM_DB": str(tmp_path / "data" / "waakzaam.db"),
        "WAAKZAAM_KEY_FILE": str(tmp_path / "keys" / "master.key"),
        "WAAKZAAM_DEPARTMENTS": "Production,Logistics,Office",
    }


def _invite_from_cli(emulator, token: str, env: dict[str, str]) -> str:
    full = {**os.environ, **env, "TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_BASE_URL": emulator.api_base_url}
    out = launcher.run([sys.executable, "-m", "bot", "invite", "coordinator"], cwd=REPO_ROOT, env=full,
                       capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    link = re.search(r"https://t\.me/\w+\?start=(\S+)", out.stdout)
    assert link, out.stdout
    return link[1]


def _code(text: str) -> str:
    return re.search(r"\?start=(\S+)", text)[1]


async def _join_member(bot_user, invite: str, name: str, gender: str, department: int) -> None:
    await bot_user.send(f"/start {invite}")
    charter = await bot_user.wait_for(lambda m: any(b.get("callback_data") == "charter:yes" for r in m.buttons for b in r))
    await bot_user.press(charter, "charter:yes")
    await bot_user.wait_for(re.compile("name"))
    await bot_user.send(name)
    # The profile questions come as one message, edited step by step.
    step = await bot_user.wait_for(_has_button(f"prof:g:{gender}"))
    for data, following in ((f"prof:g:{gender}", "prof:a:35to50"), ("prof:a:35to50", "prof:s:worker"),
                            ("prof:s:worker", "prof:hr:0"), ("prof:hr:0", f"prof:d:{department}"), (f"prof:d:{department}", "prof:l:en:1"),
                            ("prof:l:en:1", "prof:l:done")):
        await bot_user.press(step, data)
        step = await bot_user.wait_for_edit(step, _has_button(following) if following != "prof:l:done"
                                            else (lambda m: "✓ English" in m.button_texts))
    await bot_user.press(step, "prof:l:done")
    await bot_user.wait_for_edit(step, re.compile("profile is ready"))


async def _reacted(emulator, token: str, chat_id: int, message_id: int) -> None:
    for _ in range(100):
        for call in emulator.bot_calls(token, "setMessageReaction"):
            params = call["params"]
            if int(params["chat_id"]) == chat_id and int(params["message_id"]) == message_id:
                return
        await asyncio.sleep(0.05)
    raise AssertionError("no reaction on the author's message")


def _has_button(data: str):
    return lambda m: any(b.get("callback_data") == data for row in m.buttons for b in row)


async def _ask(employee, first_message: str | None) -> str:
    await employee.send("/start")
    welcome = await employee.wait_for(re.compile("Welcome"))
    await employee.press(welcome, "ask:start")
    wizard = await employee.wait_for(re.compile("comfortable"))  # a new message: the welcome stays
    assert "I need help now / I am not safe" in welcome.button_texts  # still there under the wizard
    await employee.press(wizard, "ask:next")
    await employee.wait_for_edit(wizard, re.compile("speaks your language"))
    await employee.press(wizard, "ask:w:1")
    await employee.wait_for_edit(wizard, re.compile("department"))
    await employee.press(wizard, "ask:dep:1")
    await employee.wait_for_edit(wizard, re.compile("first message"))
    if first_message:
        await employee.send(first_message)
        confirmation = await employee.wait_for(re.compile("has been received"))
    else:
        await employee.press(wizard, "ask:send")
        confirmation = await employee.wait_for_edit(wizard, re.compile("has been received"))
    return re.search(r"request (\w{5})", confirmation.text)[1]


async def test_people_join_ask_claim_talk_and_the_file_reveals_nothing(emulator, bot_process, sim_user, tmp_path):
    env = _env(tmp_path)
    token = emulator.new_token()
    first_invite = _invite_from_cli(emulator, token, env)
    # A new python, as a service manager starts it (the other end-to-end tests fork it: tests/launcher.py)
    bot = bot_process([sys.executable, "-m", "bot", "run"], token=token, env=env, new_python=True)

    ids = iter(range(6100000001, 6100000100))
    coordinator = sim_user(bot, user_id=next(ids), first_name="Griet", last_name="Coppens", language_code="en")
    members = [sim_user(bot, user_id=next(ids), first_name=n.split()[0], language_code="en") for n in NAMES[1:3]]
    employees = [sim_user(bot, user_id=next(ids), first_name=n.split()[0], last_name=n.split()[1],
                          username=n.split()[0].lower() + "_x", language_code="en") for n in NAMES[3:]]

    await coordinator.send(f"/start {first_invite}")
    await coordinator.wait_for(re.compile("coordinator"))
    invites = []
    for _ in members:
        await coordinator.send("/invite")
        menu = await coordinator.wait_for(re.compile("invite"))
        await coordinator.press(menu, "inv:member")
        invites.append(_code((await coordinator.wait_for_edit(menu, re.compile(r"\?start="))).text))
    for member, invite, name, gender, dep in zip(members, invites, NAMES[1:3], ("man", "woman"), (0, 2)):
        await _join_member(member, invite, name, gender, dep)

    # Employee 1 asks with a first message; the first member claims and they talk.
    ref = await _ask(employees[0], TEXTS[0])
    offer = await members[0].wait_for(re.compile(ref))
    assert TEXTS[0] not in offer.text
    await members[1].wait_for(re.compile(ref))
    await members[0].press(offer, f"claim:{ref}")
    relayed = await members[0].wait_for(re.compile(re.escape(TEXTS[0])))
    assert relayed.protect_content and not relayed.is_forwarded
    assert f"Colleague {ref}" in relayed.text
    for leak in ("Ilse", "Wouters", "ilse_x", str(employees[0].user_id)):
        assert leak not in relayed.text
    await employees[0].wait_for(re.compile("Jozef Vermeulen"))
    await employees[0].send(TEXTS[1])
    assert (await members[0].wait_for(re.compile(TEXTS[1]))).protect_content
    written = await members[0].send(TEXTS[2])
    answer = await employees[0].wait_for(re.compile(TEXTS[2]))
    assert answer.protect_content and not answer.is_forwarded
    # Delivery shows as a reaction on the listener's own message, not as another message.
    await _reacted(emulator, token, members[0].chat_id, written["message_id"])
    await members[0].assert_no_message(within=0.3)

    # Employee 2 asks without a message; the second member claims, writes, and the employee ends it.
    ref2 = await _ask(employees[1], None)
    offer2 = await members[1].wait_for(re.compile(ref2))
    await members[1].press(offer2, f"claim:{ref2}")
    await members[1].wait_for_edit(offer2, re.compile("You took the request of"))
    await members[1].send(TEXTS[3])
    await employees[1].wait_for(re.compile(TEXTS[3]))
    await employees[1].send("/start")
    status = await employees[1].wait_for(re.compile("is open"))
    await employees[1].press(status, f"end:{ref2}")
    await members[1].wait_for(re.compile("has ended the conversation"))

    # A coordinator sees load, never content.
    await coordinator.send("/members")
    load = await coordinator.wait_for(re.compile("Listeners: 2"))
    for text in TEXTS:
        assert text not in load.text

    assert bot.stop() == 0
    assert not bot.error_lines()
    db = Path(env["WAAKZAAM_DB"])
    blob = b"".join(p.read_bytes() for p in db.parent.iterdir() if p.name.startswith(db.name))
    assert ref.encode() in blob  # the scan really reads the data
    log = bot.log_text()
    for needle in NAMES + TEXTS + ["ilse_x", "rachid_x", token]:
        assert needle.encode() not in blob, needle
        assert needle not in log, needle
    for user in [coordinator, *members, *employees]:
        assert str(user.user_id).encode() not in blob
        assert str(user.user_id) not in log
