"""Fixtures for end-to-end tests against the local Bot API emulator.

    async def test_hello(bot_process, sim_user):
        bot = bot_process([sys.executable, "-m", "bot"])   # polling against the emulator
        ann = sim_user(bot, first_name="Ann")
        await ann.send("hello")
        assert "Welkom" in (await ann.wait_for()).text

Needs Node.js and `npm ci --prefix tests/e2e/emulator`; without them the tests
error out with that hint rather than being skipped, so CI cannot pass silently.
"""
from __future__ import annotations

import itertools
import sys
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from pathlib import Path

import pytest

E2E_DIR = Path(__file__).resolve().parent
REPO_ROOT = E2E_DIR.parents[1]
if str(E2E_DIR) not in sys.path:  # lets tests here `import harness` whatever the import mode
    sys.path.insert(0, str(E2E_DIR))

from harness import BotProcess, Emulator, SimUser  # noqa: E402


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if E2E_DIR in Path(item.path).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    # Remember each phase's outcome so fixtures can dump logs for failed tests only.
    report = yield
    setattr(item, f"_e2e_{report.when}_failed", report.failed)
    return report


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """One emulator for the session; isolation comes from a fresh bot token per bot."""
    emu = Emulator(log_path=tmp_path_factory.mktemp("emulator") / "emulator.log").start()
    yield emu
    emu.stop()


@pytest.fixture
def bot_token(emulator: Emulator) -> str:
    return emulator.new_token()


@pytest.fixture
def bot_process(
    emulator: Emulator, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[..., BotProcess]]:
    """Factory: ``bot_process(args, *, token=None, env=None, cwd=REPO_ROOT, wait_polling=True, new_python=False)``.

    Sets TELEGRAM_BOT_TOKEN (a fresh one unless given) and TELEGRAM_API_BASE_URL,
    starts the command and, by default, returns once the bot polls getUpdates.
    Every process is stopped (SIGINT) after the test; logs of a failed test are printed.
    """
    started: list[BotProcess] = []
    counter = itertools.count(1)

    def start(
        args: Sequence[str],
        *,
        token: str | None = None,
        env: Mapping[str, str] | None = None,
        cwd: Path | str | None = REPO_ROOT,
        wait_polling: bool = True,
        timeout: float = 20.0,
        new_python: bool = False,
    ) -> BotProcess:
        token = token or emulator.new_token()
        full_env = {"TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_BASE_URL": emulator.api_base_url, **(env or {})}
        proc = BotProcess(args, env=full_env, cwd=cwd, log_path=tmp_path / f"bot-{next(counter)}.log", token=token,
                          new_python=new_python)
        started.append(proc.start())
        if wait_polling:
            emulator.wait_until_polling(token, timeout, process=proc)
        return proc

    yield start

    for proc in started:
        proc.stop()
    if getattr(request.node, "_e2e_call_failed", False) or getattr(request.node, "_e2e_setup_failed", False):
        for proc in started:
            print(f"\n----- {proc} log ({proc.log_path}) -----\n{proc.log_text()}")
        print(f"\n----- emulator log tail ({emulator.log_path}) -----\n{emulator.log_text()[-4000:]}")


@pytest.fixture
async def sim_user(emulator: Emulator) -> AsyncIterator[Callable[..., SimUser]]:
    """Factory: ``sim_user(bot_or_token, user_id=None, first_name=..., last_name=None,
    username=None, language_code="nl")``; each call is a new user with a unique id."""
    users: list[SimUser] = []

    def make(bot: BotProcess | str, **kwargs) -> SimUser:
        token = bot if isinstance(bot, str) else bot.token
        if not token:
            raise ValueError("sim_user needs a bot token or a BotProcess started with one")
        user = SimUser(emulator, token, **kwargs)
        users.append(user)
        return user

    yield make
    for user in users:
        await user.aclose()
