"""More ways to ask, and the right route for each: a signal without a conversation, a concern
about a colleague, meeting in person at the employee's choice, the employee's own consent for a
referral, the routes the law offers, the collective character, a listener away from the
employer's side, and saying what is not passed on."""
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flows import ask_for_conversation, join_as_member

from bot.foundations import calendar


@pytest.fixture
def moving_clock():
    with time_machine.travel(datetime(2026, 11, 18, 10, 0, tzinfo=UTC), tick=False) as traveller:
        yield traveller


def _alerts(offline):
    return [p.get("text") for name, p in offline.calls if name == "answerCallbackQuery" and p.get("text")]


def _with(user, prefix):
    """The newest message with a button whose data starts with prefix."""
    return next(m for m in reversed(user.inbox()) if any(d.startswith(prefix) for d in m.button_data()))


def _data(message, prefix):
    return next(d for d in message.button_data() if d.startswith(prefix))


async def _claimed(services, people, first_message="Ik zit vast", **ask):
    anna, emma = people(201, "Anna"), people(301, "Emma")
    await join_as_member(services, anna, "Anna")
    ref = await ask_for_conversation(emma, department=1, first_message=first_message, **ask)
    await anna.press(f"claim:{ref}")
    await anna.send("Hallo, ik luister.")
    return anna, emma, ref


async def _signals(services):
    db = services.core.db
    rows = await db.fetchall("SELECT id, department, level, created_at FROM team_signals ORDER BY id")
    themes = await db.fetchall("SELECT signal_id, theme FROM team_signal_themes ORDER BY signal_id, theme")
    return [tuple(r) for r in rows], [tuple(r) for r in themes]


# 1. A signal without a conversation ------------------------------------------------------------

async def _signal(user, department=1, themes=("workload", "bullying"), level="team"):
    await user.send("/start")
    await user.press("sig")
    await user.press(f"sig:d:{department}")
    for key in themes:
        await user.press(f"sig:t:{key}:1")
    await user.press("sig:n")
    await user.press(f"sig:l:{level}")
    await user.press("sig:s")


@time_machine.travel(datetime(2026, 12, 6, 23, 30, tzinfo=UTC), tick=False)  # Monday 00:30 in Brussels
async def test_a_signal_is_department_themes_and_level_and_nothing_else(services, people):
    emma = people(301, "Emma")
    await emma.send("/start")
    await emma.press("Something is wrong in my team")
    assert "never alone" in emma.last().text and "no text and no name" in emma.last().text
    await emma.press("sig:d:1")
    await emma.press("sig:t:workload:1")
    await emma.press("sig:t:bullying:1")
    await emma.press("sig:t:bullying:0")  # the ticked button takes it away again
    await emma.press("sig:t:stress:1")
    await emma.press("sig:n")
    await emma.press("sig:l:team")
    summary = emma.last().text
    assert "Logistics" in summary and "High workload" in summary and "bullying" not in summary.lower()
    await emma.press("Send")
    assert "counted, without your name" in emma.last().text
    rows, themes = await _signals(services)
    assert [r[1:3] for r in rows] == [("Logistics", "team")] and rows[0][3] == "2026-12-07"  # the organisation's day
    assert [t for _, t in themes] == ["stress", "workload"]
    # The table has no room for a person or a text.
    columns = {r[1] for r in await services.core.db.fetchall("PRAGMA table_info(team_signals)")}
    assert columns == {"id", "dedupe", "department", "level", "created_at"}
    person = await services.core.people.find(emma.id)
    assert await services.core.db.fetchval("SELECT COUNT(*) FROM team_signals WHERE dedupe = ?",
                                           (str(person.id).encode(),)) == 0


async def test_a_burst_from_one_account_counts_once(services, people):
    emma, lars = people(301, "Emma"), people(302, "Lars")
    await _signal(emma)
    for _ in range(3):
        await _signal(emma, department=0, themes=("stress",), level="organisation")
    assert "replaces the signal you sent earlier" in emma.last().text
    await _signal(lars)
    rows, themes = await _signals(services)
    assert sorted(r[1:3] for r in rows) == [("Logistics", "team"), ("Production", "organisation")]
    assert sorted(t for _, t in themes) == ["bullying", "stress", "workload"]
    assert await services.core.team_signals.counts("2000-01-01", "2100-01-01") == {
        ("Production", "stress"): 1, ("Logistics", "workload"): 1, ("Logistics", "bullying"): 1}


async def test_a_signal_without_department_or_theme_is_refused_and_stores_nothing(services, people, offline):
    emma = people(301, "Emma")
    await emma.send("/start")
    await emma.press("sig")
    screen = emma.last()
    await emma.press_data("sig:s", screen)  # forged: straight to send
    assert "needs a department" in _alerts(offline)[-1]
    await emma.press_data("sig:d:99", screen)  # a department that does not exist
    assert _alerts(offline)[-1] == "This button is no longer valid."
    await emma.press("sig:d:0")
    await emma.press("sig:n")
    assert _alerts(offline)[-1] == "Please choose at least one theme."
    await emma.press_data("sig:t:no_such_theme:1", emma.last())
    await emma.press_data("sig:l:galaxy", emma.last())
    assert _alerts(offline)[-2:] == ["This button is no longer valid."] * 2
    await emma.press_data("sig:s", emma.last())
    assert "Nothing was sent" in _alerts(offline)[-1]
    assert await _signals(services) == ([], [])
    await emma.press("Cancel")
    assert emma.last().text == "Nothing was sent."
    await emma.press_data("sig:s", emma.last())
    assert _alerts(offline)[-1] == "This button is no longer valid."
    assert await _signals(services) == ([], [])


async def test_a_signal_half_chosen_survives_a_restart_and_a_replayed_send_is_thanked(running, people):
    emma = people(301, "Emma")
    await emma.send("/start")
    await emma.press("sig")
    await emma.press("sig:d:1")
    await emma.press("sig:t:workload:1")
    await running.restart()
    emma = people(301, "Emma")
    await emma.press("sig:n")
    await emma.press("sig:l:team")
    send = emma.last()
    await emma.press("sig:s")
    await emma.press_data("sig:s", send)  # the same press again, as after a crash
    assert "counted, without your name" in emma.last().text
    rows, themes = await _signals(running.services)
    assert [r[1:3] for r in rows] == [("Logistics", "team")] and [t for _, t in themes] == ["workload"]


# 2. Worried about a colleague -----------------------------------------------------------------

async def test_a_concern_is_its_own_kind_and_nobody_is_asked_to_be_named(services, people):
    anna, emma = people(201, "Anna"), people(301, "Emma")
    await join_as_member(services, anna, "Anna")
    await emma.send("/start")
    await emma.press("I am worried about a colleague")
    assert "Please do not name them" in emma.last().text
    await emma.press("ask:next")
    await emma.press("ask:w:1")
    await emma.press("ask:dep:-")
    await emma.send("Mijn collega Bart slaapt op het werk en huilt vaak.")
    assert "may name someone" in emma.last().text
    ref = _data(_with(emma, "withdraw:"), "withdraw:").partition(":")[2]
    request = await services.core.requests.by_ref(ref)
    assert request.kind == "concern"
    offer = _with(anna, f"claim:{ref}")
    assert "worried about someone else" in offer.text
    await anna.press(f"claim:{ref}")
    relayed = anna.last()
    assert relayed.text.startswith(f"💬 Colleague {ref}:\nMijn collega Bart")
    assert "may name the person they worry about. Please do not note the name." in relayed.text
    await emma.send("Wat kan ik doen?")
    assert anna.last().text == f"💬 Colleague {ref}:\nWat kan ik doen?"  # nothing that names: no reminder
    await anna.send("/cases")
    assert "Worried about a colleague" in _with(anna, f"tags:{ref}").text
    kinds = await services.core.db.fetchall("SELECT kind, COUNT(*) FROM requests GROUP BY kind")
    assert [tuple(r) for r in kinds] == [("concern", 1)]


async def test_a_concern_stays_a_concern_when_a_listener_is_chosen_by_name_or_after_back(services, people):
    anna, emma = people(201, "Anna"), people(301, "Emma")
    await join_as_member(services, anna, "Anna")
    handle = (await services.core.members.by_person((await services.core.people.find(201)).id)).handle
    await emma.send("/start")
    await emma.press("I am worried about a colleague")
    await emma.press("ask:m")
    await emma.press("Back")
    assert "Please do not name them" in emma.last().text  # still the concern's wizard
    await emma.press("ask:m")
    await emma.press(f"ask:m:{handle}")
    await emma.press("ask:w:1")
    await emma.press("ask:dep:-")
    await emma.send("Mijn collega slaapt op het werk.")
    ref = _data(_with(emma, "withdraw:"), "withdraw:").partition(":")[2]
    assert (await services.core.requests.by_ref(ref)).kind == "concern"


async def test_a_request_for_oneself_is_not_warned_about_names(services, people):
    anna, emma = people(201, "Anna"), people(301, "Emma")
    await join_as_member(services, anna, "Anna")
    ref = await ask_for_conversation(emma, first_message="Mijn baas Bart roept elke dag tegen me.")
    assert "may name someone" not in emma.last().text
    assert (await services.core.requests.by_ref(ref)).kind == "self"
    await anna.press(f"claim:{ref}")
    assert "Please do not note the name" not in anna.last().text


# 3. Meeting in person or by phone, at the employee's choice -----------------------------------

async def test_meeting_is_proposed_and_the_employee_chooses_knowing_what_it_means(services, people):
    anna, emma, ref = await _claimed(services, people)
    await anna.send("/cases")
    await anna.press("Propose to meet")
    assert "you will know who they are" in anna.last().text
    await anna.press(f"mt:{ref}:p")
    assert "is asked whether they would like to meet in person" in anna.last().text
    question = _with(emma, "mta:")
    yes = _data(question, "mta:")
    assert "Anna will know who you are" in question.text and "nothing changes" in question.text
    assert (await services.core.requests.by_ref(ref)).meeting == "proposed"
    await emma.press("Yes, let us meet")
    assert "never where or when" in emma.last().text
    assert "would like to meet in person" in anna.last().text
    row = await services.core.db.fetchone("SELECT meeting FROM requests WHERE ref = ?", (ref,))
    assert row[0] == "accepted"
    await emma.press_data(yes, question)  # a second tap changes nothing
    assert (await services.core.requests.by_ref(ref)).meeting == "accepted"
    await anna.send("/cases")
    assert "agreed to meet" in _with(anna, f"tags:{ref}").text


async def test_meeting_declined_and_forged_answers_change_nothing(services, people, offline):
    anna, emma, ref = await _claimed(services, people)
    menu = emma.last()
    await emma.press_data(f"mta:{ref}:t:y", menu)  # no proposal was made
    assert _alerts(offline)[-1] == "You have already answered this question."
    assert (await services.core.requests.by_ref(ref)).meeting is None
    await anna.send("/cases")
    await anna.press("Propose to meet")
    await anna.press(f"mt:{ref}:t")
    await emma.press("No, I prefer writing here")
    assert "prefers to go on writing here" in anna.last().text
    assert (await services.core.requests.by_ref(ref)).meeting == "declined"
    lars = people(302, "Lars")
    await lars.send("/start")
    await lars.press_data(f"mta:{ref}:t:y", menu)  # someone else's conversation
    assert _alerts(offline)[-1] == "This button is no longer valid."


async def test_a_meeting_proposal_after_forget_reaches_nobody(services, people, offline):
    anna, emma, ref = await _claimed(services, people)
    await anna.send("/cases")
    card = _with(anna, f"mt:{ref}")
    await emma.send("/forget")
    await emma.press("forget:yes")
    before = len(offline.order)
    await anna.press_data(f"mt:{ref}:p", card)
    assert _alerts(offline)[-1] == "This conversation is closed, so nothing was changed."
    assert not [m for m in offline.order[before:] if m.chat_id == emma.id]


async def test_a_meeting_proposal_to_a_blocked_employee_is_answered_unreachable(services, people, offline):
    anna, emma, ref = await _claimed(services, people)
    await anna.send("/cases")
    await anna.press("Propose to meet")
    offline.fail_next["sendMessage"] = (403, "Forbidden: bot was blocked by the user")
    await anna.press(f"mt:{ref}:p")
    assert "could not put your proposal to meet" in anna.last().text
    assert (await services.core.requests.by_ref(ref)).meeting == "unreachable"


# 4. The employee's own consent for a referral ----------------------------------------------------

async def _refer(anna, ref, key="psychologist", ask=True):
    await anna.send("/cases")
    await anna.press("Send a contact")
    await anna.press(f"rfr:{ref}:{key}")
    assert "only their own yes" in anna.last().text
    await anna.press(f"rfr:{ref}:{key}:{int(ask)}")


async def _referrals(services):
    rows = await services.core.db.fetchall("SELECT kind, consent, answer FROM case_referrals ORDER BY id")
    return [tuple(r) for r in rows]


async def test_the_employee_answers_for_themselves_and_the_listener_is_told(services, people, offline):
    anna, emma, ref = await _claimed(services, people)
    await _refer(anna, ref)
    assert "until then, share nothing" in _with(anna, f"tags:{ref}").text
    question = _with(emma, "rfa:")
    no = _data(question, "rfa:").replace(":y", ":n")
    assert "Anna would like to tell this contact" in question.text
    assert await _referrals(services) == [("psychologist", 0, "asked")]
    await emma.press("Yes, Anna may")
    assert "may tell the contact “Psychologist” what they need to know" in emma.last().text
    assert "agreed that you tell the contact “Psychologist”" in anna.last().text
    assert await _referrals(services) == [("psychologist", 1, "yes")]
    await emma.press_data(no, question)  # changing it later: refused
    assert _alerts(offline)[-1] == "You have already answered this question."
    assert await _referrals(services) == [("psychologist", 1, "yes")]

    await _refer(anna, ref, key="debt_help")
    await emma.press("No, share nothing")
    assert "Nothing about you will be shared" in emma.last().text
    assert "please share nothing" in anna.last().text
    await _refer(anna, ref, key="gp", ask=False)
    assert "Nothing about you has been passed on" in emma.last().text
    assert await _referrals(services) == [("psychologist", 1, "yes"), ("debt_help", 0, "no"), ("gp", 0, None)]
    audit = [r[0] for r in await services.core.db.fetchall("SELECT action FROM audit_log ORDER BY id")]
    assert audit.count("referral_asked") == 2 and audit.count("referral_answered") == 2


async def test_consent_asked_of_a_blocked_employee_shares_nothing(services, people, offline):
    anna, emma, ref = await _claimed(services, people)
    await anna.send("/cases")
    await anna.press("Send a contact")
    await anna.press(f"rfr:{ref}:psychologist")
    offline.fail_next["sendMessage"] = (403, "Forbidden: bot was blocked by the user")
    await anna.press(f"rfr:{ref}:psychologist:1")
    told = [m.text for m in anna.inbox() if "could not ask" in m.text]
    assert told and "nothing may be shared" in told[-1]
    assert await _referrals(services) == [("psychologist", 0, "unreachable")]


async def test_a_consent_answer_after_the_close_shares_nothing(services, people, offline):
    anna, emma, ref = await _claimed(services, people)
    await _refer(anna, ref)
    question = _with(emma, "rfa:")
    await anna.send("/cases")
    await anna.press("Close this conversation")
    await anna.press(f"out:{ref}:referred")
    await emma.press_data(_data(question, "rfa:"), question)
    assert _alerts(offline)[-1] == "This conversation is closed, so nothing will be passed on."
    assert await _referrals(services) == [("psychologist", 0, "asked")]


# 5. Formal and informal routes; the collective character ----------------------------------------

async def test_tagging_bullying_shows_the_routes_and_sends_them_on_request(services, people):
    anna, emma, ref = await _claimed(services, people)
    charter = services.core.charter
    await anna.send("/cases")
    assert f"rt:{ref}" not in _with(anna, f"tags:{ref}").button_data()  # nothing to pass on yet
    await anna.press("Themes")
    await anna.press(f"tags:{ref}:manifestation")
    await anna.press(f"tag:{ref}:bullying:1")
    screen = anna.last().text
    for route in charter.routes:
        assert route.name("en") in screen
    assert "their choice, not yours" in screen
    await anna.press(f"rt:{ref}:send")
    sent = emma.last().text
    assert sent.startswith("Anna passes on what the law offers you, beside talking to the network")
    assert "not a formal request" in sent
    for route in charter.routes:
        assert route.text("en") in sent
    assert "The routes were sent" in anna.last().text
    assert f"rt:{ref}" in _with(anna, f"tags:{ref}").button_data()  # and stay on the card
    audit = [r[0] for r in await services.core.db.fetchall("SELECT action FROM audit_log")]
    assert "routes_sent" in audit


async def test_routes_for_a_case_without_those_themes_are_refused(services, people, offline):
    anna, emma, ref = await _claimed(services, people)
    await anna.send("/cases")
    inbox = len(emma.inbox())
    await anna.press_data(f"rt:{ref}:send", _with(anna, f"tags:{ref}"))
    assert _alerts(offline)[-1] == "This case has no theme the routes are for."
    assert len(emma.inbox()) == inbox


async def test_the_welcome_says_talking_to_the_network_is_not_a_formal_request(people):
    emma = people(301, "Emma")
    await emma.send("/start")
    assert "not a formal request" in emma.last().text


async def test_the_collective_character_is_marked_and_counted(services, people):
    anna, emma, ref = await _claimed(services, people)
    await anna.send("/cases")
    await anna.press("Collective character")
    card = _with(anna, f"tags:{ref}")
    assert "collective character" in card.text and "✓ Collective character" in [
        b["text"] for row in card.buttons for b in row]
    assert (await services.core.requests.by_ref(ref)).collective
    await anna.press("✓ Collective character")
    assert not (await services.core.requests.by_ref(ref)).collective


# 6. Away from the employer's side --------------------------------------------------------------

async def test_neither_hr_nor_management_is_never_offered_to_them(services, people):
    hilde, marc, anna = people(201, "Hilde"), people(202, "Marc"), people(203, "Anna")
    await join_as_member(services, hilde, "Hilde", hr=True)
    await join_as_member(services, marc, "Marc", status="manager")
    await join_as_member(services, anna, "Anna")
    assert (await services.core.members.by_person((await services.core.people.find(hilde.id)).id)).hr
    emma = people(301, "Emma")
    ref = await ask_for_conversation(emma, choices=("ask:e:1",), allow_widening=True)
    offered = {u.id for u in (hilde, marc, anna) if any(f"claim:{ref}" in m.button_data() for m in u.inbox())}
    assert offered == {anna.id}
    # Widening never sets the wish aside.
    await services.desk.offer_to_members(await services.core.requests.by_ref(ref), widened=True)
    await services.sender.flush()
    offered = {u.id for u in (hilde, marc, anna) if any(f"claim:{ref}" in m.button_data() for m in u.inbox())}
    assert offered == {anna.id}


async def test_the_profile_asks_about_hr(services, people):
    hilde = people(201, "Hilde")
    await join_as_member(services, hilde, "Hilde", hr=True)
    await hilde.send("/profile")
    assert "HR" in hilde.last().text


@pytest.mark.parametrize("now", [
    datetime(2026, 12, 5, 12, 0, tzinfo=UTC),    # Saturday
    datetime(2026, 12, 6, 0, 30, tzinfo=UTC),    # Sunday 01:30 in Brussels
    datetime(2026, 12, 6, 23, 30, tzinfo=UTC),   # still Sunday in UTC, Monday 00:30 in Brussels
    datetime(2026, 7, 12, 21, 30, tzinfo=UTC),   # a summer Sunday, 23:30 in Brussels
    datetime(2026, 9, 30, 22, 30, tzinfo=UTC),   # 30 September in UTC, 00:30 on 1 October in Brussels: Q4
], ids=["sat", "sun-early", "mon-0030-local", "july-sun", "q4-0030-local"])
async def test_team_signals_count_once_per_account_in_their_quarter_and_only_from_k_plus_one(services, people, now):
    """A signal counts in the quarter of its day, the organisation's day, whatever the UTC date;
    one account counts once a quarter (a burst is one signal); a figure shows from k + 1, so that
    one person's own signal never shows the others."""
    traveller = time_machine.travel(now, tick=False)
    traveller.start()
    employees = [people(400 + i, f"E{i}") for i in range(6)]
    for number, emma in enumerate(employees):
        await _signal(emma, department=1, themes=("workload",), level="team")
        if number == 0:  # a burst from one account
            await _signal(emma, department=1, themes=("workload",), level="team")
            await _signal(emma, department=1, themes=("workload",), level="team")
    await _signal(people(450, "Oona"), department=2, themes=("workload", "stress"), level="organisation")
    quarter = calendar.quarter_of(services.calendar.today())
    assert await services.core.db.fetchval("SELECT MIN(created_at) FROM team_signals") == \
        services.calendar.today().isoformat()
    await services.digests.sweep()  # the bot's first sweep
    traveller.stop()
    release = services.releases.release_day(quarter)  # the digest that counts and releases the quarter
    with time_machine.travel(datetime.combine(release, datetime.min.time(), UTC) + timedelta(hours=9), tick=False):
        assert await services.digests.sweep() == release.strftime("%G-W%V")
        _, text, _ = await services.digests.preview(release.strftime("%G-W%V"), "en")
    assert ("• Signals without a conversation (from employees): Logistics · High workload 6 (team 6); every other "
            "department and theme: fewer than 6") in text  # Office: one, never shown


async def test_forget_takes_the_team_signal_and_a_counted_quarter_s_signals_go_at_night(
        services, people, moving_clock):
    emma, lars = people(301, "Emma"), people(302, "Lars")
    await _signal(emma)
    await _signal(lars)
    await emma.send("/forget")
    await emma.press("forget:yes")
    rows, _ = await _signals(services)
    assert len(rows) == 1
    await services.digests.sweep()  # the bot's first sweep
    await services.retention.run()
    assert len((await _signals(services))[0]) == 1  # its quarter is not counted yet: it stays
    moving_clock.move_to(datetime(2027, 1, 11, 8, 0, tzinfo=UTC))  # the digest that counts Q4 2026
    assert await services.digests.sweep() == "2027-W02"
    await services.retention.run()
    assert await _signals(services) == ([], [])
