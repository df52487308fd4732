"""Fixtures for the Bot API double and the crash tests (no Node.js needed)."""
from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

CRASH_DIR = Path(__file__).resolve().parent
if str(CRASH_DIR) not in sys.path:  # lets tests here `import double` whatever the import mode
    sys.path.insert(0, str(CRASH_DIR))

from double import TelegramDouble  # noqa: E402


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if CRASH_DIR in Path(item.path).parents:
            item.add_marker(pytest.mark.crash)


@pytest.fixture
def double() -> Iterator[TelegramDouble]:
    """A started double; stopped (port freed) after the test. Fails the test if the double broke."""
    tg = TelegramDouble().start()
    try:
        yield tg
    finally:
        tg.stop()
    assert not tg.internal_errors, tg.internal_errors
