"""Webhook mode: Telegram posts each update to us; it is stored before Telegram hears "200".

PTB's own webhook server hands updates to its update_queue before anything is stored, so a
crash there loses them. This small server keeps PTB's Application, handlers and JobQueue but
answers Telegram only after the durable inbox has committed the update: until then Telegram
keeps it and tries again. A request without the secret token Telegram was given (header
X-Telegram-Bot-Api-Secret-Token) gets 401 and nothing is stored. `GET /health` reports, in
counts only, whether the database, the inbox and the outbox are working, and whether the bot's
loops keep moving (bot/running/liveness.py).

What it says to anyone else is little and quiet: a GET on the webhook path, or any unknown path,
is an empty 405 or 404 logged at INFO (scanners must not page anyone); JSON nested deeper than an
update ever is gets 400 before it is stored; no Server header names the software or its version;
the `/health` polls of a monitor are logged at DEBUG only.
"""
from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import secrets
from urllib.parse import urlsplit

from telegram.error import TelegramError
from telegram.ext import Application
from tornado.httpserver import HTTPServer
from tornado.web import Application as WebApplication
from tornado.web import HTTPError, RequestHandler

from .faults import storage_trouble
from .health import health
from .inbox import ALLOWED_UPDATES, Inbox, run
from .liveness import Liveness, notify

log = logging.getLogger(__name__)
HEALTH_PATH = "/health"
MAX_BODY = 1024 * 1024  # an update is a few kilobytes
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_DEPTH = 32  # an update nests a dozen levels at most (a reply to a message with an external reply...)
access_log = logging.getLogger("bot.running.webhook.access")


class WebhookError(Exception):
    """Webhook mode cannot start; the message is one line for the operator."""


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def _nested_deeper(value: object, limit: int) -> bool:
    """Whether JSON `value` nests deeper than `limit` (walked without recursion)."""
    todo = [(value, 1)]
    while todo:
        item, depth = todo.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            todo.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False


def _access(handler: RequestHandler) -> None:
    """One line per request: a monitor's /health polls at DEBUG, refusals at INFO, our faults at ERROR."""
    status = handler.get_status()
    if status >= 500:
        level = logging.ERROR
    elif handler.request.path == HEALTH_PATH and status in (200, 503):
        level = logging.DEBUG
    else:
        level = logging.INFO
    if access_log.isEnabledFor(level):
        access_log.log(level, "%d %s %s %.1f ms", status, handler.request.method, handler.request.path,
                       1000.0 * handler.request.request_time())


class _Quiet(RequestHandler):
    def set_default_headers(self) -> None:
        self.clear_header("Server")  # no software name or version for anyone probing

    def log_exception(self, typ, value, tb) -> None:  # tornado's own would print the request
        if isinstance(value, HTTPError):  # a refusal (405 for a GET, 404): the access line says it
            return
        log.error("webhook: %s while answering a request", typ.__name__ if typ else "error")

    def write_error(self, status_code: int, **kwargs) -> None:
        self.finish()  # an empty body: nothing about us to anyone probing


class _NotFound(_Quiet):
    def prepare(self) -> None:
        raise HTTPError(404)


class UpdateHandler(_Quiet):
    def initialize(self, inbox: Inbox, secret: str) -> None:
        self.inbox = inbox
        self.secret = secret.encode()

    async def post(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret):
            log.warning("webhook: refused a request without the right secret token (401)")
            self.send_error(401)
            return
        try:
            update = json.loads(self.request.body)
            if not isinstance(update, dict) or not isinstance(update.get("update_id"), int) \
                    or _nested_deeper(update, MAX_DEPTH):
                raise ValueError
        except (ValueError, RecursionError):
            log.warning("webhook: refused a request that is not an update (400)")
            self.send_error(400)
            return
        try:
            await self.inbox.receive([update])
        except Exception as exc:  # noqa: BLE001 - not stored: Telegram must keep it and try again
            if not storage_trouble(exc):
                raise
            log.error("webhook: cannot store an update (%s); Telegram will send it again (503)",
                      exc.__class__.__name__)
            self.send_error(503)
            return
        self.set_status(200)
        self.finish()


class HealthHandler(_Quiet):
    def initialize(self, app: Application) -> None:
        self.app = app

    async def get(self) -> None:
        services = self.app.bot_data.get("services")
        if services is None:
            report = {"healthy": False, "database": "not open"}
        else:
            report = await health(services.core, self.app.bot_data.get("last_sweep"),
                                  self.app.bot_data.get("liveness"))
        self.set_status(200 if report["healthy"] else 503)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(report))


def web_application(app: Application, inbox: Inbox, path: str, secret: str) -> WebApplication:
    return WebApplication([
        (re.escape(path), UpdateHandler, {"inbox": inbox, "secret": secret}),
        (re.escape(HEALTH_PATH), HealthHandler, {"app": app}),
    ], default_handler_class=_NotFound, log_function=_access)


def webhook_path(url: str) -> str:
    path = urlsplit(url).path or "/"
    if path == HEALTH_PATH:
        raise WebhookError(f"the webhook URL's path cannot be {HEALTH_PATH}: that is the health endpoint")
    return path


class Webhook:
    """Updates by webhook: an HTTP server that stores each update before answering Telegram."""

    def __init__(self, *, url: str, listen: str, port: int, secret: str | None) -> None:
        self.url, self.listen, self.port = url, listen, port
        self.path = webhook_path(url)
        self.secret = secret or new_secret()
        self.server: HTTPServer | None = None

    async def open(self, app: Application, inbox: Inbox, stop: asyncio.Event) -> set[asyncio.Task]:
        self.server = HTTPServer(web_application(app, inbox, self.path, self.secret), max_body_size=MAX_BODY,
                                 xheaders=True)
        try:
            self.server.listen(self.port, address=self.listen)
        except OSError as exc:
            raise WebhookError(f"cannot listen on {self.listen}:{self.port} ({exc.strerror or exc}); check "
                               "WAAKZAAM_WEBHOOK_LISTEN and WAAKZAAM_WEBHOOK_PORT") from None
        try:
            await app.bot.set_webhook(self.url, secret_token=self.secret, allowed_updates=list(ALLOWED_UPDATES))
        except TelegramError as exc:
            raise WebhookError(f"Telegram refused the webhook URL ({exc.__class__.__name__}: {exc}); it must be "
                               "a public https address that reaches this bot") from None
        liveness: Liveness = app.bot_data["liveness"]
        liveness.mode = "webhook"
        log.info("started; webhook mode, listening on %s:%d", self.listen, self.port)
        notify(f"READY=1\nSTATUS=webhook mode, listening on {self.listen}:{self.port}")
        return set()

    async def close(self) -> None:
        """No new requests; Telegram keeps what it could not deliver."""
        if self.server is None:
            return
        server, self.server = self.server, None
        server.stop()
        await server.close_all_connections()


async def serve_webhook(app: Application, *, url: str, listen: str, port: int, secret: str | None,
                        stop: asyncio.Event | None = None) -> None:
    """Run the bot in webhook mode until SIGINT or SIGTERM (or `stop`): the one lifecycle of the
    polling mode (inbox.run), with an HTTP server in place of polling. Telegram keeps updates while
    the bot is stopped."""
    await run(app, Webhook(url=url, listen=listen, port=port, secret=secret), stop)
