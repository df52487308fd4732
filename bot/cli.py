"""The `waakzaam` command: run the bot, invite someone from the shell, or preview the digest.

It speaks to Telegram for the start-up check (is the token right, is the Bot API there)
and to build invitation links with the bot's name. The digest preview speaks to nobody."""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

from telegram import Bot
from telegram.error import InvalidToken, NetworkError, TelegramError

from . import logs
from .app import build_application
from .core import StartupError, open_core
from .digest.demo import demo
from .digest.schedule import parse_week
from .i18n import LANGUAGES
from .inbox import serve
from .services import Services
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


def _add_digest_command(commands) -> None:
    digest = commands.add_parser(
        "digest", help="the steering group's digest: render it locally, sending nothing",
        description="Render the steering group's digest (text and chart) into a folder. Nothing is sent and "
                    "nothing is recorded.")
    digest.add_argument("--preview", action="store_true", required=True, help="render without sending (required)")
    digest.add_argument("--week", help="the ISO week of the digest, e.g. 2026-W48 (default: the newest one due)")
    digest.add_argument("--out", default=".", help="the folder for the text and the chart (default: here)")
    digest.add_argument("--lang", choices=LANGUAGES, help="the language (default: WAAKZAAM_DEFAULT_LANGUAGE)")
    digest.add_argument("--demo", action="store_true",
                        help="on a generated year of realistic data in a throw-away database, never the real one")


async def _digest_preview(settings, args) -> int:
    """`waakzaam digest --preview [--week W] [--out DIR] [--lang L] [--demo]`: a text file and a PNG."""
    if args.week and parse_week(args.week) is None:
        print(f"waakzaam: --week {args.week!r} is not an ISO week such as 2026-W48.", file=sys.stderr)
        return 2
    if args.demo:
        logging.getLogger("bot.digest").setLevel(logging.WARNING)  # the demo's own digests are not news
        published, text, chart = await demo(settings, week=args.week, lang=args.lang)
    else:
        if not settings.db_path.exists():
            print(f"waakzaam: there is no database at {settings.db_path} yet, so nothing to preview. "
                  "Try --demo to see a digest on generated data.", file=sys.stderr)
            return 2
        try:
            core = await open_core(settings)
        except StartupError as exc:
            print(f"waakzaam: {exc}", file=sys.stderr)
            return 2
        try:
            published, text, chart = await Services(core).digests.preview(args.week, args.lang)
        finally:
            await core.close()
    out = Path(args.out).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    name = f"digest-{published.week}-{args.lang or settings.default_language}"
    (out / f"{name}.txt").write_text(text + "\n", encoding="utf-8")
    print(text)
    print(f"\nwaakzaam: wrote {out / (name + '.txt')}")
    if chart is not None:
        (out / f"{name}.png").write_bytes(chart)
        print(f"waakzaam: wrote {out / (name + '.png')}")
    else:
        print("waakzaam: no chart: nothing in this window can be shown")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="waakzaam", description="Confidential bot for a vigilance network.")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="run the bot (polling); the default")
    invite = commands.add_parser("invite", help="print a one-time invitation link")
    invite.add_argument("role", choices=("coordinator", "member", "steering"))
    _add_digest_command(commands)
    args = parser.parse_args(argv)

    level = os.environ.get("WAAKZAAM_LOG_LEVEL", "INFO").upper()
    logs.configure(level if level in ("DEBUG", "INFO", "WARNING", "ERROR") else "INFO")
    try:
        settings = load_settings(require_token=args.command != "digest")
    except SettingsError as exc:
        print(f"waakzaam: {exc}", file=sys.stderr)
        return 2
    if warning := env_file_warning(".env"):
        log.warning(warning)
    if args.command == "invite":
        return asyncio.run(_invite(settings, args.role))
    if args.command == "digest":
        return asyncio.run(_digest_preview(settings, args))
    return _run(settings)


if __name__ == "__main__":
    sys.exit(main())
