"""Webhook mode in-process: the real Application and tornado server, httpx as Telegram."""
from __future__ import annotations

import asyncio
import json
import logging
import socket
import sqlite3
import time

import httpx
import pytest

from bot.app import build_application
from bot.running.inbox import serve
from bot.running.webhook import WebhookError, serve_webhook

SECRET = "s3cret-token-for-tests_0123456789"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _update(update_id: int, user_id: int, text: str) -> dict:
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": int(time.time()), "text": text,
        "chat": {"id": user_id, "type": "private"},
        "from": {"id": user_id, "is_bot": False, "first_name": "Wim", "language_code": "en"},
        **({"entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]}
           if text.startswith("/") else {})}}


@pytest.fixture
async def webhook(settings, offline):
    app = build_application(settings, request=offline, rate_limit=False)
    port, stop = _free_port(), asyncio.Event()
    task = asyncio.create_task(serve_webhook(app, url="https://bot.example.org/tg", listen="127.0.0.1", port=port,
                                             secret=SECRET, stop=stop))
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
        for _ in range(200):
            try:
                await client.get("/health")
                break
            except httpx.TransportError:
                await asyncio.sleep(0.02)
        yield app, client
    stop.set()
    await asyncio.wait_for(task, timeout=30)


async def _inbox_rows(app) -> int:
    return await app.bot_data["services"].core.db.fetchval("SELECT COUNT(*) FROM inbox")


async def test_a_wrong_or_missing_secret_gets_401_and_nothing_is_stored(webhook, offline):
    app, client = webhook
    for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"},
                    {"X-Telegram-Bot-Api-Secret-Token": SECRET[:-1]}):
        answer = await client.post("/tg", json=_update(41, 8101, "/start"), headers=headers)
        assert answer.status_code == 401 and answer.content == b""
    assert await _inbox_rows(app) == 0
    await asyncio.sleep(0.2)
    assert offline.sent_to(8101) == []


async def test_an_update_is_stored_before_the_200_then_handled(webhook, offline):
    app, client = webhook
    assert offline.calls[-1][0] == "setWebhook"
    assert offline.calls[-1][1]["secret_token"] == SECRET and offline.calls[-1][1]["url"] == "https://bot.example.org/tg"
    answer = await client.post("/tg", json=_update(42, 8102, "/start"), headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert answer.status_code == 200
    assert await _inbox_rows(app) == 1  # committed before Telegram heard 200
    for _ in range(100):
        if offline.sent_to(8102):
            break
        await asyncio.sleep(0.02)
    assert "Welcome" in offline.sent_to(8102)[0].text
    again = await client.post("/tg", json=_update(42, 8102, "/start"), headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert again.status_code == 200 and await _inbox_rows(app) == 1  # a resend changes nothing
    bad = await client.post("/tg", content=b"not json", headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert bad.status_code == 400
    assert (await client.get("/tg")).status_code == 405


async def test_health_says_ages_and_no_counts(webhook):
    app, client = webhook
    await client.post("/tg", json=_update(43, 8103, "/start"), headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    answer = await client.get("/health")
    report = answer.json()
    assert answer.status_code == 200 and report["healthy"] is True and report["database"] == "ok"
    assert report["schema"]["version"] == report["schema"]["expected"]
    # Ages only: a count of deliveries or updates would tell a poller when conversations happen.
    assert set(report["inbox"]) == {"oldest_due_seconds"}
    assert set(report["outbox"]) == {"oldest_due_seconds"}
    assert "8103" not in answer.text and "Wim" not in answer.text
    leaves = []

    def walk(value):
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        else:
            leaves.append(value)
    walk(report)
    assert all(isinstance(v, (int, float, bool, type(None))) or v in ("ok",) for v in leaves), report
    assert set(report["loops"]) == {"work", "sweep", "send"} and report["loops_late"] == 0


async def test_storage_trouble_answers_503_so_telegram_sends_it_again(webhook, monkeypatch):
    app, client = webhook
    inbox = app.bot_data["inbox"]

    async def full(updates):
        raise sqlite3.OperationalError("database or disk is full")
    monkeypatch.setattr(inbox, "receive", full)
    answer = await client.post("/tg", json=_update(44, 8104, "/start"), headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert answer.status_code == 503


# One start-up and shutdown for both ways of taking updates (inbox.run) -----------------------------

async def _until_running(app) -> None:
    for _ in range(500):
        if app.running and "services" in app.bot_data:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the bot did not start")


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_both_ways_of_taking_updates_start_and_stop_alike(settings, offline, mode):
    app = build_application(settings, request=offline, rate_limit=False)
    stop = asyncio.Event()
    if mode == "polling":
        running = serve(app, interval=0.01, stop=stop)
    else:
        running = serve_webhook(app, url="https://bot.example.org/tg", listen="127.0.0.1", port=_free_port(),
                                secret=SECRET, stop=stop)
    task = asyncio.create_task(running)
    await _until_running(app)
    stop.set()
    await asyncio.wait_for(task, timeout=30)
    assert not app.running and "services" not in app.bot_data  # stopped, and the store closed
    endpoints = [name for name, _ in offline.calls]
    if mode == "polling":  # a webhook left from webhook mode is removed first, then updates are polled
        assert "getUpdates" in endpoints[endpoints.index("deleteWebhook"):] and "setWebhook" not in endpoints
    else:
        assert "setWebhook" in endpoints and "getUpdates" not in endpoints


async def test_a_bot_that_cannot_take_updates_stops_and_closes_its_store(settings, offline):
    app = build_application(settings, request=offline, rate_limit=False)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(WebhookError, match="cannot listen"):
            await serve_webhook(app, url="https://bot.example.org/tg", listen="127.0.0.1",
                                port=taken.getsockname()[1], secret=SECRET, stop=asyncio.Event())
    assert not app.running and "services" not in app.bot_data


async def test_what_a_scanner_or_a_monitor_gets_is_quiet_and_names_no_software(webhook, caplog):
    app, client = webhook
    caplog.set_level(logging.DEBUG)
    answers = [await client.get("/tg"), await client.get("/wp-login.php"), await client.get("/health"),
               await client.post("/tg", json=_update(45, 8105, "/start"))]
    assert [a.status_code for a in answers] == [405, 404, 200, 401]
    for answer in answers:
        assert "server" not in answer.headers, answer.headers
    assert answers[0].content == answers[1].content == b""
    records = [r for r in caplog.records if r.name.startswith(("bot", "tornado"))]
    assert not [r for r in records if r.levelno >= logging.ERROR], [r.getMessage() for r in records]
    access = [(r.levelno, r.getMessage().split(" ms")[0].rsplit(" ", 1)[0]) for r in records
              if r.name == "bot.running.webhook.access"]
    assert access == [(logging.INFO, "405 GET /tg"), (logging.INFO, "404 GET /wp-login.php"),
                      (logging.DEBUG, "200 GET /health"), (logging.INFO, "401 POST /tg")]


async def test_deeply_nested_json_with_the_right_secret_is_a_400_and_nothing_is_stored(webhook, caplog):
    app, client = webhook
    caplog.set_level(logging.INFO)
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    deep = b'{"update_id": 46, "message": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    nested = json.dumps({"update_id": 47, "message": _nest(60)}).encode()
    for body in (deep, nested):
        answer = await client.post("/tg", content=body, headers=headers)
        assert answer.status_code == 400 and answer.content == b""
    assert await _inbox_rows(app) == 0
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "RecursionError" not in caplog.text


def _nest(depth: int) -> dict:
    value: dict = {}
    for _ in range(depth):
        value = {"reply_to_message": value}
    return value


async def test_updates_that_arrive_together_are_stored_in_one_commit(running, offline):
    """Webhook requests come one update each: those that arrive while a commit is under way are
    stored together in the next one, and each request is answered once its own is stored."""
    inbox, db = running.app.bot_data["inbox"], running.services.core.db
    updates = [{"update_id": 770_000 + n, "message": {
        "message_id": n + 1, "date": 0, "chat": {"id": 401 + n, "type": "private"},
        "from": {"id": 401 + n, "is_bot": False, "first_name": "Ann", "language_code": "en"}, "text": "hi"}}
        for n in range(6)]
    durable = db.durable_commits
    news = await asyncio.gather(*(inbox.receive([update]) for update in updates), inbox.receive([updates[0]]))
    assert news == [1, 1, 1, 1, 1, 1, 0]  # the same update twice is stored once
    assert db.durable_commits == durable + 2  # the first alone, then all that arrived meanwhile
    assert await db.fetchval("SELECT COUNT(*) FROM inbox WHERE update_id >= 770000") == 6
