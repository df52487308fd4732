"""After a realistic session, the database file, its WAL and the logs hold no text, name or id."""
import logging

from flows import ask_for_conversation, join_as_member

from bot.running.logs import PrivacyFilter

EMMA_ID = 7391046628
ANNA_ID = 6182734459
BERT_ID = 5720938841
SECRETS_TEXT = [
    "Mijn leidinggevende schreeuwt elke dag tegen mij",
    "Ik slaap al weken slecht door de reorganisatie",
    "Dank je om te luisteren, Marguerite",
    "Wil je morgen verder praten?",
    "Annelies Verstraeten",  # a member's display name
]


def _needles():
    words = SECRETS_TEXT + ["Marguerite", "Vandenbroucke", "marguerite_vdb", "Bertrand", "Annelies"]
    ids = [EMMA_ID, ANNA_ID, BERT_ID]
    found = [w.encode() for w in words] + [w.encode("utf-16-le") for w in words]
    found += [str(i).encode() for i in ids] + [i.to_bytes(8, "big") for i in ids]
    return found


async def test_database_wal_and_logs_reveal_nothing(app, services, people, settings, caplog):
    # Even at DEBUG, the product's log filter keeps library records with content out.
    caplog.set_level(logging.DEBUG)
    caplog.handler.addFilter(PrivacyFilter())
    anna = people(ANNA_ID, "Annelies", "nl", username="annelies_v")
    bert = people(BERT_ID, "Bertrand", "fr", username="bertrand_b")
    emma = people(EMMA_ID, "Marguerite", "nl", username="marguerite_vdb")
    emma.user["last_name"] = "Vandenbroucke"
    await join_as_member(services, anna, "Annelies Verstraeten", languages=("nl",))
    await join_as_member(services, bert, "Bertrand", gender="man", languages=("fr",))
    ref = await ask_for_conversation(emma, choices=("ask:l:nl",), department=1,
                                     first_message=SECRETS_TEXT[0])
    await anna.press(f"claim:{ref}")
    await emma.send(SECRETS_TEXT[1])
    await anna.send(SECRETS_TEXT[2])
    await anna.send(SECRETS_TEXT[3])
    relayed = [m.text for m in emma.inbox()]
    assert any(SECRETS_TEXT[3] in t for t in relayed)  # it really went through

    files = [settings.db_path, settings.db_path.with_name(settings.db_path.name + "-wal")]
    assert files[1].exists() and files[1].stat().st_size > 0
    blobs = {f.name: f.read_bytes() for f in files}
    log_text = "\n".join(caplog.handler.format(r) + repr(r.args) for r in caplog.records).encode()
    blobs["log"] = log_text
    for name, blob in blobs.items():
        for needle in _needles():
            assert needle not in blob, f"{needle!r} found in {name}"
    assert ref.encode() in blobs[files[0].name] + blobs[files[1].name]  # the scan reads real data


def test_log_filter_redacts_a_token_in_messages_and_tracebacks():
    from bot.running.logs import PrivacyFilter

    token = "123456789:AAHsecretSecretSecretSecretSecret_xyz"
    try:
        raise ConnectionError(f"cannot reach https://api.telegram.org/bot{token}/getMe")
    except ConnectionError:
        import sys

        record = logging.LogRecord("telegram.ext", logging.ERROR, __file__, 1, "failed: %s", (token,), sys.exc_info())
    assert PrivacyFilter().filter(record)
    text = logging.Formatter().format(record)
    assert token not in text and "<token>" in text and "ConnectionError" in text
    quiet = logging.LogRecord("aiosqlite", logging.DEBUG, __file__, 1, "executing %s", ("secret",), None)
    assert not PrivacyFilter().filter(quiet)
