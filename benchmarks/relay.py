"""How fast does a message go through the bot? Prints figures; asserts nothing.

    .venv/bin/python benchmarks/relay.py [messages]

Drives the real Application (handlers, encryption, outbox, SQLite with synchronous=FULL)
through the offline Bot API of the tests, so it measures the bot, not the network.
"""
from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from flows import ask_for_conversation, join_as_member  # noqa: E402
from telegram_double import OfflineRequest, SimUser  # noqa: E402

from bot.app import build_application  # noqa: E402
from bot.foundations.settings import Settings  # noqa: E402


async def main(messages: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(token="123456789:AAHbenchmarkTokenForOfflineRunsOnly_012",
                            db_path=Path(tmp) / "data" / "w.db", key_file=Path(tmp) / "keys" / "m.key")
        offline = OfflineRequest()
        app = build_application(settings, request=offline, rate_limit=False)
        await app.initialize()
        await app.post_init(app)
        services = app.bot_data["services"]
        anna = SimUser(app, offline, 201, "Anna")
        await join_as_member(services, anna, "Anna")
        emma = SimUser(app, offline, 301, "Emma")
        ref = await ask_for_conversation(emma)
        await anna.press_data(f"claim:{ref}", anna.last())

        started = time.perf_counter()
        for i in range(messages):
            await (emma if i % 2 else anna).send(f"message number {i}")
        elapsed = time.perf_counter() - started
        delivered = await services.core.db.fetchval("SELECT COUNT(*) FROM messages WHERE delivered = 1")
        await app.shutdown()
        await app.post_shutdown(app)
    print(f"relayed {messages} messages in {elapsed:.2f} s: {messages / elapsed:.0f} msg/s, "
          f"{elapsed / messages * 1000:.2f} ms each (store, encrypt, outbox, send, confirm); delivered {delivered}")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 500))
