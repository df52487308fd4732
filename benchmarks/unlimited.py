"""Waakzaam in polling mode as `python -m bot run` starts it, but without PTB's AIORateLimiter:
the end-to-end benchmark's like-for-like line next to the bare echo bot, which has no limiter
either (benchmarks/endtoend.py). Never a way to run the bot: Telegram's limits are real.

    python -m benchmarks.unlimited      # settings from the environment, as `bot run`
"""
from __future__ import annotations

import asyncio

from bot.app import build_application
from bot.foundations.offload import Offload
from bot.foundations.settings import load_settings
from bot.running import logs
from bot.running.inbox import serve


def main() -> None:
    settings = load_settings()
    logs.configure(settings.log_level, settings.log_format)
    asyncio.run(serve(build_application(settings, rate_limit=False, offload=Offload(child=True)), interval=settings.poll_interval))


if __name__ == "__main__":
    main()
