"""Retention and erasure: after the period, and after /forget, the content is gone from the
database file and its WAL themselves (the bytes are scanned), and only the figures' fields stay."""
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from flows import ask_for_conversation, join_as_member

from bot.foundations.settings import SettingsError, load_settings

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
FIRST = "Mijn chef Koen roept elke ochtend tegen mij"
REPLY = "Dank je Sofie, dat helpt al"
NOTE = "Mogelijk pesten in ploeg B, opvolgen"
COMMENT = "Heel fijn gesprek met Annelies"
DRAFT = "Een bericht voor niemand"
EMMA_ID = 6182734459


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def _file_bytes(settings) -> bytes:
    db = settings.db_path
    wal = db.with_name(db.name + "-wal")
    return db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


async def _sealed(services) -> list[bytes]:
    """Every sealed value of a person's content, as it sits in the file."""
    db = services.core.db
    found = []
    for sql in ("SELECT body_enc FROM messages", "SELECT body_enc FROM case_notes",
                "SELECT comment_enc FROM feedback WHERE comment_enc IS NOT NULL", "SELECT body_enc FROM drafts",
                "SELECT payload_enc FROM outbox WHERE length(payload_enc) > 0"):
        found += [bytes(r[0]) for r in await db.fetchall(sql)]
    return found


async def _session(services, people):
    """A realistic case: asked, claimed, talked, a note, themes, a referral; closed and rated."""
    anna, emma = people(201, "Annelies"), people(EMMA_ID, "Sofie")
    await join_as_member(services, anna, "Annelies")
    ref = await ask_for_conversation(emma, department=2, first_message=FIRST)
    await anna.press(f"claim:{ref}")
    await anna.send("Ik hoor je. Wil je vertellen wat er gebeurt?")
    await emma.send(REPLY)
    await anna.send(f"/note {NOTE}")
    await anna.send("/cases")
    card = next(m for m in reversed(anna.inbox()) if f"tags:{ref}" in m.button_data())
    for data in (f"tag:{ref}:bullying:1", f"lvl:{ref}:team", f"rfr:{ref}:debt_help:1"):
        await anna.press_data(data, card)
    question = next(m for m in reversed(emma.inbox()) if any(d.startswith("rfa:") for d in m.button_data()))
    await emma.press_data(next(d for d in question.button_data() if d.endswith(":y")), question)  # her own yes
    await anna.press_data(f"close:{ref}", card)
    await anna.press_data(f"out:{ref}:referred", card)
    await emma.press(f"fb:{ref}:5")
    await emma.send(COMMENT)
    return anna, emma, ref


async def _figures(services, ref):
    db = services.core.db
    row = await db.fetchone("SELECT state, department, level, outcome, urgent, created_at, claimed_at, contacted_at,"
                            " closed_at, member_id FROM requests WHERE ref = ?", (ref,))
    request_id = (await services.core.requests.by_ref(ref)).id
    themes = [r[0] for r in await db.fetchall("SELECT theme FROM case_themes WHERE request_id = ?", (request_id,))]
    kinds = [tuple(r) for r in await db.fetchall(
        "SELECT kind, consent FROM case_referrals WHERE request_id = ?", (request_id,))]
    rating = await db.fetchval("SELECT rating FROM feedback WHERE request_id = ?", (request_id,))
    return tuple(row), themes, kinds, rating


async def test_content_is_gone_from_the_file_after_the_retention_period(services, people, settings, clock):
    anna, emma, ref = await _session(services, people)
    emma_person = await services.core.people.find(EMMA_ID)
    await services.talk.park_draft(emma_person, DRAFT)
    figures = await _figures(services, ref)
    assert figures[1:] == (["bullying"], [("debt_help", 1)], 5) and figures[0][2:4] == ("team", "referred")
    sealed = await _sealed(services)
    hashes = [services.core.vault.user_hash(EMMA_ID),
              bytes(await services.core.db.fetchval("SELECT chat_id_enc FROM people WHERE id = ?", (emma_person.id,)))]
    assert len(sealed) >= 5
    await services.core.db.checkpoint()
    before = _file_bytes(settings)
    assert all(blob in before for blob in sealed + hashes)  # the scan below can find them

    # A backup taken now, read without the key, holds none of the texts, names or ids.
    backup = settings.db_path.with_name("backup.db")
    with sqlite3.connect(settings.db_path) as source, sqlite3.connect(backup) as target:
        source.backup(target)
    copy = backup.read_bytes()
    for text in (FIRST, REPLY, NOTE, COMMENT, DRAFT, "Annelies", "Sofie", str(EMMA_ID)):
        assert text.encode() not in copy and text.encode() not in before

    clock.move_to(T0 + timedelta(days=89))
    assert (await services.retention.run()).cases == 0
    assert await _sealed(services) != []

    clock.move_to(T0 + timedelta(days=90, minutes=1))
    report = await services.retention.run()
    assert report.cases == 1 and report.people == 1
    after = _file_bytes(settings)
    for blob in sealed + hashes:
        assert blob not in after, "deleted content lingers in the database file or its WAL"
    wal = settings.db_path.with_name(settings.db_path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0  # checkpointed
    assert await _sealed(services) == []

    # What remains feeds the figures, with no link to a person.
    assert await _figures(services, ref) == figures
    row = await services.core.db.fetchone(
        "SELECT requester_id, wishes_enc, content_erased_at FROM requests WHERE ref = ?", (ref,))
    assert row["requester_id"] is None and row["wishes_enc"] is None and row["content_erased_at"] is not None
    assert await services.core.people.find(EMMA_ID) is None
    assert await services.core.people.find(201) is not None  # the listener stays
    assert await services.core.db.fetchval("SELECT COUNT(*) FROM audit_log WHERE action = 'retention'") == 1
    assert (await services.retention.run()).cases == 0  # done once


async def test_retention_leaves_open_and_recent_cases_alone(services, people, clock):
    anna, emma = people(201, "Anna"), people(301, "Emma")
    await join_as_member(services, anna, "Anna")
    ref = await ask_for_conversation(emma, first_message="Nog bezig")
    await anna.press(f"claim:{ref}")
    clock.move_to(T0 + timedelta(days=200))
    await services.retention.run()
    assert (await services.core.requests.by_ref(ref)).requester_id is not None
    assert await services.core.db.fetchval("SELECT COUNT(*) FROM messages") == 1
    await emma.send("Nog steeds bezig")
    assert anna.last().text.endswith("Nog steeds bezig")


async def test_forget_erases_at_once_and_the_member_is_told(services, people, settings, offline):
    anna, emma = people(201, "Anna"), people(EMMA_ID, "Sofie")
    await join_as_member(services, anna, "Anna")
    ref = await ask_for_conversation(emma, first_message=FIRST)
    await anna.press(f"claim:{ref}")
    await emma.send(REPLY)
    await anna.send(f"/note {NOTE}")
    emma_person = await services.core.people.find(EMMA_ID)
    sealed = await _sealed(services) + [
        services.core.vault.user_hash(EMMA_ID),
        bytes(await services.core.db.fetchval("SELECT chat_id_enc FROM people WHERE id = ?", (emma_person.id,)))]
    await services.core.db.checkpoint()
    assert all(blob in _file_bytes(settings) for blob in sealed)

    await emma.send("/forget")
    assert "forget:yes" in emma.last().button_data()
    confirmation = emma.last()
    await emma.press("forget:no", confirmation)
    assert await services.core.people.find(EMMA_ID) is not None  # "no" keeps everything
    await emma.send("/forget")
    confirmation = emma.last()
    await emma.press("forget:yes", confirmation)
    assert "erased" in confirmation.text and ref in confirmation.text

    # The people row, its keyed hash and chat id, the messages and notes: all gone, from the file too.
    assert await services.core.db.fetchval("SELECT COUNT(*) FROM people WHERE id = ?", (emma_person.id,)) == 0
    row = await services.core.db.fetchone("SELECT state, closed_by, requester_id FROM requests WHERE ref = ?", (ref,))
    assert tuple(row) == ("closed", "requester", None)
    assert await _sealed(services) == []
    after = _file_bytes(settings)
    for blob in sealed:
        assert blob not in after
    told = anna.last()
    assert "asked for their data to be erased" in told.text
    assert f"out:{ref}:withdrawn" in told.button_data()
    await anna.press(f"out:{ref}:withdrawn", told)
    assert await services.core.db.fetchval("SELECT outcome FROM requests WHERE ref = ?", (ref,)) == "withdrawn"
    assert await services.core.db.fetchval("SELECT COUNT(*) FROM audit_log WHERE action = 'erased'") == 1

    # /forget a second time: a clear answer, and nothing changes.
    async def state():
        return [tuple(r) for r in await services.core.db.fetchall(
            "SELECT 'r', id, state, requester_id, outcome FROM requests UNION ALL"
            " SELECT 'p', COUNT(*), NULL, NULL, NULL FROM people UNION ALL"
            " SELECT 'a', COUNT(*), NULL, NULL, NULL FROM audit_log WHERE action = 'erased'")]
    before = await state()
    await emma.send("/forget")
    await emma.press("forget:yes")
    assert "nothing to erase" in emma.last().text
    await emma.press_data("forget:yes", confirmation)  # the old confirmation, pressed again
    assert "nothing to erase" in confirmation.text
    assert await state() == before
    assert await services.core.people.find(EMMA_ID) is None


async def test_forget_of_a_waiting_request_withdraws_the_offers(services, people):
    anna, emma = people(201, "Anna"), people(301, "Emma")
    await join_as_member(services, anna, "Anna")
    ref = await ask_for_conversation(emma, first_message="Wacht nog")
    offer = anna.last()
    await emma.send("/forget")
    await emma.press("forget:yes")
    assert (await services.core.requests.by_ref(ref)).state == "withdrawn"
    assert "withdrawn" in offer.text and offer.button_data() == []
    assert await services.core.db.fetchval("SELECT COUNT(*) FROM messages") == 0


async def test_forget_by_a_listener_keeps_the_role(services, people):
    anna, bert = people(201, "Anna"), people(202, "Bert")
    await join_as_member(services, bert, "Bert", gender="man")
    ref = await ask_for_conversation(anna, first_message="Ook luisteraars hebben het soms zwaar")
    await bert.press(f"claim:{ref}")
    await join_as_member(services, anna, "Anna")  # asked first, became a listener since
    await anna.send("/forget")
    assert "/leave" in anna.last().text
    await anna.press("forget:yes")
    assert "Your role in the network stays" in anna.last().text
    member = await services.core.members.by_person((await services.core.people.find(201)).id)
    assert member is not None and member.active
    row = await services.core.db.fetchone("SELECT state, requester_id FROM requests WHERE ref = ?", (ref,))
    assert tuple(row) == ("closed", None)
    assert await services.core.db.fetchval("SELECT COUNT(*) FROM messages") == 0
    assert "asked for their data to be erased" in bert.last().text
    # The erasure log keeps a tag that names no row here: not "this listener asked for help".
    (logged,) = await services.core.db.fetchall("SELECT tag FROM erasures")
    assert await services.core.db.fetchval("SELECT COUNT(*) FROM people WHERE erasure_tag = ?", (logged[0],)) == 0
    assert await services.core.db.fetchval("SELECT COUNT(*) FROM people WHERE erasure_tag IS NULL") == 0


def test_retention_setting(tmp_path, monkeypatch):
    env = tmp_path / ".env"
    env.write_text("TELEGRAM_BOT_TOKEN=123456789:AAHtestTokenForOfflineTestsOnly_0123456\n"
                   f"WAAKZAAM_KEY_FILE={tmp_path / 'k' / 'master.key'}\n")
    assert load_settings(env).retention == timedelta(days=90)
    monkeypatch.setenv("WAAKZAAM_RETENTION_DAYS", "30")
    assert load_settings(env).retention == timedelta(days=30)
    monkeypatch.setenv("WAAKZAAM_RETENTION_DAYS", "soon")
    with pytest.raises(SettingsError, match="WAAKZAAM_RETENTION_DAYS"):
        load_settings(env)
    root = Path(__file__).resolve().parents[2]
    for documented in (root / ".env.example", root / "docs" / "running.md"):
        assert "WAAKZAAM_RETENTION_DAYS" in documented.read_text(encoding="utf-8")


def test_retention_runs_at_start_and_daily_in_the_organisations_time_zone(app, settings):
    jobs = {job.name: job for job in app.job_queue.jobs()}
    assert "retention-at-start" in jobs
    assert str(jobs["retention"].job.trigger.timezone) == str(settings.timezone)


async def test_a_shorter_retention_period_is_honoured(settings, offline, tmp_path):
    from telegram_double import SimUser

    from bot.app import build_application

    app = build_application(replace(settings, retention=timedelta(days=7)), request=offline, rate_limit=False)
    await app.initialize()
    await app.post_init(app)
    try:
        services = app.bot_data["services"]
        emma = SimUser(app, offline, 301)
        ref = await ask_for_conversation(emma, first_message="Kort bewaard")
        await emma.press(f"withdraw:{ref}")
        with time_machine.travel(timedelta(days=8)):
            assert (await services.retention.run()).cases == 1
        assert await services.core.db.fetchval("SELECT COUNT(*) FROM messages") == 0
    finally:
        await app.shutdown()
        await app.post_shutdown(app)


async def test_forget_by_a_former_listener_removes_them_completely(services, people):
    anna, emma = people(201, "Anna"), people(301, "Emma")
    await join_as_member(services, anna, "Anna")
    ref = await ask_for_conversation(emma, first_message="Hallo")
    await anna.press(f"claim:{ref}")
    await anna.send("/leave")
    await anna.press("leave:yes")
    await anna.send("/forget")
    assert "/leave" not in anna.last().text  # no role left: the full erasure is offered
    await anna.press("forget:yes")
    assert await services.core.people.find(201) is None
    assert await services.core.db.fetchval("SELECT COUNT(*) FROM members") == 0
    request = await services.core.requests.by_ref(ref)
    assert request.is_open and request.requester_id is not None  # Emma's case goes on, with another listener
