"""SIGKILL the real bot again and again while two people talk through it: nothing may be lost,
and a repeat may only reach someone marked as one ("🔁 ...").

Expected to FAIL on the code as it is: python-telegram-bot confirms a batch of updates with its
next getUpdates call before the handlers ran (lost messages), an update handled but not yet
confirmed comes again after a restart (relayed twice), and a relay that reached Telegram just
before the kill is sent again without a mark. The durable inbox and the honest outbox fix that.

Quick by default (about a minute). A harsh run, by hand:

    CRASH_KILLS=150 CRASH_MESSAGES=300 .venv/bin/python -m pytest tests/crash/test_kill.py -s

Every knob is in kill_driver.KillConfig.from_env (CRASH_SEED replays a schedule).
"""
from __future__ import annotations

from pathlib import Path

import pytest
from kill_driver import KillConfig, run_kill_test


def test_no_message_is_lost_or_silently_repeated_when_the_bot_is_killed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], record_property
) -> None:
    config = KillConfig.from_env()
    verdict = run_kill_test(tmp_path, config, log=lambda line: None)
    with capsys.disabled():  # the summary line shows in every run, passing or not
        print(f"\n{verdict.summary()}")
    record_property("kill_summary", verdict.summary())

    # The test equipment must be sound, and the bot must really have died that often.
    assert not verdict.double_errors, verdict.report()
    assert verdict.kills >= config.kills * 0.8, verdict.report()
    # Every text arrives, and every direct answer of /cases and /help; at most one copy unmarked; every
    # reply finds its conversation; no error in any log; only our SIGKILLs end an incarnation;
    # the last one stops cleanly on SIGINT.
    problems = [name for name, bad in (
        ("lost messages", verdict.lost),
        ("unmarked repeats", verdict.unmarked_duplicates),
        ("lost direct answers (/cases, /help)", verdict.direct_lost),
        ("unmarked repeats of direct answers", verdict.direct_unmarked),
        ("replies that did not find their conversation", verdict.asked_which),
        ("errors in the logs", verdict.errors),
        ("incarnations that exited by themselves", verdict.unexpected_exits),
        ("an unclean final stop", verdict.final_exit != 0),
    ) if bad]
    if problems:
        pytest.fail(f"{', '.join(problems)}:\n{verdict.report()}", pytrace=False)
