"""Webhook mode as a process against the emulator: the emulator records setWebhook but never
posts updates, so this test posts them to the bot the way Telegram would."""
from __future__ import annotations

import json
import socket
import sys
import time
from pathlib import Path

import httpx

SECRET = "e2e-webhook-secret_0123456789abcdef"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _update(update_id: int, user, text: str) -> dict:
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": int(time.time()), "text": text, "from": user.from_user,
        "chat": {"id": user.chat_id, "type": "private"},
        "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]}}


async def test_a_webhook_run_answers_only_the_right_secret(bot_process, emulator, sim_user, tmp_path: Path):
    port = _free_port()
    (tmp_path / "data").mkdir(mode=0o700, parents=True, exist_ok=True)
    env = {"WAAKZAAM_DB": str(tmp_path / "data" / "waakzaam.db"), "WAAKZAAM_KEY_FILE": str(tmp_path / "keys" / "m.key"),
           "WAAKZAAM_WEBHOOK_SECRET": SECRET, "WAAKZAAM_LOG_FORMAT": "json"}
    url = f"http://127.0.0.1:{port}/telegram"
    bot = bot_process([sys.executable, "-m", "bot", "run", "--webhook", url, "--port", str(port)], env=env,
                      wait_polling=False)
    bot.wait_for_log("started; webhook mode", timeout=20)
    hook = emulator.bot_calls(bot.token, "setWebhook")[-1]["params"]
    assert hook["url"] == url and hook["secret_token"] == SECRET

    wim = sim_user(bot, first_name="Wim", language_code="en")
    async with httpx.AsyncClient(timeout=10) as client:
        wrong = await client.post(url, json=_update(1, wim, "/start"),
                                  headers={"X-Telegram-Bot-Api-Secret-Token": "not-the-secret-at-all"})
        assert wrong.status_code == 401
        await wim.assert_no_message(within=1.0)
        health = (await client.get(f"http://127.0.0.1:{port}/health")).json()
        assert health["inbox"] == {"oldest_due_seconds": 0} and health["healthy"] is True

        right = await client.post(url, json=_update(2, wim, "/start"),
                                  headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
        assert right.status_code == 200
        welcome = await wim.wait_for("Welcome")
        assert welcome.buttons

    assert bot.stop() == 0
    lines = [line for line in bot.log_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    messages = [r["message"] for r in records]
    assert "started; webhook mode, listening on 127.0.0.1:%d" % port in messages and "stopped" in messages
    assert any("refused a request without the right secret token" in m for m in messages)
    assert str(wim.user_id) not in bot.log_text() and bot.token not in bot.log_text()
