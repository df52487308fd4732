"""Settings and start-up: one clear line for every mistake, and a key that must fit."""
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import hermetic
import launcher
import pytest

from bot.foundations.settings import SettingsError, load_settings
from bot.running.startup import StartupError, open_core

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456789:AAHtestTokenForOfflineTestsOnly_0123456"


@pytest.fixture
def clean_env(monkeypatch):
    hermetic.clear(monkeypatch)
    return monkeypatch


def test_missing_token_explains_botfather(clean_env, tmp_path):
    with pytest.raises(SettingsError, match="BotFather"):
        load_settings(tmp_path / "absent.env")


@pytest.mark.parametrize("name,value,needle", [
    ("TELEGRAM_BOT_TOKEN", "not-a-token", "TELEGRAM_BOT_TOKEN"),
    ("WAAKZAAM_TIMEZONE", "Mars/Olympus", "WAAKZAAM_TIMEZONE"),
    ("WAAKZAAM_DEFAULT_LANGUAGE", "de", "WAAKZAAM_DEFAULT_LANGUAGE"),
    ("WAAKZAAM_CONTACT_DEADLINE_HOURS", "soon", "WAAKZAAM_CONTACT_DEADLINE_HOURS"),
    ("WAAKZAAM_ACCESS_CODE", "has spaces", "WAAKZAAM_ACCESS_CODE"),
    ("TELEGRAM_API_BASE_URL", "ftp://x", "TELEGRAM_API_BASE_URL"),
    ("WAAKZAAM_DIGEST_AT", "Monday morning", "WAAKZAAM_DIGEST_AT"),
    ("WAAKZAAM_DIGEST_AT", "MON 24:00", "WAAKZAAM_DIGEST_AT"),
    ("WAAKZAAM_REVIEW_EVERY", "weekly", "WAAKZAAM_REVIEW_EVERY"),
    ("WAAKZAAM_REVIEW_EVERY", "3", "WAAKZAAM_REVIEW_EVERY"),
    ("WAAKZAAM_SIGNAL_MIN", "1", "WAAKZAAM_SIGNAL_MIN"),
    ("WAAKZAAM_SETTLE_DAYS", "29", "WAAKZAAM_SETTLE_DAYS"),
    ("WAAKZAAM_SMALL_CELL", "3", "WAAKZAAM_SMALL_CELL"),
])
def test_malformed_setting_is_named(clean_env, tmp_path, name, value, needle):
    clean_env.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    clean_env.setenv(name, value)
    with pytest.raises(SettingsError, match=needle):
        load_settings(tmp_path / "absent.env")


def test_env_file_is_read_and_environment_wins(clean_env, tmp_path):
    env = tmp_path / ".env"
    env.write_text(f"TELEGRAM_BOT_TOKEN={TOKEN}\nWAAKZAAM_DEFAULT_LANGUAGE=fr\nWAAKZAAM_DEPARTMENTS=A, B\n")
    clean_env.setenv("WAAKZAAM_DEFAULT_LANGUAGE", "en")
    settings = load_settings(env)
    assert settings.token == TOKEN and settings.default_language == "en"
    assert settings.departments == ("A", "B")


def test_digest_settings_are_read(clean_env, tmp_path):
    clean_env.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    for name, value in (("WAAKZAAM_DIGEST_AT", "sun 2:30"), ("WAAKZAAM_REVIEW_EVERY", "14"),
                        ("WAAKZAAM_SIGNAL_MIN", "4"), ("WAAKZAAM_SMALL_CELL", "6"), ("WAAKZAAM_SETTLE_DAYS", "0")):
        clean_env.setenv(name, value)
    settings = load_settings(tmp_path / "absent.env")
    assert (settings.digest_weekday, settings.digest_time.isoformat()) == (6, "02:30:00")
    assert settings.review_every_days == 14 and settings.signal_min == 4 and settings.settle_days == 0
    # A review flag "at least 5" beside "fewer than 6" would pin a count at 5: refused, saying why.
    clean_env.setenv("WAAKZAAM_SIGNAL_MIN", "5")
    with pytest.raises(SettingsError, match="WAAKZAAM_SIGNAL_MIN must be at most WAAKZAAM_SMALL_CELL - 2"):
        load_settings(tmp_path / "absent.env")
    clean_env.setenv("WAAKZAAM_SIGNAL_MIN", "4")
    clean_env.setenv("WAAKZAAM_REVIEW_EVERY", "monthly")
    assert load_settings(tmp_path / "absent.env").review_every_days is None


def test_key_beside_database_is_refused(clean_env, tmp_path):
    clean_env.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    clean_env.setenv("WAAKZAAM_DB", str(tmp_path / "data" / "w.db"))
    clean_env.setenv("WAAKZAAM_KEY_FILE", str(tmp_path / "data" / "master.key"))
    with pytest.raises(SettingsError, match="WAAKZAAM_KEY_FILE"):
        load_settings(tmp_path / "absent.env")


async def test_key_created_on_first_start_then_required(settings):
    core = await open_core(settings)
    await core.people.ensure(5551234567, 5551234567, "nl")
    await core.close()
    assert settings.key_file.exists()

    key = settings.key_file.read_bytes()
    settings.key_file.unlink()
    before = settings.db_path.read_bytes()
    with pytest.raises(StartupError, match="missing"):
        await open_core(settings)
    assert not settings.key_file.exists()  # no new key made for a database with data
    assert settings.db_path.read_bytes() == before

    settings.key_file.write_text("ab" * 32 + "\n")
    settings.key_file.chmod(0o600)
    with pytest.raises(StartupError, match="does not fit"):
        await open_core(settings)

    settings.key_file.write_bytes(key)
    core = await open_core(replace(settings))
    assert await core.people.find(5551234567) is not None
    await core.close()


def _run_cli(env_extra: dict, tmp_path: Path) -> subprocess.CompletedProcess:
    empty = tmp_path / "empty.env"  # 0600: the env file the suite names is readable by others
    empty.write_text("")
    empty.chmod(0o600)
    env = hermetic.environ({"WAAKZAAM_ENV_FILE": str(empty), **env_extra})
    return launcher.run([sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=env,
                        capture_output=True, text=True, timeout=60)


def test_cli_reports_a_missing_token_in_one_line(tmp_path):
    result = _run_cli({"PYTHONPATH": str(ROOT)}, tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "BotFather" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_cli_reports_unreachable_api_without_traceback_and_creates_nothing(tmp_path):
    (tmp_path / "data").mkdir()
    result = _run_cli({
        "PYTHONPATH": str(ROOT), "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot",
        "WAAKZAAM_DB": str(tmp_path / "data" / "w.db"), "WAAKZAAM_KEY_FILE": str(tmp_path / "k" / "m.key"),
    }, tmp_path)
    assert result.returncode == 1  # it may pass: systemd starts the bot again
    assert result.stderr.strip().splitlines() == [
        "waakzaam: cannot start: cannot reach the Bot API at http://127.0.0.1:9/bot. Check the network or "
        "TELEGRAM_API_BASE_URL; nothing was created. Under systemd the bot is started again."]
    assert list((tmp_path / "data").iterdir()) == [] and not (tmp_path / "k").exists()


@pytest.mark.parametrize("case", ["directory", "under_a_file", "read_only"])
async def test_a_bad_database_path_is_one_line(settings, tmp_path, monkeypatch, case):
    if case == "directory":
        settings = replace(settings, db_path=tmp_path / "a-folder")
        settings.db_path.mkdir()
    elif case == "under_a_file":
        (tmp_path / "plain").write_text("not a folder")
        settings = replace(settings, db_path=tmp_path / "plain" / "w.db")
    else:
        core = await open_core(settings)
        await core.close()
        import aiosqlite

        real_connect = aiosqlite.connect

        def read_only(path, **kwargs):  # what a read-only mount gives SQLite
            return real_connect(f"file:{path}?mode=ro", uri=True, **kwargs)

        monkeypatch.setattr(aiosqlite, "connect", read_only)
    with pytest.raises(StartupError) as refused:
        core = await open_core(settings)
        await core.close()
    line = str(refused.value)
    assert "\n" not in line and str(settings.db_path) in line
    assert {"directory": f"{settings.db_path} is a folder; WAAKZAAM_DB must name the database file in it",
            "under_a_file": "is a file where a folder should be; check WAAKZAAM_DB",
            "read_only": "may not write"}[case] in line


async def test_debug_log_names_each_update_without_ids_or_text(app, services, people, caplog):
    import logging

    from flows import ask_for_conversation, join_as_member

    caplog.set_level(logging.DEBUG, logger="bot")
    anna, emma = people(6182734459, "Anna"), people(7391046628, "Emma")
    await join_as_member(services, anna, "Anna")
    await ask_for_conversation(emma, first_message="a private first message")
    lines = [r.getMessage() for r in caplog.records if r.name in ("bot.running.inbox", "bot.running.sender")]
    assert any("message, handlers.conversation.on_text" in line for line in lines)
    assert any("callback_query, handlers.employee.ask_step" in line for line in lines)
    assert any(line.startswith("outbox ") and " sent in " in line for line in lines)
    for line in lines:
        assert "6182734459" not in line and "7391046628" not in line and "private first" not in line


async def test_a_loose_key_file_or_folder_is_refused_in_one_line(settings):
    core = await open_core(settings)
    await core.close()
    settings.key_file.chmod(0o644)
    with pytest.raises(StartupError, match="can be read by others .*chmod 600"):
        await open_core(settings)
    settings.key_file.chmod(0o600)
    settings.key_file.parent.chmod(0o777)
    with pytest.raises(StartupError, match="can be changed by others"):
        await open_core(settings)
    settings.key_file.parent.chmod(0o700)
    core = await open_core(settings)
    await core.close()


def test_a_database_inside_the_key_folder_is_refused(clean_env, tmp_path):
    clean_env.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    clean_env.setenv("WAAKZAAM_KEY_FILE", str(tmp_path / "keys" / "master.key"))
    clean_env.setenv("WAAKZAAM_DB", str(tmp_path / "keys" / "data" / "w.db"))
    with pytest.raises(SettingsError, match="share a folder"):
        load_settings(tmp_path / "absent.env")


def test_secrets_never_appear_in_a_repr(settings):
    from bot.foundations.crypto import Vault, new_master_key

    key = new_master_key()
    vault = Vault.from_master_key(key)
    assert settings.token not in repr(settings)
    shown = repr(vault)
    assert key.hex() not in shown and "_user_key" not in shown and "b'" not in shown


def test_start_script_makes_a_private_env_file(tmp_path):
    import shutil

    for name in ("scripts/start", "scripts/_setup.sh", ".env.example", "pyproject.toml", "constraints.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    # A stand-in for the project's virtualenv: the script's own steps are what is tested.
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    for tool in ("python", "waakzaam"):
        (tmp_path / ".venv" / "bin" / tool).write_text("#!/bin/sh\nexit 0\n")
        (tmp_path / ".venv" / "bin" / tool).chmod(0o755)
    stamp = subprocess.run("cat pyproject.toml constraints.txt | sha256sum", shell=True, cwd=tmp_path,
                           capture_output=True, text=True).stdout
    (tmp_path / ".venv" / ".installed").write_text(stamp.split()[0] + "\n")
    env = {k: v for k, v in hermetic.environ().items() if k != hermetic.ENV_FILE}  # start makes its own .env
    result = subprocess.run(["bash", "scripts/start"], cwd=tmp_path, env={**env, "HOME": str(tmp_path)},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / ".env").stat().st_mode & 0o077 == 0


def test_a_readable_env_file_is_warned_about(tmp_path):
    from bot.foundations.settings import env_file_warning

    env = tmp_path / ".env"
    env.write_text(f"TELEGRAM_BOT_TOKEN={TOKEN}\n")
    env.chmod(0o644)
    assert "chmod 600" in env_file_warning(env)
    env.chmod(0o600)
    assert env_file_warning(env) is None
