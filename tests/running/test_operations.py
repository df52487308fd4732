"""The operator's commands, as a subprocess run from another folder: check, backup, restore,
invite in the README's words, settings from the `.env` file, usage errors, JSON logs."""
from __future__ import annotations

import asyncio
import json
import logging
import resource
import signal
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import hermetic
import pytest
import time_machine
from flows import join_as_member
from operator_cli import TOKEN, cli, install

from bot.foundations.crypto import Vault, new_master_key, write_key_file
from bot.foundations.settings import (
    PROJECT_DIR,
    SettingsError,
    default_env_file,
    load_settings,
)
from bot.foundations.storage.database import Database
from bot.foundations.storage.meta import KEY_CHECK, KEY_CHECK_NAME, MetaRepository
from bot.foundations.storage.migrations import MIGRATIONS_DIR, discover, migrate
from bot.running import logs
from bot.running.checks import check
from bot.running.lock import DatabaseLock
from bot.running.startup import open_core

_install = install


def _settings(env_file: Path):
    return load_settings(env_file)


# --- usage, settings, words --------------------------------------------------------------------

@pytest.mark.parametrize("args", [["frobnicate"], ["run", "--frobnicate"], ["invite", "janitor"], ["backup"]])
def test_an_unknown_subcommand_or_flag_prints_usage_and_exits_2(tmp_path, args):
    result = cli(_install(tmp_path), *args)
    assert result.returncode == 2
    assert result.stderr.startswith("usage: waakzaam") and "Traceback" not in result.stderr


def test_the_env_file_and_database_are_the_same_from_any_folder(tmp_path):
    env = _install(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    first = cli(env, "invite", "coordinator", cwd=elsewhere)
    second = cli(env, "invite", "listener", cwd="/")
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert list(elsewhere.iterdir()) == []  # no second database where the command was run
    db = env.parent / "data" / "waakzaam.db"
    roles = sqlite3.connect(db).execute("SELECT role FROM invites ORDER BY id").fetchall()
    assert roles == [("coordinator",), ("member",)]


def test_without_waakzaam_env_file_the_repository_env_is_used(monkeypatch):
    monkeypatch.delenv("WAAKZAAM_ENV_FILE", raising=False)
    assert default_env_file() == PROJECT_DIR / ".env"


def test_a_named_env_file_that_does_not_exist_is_refused(tmp_path):
    result = cli(tmp_path / "nowhere.env", "check")
    assert result.returncode == 1 and "WAAKZAAM_ENV_FILE names" in result.stdout


def test_every_setting_comes_from_the_env_file_and_a_bad_log_level_is_one_line(tmp_path, monkeypatch):
    hermetic.clear(monkeypatch)
    env = _install(tmp_path, WAAKZAAM_LOG_LEVEL="debug", WAAKZAAM_LOG_FORMAT="json", WAAKZAAM_WEBHOOK_PORT="8444")
    settings = load_settings(env)
    assert (settings.log_level, settings.log_format, settings.webhook_port) == ("DEBUG", "json", 8444)
    assert settings.db_path == env.parent / "data" / "waakzaam.db"
    assert settings.key_file == env.parent / "keys" / "master.key"
    env = _install(tmp_path, "loud", WAAKZAAM_LOG_LEVEL="LOUD")
    with pytest.raises(SettingsError, match="WAAKZAAM_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR"):
        load_settings(env)
    result = cli(env, "run")
    assert result.returncode == 2 and result.stderr.strip().splitlines() == [
        "waakzaam: WAAKZAAM_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, not 'LOUD'."]


@pytest.mark.parametrize("word,role,shown", [("listener", "member", "a listener"), ("member", "member", "a listener"),
                                             ("steering", "steering", "a steering group member"),
                                             ("coordinator", "coordinator", "a coordinator")])
def test_invite_speaks_the_readmes_words(tmp_path, word, role, shown):
    env = _install(tmp_path)
    result = cli(env, "invite", word)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"One-time invitation for {shown}, valid 7 days.")
    db = env.parent / "data" / "waakzaam.db"
    assert sqlite3.connect(db).execute("SELECT role FROM invites").fetchall() == [(role,)]


def test_json_logs_are_one_object_per_line_and_keep_the_privacy_filter(capsys):
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        logs.configure("INFO", "json")
        logging.getLogger("bot.test").info("outbox %d: sent with %s", 7, TOKEN)
        try:
            raise ValueError(f"https://api.telegram.org/bot{TOKEN}/getMe")
        except ValueError:
            logging.getLogger("bot.test").exception("failed")
    finally:
        # pytest's handlers back: a handler left on capsys's stream would write to a closed file.
        root.handlers[:], root.level = handlers, level
    lines = capsys.readouterr().err.strip().splitlines()
    first, second = json.loads(lines[0]), json.loads(lines[1])
    assert set(first) == {"time", "level", "logger", "message"}
    assert first["message"] == "outbox 7: sent with <token>" and first["level"] == "INFO"
    assert TOKEN not in lines[1] and "ValueError" in second["error"]
    assert len(lines) == 2


# --- check -----------------------------------------------------------------------------------

def test_check_changes_nothing_and_says_what_the_first_start_will_do(tmp_path):
    env = _install(tmp_path)
    result = cli(env, "check", "--offline")
    assert result.returncode == 0, result.stdout
    assert "WARN no database yet" in result.stdout and "WARN no key file" in result.stdout
    assert not (env.parent / "data").exists() and list((env.parent / "keys").iterdir()) == []
    for line in result.stdout.strip().splitlines()[:-1]:
        assert line.split()[0] in ("OK", "WARN", "FAIL"), line


def test_check_names_placeholders_loose_keys_and_fails(tmp_path):
    env = _install(tmp_path)
    assert cli(env, "invite", "coordinator").returncode == 0
    result = cli(env, "check", "--offline")
    assert result.returncode == 0, result.stdout
    out = result.stdout
    assert "OK   key version 1 opens this database" in out
    assert "OK   database schema version" in out and "integrity check ok" in out
    assert "WARN charter/referrals.toml: company_doctor, prevention_advisor, confidential_counsellor" in out
    assert "before employees are told about the bot" in out
    assert "WARN no listeners yet" in out
    key = env.parent / "keys" / "master.key"
    key.chmod(0o644)
    failed = cli(env, "check", "--offline")
    assert failed.returncode == 1
    assert f"FAIL the key file {key} can be read by others (mode 644); make it private with: chmod 600 {key}" \
        in failed.stdout
    key.chmod(0o600)
    env.write_text(env.read_text().replace(TOKEN, ""))
    no_token = cli(env, "check", "--offline")
    assert no_token.returncode == 1 and "FAIL TELEGRAM_BOT_TOKEN is not set" in no_token.stdout


async def test_check_lists_available_listeners_by_profile(running, people, settings, tmp_path):
    for n, gender in enumerate(("woman", "man")):
        await join_as_member(running.services, people(9300 + n, f"L{n}"), f"L{n}", gender=gender, languages=("nl", "en"))
    lines = [str(f) for f in check(settings)]
    listeners = next(line for line in lines if "listeners:" in line)
    assert listeners.startswith("WARN listeners: 2 available, 0 paused; gender: man 1, woman 1;")
    assert "languages: en 2, nl 2" in listeners
    assert "WARN no available listener speaks fr: such requests go to others only if the requester allows it" in lines


# --- backup and restore ----------------------------------------------------------------------

def _seed(env: Path, people: int = 40) -> None:
    async def go():
        core = await open_core(_settings(env))
        for n in range(people):
            await core.people.ensure(620_000_000 + n, 620_000_000 + n, "nl")
        await core.close()
    asyncio.run(go())


def test_a_backup_while_requests_flow_then_a_restore_into_a_new_folder_starts(tmp_path):
    env = _install(tmp_path)
    _seed(env)
    settings = _settings(env)
    stop = threading.Event()

    def writer():  # another connection writing all the time, as the bot does
        conn = sqlite3.connect(settings.db_path, timeout=10)
        n = 0
        while not stop.is_set():
            conn.execute("INSERT INTO audit_log (actor_role, action, at) VALUES ('system', 'test', '2026-01-01')")
            conn.commit()
            n += 1
        conn.close()
    thread = threading.Thread(target=writer)
    thread.start()
    try:
        backups = tmp_path / "backups"
        backups.mkdir()
        result = cli(env, "backup", str(backups))
    finally:
        stop.set()
        thread.join()
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Backup written and verified: ")
    (copy,) = backups.iterdir()
    assert copy.stat().st_mode & 0o777 == 0o600
    assert sqlite3.connect(copy).execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert b"620000000" not in copy.read_bytes()  # still encrypted

    # A new folder, the same key (the operator copies the key file), nothing there yet.
    moved = _install(tmp_path, "restored", WAAKZAAM_KEY_FILE=str(settings.key_file))
    restored = cli(moved, "restore", str(copy))
    assert restored.returncode == 0, restored.stderr
    assert "Restored" in restored.stdout and "kept as" not in restored.stdout

    async def read_back():
        core = await open_core(_settings(moved))
        try:
            return await core.people.find(620_000_007)
        finally:
            await core.close()
    assert asyncio.run(read_back()) is not None


@pytest.mark.parametrize("where", ["data", "keys", "exists", "no-folder"])
def test_a_backup_refuses_a_bad_place_in_one_line(tmp_path, where):
    env = _install(tmp_path)
    _seed(env, 2)
    target = {"data": env.parent / "data" / "copy.db", "keys": env.parent / "keys" / "copy.db",
              "exists": env, "no-folder": tmp_path / "missing" / "copy.db"}[where]
    before = sorted(p.name for p in target.parent.iterdir()) if target.parent.exists() else None
    result = cli(env, "backup", str(target))
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("waakzaam: backup failed: ")
    after = sorted(p.name for p in target.parent.iterdir()) if target.parent.exists() else None
    assert before == after


def test_a_backup_on_a_full_disk_leaves_no_half_file(tmp_path):
    env = _install(tmp_path)
    _seed(env, 300)
    target = tmp_path / "full"
    target.mkdir()

    def small_disk():  # writes beyond 64 KiB fail, as on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))
    result = cli(env, "backup", str(target / "copy.db"), preexec_fn=small_disk)
    assert result.returncode == 1, result.stdout
    assert result.stderr.strip().splitlines() == [
        f"waakzaam: backup failed: cannot write the backup {target / 'copy.db'}: the disk could not be written (is it full?). "
        "Nothing was left there."]
    assert list(target.iterdir()) == []


def test_a_restore_refuses_a_backup_made_with_another_key(tmp_path):
    ours, theirs = _install(tmp_path, "ours"), _install(tmp_path, "theirs")
    _seed(ours, 3)
    _seed(theirs, 3)
    backups = tmp_path / "b"
    backups.mkdir()
    assert cli(theirs, "backup", str(backups / "theirs.db")).returncode == 0
    db = ours.parent / "data" / "waakzaam.db"
    before = db.read_bytes()
    result = cli(ours, "restore", str(backups / "theirs.db"), "--force")
    assert result.returncode == 1
    assert "was made with another key" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert db.read_bytes() == before and not list(db.parent.glob("*.before-restore-*"))


def test_a_restore_refuses_a_newer_database_without_force_and_keeps_it_aside(tmp_path):
    env = _install(tmp_path)
    _seed(env, 3)
    backups = tmp_path / "b"
    backups.mkdir()
    assert cli(env, "backup", str(backups / "old.db")).returncode == 0
    time.sleep(0.05)
    _seed(env, 5)  # the database changes after the backup
    db = env.parent / "data" / "waakzaam.db"
    refused = cli(env, "restore", str(backups / "old.db"))
    assert refused.returncode == 1 and "was changed" in refused.stderr and "--force" in refused.stderr
    with DatabaseLock(db).acquire("the bot"):
        busy = cli(env, "restore", str(backups / "old.db"), "--force")
    assert busy.returncode == 1 and "in use by the bot" in busy.stderr
    forced = cli(env, "restore", str(backups / "old.db"), "--force")
    assert forced.returncode == 0, forced.stderr
    (kept,) = db.parent.glob("waakzaam.db.before-restore-*")
    assert "kept as" in forced.stdout and str(kept) in forced.stdout
    count = sqlite3.connect(kept).execute("SELECT COUNT(*) FROM people").fetchone()[0]
    assert count == 5 and sqlite3.connect(db).execute("SELECT COUNT(*) FROM people").fetchone()[0] == 3


@pytest.fixture
def frozen():
    """The clock the start-up reads to name its copy and to age the older ones, held still."""
    now = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        yield now


async def test_a_backup_is_made_before_migrations_run_and_only_a_few_recent_ones_are_kept(settings, tmp_path,
                                                                                           caplog, frozen):
    old = tmp_path / "old-migrations"
    old.mkdir()
    for path in sorted(MIGRATIONS_DIR.glob("*.sql"))[:4]:
        (old / path.name).write_text(path.read_text())
    key = new_master_key()
    write_key_file(settings.key_file, key)
    vault = Vault.from_master_key(key)
    db = Database(settings.db_path)
    await db.connect()
    await migrate(db, vault, old)
    await MetaRepository(db).add(KEY_CHECK_NAME, vault.seal("meta", "value", KEY_CHECK_NAME, KEY_CHECK))
    await db.close()
    stamps = [frozen - timedelta(days=d) for d in (40, 3, 2, 1)]  # one past WAAKZAAM_BACKUP_KEEP_DAYS (30)
    for when in stamps:  # earlier automatic copies
        stale = settings.db_path.with_name(f"waakzaam.db.before-schema-004-from-003-{when:%Y%m%d-%H%M%S}")
        stale.write_bytes(b"old")
    (settings.db_path.parent / "waakzaam.db.before-restore-20200101-000000").write_bytes(b"old")

    caplog.set_level(logging.INFO, logger="bot.running.startup")
    core = await open_core(settings)
    await core.close()
    copies = sorted(p.name for p in settings.db_path.parent.glob("waakzaam.db.before-*"))
    latest = len(discover())
    (made,) = [c for c in copies if f"before-schema-{latest:03d}-from-004" in c]
    assert copies == sorted([made, *(f"waakzaam.db.before-schema-004-from-003-{w:%Y%m%d-%H%M%S}" for w in stamps[2:])])
    made = settings.db_path.with_name(made)
    assert made.stat().st_mode & 0o777 == 0o600
    conn = sqlite3.connect(made)
    assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone() == (4,)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert [r.getMessage() for r in caplog.records if r.name == "bot.running.startup"] == [
        f"database upgraded from schema version 4 to {latest}; the copy made before is {made} (kept 30 days)"]
