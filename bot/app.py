"""The application factory: one place that wires Telegram to the core."""
from __future__ import annotations

import asyncio
import logging
import os
from datetime import time, timedelta

from telegram import BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ContextTypes,
    Defaults,
    TypeHandler,
)
from telegram.request import BaseRequest

from handlers import CONTEXT_TYPES, register_all

from .foundations import clock, menus
from .foundations.charter import Charter
from .foundations.i18n import LANGUAGES, Translator
from .foundations.offload import Offload
from .foundations.settings import Settings
from .running.checks import placeholder_referrals, placeholder_warning
from .running.backups import prune_copies
from .running.inbox import Inbox
from .running.liveness import HEARTBEAT_SECONDS, JOB_LATE, Liveness, watchdog_interval
from .running.replies import origin
from .running.sender import Sender
from .running.startup import open_core
from .services import Services

log = logging.getLogger(__name__)
OUTBOX_INTERVAL = timedelta(seconds=5)
SWEEP_INTERVAL = timedelta(seconds=30)
DIGEST_INTERVAL = timedelta(minutes=1)  # is a digest due? (bot/steering/digest/service.py)
REMOVALS_INTERVAL = timedelta(minutes=1)  # has an agreed removal of a coordinator come due? (bot/network/two_person.py)
RETENTION_AT = time(3, 30)  # daily, at night in the organisation's time zone

DRAIN_GROUP = 100  # after every handler group


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.application.bot_data["services"]


def build_application(
    settings: Settings,
    *,
    request: BaseRequest | None = None,
    charter: Charter | None = None,
    rate_limit: bool = True,
    offload: Offload | None = None,
) -> Application:
    """Build the bot; the database opens in post_init and closes in post_shutdown. `offload`: where
    the work that needs the solver and matplotlib runs (bot/foundations/offload.py; default: in this process)."""
    # python-telegram-bot 22's announced change, taken now: time periods (RetryAfter.retry_after) as
    # timedelta, which bot/running/faults.py reads either way; without it every 429 logs a deprecation.
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    builder: ApplicationBuilder = (
        Application.builder()
        .token(settings.token)
        .base_url(settings.api_base_url)
        .defaults(Defaults(tzinfo=settings.timezone, block=True))
        .context_types(CONTEXT_TYPES)
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    if rate_limit:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=2))
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    app = builder.build()
    app.bot_data["settings"] = settings
    app.bot_data["charter"] = charter
    app.bot_data["offload"] = offload
    register_all(app)
    app.add_handler(TypeHandler(Update, _drain_after), group=DRAIN_GROUP)
    return app


async def _post_init(app: Application) -> None:
    settings: Settings = app.bot_data["settings"]
    core = await open_core(settings, app.bot_data.get("charter"))
    if app.bot_data.get("offload") is not None:
        core.offload = app.bot_data["offload"]
    services = Services(core)
    services.sender = Sender(core, app.bot, services.desk, services.talk, services.menus, services.casework)
    services.bot_username = app.bot.username
    if moved := await core.outbox.after_restart():
        log.info("outbox: %d deliveries were in flight at the last stop; they go again, marked", moved)
    counts = await core.meta.counts()
    log.info("database open: %s", ", ".join(f"{name.replace('_', ' ')} {n}" for name, n in counts.items()))
    if placeholders := placeholder_referrals(core.charter):
        log.warning("%s", placeholder_warning(placeholders))
    app.bot_data["services"] = services
    app.bot_data["inbox"] = Inbox(app, services)
    liveness = app.bot_data["liveness"] = Liveness(settings.db_path, watchdog_interval() or HEARTBEAT_SECONDS)
    liveness.expect("work", "sweep", "send")
    if app.job_queue is not None:
        app.job_queue.run_repeating(_heartbeat, interval=liveness.every, first=1, name="heartbeat")
        app.job_queue.run_repeating(_drain_outbox, interval=OUTBOX_INTERVAL, first=1, name="outbox")
        # first=1: work that fell due while the bot was stopped is done right away. (Not 0: a start
        # already past when the scheduler starts, a moment later, moves the first run a whole
        # interval on, so a restarted bot did nothing due for 30 s.)
        app.job_queue.run_repeating(_sweep, interval=SWEEP_INTERVAL, first=1, name="sweep")
        app.job_queue.run_repeating(_digest, interval=DIGEST_INTERVAL, first=2, name="digest")
        app.job_queue.run_repeating(_follow_up, interval=DIGEST_INTERVAL, first=3, name="follow-up")
        app.job_queue.run_repeating(_removals, interval=REMOVALS_INTERVAL, first=4, name="removals")
        # Once at start (the bot may have been off at night), then daily.
        app.job_queue.run_once(_retention, when=0, name="retention-at-start")
        app.job_queue.run_daily(_retention, RETENTION_AT.replace(tzinfo=settings.timezone), name="retention")
    await _publish_commands(app)


async def _drain_outbox(context: ContextTypes.DEFAULT_TYPE) -> None:
    try:
        await _flush(context)
    finally:  # a run that ended, even in an error (logged), is a loop that moves; one that hangs is not
        context.application.bot_data["liveness"].beat("send", OUTBOX_INTERVAL.total_seconds() + JOB_LATE)


async def _heartbeat(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Tell systemd (and the file `check --live` reads) that the bot is alive, only while its
    loops keep moving (bot/running/liveness.py)."""
    context.application.bot_data["liveness"].heartbeat()


async def _flush(context: ContextTypes.DEFAULT_TYPE, *, only_if_queued: bool = False) -> None:
    if sent := await services(context).sender.flush(only_if_queued=only_if_queued):
        log.info("outbox: %d delivered", sent)


async def _sweep(context: ContextTypes.DEFAULT_TYPE) -> None:
    try:
        await services(context).promise.sweep()
        context.application.bot_data["last_sweep"] = clock.now()
        await _flush(context)
    finally:  # as the outbox: an error is logged and shown by /health; only a hang stops the watchdog
        context.application.bot_data["liveness"].beat("sweep", SWEEP_INTERVAL.total_seconds() + JOB_LATE)


async def _digest(context: ContextTypes.DEFAULT_TYPE) -> None:
    if await services(context).digests.sweep():
        await _flush(context)


async def _follow_up(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reminders before actions' due dates, and the quarterly "nothing was told" reminder."""
    found = services(context)
    if await found.actions.sweep() + await found.news.nudge():
        await _flush(context)


async def _removals(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Removals of coordinators whose delay is over take effect (their moment is in the database)."""
    if await services(context).membership.carry_out_removals():
        await _flush(context)


async def _retention(context: ContextTypes.DEFAULT_TYPE) -> None:
    report = await services(context).retention.run()
    forgotten = await context.application.bot_data["inbox"].forget_handled()
    log.info("retention job: %d cases erased, %d handled updates forgotten", report.cases, forgotten)
    settings: Settings = context.application.bot_data["settings"]
    # The copies made before an upgrade or a restore expire like the nightly backups.
    for copy in await asyncio.to_thread(prune_copies, settings.db_path, settings.backup_keep_days):
        log.info("retention job: removed %s (older than %d days, WAAKZAAM_BACKUP_KEEP_DAYS)", copy.name,
                 settings.backup_keep_days)


async def _publish_commands(app: Application) -> None:
    """The default menu (what every employee sees), per language; roles get their own per chat."""
    # Not essential: a Bot API (or emulator) that refuses it must not stop start-up.
    try:
        for lang in LANGUAGES:
            t = Translator(lang)
            commands = [BotCommand(name, t(text)) for name, text in menus.EVERYONE.items()]
            await app.bot.set_my_commands(commands, language_code=lang)
    except TelegramError as exc:
        log.warning("could not publish the command list (%s)", exc.__class__.__name__)


async def _post_shutdown(app: Application) -> None:
    if service := app.bot_data.pop("services", None):
        await service.core.close()


async def _drain_after(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """After an update processed outside the inbox, deliver what it queued right away rather than
    at the next tick. (The inbox delivers what an update said once its handling is committed.)"""
    if "services" in context.application.bot_data and origin() is None:
        await _flush(context, only_if_queued=True)


__all__ = ["build_application"]
