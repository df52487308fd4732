from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from telegram_double import OfflineRequest, SimUser  # noqa: E402

from bot.app import build_application  # noqa: E402
from bot.settings import Settings  # noqa: E402

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


@pytest.fixture
async def app(settings, offline):
    application = build_application(settings, request=offline, rate_limit=False)
    await application.initialize()
    await application.post_init(application)
    yield application
    await application.shutdown()
    await application.post_shutdown(application)


@pytest.fixture
def services(app):
    return app.bot_data["services"]


@pytest.fixture
def people(app, offline):
    """Make simulated users: people(1, "Anna", "nl")."""
    def make(user_id: int, first_name: str = "Test", language: str = "en", username: str | None = None):
        return SimUser(app, offline, user_id, first_name, language, username)
    return make
