"""The `waakzaam` command: run the bot, or invite someone from the shell.

It speaks to Telegram for the start-up check (is the token right, is the Bot API there)
and to build invitation links with the bot's name."""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys

from telegram import Bot
from telegram.error import InvalidToken, NetworkError, TelegramError

from . import logs
from .app import build_application
from .core import StartupError, open_core
from .inbox import serve
from .settings import SettingsError, env_file_warning, load_settings

log = logging.getLogger("waakzaam")


async def _preflight(settings) -> str | None:
    """Check the key, the database and the Bot API before PTB starts; a problem as one line."""
    try:
        core = await open_core(settings)
    except StartupError as exc:
        return f"cannot start: {exc}"
    await core.close()
    try:
        async with Bot(settings.token, base_url=settings.api_base_url):
            pass
    except InvalidToken:
        return "Telegram refused TELEGRAM_BOT_TOKEN. Check it with @BotFather (/mybots)."
    except (NetworkError, TelegramError) as exc:
        return (f"cannot reach the Bot API at {settings.api_base_url} ({exc.__class__.__name__}). "
                "Check the network or TELEGRAM_API_BASE_URL.")
    return None


def _run(settings) -> int:
    if problem := asyncio.run(_preflight(settings)):
        print(f"waakzaam: {problem}", file=sys.stderr)
        return 2
    log.info("starting")
    asyncio.run(serve(build_application(settings), interval=settings.poll_interval))
    return 0


async def _invite(settings, role: str) -> int:
    try:
        core = await open_core(settings)
    except StartupError as exc:
        print(f"waakzaam: {exc}", file=sys.stderr)
        return 2
    try:
        code = await core.invites.create(role, settings.invite_ttl)
    finally:
        await core.close()
    days = int(settings.invite_ttl.total_seconds() // 86400)
    try:
        async with Bot(settings.token, base_url=settings.api_base_url) as bot:
            username = bot.username
    except TelegramError:
        print(f"One-time invitation for a {role}, valid {days} days. The bot could not be reached to "
              f"build the link; in Telegram, send this to your bot:\n/start {code}")
        return 0
    print(f"One-time invitation for a {role}, valid {days} days. Send it to one person only:")
    print(f"https://t.me/{username}?start={code}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="waakzaam", description="Confidential bot for a vigilance network.")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="run the bot (polling); the default")
    invite = commands.add_parser("invite", help="print a one-time invitation link")
    invite.add_argument("role", choices=("coordinator", "member", "steering"))
    args = parser.parse_args(argv)

    level = os.environ.get("WAAKZAAM_LOG_LEVEL", "INFO").upper()
    logs.configure(level if level in ("DEBUG", "INFO", "WARNING", "ERROR") else "INFO")
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"waakzaam: {exc}", file=sys.stderr)
        return 2
    if warning := env_file_warning(".env"):
        log.warning(warning)
    if args.command == "invite":
        return asyncio.run(_invite(settings, args.role))
    return _run(settings)


if __name__ == "__main__":
    sys.exit(main())
