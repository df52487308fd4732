"""Casework: notes only for the member who holds the case, themes from the taxonomy, referrals
without content, closing with an outcome, feedback, the notes question at a hand-over, audit."""
import shutil
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flows import ask_for_conversation, invite_code, join_as_member

from bot.foundations.charter import Charter
from bot.foundations.crypto import DecryptionError

NOTE = "Vermoedt pesterijen door ploegbaas Dirk, slaapt slecht"
COMMENT = "Fijn dat iemand echt luisterde, dank aan Mireille"


async def _claimed(services, people, first_message="Ik zit vast"):
    anna, emma = people(201, "Anna"), people(301, "Emma")
    await join_as_member(services, anna, "Anna")
    ref = await ask_for_conversation(emma, department=1, first_message=first_message)
    await anna.press(f"claim:{ref}")
    await anna.send("Hallo, ik luister.")
    return anna, emma, ref


async def _coordinator(services, people, user_id=900):
    boss = people(user_id, "Coordinator")
    await boss.send(f"/start {await invite_code(services, 'coordinator')}")
    return boss


def _alerts(offline):
    return [p.get("text") for name, p in offline.calls if name == "answerCallbackQuery" and p.get("text")]


def _card(user, ref):
    """The /cases card of a case: its buttons edit it in place."""
    return next(m for m in reversed(user.inbox()) if any(ref in d for d in m.button_data()))


async def _request_id(services, ref):
    return (await services.core.requests.by_ref(ref)).id


async def _themes(services, ref):
    rows = await services.core.db.fetchall(
        "SELECT theme FROM case_themes WHERE request_id = ? ORDER BY theme", (await _request_id(services, ref),))
    return [r[0] for r in rows]


async def _note_rows(services):
    return [tuple(r) for r in await services.core.db.fetchall("SELECT id, request_id, member_id FROM case_notes")]


# Notes -------------------------------------------------------------------------------------

async def test_note_is_sealed_and_bound_to_its_row(services, people):
    anna, emma, ref = await _claimed(services, people)
    await anna.send(f"/note {NOTE}")
    assert "Note saved" in anna.last().text
    await anna.send("/note Tweede notitie")
    assert not any(NOTE in m.text for m in emma.inbox())  # a note is never passed on
    rows = await services.core.db.fetchall("SELECT id, body_enc FROM case_notes ORDER BY id")
    assert len(rows) == 2
    assert NOTE.encode() not in rows[0]["body_enc"]
    assert services.core.vault.open("case_notes", "body", rows[0]["id"], rows[0]["body_enc"]) == NOTE

    request_id = await _request_id(services, ref)
    member = await services.core.members.by_person((await services.core.people.find(201)).id)
    # Moved to another row, the sealed value no longer opens.
    await services.core.db.execute("UPDATE case_notes SET body_enc = ? WHERE id = ?",
                                   (rows[0]["body_enc"], rows[1]["id"]))
    with pytest.raises(DecryptionError):
        await services.casework.cases.notes_for(request_id, member.id)
    # Nor in another column that uses the same row id.
    with pytest.raises(DecryptionError):
        services.core.vault.open("messages", "body", rows[0]["id"], rows[0]["body_enc"])


async def test_member_reads_notes_through_the_notes_button(services, people):
    anna, emma, ref = await _claimed(services, people)
    await anna.send("/cases")
    await anna.press("Notes")
    assert "no notes" in anna.last().text
    await anna.press(f"note:{ref}")
    assert "Write your note" in anna.last().text
    await anna.send(NOTE)  # the awaited note, not a message for Emma
    assert "Note saved" in anna.last().text
    assert not any(NOTE in m.text for m in emma.inbox())
    await anna.send("Dit gaat wel naar Emma")
    assert emma.last().text.endswith("Dit gaat wel naar Emma")
    await anna.send("/cases")
    await anna.press("Notes")
    shown = anna.last()
    assert NOTE in shown.text and shown.protect_content


async def test_coordinator_cannot_read_notes_by_any_command(services, people, offline):
    anna, emma, ref = await _claimed(services, people)
    await anna.send(f"/note {NOTE}")
    boss = await _coordinator(services, people)
    bert = people(202, "Bert")  # another listener, who does not hold the case
    await join_as_member(services, bert, "Bert", gender="man")
    for who in (boss, bert):
        for command in ("/note", f"/note {ref}", "/cases", "/audit", "/quality", "/members", "/help",
                        "/start", "/forget"):
            await who.send(command)
        message = who.last()
        for data in (f"notes:{ref}", f"note:{ref}", f"tags:{ref}", f"tags:{ref}:theme", f"rfr:{ref}",
                     f"out:{ref}:listened", f"close:{ref}", f"notefor:{ref}"):
            await who.press_data(data, message)
        assert not any(NOTE in m.text for m in who.inbox())
    assert not any(NOTE in (a or "") for a in _alerts(offline))
    assert sum(NOTE in m.text for m in offline.order) == 0  # not even the member got it unasked
    assert (await services.core.requests.by_ref(ref)).is_open  # nobody else could close it
    assert "not one of your conversations" in " ".join(_alerts(offline))


async def test_bad_notes_are_refused_and_change_nothing(services, people):
    anna, emma, ref = await _claimed(services, people)
    bert = people(202, "Bert")
    await join_as_member(services, bert, "Bert", gender="man")
    await anna.send(f"/note {'x' * 2001}")
    assert "too long: at most 2000 characters" in anna.last().text
    await anna.press_data(f"note:{ref}", anna.last())
    await anna.send("y" * 2500)
    assert "too long" in anna.last().text
    assert not any("y" * 100 in m.text for m in emma.inbox())  # not relayed either
    await anna.send("Korter")
    assert "Note saved" in anna.last().text
    before = await _note_rows(services)

    await bert.send("/note Niet van mij")  # Bert holds no case
    assert "no open conversations" in bert.last().text
    await bert.press_data(f"note:{ref}", bert.last())
    reply_to = next(m for m in anna.inbox() if "Ik zit vast" in m.text)
    await emma.send("/start")
    await emma.press(f"end:{ref}")
    assert (await services.core.requests.by_ref(ref)).state == "closed"
    await anna.send("/note Na het einde", reply_to=reply_to)
    assert "closed, so nothing was changed" in anna.last().text
    await anna.send("/note Na het einde")
    assert "no open conversations" in anna.last().text
    assert await _note_rows(services) == before


# Themes and level ----------------------------------------------------------------------------

async def test_tagging_with_buttons_and_unknown_theme_is_refused(services, people, offline):
    anna, emma, ref = await _claimed(services, people)
    await anna.send("/cases")
    await anna.press("Themes")
    await anna.press(f"tags:{ref}:theme")
    await anna.press(f"tag:{ref}:workload:1")
    card = _card(anna, ref)
    assert f"✓ {services.core.charter.theme('workload').label('en')}" in [b["text"] for r in card.buttons for b in r]
    await anna.press("Back")
    await anna.press(f"tags:{ref}:manifestation")
    await anna.press(f"tag:{ref}:bullying:1")
    # Bullying brings up, in the flow, what the law offers (tested in test_ways_to_ask).
    assert "What the law offers" in _card(anna, ref).text
    await anna.press("Back to the case")
    await anna.press("Themes")
    await anna.press(f"tags:{ref}:domain")
    await anna.press(f"tag:{ref}:interpersonal_relations:1")
    tagged = anna.last()
    await anna.press_data(f"tag:{ref}:interpersonal_relations:1", tagged)  # a double tap changes nothing more
    assert await _themes(services, ref) == ["bullying", "interpersonal_relations", "workload"]
    await anna.press(f"tag:{ref}:interpersonal_relations:0")  # the ticked button removes it
    await anna.press("Back")
    await anna.press(f"tags:{ref}:level")
    await anna.press(f"lvl:{ref}:team")

    before = (await _themes(services, ref), await services.casework.cases.facts(await _request_id(services, ref)))
    message = _card(anna, ref)
    for forged in (f"tag:{ref}:no_such_theme:1", f"tag:{ref}:team:1", f"lvl:{ref}:galaxy", f"lvl:{ref}:workload"):
        await anna.press_data(forged, message)
    assert _alerts(offline).count("That theme is not in the list of themes, so nothing was changed.") == 2
    assert _alerts(offline).count("That level does not exist, so nothing was changed.") == 2
    after = (await _themes(services, ref), await services.casework.cases.facts(await _request_id(services, ref)))
    assert after == before
    assert after[0] == ["bullying", "workload"] and after[1].level == "team"
    # Structured fields, and the department is the requester's own choice.
    row = await services.core.db.fetchone("SELECT department, level FROM requests WHERE ref = ?", (ref,))
    assert tuple(row) == ("Logistics", "team")


async def test_every_button_fits_telegram_and_is_ascii(services, people, offline):
    anna, emma, ref = await _claimed(services, people)
    await anna.send("/cases")
    card = _card(anna, ref)
    data = []
    for pressed in (f"tags:{ref}", f"tags:{ref}:theme", f"tags:{ref}:manifestation", f"tags:{ref}:domain",
                    f"tags:{ref}:level", f"rfr:{ref}", f"rfr:{ref}:confidential_counsellor", f"close:{ref}"):
        await anna.press_data(pressed, card)
        data += card.button_data()
    data += [d for m in offline.order for d in m.button_data()]
    assert any(d.startswith("tag:") for d in data) and any(d.startswith("out:") for d in data)
    for d in data:
        assert d.isascii() and len(d.encode()) <= 64, d


# Referrals ----------------------------------------------------------------------------------

async def test_referral_sends_the_entry_and_records_no_content(services, people):
    anna, emma, ref = await _claimed(services, people)
    await anna.send("/cases")
    await anna.press("Send a contact")
    choices = _card(anna, ref).button_data()
    assert f"rfr:{ref}:debt_help" in choices
    assert f"rfr:{ref}:company_doctor" not in choices  # a TODO contact is never shown
    await anna.press(f"rfr:{ref}:debt_help")
    await anna.press(f"rfr:{ref}:debt_help:0")
    debt = services.core.charter.referral("debt_help")
    assert debt.contact("en") in emma.last().text
    assert "Nothing about you has been passed on" in emma.last().text
    await anna.send("/cases")
    await anna.press("Send a contact")
    await anna.press(f"rfr:{ref}:psychologist")
    await anna.press(f"rfr:{ref}:psychologist:1")
    assert "Anna would like to tell this contact" in emma.last().text  # asked of the colleague (test_ways_to_ask)

    rows = await services.core.db.fetchall("SELECT * FROM case_referrals ORDER BY id")
    assert [(r["kind"], r["consent"], r["answer"]) for r in rows] == [("debt_help", 0, None),
                                                                      ("psychologist", 0, "asked")]
    assert set(rows[0].keys()) == {"id", "request_id", "kind", "consent", "answer", "created_at"}
    # A reply to the contact card goes to the conversation.
    await emma.send("Dank je", reply_to=emma.last())
    assert anna.last().text.endswith("Dank je")


async def test_referral_to_a_removed_contact_is_refused(services, people, offline, tmp_path):
    anna, emma, ref = await _claimed(services, people)
    await anna.send("/cases")
    await anna.press("Send a contact")
    await anna.press(f"rfr:{ref}:debt_help")
    consent_question = anna.last()
    # The organisation removes the entry from charter/ and restarts.
    folder = tmp_path / "charter"
    shutil.copytree(services.core.charter.folder, folder)
    text = (folder / "referrals.toml").read_text(encoding="utf-8")
    start = text.index('[[referral]]\nkey = "debt_help"')
    end = text.index("[[referral]]", start + 5)
    (folder / "referrals.toml").write_text(text[:start] + text[end:], encoding="utf-8")
    services.core.charter = Charter.load(folder)
    inbox_before = len(emma.inbox())
    await anna.press_data(f"rfr:{ref}:debt_help:0", consent_question)
    assert "no longer in the directory, so nothing was sent" in _alerts(offline)[-1]
    assert len(emma.inbox()) == inbox_before
    assert await services.core.db.fetchval("SELECT COUNT(*) FROM case_referrals") == 0


async def test_help_shows_the_directory_and_forget(services, people):
    emma = people(301)
    await emma.send("/help")
    directory = emma.last().text
    complaint = services.core.charter.referral("complaint")
    assert complaint.contact("en") in directory
    assert "TODO" not in directory
    assert "/forget" in directory


# Closing and feedback -------------------------------------------------------------------------

async def test_close_with_outcome_then_feedback(services, people, offline):
    anna, emma, ref = await _claimed(services, people)
    boss = await _coordinator(services, people)
    await anna.send("/cases")
    await anna.press("Close this conversation")
    assert (await services.core.requests.by_ref(ref)).is_open  # not before an outcome is chosen
    picker = _card(anna, ref)
    assert f"out:{ref}:signposted" in picker.button_data()
    await anna.press_data(f"out:{ref}:nonsense", picker)
    assert "not one of the choices" in _alerts(offline)[-1]
    assert (await services.core.requests.by_ref(ref)).is_open
    await anna.press(f"out:{ref}:signposted")
    row = await services.core.db.fetchone("SELECT state, closed_by, outcome FROM requests WHERE ref = ?", (ref,))
    assert tuple(row) == ("closed", "member", "signposted")
    assert "Which themes" in anna.last().text  # nothing tagged yet: the member is asked

    closing = emma.last()
    assert "has closed the conversation" in closing.text
    assert services.core.charter.referral("complaint").contact("en") in closing.text
    # The stars, and hearing what changes thanks to the network, offered on the same message.
    assert closing.button_data() == [f"fb:{ref}:{n}" for n in range(1, 6)] + ["nwe:1"]
    await emma.press(f"fb:{ref}:4", closing)
    assert closing.button_data() == ["nwe:1"]  # rated: the stars go, the offer stays
    assert "add a comment" in emma.last().text
    await emma.send(COMMENT)
    assert "Thank you" in emma.last().text
    assert not any(COMMENT in m.text for m in anna.inbox())  # the listener never sees it
    await emma.press_data(f"fb:{ref}:1", closing)
    assert "already rated" in _alerts(offline)[-1]
    row = await services.core.db.fetchone("SELECT id, rating, comment_enc FROM feedback")
    assert row["rating"] == 4 and COMMENT.encode() not in row["comment_enc"]
    assert services.core.vault.open("feedback", "comment", row["id"], row["comment_enc"]) == COMMENT

    await anna.press_data(f"out:{ref}:listened", picker)
    assert "already recorded" in _alerts(offline)[-1]
    await boss.send("/quality")
    # The rating's quarter is not counted yet (one rating would be below the small-cell threshold
    # anyway); and no comment text ever reaches a coordinator.
    assert "No quarter has been counted yet" in boss.last().text and COMMENT not in boss.last().text
    await anna.send("/quality")
    assert "coordinators only" in anna.last().text
    # A stranger cannot rate someone else's conversation.
    finn = people(302, "Finn")
    await finn.press_data(f"fb:{ref}:5", closing)
    assert await services.core.db.fetchval("SELECT COUNT(*) FROM feedback") == 1


async def test_requester_ends_member_records_outcome(services, people):
    anna, emma, ref = await _claimed(services, people)
    await emma.send("/start")
    await emma.press("End the conversation")
    told = anna.last()
    assert "has ended the conversation" in told.text
    assert f"out:{ref}:withdrawn" in told.button_data()
    assert any(d.startswith(f"fb:{ref}:") for d in emma.last().button_data())
    await anna.press(f"out:{ref}:listened", told)
    assert "Outcome recorded" in told.text
    assert await services.core.db.fetchval("SELECT outcome FROM requests WHERE ref = ?", (ref,)) == "listened"


# A hand-over: the next listener reads the notes only if the requester agrees ----------------------

@pytest.mark.parametrize("agree", [True, False])
async def test_notes_after_a_hand_over_need_the_requesters_yes(services, people, agree):
    anna, emma, ref = await _claimed(services, people)
    bert = people(202, "Bert")
    await join_as_member(services, bert, "Bert", gender="man")
    await anna.send(f"/note {NOTE}")
    await anna.send("/cases")
    await anna.press("Hand it back")
    await anna.press(f"back:{ref}:overload")
    question = emma.last()
    assert "May the listener who takes over read your conversation so far, and the notes" in question.text
    await bert.press(f"claim:{ref}")
    await bert.send("/note Eigen notitie van Bert")
    await bert.send("/cases")
    await bert.press("Notes")
    assert NOTE not in bert.last().text and "Eigen notitie van Bert" in bert.last().text
    await anna.send("/cases")  # Anna no longer holds the case
    assert "no open conversations" in anna.last().text
    await anna.press_data(f"notes:{ref}", anna.inbox()[-3])
    assert not any(NOTE in m.text for m in anna.inbox()[-3:])

    await emma.press(f"hc:{ref}:{'y' if agree else 'n'}", question)
    await emma.press_data(f"hc:{ref}:y", question)  # a second answer changes nothing
    await bert.send("/cases")
    await bert.press("Notes")
    assert (NOTE in bert.last().text) is agree
    assert "Eigen notitie van Bert" in bert.last().text
    assert await services.core.db.fetchval("SELECT COUNT(*) FROM case_notes") == (2 if agree else 1)


# Audit ----------------------------------------------------------------------------------------

async def test_audit_names_who_what_which_case_and_never_content(services, people):
    with time_machine.travel(datetime(2026, 12, 1, 10, 0, tzinfo=UTC), tick=False) as clock:
        anna, emma, ref = await _claimed(services, people)
        boss = await _coordinator(services, people)
        await anna.send(f"/note {NOTE}")
        await anna.send("/cases")
        await anna.press("Notes")
        await anna.press(f"close:{ref}")
        await anna.press(f"out:{ref}:listened")
        clock.shift(timedelta(days=1))  # the trail shows closed days only
        await boss.send("/audit")
    summary = boss.last().text
    member = await services.core.members.by_person((await services.core.people.find(201)).id)
    assert f"listener #{member.id} · added a note · {ref}" in summary
    assert f"listener #{member.id} · closed the case · {ref}" in summary
    assert NOTE not in summary and "Emma" not in summary and "Anna" not in summary
    columns = [r[1] for r in await services.core.db.fetchall("PRAGMA table_info(audit_log)")]
    assert columns == ["id", "actor_role", "actor_id", "action", "request_ref", "at"]
    actors = {tuple(r) for r in await services.core.db.fetchall("SELECT actor_role, actor_id FROM audit_log")}
    assert actors == {("member", member.id), ("coordinator", (await services.core.people.find(900)).id)}
    await emma.send("/audit")
    assert "coordinators only" in emma.last().text


async def test_audit_counts_closed_weeks_in_classes_that_name_no_figure(services, people):
    """Issue 21, attack 4: one person who is a coordinator and a steering member must not learn
    from /audit what the digest holds back (a collective character, a theme, a referral's kind)."""
    with time_machine.travel(datetime(2026, 11, 4, 9, 0, tzinfo=UTC), tick=False) as clock:
        anna, emma, ref = await _claimed(services, people)
        boss = await _coordinator(services, people)
        await anna.press_data(f"coll:{ref}:1", anna.last())
        assert await services.core.db.fetchval("SELECT COUNT(*) FROM audit_log WHERE action = 'collective_set'") == 1
        await boss.send("/audit")
        text = boss.last().text
        assert text.startswith("Audit trail: who did what to which case, never any content. Per closed week "
                           "(W41 – W44), and the latest entries up to yesterday (Tue 3 Nov 2026). Today's entries "
                           "appear tomorrow.")
        assert "collective" not in text and ref not in text  # today's entries appear tomorrow
        clock.move_to(datetime(2026, 11, 5, 9, 0, tzinfo=UTC))
        await boss.send("/audit")
        text = boss.last().text
        assert "collective" not in text and f"updated the case's details · {ref}" in text
        assert "updated the case's details:" not in text  # this week is not closed: not counted yet
        clock.move_to(datetime(2026, 11, 9, 9, 0, tzinfo=UTC))
        await boss.send("/audit")
        assert "• updated the case's details: 0 · 0 · 0 · 1" in boss.last().text


async def test_note_with_several_cases_asks_which_and_long_lists_are_split(services, people):
    anna = people(201, "Anna")
    await join_as_member(services, anna, "Anna")
    emma, finn = people(301, "Emma"), people(302, "Finn")
    ref_e = await ask_for_conversation(emma, first_message="van emma")
    await anna.press(f"claim:{ref_e}")
    ref_f = await ask_for_conversation(finn, first_message="van finn")
    await anna.press(f"claim:{ref_f}")
    await anna.send("/note Voor welke?")
    question = anna.last()
    assert "Which conversation" in question.text
    assert question.button_data() == [f"notefor:{ref_e}", f"notefor:{ref_f}"]
    assert await services.core.db.fetchval("SELECT COUNT(*) FROM case_notes") == 0  # waits in memory only
    await anna.press(f"notefor:{ref_f}", question)
    assert "Note saved on Colleague " + ref_f in question.text
    await anna.press_data(f"notefor:{ref_e}", question)  # the text went to one case only
    assert await services.core.db.fetchval("SELECT COUNT(*) FROM case_notes") == 1
    from_emma = next(m for m in anna.inbox() if "van emma" in m.text)
    for n in range(3):
        await anna.send(f"/note {n}" + "z" * 1900, reply_to=from_emma)
    await anna.send("/cases")
    card = next(m for m in reversed(anna.inbox()) if f"notes:{ref_e}" in m.button_data())
    before = len(anna.inbox())
    await anna.press_data(f"notes:{ref_e}", card)
    shown = anna.inbox()[before:]
    assert len(shown) >= 2 and all(m.protect_content and len(m.text) <= 4096 for m in shown)
    assert all(any(m.text.count(f"\n{n}zzz") for m in shown) for n in range(3))
    assert not any("Voor welke?" in m.text for m in shown)  # Finn's note stays on Finn's case


async def test_overlong_feedback_comment_is_refused(services, people):
    anna, emma, ref = await _claimed(services, people)
    await anna.send("/cases")
    await anna.press("Close this conversation")
    await anna.press(f"out:{ref}:listened")
    await emma.press(f"fb:{ref}:3")
    await emma.send("c" * 1001)
    assert "too long: at most 1000 characters" in emma.last().text
    assert await services.core.db.fetchval("SELECT comment_enc FROM feedback") is None
    await emma.send("Kort")
    assert await services.core.db.fetchval("SELECT comment_enc FROM feedback") is not None
    assert not any("Kort" in m.text for m in anna.inbox())


@time_machine.travel(datetime(2026, 8, 14, 9, 0, tzinfo=UTC), tick=False)
async def test_quality_figures_are_the_released_quarter_s_and_show_no_comment_text(services, people):
    """/quality reads the ratings of the latest released quarter: counted once, so a rating given
    later, even at 00:30 on the next quarter's first day, changes nothing a coordinator reads."""
    db = services.core.db
    with time_machine.travel(datetime(2026, 8, 10, 9, 0, tzinfo=UTC), tick=False) as clock:
        boss = people(900, "Boss")
        await boss.send(f"/start {await invite_code(services, 'coordinator')}")
        for i in range(10):
            await db.execute(
                "INSERT INTO people (id, user_hash, chat_id_enc, language_enc, created_at) VALUES (?, ?, x'', x'',"
                " '2026-01-01')", (5000 + i, bytes([i]) * 32))
            await db.execute(
                "INSERT INTO requests (id, ref, requester_id, state, created_at, deadline_at) VALUES"
                " (?, ?, ?, 'closed', '2026-08-01T08:00:00+00:00', '2026-08-02T08:00:00+00:00')",
                (5000 + i, f"QQQQ{i + 2}", 5000 + i))
            assert await services.casework.cases.add_rating(5000 + i, 5 if i % 3 else 2)
        for i in range(1, 3):
            assert await services.casework.cases.add_comment(5000 + i, f"secret remark {i}")
        await services.digests.sweep()  # the bot's first sweep
        await boss.send("/quality")
        assert boss.last().text == ("No quarter has been counted yet. The ratings of a quarter are counted once, a "
                                    "week after it ends, and do not change afterwards.")
        clock.move_to(datetime(2026, 10, 2, 9, 0, tzinfo=UTC))
        await boss.send("/quality")
        assert boss.last().text.startswith("Q3 2026 is counted on Mon 12 Oct 2026.\nNo quarter has been counted yet.")
        clock.move_to(datetime(2026, 10, 12, 7, 0, tzinfo=UTC))  # 09:00 in Brussels: the digest is due
        assert await services.digests.sweep() == "2026-W42"
        await boss.send("/quality")
        text = boss.last().text
        assert text == ("Ratings in Q3 2026 (1 Jul – 30 Sep 2026, counted on Mon 12 Oct 2026; it does not change): 10, "
                        "on average 3.8 out of 5. Written comments: fewer than 5 (kept encrypted; shown to nobody "
                        "here). The average is given from 10 ratings.")
        assert "secret remark" not in text
        # A rating given at 00:30 on 1 October in Brussels (still the 30th in UTC) is a Q4 rating.
        await db.execute("INSERT INTO people (id, user_hash, chat_id_enc, language_enc, created_at)"
                         " VALUES (6001, ?, x'', x'', '2026-01-01')", (b"y" * 32,))
        await db.execute("INSERT INTO requests (id, ref, requester_id, state, created_at, deadline_at)"
                         " VALUES (6001, 'QQQQY', 6001, 'closed', '2026-09-29T08:00:00+00:00',"
                         " '2026-09-30T08:00:00+00:00')")
    with time_machine.travel(datetime(2026, 9, 30, 22, 30, tzinfo=UTC), tick=False):
        assert await services.casework.cases.add_rating(6001, 1)
    assert await db.fetchval("SELECT created_at FROM feedback WHERE request_id = 6001") == "2026-10-01"
    with time_machine.travel(datetime(2026, 10, 13, 9, 0, tzinfo=UTC), tick=False):
        await boss.send("/quality")
        assert boss.last().text == text
