"""A day of the network through the emulator, read as the people on their phones read it:
every message each person receives is counted, and each person's command menu is checked in
their language."""
from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import launcher

REPO_ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "data").mkdir(mode=0o700, parents=True, exist_ok=True)  # a database is made only in a folder that is there
    return {"WAAKZAAM_DB": str(tmp_path / "data" / "w.db"), "WAAKZAAM_KEY_FILE": str(tmp_path / "keys" / "m.key"),
            "WAAKZAAM_DEPARTMENTS": "Production,Logistics,Office"}


def _invite(emulator, token, env, role: str) -> str:
    full = {**os.environ, **env, "TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_BASE_URL": emulator.api_base_url}
    out = launcher.run([sys.executable, "-m", "bot", "invite", role], cwd=REPO_ROOT, env=full,
                       capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return re.search(r"\?start=(\S+)", out.stdout)[1]


def _button(data: str):
    return lambda m: any(b.get("callback_data") == data for row in m.buttons for b in row)


async def _count(user) -> int:
    return len(await user.messages())


async def _menu(emulator, token: str, chat_id: int | None, language: str | None = None) -> dict[str, str]:
    """The commands the bot last set for a chat (or the default menu for a language)."""
    found = None
    for _ in range(100):
        for call in emulator.bot_calls(token, "setMyCommands"):
            params = call["params"]
            scope = params.get("scope") or {}
            if chat_id is None and not scope and params.get("language_code") == language:
                found = params
            elif chat_id is not None and scope.get("type") == "chat" and int(scope["chat_id"]) == chat_id:
                found = params
        if found:
            return {c["command"]: c["description"] for c in found["commands"]}
        await asyncio.sleep(0.05)
    raise AssertionError(f"no menu for {chat_id} {language}")


async def _join_listener(user, code: str, name: str, language: str) -> None:
    await user.send(f"/start {code}")
    await user.press(await user.wait_for(_button("charter:yes")), "charter:yes")
    await user.wait_for(re.compile("(name|naam|nom)"))
    await user.send(name)
    step = await user.wait_for(_button("prof:g:woman"))
    for data, following in (("prof:g:woman", "prof:a:35to50"), ("prof:a:35to50", "prof:s:worker"),
                            ("prof:s:worker", "prof:hr:0"), ("prof:hr:0", "prof:d:0"), ("prof:d:0", f"prof:l:{language}:1")):
        await user.press(step, data)
        step = await user.wait_for_edit(step, _button(following))
    await user.press(step, f"prof:l:{language}:1")
    step = await user.wait_for_edit(step, _button(f"prof:l:{language}:0"))
    await user.press(step, "prof:l:done")
    await user.wait_for_edit(step, lambda m: not m.buttons)


async def _ask(user, first: str, language: str = "en") -> str:
    await user.send("/start")
    welcome = await user.wait_for(_button("ask:start"))
    await user.press(welcome, "ask:start")
    wizard = await user.wait_for(_button("ask:next"))
    chosen = [b for r in wizard.buttons for b in r if b["callback_data"] == f"ask:l:{language}"]
    if not chosen[0]["text"].startswith("✓"):  # their Telegram language is chosen already
        await user.press(wizard, f"ask:l:{language}")
        wizard = await user.wait_for_edit(wizard, lambda m: any(
            b["text"].startswith("✓") and b["callback_data"] == f"ask:l:{language}" for r in m.buttons for b in r))
    await user.press(wizard, "ask:next")
    wizard = await user.wait_for_edit(wizard, _button("ask:w:1"))
    await user.press(wizard, "ask:w:1")
    wizard = await user.wait_for_edit(wizard, _button("ask:dep:1"))
    await user.press(wizard, "ask:dep:1")
    await user.wait_for_edit(wizard, _button("ask:send"))
    await user.send(first)
    received = await user.wait_for(re.compile(r"\b[A-Z0-9]{5}\b"))
    return re.search(r"\b([A-Z0-9]{5})\b", received.text)[1]


async def test_a_day_of_the_network_counted_message_by_message(emulator, bot_process, sim_user, tmp_path):
    # No low-availability warning: in working hours only, before the listeners joined, it would make
    # the count hang on the hour the test runs (the bot runs on the real clock).
    env = {**_env(tmp_path), "WAAKZAAM_MIN_AVAILABLE": "0"}
    token = emulator.new_token()
    first = _invite(emulator, token, env, "coordinator")
    bot = bot_process([sys.executable, "-m", "bot", "run"], token=token, env=env)
    ids = iter(range(6200000001, 6200000100))
    boss = sim_user(bot, user_id=next(ids), first_name="Griet", language_code="nl")
    anna = sim_user(bot, user_id=next(ids), first_name="Anna", language_code="nl")
    bea = sim_user(bot, user_id=next(ids), first_name="Béatrice", language_code="fr")
    sam = sim_user(bot, user_id=next(ids), first_name="Sam", language_code="en")
    emma, finn, gus = (sim_user(bot, user_id=next(ids), first_name=n, language_code=lang)
                       for n, lang in (("Emma", "nl"), ("Finn", "en"), ("Gus", "fr")))

    # The coordinator joins from the shell's link and invites the others from the bot.
    await boss.send(f"/start {first}")
    await boss.wait_for(re.compile("coördinator"))
    await boss.wait_for(re.compile("naam"))
    await boss.send("Griet")
    await boss.wait_for(re.compile("/start"))
    codes = []
    for role in ("member", "member", "steering"):
        await boss.send("/invite")
        menu = await boss.wait_for(_button(f"inv:{role}"))
        await boss.press(menu, f"inv:{role}")
        codes.append(re.search(r"\?start=(\S+)", (await boss.wait_for_edit(menu, re.compile(r"start="))).text)[1])
    await _join_listener(anna, codes[0], "Anna", "nl")
    await _join_listener(bea, codes[1], "Béatrice", "fr")
    await sam.send(f"/start {codes[2]}")
    await sam.wait_for(re.compile("steering group"))
    await sam.wait_for(re.compile("name"))
    await sam.send("Sam")
    await sam.wait_for(re.compile("/start"))

    # Menus: the employee's for everyone in each language; the rest per person, in their language.
    assert list(await _menu(emulator, token, None, "nl")) == ["start", "urgent", "help", "language", "news", "forget"]
    assert (await _menu(emulator, token, None, "fr"))["forget"] == "Effacer vos données"
    listener_nl = await _menu(emulator, token, anna.chat_id)
    assert {"cases", "note", "pause", "leave"} <= set(listener_nl) and "invite" not in listener_nl
    assert listener_nl["cases"] == "Je open gesprekken"
    assert (await _menu(emulator, token, bea.chat_id))["cases"] == "Vos conversations ouvertes"
    boss_menu = await _menu(emulator, token, boss.chat_id)
    assert {"invite", "members", "team", "audit", "quality", "actions"} <= set(boss_menu) and "cases" not in boss_menu
    assert {"digest", "actions", "report"} <= set(await _menu(emulator, token, sam.chat_id))

    # Emma (Dutch) talks with Anna: each line arrives once; the author gets a reaction, not a message.
    ref = await _ask(emma, "Ik slaap slecht", "nl")
    offer = await anna.wait_for(re.compile(ref))
    assert not any(ref in m.text for m in await bea.messages())  # Béatrice does not speak Dutch
    await anna.press(offer, f"claim:{ref}")
    await anna.wait_for(re.compile("Ik slaap slecht"))
    await emma.wait_for(re.compile("Anna"))
    for line in ("Dag Emma, ik luister.", "Wil je vertellen wat er speelt?"):
        before = (await _count(anna), await _count(emma))
        await anna.send(line)
        await emma.wait_for(re.compile(re.escape(line)))
        await anna.assert_no_message(within=0.3)
        assert (await _count(anna), await _count(emma)) == (before[0], before[1] + 1)
    for line in ("Het is de werkdruk.", "Sinds de reorganisatie."):
        before = (await _count(anna), await _count(emma))
        await emma.send(line)
        await anna.wait_for(re.compile(re.escape(line)))
        await emma.assert_no_message(within=0.3)
        assert (await _count(anna), await _count(emma)) == (before[0] + 1, before[1])

    # Finn (English) finds nobody who speaks English: he is told once, honestly, and waits.
    ref2 = await _ask(finn, "I would like to talk")
    finn_start = await _count(finn)
    await finn.send("Anyone there?")
    await finn.wait_for(re.compile("Saved"))
    await finn.send("Still here.")
    await finn.assert_no_message(within=0.4)  # the second line is only marked as kept
    assert await _count(finn) == finn_start + 1

    # Gus (French) asks and withdraws; Béatrice's offer says so.
    ref3 = await _ask(gus, "Bonjour", "fr")
    offer3 = await bea.wait_for(re.compile(ref3))
    await gus.send("/start")
    status = await gus.wait_for(_button(f"withdraw:{ref3}"))
    await gus.press(status, f"withdraw:{ref3}")
    await bea.wait_for_edit(offer3, re.compile("retir"))

    # Emma ends; Anna is asked for the outcome once; Emma is asked for a rating once.
    await emma.send("/start")
    status = await emma.wait_for(_button(f"end:{ref}"))
    await emma.press(status, f"end:{ref}")
    outcome = await anna.wait_for(_button(f"out:{ref}:listened"))
    await emma.wait_for(_button(f"fb:{ref}:5"))
    await anna.press(outcome, f"out:{ref}:listened")
    await anna.wait_for_edit(outcome, re.compile(ref))

    # What each person received over the day, message by message.
    counts = {name: await _count(user) for name, user in
              (("boss", boss), ("anna", anna), ("bea", bea), ("sam", sam), ("emma", emma), ("finn", finn),
               ("gus", gus))}
    # boss: welcome, name question, thanks, 3 invitation menus (each edited into its link), Sam joined
    #       the steering group (every coordinator hears who gets a role, and by whose invitation), and
    #       the name Sam then chose (the announcement came before it).
    # anna: charter, accept, name question, profile (edited step by step), offer (edited into "you took"),
    #       Emma's first message, Emma's two lines, the end with the outcome question, the themes nudge.
    # bea: charter, accept, name question, profile, Gus's offer (edited when he withdrew).
    # sam: welcome, name question, thanks.
    # emma: welcome, wizard (edited step by step), confirmation, "Anna took it", Anna's two lines,
    #       /start status (edited into "ended"), the rating question. Her own lines got reactions.
    # finn: welcome, wizard, confirmation, one "Saved" for two lines. gus: welcome, wizard, confirmation,
    #       /start status (edited into "withdrawn").
    assert counts == {"boss": 8, "anna": 10, "bea": 5, "sam": 3, "emma": 8, "finn": 4, "gus": 4}, counts
    assert ref2 not in "".join(m.text for m in await anna.messages())
    assert bot.stop() == 0
    assert not bot.error_lines()
