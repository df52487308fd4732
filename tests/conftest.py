from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import hermetic  # noqa: E402

hermetic.isolate()

from telegram_double import OfflineRequest, SimUser  # noqa: E402

from bot.app import build_application  # noqa: E402
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


async def _start(settings, offline):
    application = build_application(settings, request=offline, rate_limit=False)
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
