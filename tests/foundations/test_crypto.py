import stat

import pytest

from bot.foundations.crypto import (
    DecryptionError,
    KeyFileError,
    Vault,
    new_master_key,
    read_key_file,
    write_key_file,
)


@pytest.fixture
def vault():
    return Vault.from_master_key(new_master_key())


def test_seal_round_trip_and_no_plaintext(vault):
    sealed = vault.seal("messages", "body", 7, "ik ben moe")
    assert b"ik ben moe" not in sealed
    assert vault.open("messages", "body", 7, sealed) == "ik ben moe"
    assert vault.seal("messages", "body", 7, "ik ben moe") != sealed  # random nonce


@pytest.mark.parametrize("table,column,row", [("messages", "body", 8), ("messages", "note", 7), ("drafts", "body", 7)])
def test_value_moved_to_another_record_fails(vault, table, column, row):
    sealed = vault.seal("messages", "body", 7, "secret")
    with pytest.raises(DecryptionError):
        vault.open(table, column, row, sealed)


def test_other_key_and_tampering_fail(vault):
    sealed = vault.seal("people", "chat_id", 1, "123")
    with pytest.raises(DecryptionError):
        Vault.from_master_key(new_master_key()).open("people", "chat_id", 1, sealed)
    tampered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(DecryptionError):
        vault.open("people", "chat_id", 1, tampered)


def test_user_hash_is_keyed(vault):
    other = Vault.from_master_key(new_master_key())
    assert vault.user_hash(42) == vault.user_hash(42)
    assert vault.user_hash(42) != other.user_hash(42)
    assert vault.user_hash(42) != vault.code_hash("42")


def test_key_file_is_private_and_never_overwritten(tmp_path):
    path = tmp_path / "keys" / "master.key"
    key = new_master_key()
    write_key_file(path, key)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_key_file(path) == key
    with pytest.raises(FileExistsError):
        write_key_file(path, new_master_key())
    assert read_key_file(tmp_path / "missing.key") is None
    path.write_text("not hex")
    with pytest.raises(KeyFileError):
        read_key_file(path)
