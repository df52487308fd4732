"""More ways to ask, once through the emulator: a team signal, a concern that names someone, a
proposal to meet, the colleague's own consent for a referral, the routes the law offers, and a
consent question to someone who blocked the bot. Afterwards the database is read without the key."""
from __future__ import annotations

import re
import sqlite3
import sys

from test_a_day import _button, _env, _invite, _join_listener


async def test_more_ways_to_ask_through_the_emulator(emulator, bot_process, sim_user, tmp_path):
    env = _env(tmp_path)
    token = emulator.new_token()
    code = _invite(emulator, token, env, "listener")
    bot = bot_process([sys.executable, "-m", "bot", "run"], token=token, env=env)
    ids = iter(range(6300000001, 6300000100))
    anna = sim_user(bot, user_id=next(ids), first_name="Anna", language_code="en")
    emma = sim_user(bot, user_id=next(ids), first_name="Emma", language_code="en")
    finn = sim_user(bot, user_id=next(ids), first_name="Finn", language_code="en")
    await _join_listener(anna, code, "Anna", "en")

    # A signal without a conversation: two in a row from one account count once.
    for department in (1, 2):
        await emma.send("/start")
        welcome = await emma.wait_for(_button("sig"))
        await emma.press(welcome, "sig")
        screen = await emma.wait_for(_button(f"sig:d:{department}"))
        for data, following in ((f"sig:d:{department}", "sig:t:workload:1"), ("sig:t:workload:1", "sig:n"),
                                ("sig:n", "sig:l:team"), ("sig:l:team", "sig:s")):
            await emma.press(screen, data)
            screen = await emma.wait_for_edit(screen, _button(following))
        await emma.press(screen, "sig:s")
        done = await emma.wait_for_edit(screen, re.compile("counted, without your name"))
    assert "replaces the signal" in done.text

    # Worried about a colleague, and the first message names him.
    await finn.send("/start")
    welcome = await finn.wait_for(_button("ask:concern"))
    await finn.press(welcome, "ask:concern")
    wizard = await finn.wait_for(re.compile("do not name them"))
    await finn.press(wizard, "ask:next")
    wizard = await finn.wait_for_edit(wizard, _button("ask:w:1"))
    await finn.press(wizard, "ask:w:1")
    wizard = await finn.wait_for_edit(wizard, _button("ask:dep:-"))
    await finn.press(wizard, "ask:dep:-")
    await finn.wait_for_edit(wizard, _button("ask:send"))
    await finn.send("My colleague Bart cries at his desk every day.")
    confirmed = await finn.wait_for(re.compile("may name someone"))
    ref = re.search(r"\b([A-Z0-9]{5})\b", confirmed.text)[1]
    offer = await anna.wait_for(re.compile("worried about someone else"))
    await anna.press(offer, f"claim:{ref}")
    relayed = await anna.wait_for(re.compile("Bart"))
    assert "Please do not note the name" in relayed.text and relayed.protect_content

    # A proposal to meet: Finn is told what it means and accepts.
    await anna.send("/cases")
    card = await anna.wait_for(_button(f"mt:{ref}"))
    await anna.press(card, f"mt:{ref}")
    card = await anna.wait_for_edit(card, _button(f"mt:{ref}:p"))
    await anna.press(card, f"mt:{ref}:p")
    question = await finn.wait_for(re.compile("Anna will know who you are"))
    await finn.press(question, f"mta:{ref}:p:y")
    await anna.wait_for(re.compile("would like to meet in person"))

    # A contact, with Finn's own consent.
    card = await anna.wait_for_edit(card, _button(f"rfr:{ref}"))
    await anna.press(card, f"rfr:{ref}")
    card = await anna.wait_for_edit(card, _button(f"rfr:{ref}:psychologist"))
    await anna.press(card, f"rfr:{ref}:psychologist")
    card = await anna.wait_for_edit(card, _button(f"rfr:{ref}:psychologist:1"))
    await anna.press(card, f"rfr:{ref}:psychologist:1")
    question = await finn.wait_for(re.compile("Anna would like to tell this contact"))
    yes = next(b["callback_data"] for r in question.buttons for b in r if b["callback_data"].endswith(":y"))
    await finn.press(question, yes)
    await anna.wait_for(re.compile("agreed that you tell the contact “Psychologist”"))

    # Bullying: the routes, in the flow, then to Finn.
    await anna.send("/cases")
    card = await anna.wait_for(_button(f"tags:{ref}"))
    await anna.press(card, f"tags:{ref}")
    card = await anna.wait_for_edit(card, _button(f"tags:{ref}:manifestation"))
    await anna.press(card, f"tags:{ref}:manifestation")
    card = await anna.wait_for_edit(card, _button(f"tag:{ref}:bullying:1"))
    await anna.press(card, f"tag:{ref}:bullying:1")
    card = await anna.wait_for_edit(card, _button(f"rt:{ref}:send"))
    await anna.press(card, f"rt:{ref}:send")
    await finn.wait_for(re.compile("Formal request for psychosocial intervention"))

    # Finn blocks the bot; a consent question cannot reach him, and Anna is told nothing may be shared.
    card = await anna.wait_for_edit(card, re.compile("routes were sent"))
    await finn.block()
    await anna.press(card, f"rfr:{ref}")
    card = await anna.wait_for_edit(card, _button(f"rfr:{ref}:debt_help"))
    await anna.press(card, f"rfr:{ref}:debt_help")
    card = await anna.wait_for_edit(card, _button(f"rfr:{ref}:debt_help:1"))
    await anna.press(card, f"rfr:{ref}:debt_help:1")
    await anna.wait_for(re.compile("nothing may be shared"))

    assert bot.stop() == 0
    assert not bot.error_lines()
    # Without the key: the structured marks, no text of the signal (there is none) and no place or time.
    db = sqlite3.connect(env["WAAKZAAM_DB"])
    assert db.execute("SELECT department, level FROM team_signals").fetchall() == [("Office", "team")]
    assert db.execute("SELECT kind, meeting FROM requests").fetchall() == [("concern", "accepted")]
    assert db.execute("SELECT kind, consent, answer FROM case_referrals ORDER BY id").fetchall() == [
        ("psychologist", 1, "yes"), ("debt_help", 0, "unreachable")]
    assert not any(b"Bart" in (row[0] or b"") for row in db.execute("SELECT body_enc FROM messages"))
