"""The `waakzaam` command: run the bot, or invite someone from the shell."""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from .settings import SettingsError, load_settings

log = logging.getLogger("waakzaam")


def _configure_logging() -> None:
    logging.basicConfig(
        format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO, stream=sys.stderr
    )
    # httpx logs every request URL, and Bot API URLs carry the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def _run(settings) -> int:
    from telegram import Update
    from telegram.error import InvalidToken, NetworkError

    from .app import build_application
    from .core import StartupError

    app = build_application(settings)
    try:
        app.run_polling(
            poll_interval=settings.poll_interval,
            allowed_updates=[Update.MESSAGE, Update.CALLBACK_QUERY],
            drop_pending_updates=False,
        )
    except StartupError as exc:
        print(f"waakzaam: cannot start: {exc}", file=sys.stderr)
        return 2
    except InvalidToken:
        print("waakzaam: Telegram refused TELEGRAM_BOT_TOKEN. Check it with @BotFather (/mybots).",
              file=sys.stderr)
        return 2
    except NetworkError as exc:
        print(f"waakzaam: cannot reach the Bot API at {settings.api_base_url} "
              f"({exc.__class__.__name__}). Check the network or TELEGRAM_API_BASE_URL.", file=sys.stderr)
        return 2
    return 0


async def _invite(settings, role: str) -> int:
    from telegram import Bot
    from telegram.error import TelegramError

    from .core import StartupError, open_core

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

    _configure_logging()
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"waakzaam: {exc}", file=sys.stderr)
        return 2
    if args.command == "invite":
        return asyncio.run(_invite(settings, args.role))
    return _run(settings)


if __name__ == "__main__":
    sys.exit(main())
