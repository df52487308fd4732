"""Running it for real (issue 25): the operator's mistakes, each met by the real `waakzaam` command
(a subprocess) with one true line, the right exit code, and nothing changed, byte for byte.

A database is made only by `run` or `invite`, when its folder exists (or is the default), no key
is there yet and nothing else of an organisation is: a typo never serves an empty database."""
from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from operator_cli import AS_PLAIN_USER, TOKEN, cli, install, one_line, snapshot

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "crash"))
from double import TelegramDouble  # noqa: E402

from bot.cli import main  # noqa: E402
from bot.foundations.settings import load_settings  # noqa: E402
from bot.running.lock import DatabaseLock  # noqa: E402
from bot.running.startup import open_core  # noqa: E402

needs_plain_user = pytest.mark.skipif(os.geteuid() == 0 and not AS_PLAIN_USER,
                                      reason="as root, file modes stop nothing without setpriv")
needs_root = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"),
                                reason="a full disk is a tmpfs in a mount namespace of the command's own")


@pytest.fixture
def telegram():
    with TelegramDouble(token=TOKEN) as tg:
        yield tg


def _installed(tmp_path: Path, **settings: str) -> Path:
    """An installation with its database and key, made by the first `invite coordinator`."""
    env = install(tmp_path, **settings)
    made = cli(env, "invite", "coordinator")
    assert made.returncode == 0, made.stderr
    return env


def _made(tmp_path: Path) -> Path:
    """An installation with its database and key, made in this process (quicker than `_installed`,
    for tests whose commands are refused before the database is opened)."""
    env = install(tmp_path)

    async def make():
        await (await open_core(load_settings(env))).close()
    asyncio.run(make())
    return env


def _in_process(monkeypatch, capsys, env: Path, *args: str) -> subprocess.CompletedProcess:
    """The command through `bot.cli.main` in this process, for a line that is said before anything
    is opened or logged: the same code as the subprocess, without starting Python again."""
    monkeypatch.setenv("WAAKZAAM_ENV_FILE", str(env))
    capsys.readouterr()
    code = main(list(args))
    said = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, said.out, said.err)


def _set(env: Path, name: str, value: str) -> None:
    lines = [line for line in env.read_text().splitlines() if not line.startswith(f"{name}=")]
    env.write_text("\n".join([*lines, f"{name}={value}"]) + "\n")


# --- 25.1: a database is made only on purpose -----------------------------------------------------

def test_a_typo_in_waakzaam_db_beside_an_existing_key_starts_nothing(tmp_path, telegram):
    env = _installed(tmp_path, TELEGRAM_API_BASE_URL=telegram.api_base_url)
    site = env.parent
    _set(env, "WAAKZAAM_DB", "data/waakzam.db")  # one letter short
    before = snapshot(site)
    for command in (["run"], ["invite", "listener"]):
        result = cli(env, *command)
        assert result.returncode == 2
        assert one_line(result).endswith(
            f"there is no database at {site}/data/waakzam.db, but the key file {site}/keys/master.key exists, and a "
            "key belongs to one database. Check WAAKZAAM_DB (a typo?), or put the database back with `waakzaam "
            "restore BACKUP`. To start a new, empty database instead, move the key file(s) away first. Nothing was "
            "created.")
    checked = cli(env, "check", "--offline")
    assert checked.returncode == 1
    assert f"FAIL there is no database at {site}/data/waakzam.db, but the key file" in checked.stdout
    assert snapshot(site) == before


def test_a_database_in_a_folder_that_does_not_exist_is_never_made(tmp_path, telegram):
    env = install(tmp_path, TELEGRAM_API_BASE_URL=telegram.api_base_url,
                  WAAKZAAM_DB=str(tmp_path / "var" / "lib" / "acme" / "waakzaam.db"))
    before = snapshot(tmp_path)
    problem = (f"there is no database at {tmp_path}/var/lib/acme/waakzaam.db, and its folder {tmp_path}/var/lib/acme "
               "does not exist. Check WAAKZAAM_DB (a typo?); for a new installation, create the folder first (mode "
               "700). Nothing was created.")
    for command, code, said in ((["run"], 2, "cannot start: "), (["invite", "coordinator"], 2, ""),
                                (["restore", str(env)], 1, "restore failed: ")):
        result = cli(env, *command)
        assert (result.returncode, one_line(result)) == (code, f"waakzaam: {said}{problem}"), command
    assert snapshot(tmp_path) == before


def test_a_copy_beside_a_missing_database_means_a_database_was_there(tmp_path, telegram):
    env = install(tmp_path, TELEGRAM_API_BASE_URL=telegram.api_base_url)
    data = env.parent / "data"
    data.mkdir()
    (data / "waakzaam.db.before-restore-20261127-021500").write_bytes(b"a database was here")
    before = snapshot(env.parent)
    result = cli(env, "run")
    assert result.returncode == 2
    assert one_line(result) == (
        f"waakzaam: cannot start: there is no database at {data}/waakzaam.db, but "
        f"{data}/waakzaam.db.before-restore-20261127-021500 is beside it: a database was there. Check WAAKZAAM_DB, "
        "or put it back with `waakzaam restore BACKUP`. Nothing was created.")
    assert snapshot(env.parent) == before


@pytest.mark.parametrize("token", ["refused", "unreachable"])
def test_run_with_a_refused_token_or_no_bot_api_creates_neither_database_nor_key(tmp_path, telegram, token):
    base = telegram.api_base_url if token == "refused" else "http://127.0.0.1:9/bot"
    env = install(tmp_path, TELEGRAM_API_BASE_URL=base,
                  TELEGRAM_BOT_TOKEN="987654321:AAHanotherTokenTelegramDoesNotKnow_01")
    before = snapshot(tmp_path)
    result = cli(env, "run")
    if token == "refused":
        assert result.returncode == 2
        assert one_line(result) == ("waakzaam: cannot start: Telegram refused TELEGRAM_BOT_TOKEN: check it with "
                                    "@BotFather (/mybots). Nothing was created.")
    else:
        assert result.returncode == 1
        assert "cannot reach the Bot API at http://127.0.0.1:9/bot" in one_line(result)
    assert snapshot(tmp_path) == before


def test_invite_with_a_refused_token_says_so_and_exits_2(tmp_path, telegram):
    env = _installed(tmp_path, TELEGRAM_API_BASE_URL=telegram.api_base_url)
    db = env.parent / "data" / "waakzaam.db"
    invites = sqlite3.connect(db).execute("SELECT COUNT(*) FROM invites").fetchone()
    _set(env, "TELEGRAM_BOT_TOKEN", "987654321:AAHanotherTokenTelegramDoesNotKnow_01")
    before = snapshot(env.parent)
    result = cli(env, "invite", "listener")
    assert result.returncode == 2 and result.stdout == ""
    assert one_line(result) == ("waakzaam: Telegram refused TELEGRAM_BOT_TOKEN: check it with @BotFather (/mybots). "
                                "Nothing was created.")
    assert snapshot(env.parent) == before
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM invites").fetchone() == invites


def test_the_first_invite_makes_the_default_folder_the_database_and_the_key(tmp_path, telegram):
    env = install(tmp_path, TELEGRAM_API_BASE_URL=telegram.api_base_url)
    result = cli(env, "invite", "coordinator")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1].startswith("https://t.me/WaakzaamTestBot?start=")
    assert (env.parent / "data" / "waakzaam.db").is_file() and (env.parent / "keys" / "master.key").is_file()
    assert (env.parent / "data").stat().st_mode & 0o777 == 0o700


# --- 25.2: the lock is the real file's -------------------------------------------------------------

@pytest.mark.parametrize("link", ["file", "folder"])
def test_a_symlinked_path_to_the_database_takes_the_same_lock(tmp_path, telegram, link):
    env = _installed(tmp_path)
    db = env.parent / "data" / "waakzaam.db"
    other = tmp_path / "elsewhere"
    other.mkdir()
    if link == "file":
        (other / "waakzaam.db").symlink_to(db)
    else:
        (other / "data").symlink_to(db.parent)
    linked = other / "waakzaam.db" if link == "file" else other / "data" / "waakzaam.db"
    second = install(tmp_path, "second", WAAKZAAM_DB=str(linked), TELEGRAM_API_BASE_URL=telegram.api_base_url,
                     WAAKZAAM_KEY_FILE=str(env.parent / "keys" / "master.key"))
    with DatabaseLock(db).acquire("the bot"):
        before = snapshot(tmp_path)
        in_use = f"the database is in use by the bot (pid {os.getpid()}); wait for it to end, or stop it first"
        for command, code, said in ((["rotate-key"], 1, "rotate-key refused: "),
                                    (["restore", "--resume"], 1, "restore failed: "), (["run"], 2, "cannot start: ")):
            result = cli(second, *command)
            assert (result.returncode, one_line(result)) == (code, f"waakzaam: {said}{in_use}"), command
        assert snapshot(tmp_path) == before


# --- 25.7: numbers ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name,value,line", [
    ("WAAKZAAM_CONTACT_DEADLINE_HOURS", "nan", "a number of hours from more than 0 to 720, not 'nan'"),
    ("WAAKZAAM_CONTACT_DEADLINE_HOURS", "inf", "a number of hours from more than 0 to 720, not 'inf'"),
    ("WAAKZAAM_CONTACT_DEADLINE_HOURS", "1e20", "a number of hours from more than 0 to 720, not '1e20'"),
    ("WAAKZAAM_INVITE_TTL_DAYS", "1e12", "a number of days from more than 0 to 365, not '1e12'"),
    ("WAAKZAAM_CHECKIN_DAYS", "-inf", "a number of days from more than 0 to 365, not '-inf'"),
    ("WAAKZAAM_POLL_INTERVAL", "inf", "a number of seconds from 0 to 60, not 'inf'"),
    ("WAAKZAAM_POLL_INTERVAL", "nan", "a number of seconds from 0 to 60, not 'nan'"),
    ("WAAKZAAM_SMALL_CELL", "²", "a whole number from 4 to 100"),
    ("WAAKZAAM_TWO_PERSON_WAIT_DAYS", "²", "a whole number of days from 1 to 90"),
    ("WAAKZAAM_REMOVAL_DELAY_HOURS", "٣", "a whole number of hours from 1 to 336"),
])
def test_a_number_setting_out_of_range_is_one_line_naming_it(tmp_path, monkeypatch, capsys, name, value, line):
    env = _made(tmp_path)
    before = snapshot(env.parent / "data")
    _set(env, name, value)
    # The command as the operator runs it, then the other one that needs the setting in this process.
    for result in (cli(env, "run"), _in_process(monkeypatch, capsys, env, "invite", "listener")):
        assert result.returncode == 2
        assert one_line(result).startswith(f"waakzaam: {name} must be {line}")
    assert snapshot(env.parent / "data") == before


# --- 22.6: a typo in a setting's name ---------------------------------------------------------------

def test_a_misspelled_setting_in_env_stops_every_command_but_check(tmp_path, monkeypatch, capsys):
    env = _made(tmp_path)
    _set(env, "WAKZAAM_ACCESS_CODE", "letmein1")  # one letter short: the bot would run without a code
    before = snapshot(env.parent / "data")
    # `run` as the operator runs it; the other commands through the same main() in this process.
    for result in (cli(env, "run"), *(_in_process(monkeypatch, capsys, env, *command)
                                      for command in (["invite", "listener"], ["backup", str(tmp_path)],
                                                      ["rotate-key"]))):
        assert result.returncode == 2
        assert one_line(result) == (f"waakzaam: WAKZAAM_ACCESS_CODE (in {env}) is not a Waakzaam setting: did you "
                                    "mean WAAKZAAM_ACCESS_CODE? Correct or remove it.")
    checked = cli(env, "check", "--offline")
    assert checked.returncode == 1
    assert (f"FAIL WAKZAAM_ACCESS_CODE (in {env}) is not a Waakzaam setting: did you mean WAAKZAAM_ACCESS_CODE? "
            "Correct or remove it.") in checked.stdout.splitlines()
    assert "OK   database" in checked.stdout  # and the other findings are still there
    assert snapshot(env.parent / "data") == before


@pytest.mark.parametrize("name,meant", [("WAAKZAM_POLL_INTERVAL", "WAAKZAAM_POLL_INTERVAL"),
                                        ("waakzaam_access_code", "WAAKZAAM_ACCESS_CODE"),
                                        ("WAAKZAAM_RETENTION", "WAAKZAAM_RETENTION_DAYS")])
def test_a_misspelled_setting_in_the_environment_is_named_with_the_closest(tmp_path, name, meant):
    env = _installed(tmp_path)
    result = cli(env, "run", extra={name: "1"})
    assert result.returncode == 2
    assert one_line(result) == (f"waakzaam: {name} (in the environment) is not a Waakzaam setting: did you mean "
                                f"{meant}? Correct or remove it.")


# --- 25.10: misleading lines ------------------------------------------------------------------------

def test_a_key_file_of_32_raw_bytes_is_named_for_what_it_is(tmp_path):
    env = install(tmp_path)
    key = env.parent / "keys" / "master.key"
    key.write_bytes(bytes(range(200, 232)))
    key.chmod(0o600)
    result = cli(env, "check", "--offline")
    assert result.returncode == 1
    assert (f"FAIL the key file {key} holds 32 raw bytes: a Waakzaam key file holds the 32-byte key as 64 hex digits "
            "on one line, as the bot writes it (xxd -p -c 32 turns raw bytes into that)") in result.stdout.splitlines()


@pytest.mark.parametrize("name,value,example", [("WAAKZAAM_KEY_FILE", "keys", "master.key"),
                                                ("WAAKZAAM_DB", "keys", "waakzaam.db")])
def test_a_path_setting_that_names_a_folder_says_so(tmp_path, name, value, example):
    env = install(tmp_path, **{name: value})
    before = snapshot(env.parent)
    for command in (["run"], ["check", "--offline"]):
        result = cli(env, *command)
        line = f"{name} names the folder {env.parent / 'keys'}; it must name a file in it, such as " \
               f"{env.parent / 'keys' / example}."
        if command == ["run"]:
            assert result.returncode == 2 and one_line(result) == f"waakzaam: {line}"
        else:
            assert result.returncode == 1 and result.stdout.strip() == f"FAIL {line}"
    assert snapshot(env.parent) == before


def test_a_backup_with_neither_database_nor_key_names_both(tmp_path):
    env = install(tmp_path)
    result = cli(env, "backup", str(tmp_path))
    site = env.parent
    assert result.returncode == 1
    assert one_line(result) == (f"waakzaam: backup failed: there is no database at {site}/data/waakzaam.db "
                                f"(WAAKZAAM_DB), and no key file is at {site}/keys/master.key (WAAKZAAM_KEY_FILE): "
                                "nothing to back up. Check these settings (and WAAKZAAM_ENV_FILE).")


def test_a_refused_rotation_without_a_database_leaves_no_folder_and_no_lock(tmp_path):
    env = install(tmp_path)
    before = snapshot(tmp_path)
    result = cli(env, "rotate-key")
    assert result.returncode == 1
    assert one_line(result) == (f"waakzaam: rotate-key refused: there is no database at {env.parent}/data/waakzaam.db "
                                "(WAAKZAAM_DB); nothing was changed.")
    assert snapshot(tmp_path) == before


@needs_plain_user
def test_a_folder_this_user_may_not_write_is_named_not_errno_13(tmp_path):
    env = _installed(tmp_path)
    data = env.parent / "data"
    (data / "waakzaam.db.lock").unlink()
    before = snapshot(data)
    data.chmod(0o500)
    try:
        rotated = cli(env, "rotate-key", plain_user=True)
        backups = tmp_path / "backups"
        backups.mkdir()
        copied = cli(env, "backup", str(backups), plain_user=True)
    finally:
        data.chmod(0o700)
    assert rotated.returncode == 1
    assert one_line(rotated).startswith(f"waakzaam: rotate-key refused: this user (uid {os.getuid()}) may not write "
                                        f"in the database's folder {data}, so it cannot take the lock "
                                        "waakzaam.db.lock there")
    assert "Errno" not in rotated.stderr
    # The backup blames the database's folder (SQLite must make its -shm file there), not the target.
    assert copied.returncode == 1
    assert one_line(copied).startswith(f"waakzaam: backup failed: cannot read the database {data}/waakzaam.db: this "
                                       f"user (uid {os.getuid()}) may not write")
    assert list(backups.iterdir()) == []
    assert snapshot(data) == before


@needs_root
def test_a_full_disk_at_open_is_called_a_full_disk(tmp_path, telegram):
    env = _installed(tmp_path, TELEGRAM_API_BASE_URL=telegram.api_base_url)
    data = env.parent / "data"
    saved = tmp_path / "saved.db"
    shutil.copy(data / "waakzaam.db", saved)
    # In a mount namespace of its own (nothing outside sees it): the data folder is a 1 MB tmpfs,
    # filled up after the database is copied in.
    script = (f"mount -t tmpfs -o size=1m,mode=700 tmpfs {data} && cp {saved} {data}/waakzaam.db && "
              f"(dd if=/dev/zero of={data}/fill bs=4k 2>/dev/null; true) && exec \"$@\"")
    results = {}
    for command in (["run"], ["check", "--offline"]):
        results[command[0]] = subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", sys.executable, "-m", "bot",
             *command], env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
                             "WAAKZAAM_ENV_FILE": str(env)}, capture_output=True, text=True, timeout=60)
    assert results["run"].returncode == 2
    assert one_line(results["run"]) == (f"waakzaam: cannot start: cannot open the database {data}/waakzaam.db: the "
                                        f"disk holding {data} is full. Nothing was changed.")
    assert results["check"].returncode == 1
    assert (f"FAIL {data}/waakzaam.db cannot be read as a database: the disk holding {data} is full"
            in results["check"].stdout.splitlines())


# --- 25.11: help ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("command,words", [
    ("run", "Run the bot until SIGTERM"), ("backup", "Copy the database into a new file"),
    ("restore", "Replace the database with a backup, all or nothing"), ("rotate-key", "Make a new key version"),
    ("check", "one line per finding"), ("invite", "one-time invitation link for one person")])
def test_each_command_has_a_description(tmp_path, command, words):
    result = cli(install(tmp_path), command, "--help")
    assert result.returncode == 0
    assert words in " ".join(result.stdout.split())


def test_the_top_level_help_names_the_env_file_and_the_exit_codes(tmp_path):
    result = cli(install(tmp_path), "--help")
    text = " ".join(result.stdout.split())
    assert result.returncode == 0
    for words in (".env file in the repository folder", "WAAKZAAM_ENV_FILE", "exit codes:", "0 done",
                  "1 a check or an operation failed", "2 usage, settings or start-up refused"):
        assert words in text, words
