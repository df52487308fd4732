"""Key rotation: every sealed column re-sealed, crash-safe, one at a time, ids re-keyed."""
from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import hermetic
import launcher
import pytest
from flows import ask_for_conversation, join_as_member

from bot.foundations.crypto import Vault, key_path, new_master_key, read_key_files
from bot.foundations.storage.database import Database
from bot.foundations.storage.migrations import MIGRATIONS_DIR, migrate
from bot.foundations.storage.rekeying import Rekeying
from bot.foundations.storage.sealed import SEALED_COLUMNS, insert_sealed
from bot.running.key_rotation import RotationError, rotate
from bot.running.lock import DatabaseLock
from bot.running.startup import StartupError, open_core

ROOT = Path(__file__).resolve().parents[2]


async def _enc_columns(folder: Path, tmp_path: Path) -> set[tuple[str, str]]:
    db = Database(tmp_path / "schema.db")
    await db.connect()
    try:
        await migrate(db, Vault.from_master_key(new_master_key()), folder)
        tables = [r[0] for r in await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {(table, row["name"]) for table in tables for row in await db.fetchall(f"PRAGMA table_info({table})")
                if row["name"].endswith("_enc")}
    finally:
        await db.close()


def _registered() -> set[tuple[str, str]]:
    return {(c.table, c.stored) for c in SEALED_COLUMNS if c.table != "meta"}


async def test_the_registry_names_every_sealed_column_of_the_schema(tmp_path):
    assert await _enc_columns(MIGRATIONS_DIR, tmp_path) == _registered()


async def test_a_migration_adding_a_sealed_column_is_caught(tmp_path):
    folder = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, folder)
    number = len(list(folder.glob("*.sql"))) + 1
    (folder / f"{number:03d}_secret.sql").write_text("ALTER TABLE members ADD COLUMN motto_enc BLOB;\n")
    assert await _enc_columns(folder, tmp_path) - _registered() == {("members", "motto_enc")}


def _every_sealed_value_opens(db_path: Path, vault: Vault) -> dict[int, int]:
    """Open every sealed value in the file with `vault`; returns how many of each key version."""
    versions: dict[int, int] = {}
    conn = sqlite3.connect(db_path)
    try:
        for column in SEALED_COLUMNS:
            where = f" AND {column.only}" if column.only else ""
            for row_key, sealed in conn.execute(
                    f"SELECT {column.row_key}, {column.stored} FROM {column.table}"
                    f" WHERE {column.stored} IS NOT NULL AND length({column.stored}) > 0{where}"):
                vault.open_bytes(column.table, column.name, row_key, sealed)
                versions[sealed[0]] = versions.get(sealed[0], 0) + 1
    finally:
        conn.close()
    return versions


async def test_after_a_rotation_every_conversation_and_note_reads_as_before(running, people, settings):
    services = running.services
    anna, emma = people(5101, "Anna"), people(5102, "Emma")
    await join_as_member(services, anna, "Anna")
    ref = await ask_for_conversation(emma, first_message="the night shift wears me down")
    await anna.press("Claim", anna.last())
    await anna.send("I am listening")
    await anna.send("/note tired, night shifts")
    invite = await services.core.invites.create("member", settings.invite_ttl)
    await running.app.shutdown()
    await running.app.post_shutdown(running.app)

    core = await open_core(settings, rotating=True)
    done = await rotate(core, batch=3)
    await core.close()
    assert done.version == 2 and done.resealed >= 8 and done.rekeyed == 2 and done.unproven == 0
    keys = read_key_files(settings.key_file)
    assert _every_sealed_value_opens(settings.db_path, Vault.from_master_keys(keys, 2)).keys() == {2}

    # The old key retires: without it, everything still opens and everyone is still known.
    settings.key_file.rename(settings.key_file.with_name("master.key.retired"))
    await running.start()
    services = running.services
    person = await services.core.people.find(emma.id)
    assert person is not None and await services.core.people.user_hash_of(person.id) == services.core.vault.user_hash(emma.id)
    await emma.send("thank you for answering")
    assert "thank you for answering" in anna.last().text and ref in anna.last().text
    await anna.send("/cases")
    await anna.press("Notes")
    assert "tired, night shifts" in anna.last().text
    # An invitation made before the rotation works while its key version is held...
    newcomer = people(5103, "Nora")
    settings.key_file.with_name("master.key.retired").rename(settings.key_file)
    await running.restart()
    await newcomer.send(f"/start {invite}")
    assert any("charter:yes" in m.button_data() for m in newcomer.inbox())


async def test_the_bot_refuses_to_start_during_an_unfinished_rotation(settings):
    core = await open_core(settings)
    await core.people.ensure(5201, 5201, "nl")
    async with core.db.transaction():
        await Rekeying(core.db, core.vault).begin(2)
    await core.close()
    with pytest.raises(StartupError, match="rotation to key version 2 was interrupted.*rotate-key"):
        await open_core(settings)
    core = await open_core(settings, rotating=True)
    await rotate(core)
    await core.close()
    core = await open_core(settings)
    assert core.vault.key_version == 2 and await core.people.find(5201) is not None
    await core.close()


def _cli_env(settings) -> dict[str, str]:
    env = hermetic.environ()
    env_file = settings.db_path.parent.parent / "test.env"
    env_file.write_text("")
    env_file.chmod(0o600)
    return {**env, "PYTHONPATH": str(ROOT), "WAAKZAAM_ENV_FILE": str(env_file),
            "WAAKZAAM_DB": str(settings.db_path), "WAAKZAAM_KEY_FILE": str(settings.key_file)}


async def _seed(settings, people_count: int) -> dict:
    """People (chat id, language), a draft each, and updates still waiting in the inbox."""
    core = await open_core(settings)
    expected = {"drafts": {}, "people": {}}
    async with core.db.transaction():
        for n in range(people_count):
            uid = 610_000_000 + n
            person = await core.people.ensure(uid, uid, ("nl", "fr", "en")[n % 3])
            expected["people"][person.id] = uid
            draft = await insert_sealed(core.db, core.vault, "drafts",
                                        {"person_id": person.id, "created_at": "2026-01-01"}, {"body": f"draft number {n}"})
            expected["drafts"][draft] = f"draft number {n}"
            if n % 10 == 0:
                update = {"update_id": 900_000 + n, "message": {"message_id": n, "date": 0, "text": f"waiting {n}",
                                                                "chat": {"id": uid, "type": "private"},
                                                                "from": {"id": uid, "is_bot": False, "first_name": "X"}}}
                await core.inbox.record(update["update_id"], uid, json.dumps(update))
    await core.close()
    return expected


async def _everything_is_there(settings, expected: dict, version: int) -> None:
    keys = read_key_files(settings.key_file)
    counts = _every_sealed_value_opens(settings.db_path, Vault.from_master_keys(keys, version))
    assert set(counts) == {version}
    core = await open_core(settings)
    try:
        assert core.vault.key_version == version
        for draft_id, body in expected["drafts"].items():
            row = await core.db.fetchone("SELECT body_enc FROM drafts WHERE id = ?", (draft_id,))
            assert core.vault.open("drafts", "body", draft_id, row["body_enc"]) == body
        for person_id, uid in expected["people"].items():
            assert await core.people.chat_id(person_id) == uid
            assert await core.people.user_hash_of(person_id) == core.vault.user_hash(uid)
        senders = await core.db.fetchall("SELECT sender, payload_enc, update_id FROM inbox WHERE state = 'pending'")
        assert senders
        for row in senders:
            update = json.loads(core.vault.open("inbox", "payload", row["update_id"], row["payload_enc"]))
            assert row["sender"] == core.vault.user_hash(update["message"]["from"]["id"])
    finally:
        await core.close()


async def test_a_rotation_killed_at_random_points_is_finished_by_running_it_again(settings):
    expected = await _seed(settings, 1200)  # 2,400 people values + 1,200 drafts + inbox payloads
    env = _cli_env(settings)
    rng = random.Random(20261127)
    kills, mixes = 0, []
    for attempt in range(4):
        proc = launcher.Popen([sys.executable, "-m", "bot", "rotate-key", "--batch", "40"], env=env, cwd="/",
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if attempt == 0:
            time.sleep(rng.uniform(0.05, 0.3))  # while it starts: before anything was re-sealed
        else:
            stop_at = rng.uniform(0.1, 0.7)  # then at a random point under way, never at its end
            for line in proc.stderr:
                if line.startswith("re-sealing:"):
                    done, total = map(int, line.split()[1].split("/"))
                    if total and done / total >= stop_at:
                        break
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()
        # Killed wherever it was, every value still opens, with the key version it names.
        keys = read_key_files(settings.key_file)
        mixes.append(_every_sealed_value_opens(settings.db_path, Vault.from_master_keys(keys, max(keys))))
    assert kills >= 3
    assert any(len(mix) == 2 for mix in mixes), mixes  # at least one kill fell halfway
    # Until it is finished the bot does not start.
    with pytest.raises(StartupError, match="interrupted"):
        core = await open_core(settings)
        await core.close()
    finished = launcher.run([sys.executable, "-m", "bot", "rotate-key"], env=env, cwd="/",
                            capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    assert "Finished the interrupted rotation to key version 2" in finished.stdout
    assert sorted(read_key_files(settings.key_file)) == [1, 2]  # the old key stays until the operator removes it
    await _everything_is_there(settings, expected, 2)


def test_two_rotations_at_once_one_refuses(settings):
    asyncio.run(_seed(settings, 3))
    with DatabaseLock(settings.db_path).acquire("a key rotation"):
        refused = launcher.run([sys.executable, "-m", "bot", "rotate-key"], env=_cli_env(settings), cwd="/",
                               capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [
        f"waakzaam: rotate-key refused: the database is in use by a key rotation (pid {os.getpid()}); "
        "wait for it to end, or stop it first"]
    assert not key_path(settings.key_file, 2).exists()


async def test_a_missing_old_key_stops_the_rotation_and_names_it(settings):
    await _seed(settings, 3)
    core = await open_core(settings, rotating=True)
    await rotate(core)
    await core.close()
    # A copy from before the first rotation comes back, and the old key is gone.
    core = await open_core(settings, rotating=True)
    await core.db.execute("UPDATE drafts SET body_enc = ? WHERE id = 1",
                          (Vault.from_master_keys({9: b"k" * 32}, 9).seal("drafts", "body", 1, "x"),))
    with pytest.raises(RotationError, match="key version 9.*master.v9.key"):
        await rotate(core)
    await core.close()
