"""A restore is all or nothing (issue 24.4), never brings a retired key back silently (22.7), and
never brings back someone who asked to be forgotten (22.5); copies expire (22.5)."""
from __future__ import annotations

import asyncio
import fcntl
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import hermetic
import launcher
import pytest
from flows import ask_for_conversation, join_as_member
from operator_cli import ROOT, TOKEN, cli, install, one_line, snapshot

from bot.cli import _restored
from bot.foundations.crypto import read_key_files
from bot.foundations.settings import load_settings
from bot.foundations.storage.migrations import discover
from bot.running import backups, restoring
from bot.running.checks import FAIL, _restore, check
from bot.running.key_rotation import rotate
from bot.running.startup import open_core

EMMA = 6182734459
FIRST = "Mijn chef Koen roept elke ochtend tegen mij"


def _people(db: Path) -> int:
    return sqlite3.connect(db).execute("SELECT COUNT(*) FROM people").fetchone()[0]


def _grow(env: Path, people: int) -> None:
    async def go():
        core = await open_core(load_settings(env))
        for n in range(people):
            await core.people.ensure(700_000_000 + n, 700_000_000 + n, "nl")
        await core.close()
    asyncio.run(go())


@pytest.fixture
def site(tmp_path):
    """A database of 3 people, its backup, then 2 more people: old = 5, backup = 3."""
    env = install(tmp_path)
    _grow(env, 3)
    folder = tmp_path / "backups"
    folder.mkdir()
    made = cli(env, "backup", str(folder / "nightly.db"))
    assert made.returncode == 0, made.stderr
    time.sleep(0.05)
    _grow(env, 5)
    return env, folder / "nightly.db", env.parent / "data" / "waakzaam.db"


_DRIVER = """
import os, signal, sys
from bot.running import backups
def crash(step):
    if step == sys.argv[1]:
        os.kill(os.getpid(), signal.SIGKILL)
backups.CRASH_AT = crash
from bot.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _restore_killed_at(env: Path, step: str, backup: Path) -> subprocess.CompletedProcess:
    environ = hermetic.environ({"PYTHONPATH": str(ROOT), "WAAKZAAM_ENV_FILE": str(env)})
    return launcher.run([sys.executable, "-c", _DRIVER, step, "restore", str(backup), "--force"], cwd="/",
                        env=environ, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("step,then", [("copied", 5), ("ready", 3), ("linked", 3), ("replaced", 3)])
def test_a_restore_killed_at_each_step_leaves_a_database_and_the_next_command_finishes_or_undoes_it(site, step,
                                                                                                  then):
    env, backup, db = site
    killed = _restore_killed_at(env, step, backup)
    assert killed.returncode == -signal.SIGKILL
    assert db.is_file() and _people(db) in (5, 3)  # never no database: the old one, or the restored one
    checked = cli(env, "check", "--offline")
    assert checked.returncode == 0, checked.stdout  # the start that mends it must not be blocked (systemd)
    mends = "the bot's next start (or `waakzaam restore --resume`)"
    assert {
        "copied": f"WARN a restore of {backup} was interrupted before it changed anything: {mends} undoes it, and the "
                  "database stays as it was; then run the restore again",
        "replaced": f"WARN a restore of {backup} was interrupted after it had put the backup in place: {mends} removes "
                    "what it left",
    }.get(step, f"WARN a restore of {backup} was interrupted after the backup was copied, brought up to date and "
                f"checked: {mends} puts it in place") in checked.stdout.splitlines()

    resumed = cli(env, "restore", "--resume")
    assert resumed.returncode == 0, resumed.stderr
    kept = sorted(db.parent.glob("waakzaam.db.before-restore-*"))
    if step == "copied":
        assert resumed.stdout.strip() == (f"A restore of {backup} was interrupted before it changed anything: the "
                                          "database is as it was; run the restore again.")
        assert kept == []
    elif step == "replaced":
        assert resumed.stdout.strip() == (f"An interrupted restore of {backup} had put the backup in place already; "
                                          "nothing was left to do.")
    else:
        assert resumed.stdout.strip() == f"Finished an interrupted restore of {backup}; the database it replaced is " \
                                         f"kept as {kept[0]}."
    assert _people(db) == then
    if then == 3:
        assert _people(kept[0]) == 5
    assert sorted(p.name for p in db.parent.iterdir() if "restor" in p.name and "before-restore" not in p.name) == []
    assert cli(env, "check", "--offline").returncode == 0


def test_a_restore_killed_at_random_moments_never_leaves_no_database(site, tmp_path):
    """Every named step is killed in the test above; here a kill at a moment nobody chose, early,
    midway and late in the command's life (one in each third), finds any step that was forgotten."""
    env, backup, db = site
    pristine = tmp_path / "pristine.db"
    backups.files.copy_database(db, pristine)
    rng = random.Random(24)
    environ = hermetic.environ({"PYTHONPATH": str(ROOT), "WAAKZAAM_ENV_FILE": str(env)})
    settings = load_settings(env)
    outcomes = []
    for delay in (rng.uniform(0.3, 1.3), rng.uniform(1.3, 2.4), rng.uniform(2.4, 3.5)):
        for path in db.parent.iterdir():
            if path.name != "waakzaam.db.lock":
                path.unlink()
        backups.files.copy_database(pristine, db)
        process = launcher.Popen([sys.executable, "-m", "bot", "restore", str(backup), "--force"], cwd="/",
                                 env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        process.kill()
        process.wait()
        assert db.is_file() and _people(db) in (5, 3), delay
        resumed = cli(env, "restore", "--resume")
        assert resumed.returncode == 0, resumed.stderr
        outcomes.append(_people(db))
        assert backups.pending_restore(db) is None and not db.with_name("waakzaam.db.restoring").exists()
        assert [str(f) for f in check(settings) if f.level == FAIL] == []  # what `check --offline` reads
    assert set(outcomes) <= {3, 5}


def test_a_start_finishes_a_half_done_restore_and_says_so(site):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "crash"))
    from double import TelegramDouble

    env, backup, db = site
    assert _restore_killed_at(env, "linked", backup).returncode == -signal.SIGKILL
    unit = (ROOT / "deploy" / "waakzaam@.service").read_text().splitlines()
    (before_start,) = [line.split("=", 1)[1] for line in unit if line.startswith("ExecStartPre=")]
    program, *args = before_start.split()
    assert program == "/opt/waakzaam/.venv/bin/waakzaam"
    assert cli(env, *args).returncode == 0  # systemd runs the bot that finishes it
    with TelegramDouble(token=TOKEN) as telegram:
        text = env.read_text().replace("http://127.0.0.1:9/bot", telegram.api_base_url)
        env.write_text(text + "WAAKZAAM_POLL_INTERVAL=0.05\n")
        environ = hermetic.environ({"PYTHONPATH": str(ROOT), "WAAKZAAM_ENV_FILE": str(env)})
        bot = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd="/", env=environ, stderr=subprocess.PIPE,
                               text=True)
        lines = []
        try:
            for line in bot.stderr:
                lines.append(line)
                if "started; polling" in line:
                    break
        finally:
            bot.send_signal(signal.SIGTERM)
            bot.wait(timeout=30)
    (kept,) = db.parent.glob("waakzaam.db.before-restore-*")
    assert any(f"finished an interrupted restore of {backup}; the database it replaced is kept as {kept}" in line
               for line in lines), lines
    assert _people(db) == 3 and backups.pending_restore(db) is None


def test_a_partial_whose_writer_died_is_removed_by_the_next_backup_and_a_live_one_is_left(site):
    env, backup, db = site
    folder = backup.parent
    dead = folder / "waakzaam-20261201-021500.db.partial"
    dead.write_bytes(b"half a backup")
    live = folder / "waakzaam-20261202-021500.db.partial"
    live.write_bytes(b"being written")
    fd = os.open(live, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        made = cli(env, "backup", str(folder))
    finally:
        os.close(fd)
    assert made.returncode == 0, made.stderr
    assert not dead.exists() and live.exists()
    assert "waakzaam-20261201-021500.db.partial" in made.stdout


# --- 22.7: a retired key ----------------------------------------------------------------------------

def test_a_backup_sealed_under_a_retired_key_is_refused_unless_forced_and_check_says_so(site):
    env, backup, db = site
    assert cli(env, "rotate-key").returncode == 0
    before = snapshot(db.parent)
    refused = cli(env, "restore", str(backup))
    assert refused.returncode == 1
    assert one_line(refused) == (
        f"waakzaam: restore failed: {backup} is sealed under key version 1, which a key rotation retired (key "
        "version 2 is in use): restoring it would make the retired key, perhaps seen by someone, the one in use "
        "again. Add --force to restore it all the same, then run `waakzaam rotate-key` at once.")
    assert snapshot(db.parent) == before
    checked = cli(env, "check", "--offline")
    assert "OK   key version 2 opens this database; it is the key version in use, the newest" in checked.stdout

    forced = cli(env, "restore", str(backup), "--force")
    assert forced.returncode == 0, forced.stderr
    assert ("This database uses key version 1, retired by a rotation (key version 2 exists): run `waakzaam "
            "rotate-key` now, before the bot starts.") in forced.stdout.splitlines()
    checked = cli(env, "check", "--offline")
    key2 = env.parent / "keys" / "master.v2.key"
    assert (f"WARN key version 1 opens this database, but it is retired: key version 2 ({key2}) was made by a later "
            "rotation (a restore of an older backup?); run `waakzaam rotate-key` with the bot stopped"
            ) in checked.stdout.splitlines()


# --- 22.5: erased stays erased ------------------------------------------------------------------------

async def _emma_asks_and_the_network_answers(services, people) -> tuple[object, str]:
    anna, emma = people(201, "Anna"), people(EMMA, "Sofie")
    await join_as_member(services, anna, "Anna")
    ref = await ask_for_conversation(emma, first_message=FIRST)
    await anna.press(f"claim:{ref}")
    await anna.send("Ik hoor je.")
    return emma, ref


async def _forget(emma) -> None:
    await emma.send("/forget")
    await emma.press("forget:yes", emma.last())


def _emma_in(db: Path, vault, ref: str) -> dict:
    conn = sqlite3.connect(db)
    hashes = [vault.user_hash(EMMA, v) for v in vault.versions]
    return {"people": conn.execute(f"SELECT COUNT(*) FROM people WHERE user_hash IN ({','.join('?' * len(hashes))})",
                                   hashes).fetchone()[0],
            "requester": conn.execute("SELECT requester_id IS NOT NULL FROM requests WHERE ref = ?", (ref,)).fetchone()[0],
            "messages": conn.execute("SELECT COUNT(*) FROM messages m JOIN requests r ON r.id = m.request_id"
                                     " WHERE r.ref = ?", (ref,)).fetchone()[0]}


async def _stop(running) -> None:
    await running.app.shutdown()
    await running.app.post_shutdown(running.app)


async def test_a_colleague_who_asked_to_be_forgotten_is_not_brought_back_by_a_restore(running, people, services,
                                                                                       settings, tmp_path):
    emma, ref = await _emma_asks_and_the_network_answers(services, people)
    vault = services.core.vault
    (tmp_path / "b").mkdir()
    copy = backups.make(settings.db_path, settings.key_file, vault, tmp_path / "b")
    assert _emma_in(copy.path, vault, ref) == {"people": 1, "requester": 1, "messages": 2}
    await _forget(emma)
    # What the live database keeps of her is a random tag that only her row in older copies carries:
    # with the key or without, it names nobody in the live database.
    live = sqlite3.connect(settings.db_path)
    (tag,) = live.execute("SELECT tag FROM erasures").fetchone()
    assert live.execute("SELECT COUNT(*) FROM people WHERE erasure_tag = ?", (tag,)).fetchone() == (0,)
    assert sqlite3.connect(copy.path).execute("SELECT COUNT(*) FROM people WHERE erasure_tag = ?",
                                              (tag,)).fetchone() == (1,)
    live.close()
    await _stop(running)

    done = await restoring.restore(settings, copy.path, vault, force=True)
    assert (done.erasures_known, done.erasures_since, done.erased_again) == (True, 1, 1)
    assert _emma_in(settings.db_path, vault, ref) == {"people": 0, "requester": 0, "messages": 0}
    assert _emma_in(done.kept_aside, vault, ref) == {"people": 0, "requester": 0, "messages": 0}
    # The restored database remembers the erasure too, for a restore after this one.
    assert sqlite3.connect(settings.db_path).execute("SELECT COUNT(*) FROM erasures").fetchone() == (1,)
    # The backup file itself still holds her, until it expires (SECURITY.md says so).
    assert _emma_in(copy.path, vault, ref)["people"] == 1

    await running.start()
    assert await running.services.core.people.find(EMMA) is None


async def test_a_listener_who_asked_to_be_forgotten_is_erased_again_and_no_log_points_at_them(
        running, people, services, settings, tmp_path):
    anna, bert = people(201, "Anna"), people(202, "Bert")
    await join_as_member(services, bert, "Bert", gender="man")
    ref = await ask_for_conversation(anna, first_message=FIRST)
    await bert.press(f"claim:{ref}")
    await join_as_member(services, anna, "Anna")  # asked first, became a listener since
    vault = services.core.vault
    (tmp_path / "b").mkdir()
    copy = backups.make(settings.db_path, settings.key_file, vault, tmp_path / "b")
    await _forget(anna)
    await _stop(running)

    done = await restoring.restore(settings, copy.path, vault, force=True)
    assert (done.erasures_since, done.erased_again) == (1, 1)
    for db in (settings.db_path, done.kept_aside):  # the restored database, and the one it replaced
        conn = sqlite3.connect(db)
        assert conn.execute("SELECT requester_id FROM requests WHERE ref = ?", (ref,)).fetchone() == (None,)
        assert conn.execute("SELECT COUNT(*) FROM people p JOIN erasures e ON e.tag = p.erasure_tag").fetchone() \
            == (0,)
        conn.close()
    await running.start()
    anna_now = await running.services.core.people.find(201)
    assert (await running.services.core.members.by_person(anna_now.id)).active  # her role stays


# What _as_before_the_erasure_log undoes, by migration: one more migration, one more entry here.
_UNDONE = {
    16: ("DROP TABLE erasures", "ALTER TABLE people DROP COLUMN erasure_tag"),
    17: ("DROP INDEX outbox_said", "DROP INDEX outbox_person_pending", "DROP INDEX outbox_fingerprint",
         "DROP INDEX offers_outbox", *(f"ALTER TABLE outbox DROP COLUMN {c}"
                                       for c in ("origin", "seq", "edit_message", "fingerprint"))),
    18: ("ALTER TABLE requests DROP COLUMN urgent_contact_by",),
    19: ("DROP INDEX people_role_number", "ALTER TABLE people DROP COLUMN role_number"),
    20: ("DROP TABLE releases", "DROP TABLE figure_periods", "DROP INDEX requests_figures",
         "ALTER TABLE requests DROP COLUMN conversed", "ALTER TABLE review_rounds DROP COLUMN quarter",
         "DELETE FROM meta WHERE key = 'figures_epoch'",
         "CREATE INDEX requests_figures ON requests (created_at, department, level, requester_id, urgent, outcome, "
         "state, breached_at, contacted_at)"),
    21: ("CREATE INDEX outbox_due ON outbox (id) WHERE state = 'pending'", "DROP INDEX outbox_sent",
         "CREATE INDEX outbox_sent ON outbox (person_id, telegram_message_id)"),
}


def _as_before_the_erasure_log(copy: Path) -> None:
    """The backup as schema 15 made it: the migrations from 016_erasure_log.sql on undone."""
    conn = sqlite3.connect(copy)
    with conn:
        conn.execute("DELETE FROM schema_version WHERE version >= 16")
        for version in sorted(_UNDONE, reverse=True):
            for statement in _UNDONE[version]:
                conn.execute(statement)
    conn.close()


async def test_a_backup_from_before_the_erasure_log_says_it_cannot_erase_again(running, people, services, settings,
                                                                                tmp_path):
    # _as_before_the_erasure_log undoes the migrations from 016 on: a later one must be added to _UNDONE.
    assert restoring.erasure_log_schema() == 16 and sorted(_UNDONE) == list(range(16, len(discover()) + 1))
    emma, ref = await _emma_asks_and_the_network_answers(services, people)
    vault = services.core.vault
    (tmp_path / "b").mkdir()
    copy = backups.make(settings.db_path, settings.key_file, vault, tmp_path / "b")
    _as_before_the_erasure_log(copy.path)
    await _forget(emma)
    await _stop(running)

    done = await restoring.restore(settings, copy.path, vault, force=True)
    assert (done.schema_from, done.before_the_log, done.erasures_known, done.erased_again) == (15, True, False, 0)
    # Migration 016 gave her row a new random tag: no entry of the log can find her. Said, not hidden.
    assert _emma_in(settings.db_path, vault, ref)["people"] == 1
    erasures = [line for line in _restored(settings, done) if line.startswith("Erasures:")]
    assert erasures == ["Erasures: this backup was made before the erasure log existed (schema version 16; it is at "
                        "15), so people who asked to be forgotten (/forget) after it was made cannot be found in it, "
                        "and are NOT erased again. Content past the retention period is erased again at the first "
                        "start."]
    await running.start()


async def test_an_erasure_after_a_key_rotation_is_found_in_a_backup_from_before(running, people, services, settings,
                                                                                 tmp_path):
    emma, ref = await _emma_asks_and_the_network_answers(services, people)
    (tmp_path / "b").mkdir()
    copy = backups.make(settings.db_path, settings.key_file, services.core.vault, tmp_path / "b")
    await _stop(running)
    core = await open_core(settings, rotating=True)
    await rotate(core)
    await core.close()
    await running.start()
    await _forget(emma)  # logged under key version 2; the backup hashes her id under version 1
    await _stop(running)

    keys = read_key_files(settings.key_file)
    from bot.foundations.crypto import Vault
    vault = Vault.from_master_keys(keys, max(keys))
    done = await restoring.restore(settings, copy.path, vault, force=True)
    assert (done.key_version, done.erased_again) == (1, 1)
    assert _emma_in(settings.db_path, vault, ref) == {"people": 0, "requester": 0, "messages": 0}
    await running.start()


def test_without_a_database_to_replace_the_restore_says_it_cannot_know_the_erasures(site, tmp_path):
    env, backup, db = site
    moved = install(tmp_path, "new-server", WAAKZAAM_KEY_FILE=str(env.parent / "keys" / "master.key"))
    restored = cli(moved, "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    assert ("Erasures: there was no database to replace (or one too old to remember them), so people who asked to be "
            "forgotten (/forget) after this backup was made cannot be known, and are NOT erased again. Content past "
            "the retention period is erased again at the first start.") in restored.stdout.splitlines()
    assert "kept as" not in restored.stdout


# --- 22.5: copies expire -----------------------------------------------------------------------------

def test_nightly_backups_expire_and_check_lists_the_copies_beside_the_database(site):
    env, backup, db = site
    folder = backup.parent
    # The real clock, on purpose: the `backup` command (a process of its own) ages the files by its
    # own clock, so they are named relative to it (ages in whole days; under scripts/test-at both
    # read the same faked clock).
    now = datetime.now(UTC)
    old, recent = (folder / f"waakzaam-{now - timedelta(days=d):%Y%m%d-%H%M%S}.db" for d in (31, 29))
    for path in (old, recent):
        path.write_bytes(b"a backup")
    made = cli(env, "backup", str(folder))
    assert made.returncode == 0, made.stderr
    assert not old.exists() and recent.exists() and backup.exists()  # only dated backups are the timer's
    assert (f"Removed 1 backup(s) older than 30 days (WAAKZAAM_BACKUP_KEEP_DAYS) or left half written: {old.name}."
            in made.stdout.splitlines())

    assert cli(env, "restore", str(backup), "--force").returncode == 0
    (kept,) = db.parent.glob("waakzaam.db.before-restore-*")
    checked = cli(env, "check", "--offline")
    assert (f"OK   copy {kept} (0 days old): removed in 30 days (WAAKZAAM_BACKUP_KEEP_DAYS); until then it holds what "
            "was erased since it was made") in checked.stdout.splitlines()


def test_the_copies_beside_the_database_expire(tmp_path):
    db = tmp_path / "waakzaam.db"
    db.write_bytes(b"db")
    now = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # prune_copies is given the instant; no clock is read
    names = {f"waakzaam.db.before-restore-{now - timedelta(days=d):%Y%m%d-%H%M%S}": d for d in (40, 10)}
    names |= {f"waakzaam.db.before-schema-012-from-0{n:02d}-{now - timedelta(days=d):%Y%m%d-%H%M%S}": d
              for n, d in ((8, 20), (9, 5), (10, 4), (11, 3))}
    for name in names:
        (tmp_path / name).write_bytes(b"copy")
    gone = backups.prune_copies(db, 30, now)
    assert sorted(p.name for p in gone) == sorted(n for n, d in names.items() if d in (40, 20))
    assert db.exists()


def test_check_fails_only_what_the_next_start_cannot_mend(tmp_path):
    settings = load_settings(install(tmp_path))
    settings.db_path.parent.mkdir(mode=0o700)
    journal = backups.begin(tmp_path / "nightly.db", settings.db_path, kept=False).write("ready")
    (found,) = _restore(settings)  # the copy is gone and there is no database: a start would mend nothing
    assert (found.level, found.text) == (FAIL, f"a restore of {tmp_path / 'nightly.db'} was interrupted, and neither "
                                               f"the database nor the backup's copy {journal.incoming} is there: run "
                                               "the restore again")
