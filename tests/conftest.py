from __future__ import annotations

import os
import shutil
import sys
import tempfile
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import hermetic  # noqa: E402

hermetic.isolate()

from decisions import SHARED, Remembering  # noqa: E402
from telegram_double import OfflineRequest, SimUser  # noqa: E402

from bot.app import build_application  # noqa: E402
from bot.running.startup import open_core  # noqa: E402
from bot.foundations.settings import Settings  # noqa: E402

TOKEN = "123456789:AAHtestTokenForOfflineTestsOnly_0123456"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        token=TOKEN,
        db_path=tmp_path / "data" / "waakzaam.db",
        key_file=tmp_path / "secrets" / "master.key",
        departments=("Production", "Logistics", "Office"),
        contact_deadline=timedelta(hours=24),
    )


@pytest.fixture
def offline() -> OfflineRequest:
    return OfflineRequest()


_TEMPLATE: dict[str, bytes] = {}


async def _fresh_store(settings: Settings) -> None:
    """A new bot's empty database and key, copied from one made once per test process: opening
    it still checks the key and the schema, as every restart does, but the migrations run once,
    not once per test (the first start of a new install has tests of its own)."""
    if settings.db_path.exists() or settings.key_file.exists():
        return
    if not _TEMPLATE:
        folder = Path(tempfile.mkdtemp(prefix="waakzaam-template-"))
        made = replace(settings, db_path=folder / "data" / "t.db", key_file=folder / "keys" / "t.key")
        core = await open_core(made)
        await core.close()
        _TEMPLATE["db"], _TEMPLATE["key"] = made.db_path.read_bytes(), made.key_file.read_bytes()
        shutil.rmtree(folder)
    for path, content in ((settings.db_path, _TEMPLATE["db"]), (settings.key_file, _TEMPLATE["key"])):
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.touch(mode=0o600)
        path.write_bytes(content)


async def _start(settings, offline):
    await _fresh_store(settings)
    application = build_application(settings, request=offline, rate_limit=False, offload=Remembering())
    await application.initialize()
    await application.post_init(application)
    return application


async def _stop(application) -> None:
    await application.shutdown()
    await application.post_shutdown(application)


class Running:
    """The bot under test; `restart()` stops it and starts a new process-like instance on the
    same database, the way an operator's restart (or a crash) would."""

    def __init__(self, settings, offline) -> None:
        self.settings, self.offline = settings, offline
        self.app = None
        self.users: list[SimUser] = []

    async def start(self):
        self.app = await _start(self.settings, self.offline)
        self.offline.in_transaction = self.app.bot_data["services"].core.db.in_transaction
        for user in self.users:
            user.app = self.app
        return self.app

    async def restart(self):
        await _stop(self.app)
        return await self.start()

    @property
    def services(self):
        return self.app.bot_data["services"]


@pytest.fixture
async def running(settings, offline):
    bot = Running(settings, offline)
    await bot.start()
    yield bot
    await _stop(bot.app)
    assert offline.calls_in_transaction == [], "Telegram was called while an update's transaction was open"


@pytest.fixture
async def bots(offline):
    """Start bots with settings of the test's own: `bot = await bots(replace(settings, ...))`."""
    started = []

    async def start(custom_settings):
        bot = Running(custom_settings, offline)
        await bot.start()
        started.append(bot)
        return bot

    yield start
    for bot in started:
        await _stop(bot.app)
    assert offline.calls_in_transaction == [], "Telegram was called while an update's transaction was open"


@pytest.fixture
def app(running):
    return running.app


@pytest.fixture
def services(app):
    return app.bot_data["services"]


@pytest.fixture
def people(running, offline):
    """Make simulated users: people(1, "Anna", "nl")."""
    def make(user_id: int, first_name: str = "Test", language: str = "en", username: str | None = None):
        user = SimUser(running.app, offline, user_id, first_name, language, username)
        running.users.append(user)
        return user
    return make


def pytest_configure(config: pytest.Config) -> None:
    """The run's shared folder (what one worker makes for all: tests/report_demo.py, decisions.py):
    made by the process that starts the run, named to its workers in the environment they inherit."""
    if not hasattr(config, "workerinput"):
        os.environ[SHARED] = tempfile.mkdtemp(prefix="waakzaam-run-")


def pytest_unconfigure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput") and os.environ.get(SHARED):
        shutil.rmtree(os.environ.pop(SHARED), ignore_errors=True)


# The order tests start in (an order only, no marker: which tests run is chosen by `-m` with the
# markers in pyproject.toml). With several workers (scripts/test runs pytest-xdist with
# `--dist worksteal`, which hands each worker one contiguous part of the list, then moves tests
# from the end of a long queue to an idle worker), the long ones are dealt out in turn, so that
# each worker's part starts with its share of them and the many short ones fill in around them;
# otherwise the run waits at its end for a long one alone. Within a rank the collection order
# stays. Ranks from `--durations`.
_STARTS_FIRST = (
    ("crash/test_kill.py", 0),
    ("test_report_browser.py", 1), ("test_releases.py", 1), ("e2e/", 1), ("test_liveness.py", 1),
    ("test_digest_cli.py", 1),
    ("test_report_flow.py", 2), ("test_offload.py", 2), ("test_restore.py", 2), ("crash/", 2),
    ("test_digest_figures.py", 2), ("test_report_figures.py", 2), ("test_figures.py", 2),
    ("test_actions_flow.py", 2), ("test_digest_flow.py", 2), ("test_operator_lines.py", 2),
    ("test_operations.py", 2), ("test_rotation.py", 2), ("test_deploy.py", 2),
)


def _rank(item: pytest.Item) -> int:
    path = Path(item.path).as_posix()
    return next((rank for part, rank in _STARTS_FIRST if part in path), len(_STARTS_FIRST))


def _dealt(items: list[pytest.Item], workers: int) -> list[pytest.Item]:
    """`items` (longest first) dealt out in turn to the parts worksteal will cut the list into."""
    sizes, left = [], len(items)
    for i in range(workers):  # as xdist's worksteal cuts: each takes what is left / workers left
        sizes.append(left // (workers - i))
        left -= sizes[-1]
    parts: list[list[pytest.Item]] = [[] for _ in range(workers)]
    turn = 0
    for item in items:
        while len(parts[turn % workers]) >= sizes[turn % workers]:
            turn += 1
        parts[turn % workers].append(item)
        turn += 1
    return [item for part in parts for item in part]


# Under libfaketime (scripts/test-at, or `faketime ... pytest` by hand) a subprocess's wall time and
# a file's time do not move alike: the tests that compare them say so and step aside.
_FAKED_CLOCK = "faketime" in os.environ.get("LD_PRELOAD", "")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=_rank)
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1:
        items[:] = _dealt(items, workers)
    if _FAKED_CLOCK:
        for item in items:
            if item.get_closest_marker("real_clock"):
                item.add_marker(pytest.mark.skip(reason="needs the real clock; libfaketime moves it"))
