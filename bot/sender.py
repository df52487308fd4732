"""Delivers the outbox through Telegram: retries, back-off, and blocked chats.

This and the handlers are the only places outside the factory that speak Telegram.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from .core import Core
from .model import Button
from .storage.outbox import Delivery

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 12


def inline_keyboard(rows: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup | None:
    """Rows of (label, callback data) as Telegram's inline keyboard; None for no buttons."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 5 * 2**attempts))


class Sender:
    """Drains the outbox. One drain at a time, so nothing is sent twice."""

    def __init__(self, core: Core, bot: Bot, undeliverable: Callable[[int], Awaitable[None]]) -> None:
        self.core = core
        self.bot = bot
        self._undeliverable = undeliverable  # told the id of a relayed message that cannot go
        self._lock = asyncio.Lock()

    async def flush(self) -> int:
        """Send everything due now; returns how many went out."""
        sent = 0
        async with self._lock:
            # Every row leaves the due set (sent, finished, or retried later), so this ends.
            while batch := await self.core.outbox.due():
                for delivery in batch:
                    sent += await self._deliver(delivery)
        return sent

    async def _deliver(self, delivery: Delivery) -> int:
        outbox = self.core.outbox
        chat_id = await self.core.people.chat_id(delivery.person_id)
        if chat_id is None:
            await outbox.finish(delivery.id, "cancelled")
            return 0
        payload = delivery.payload
        try:
            if delivery.edit_of_message is not None:
                await self.bot.edit_message_text(
                    payload.text, chat_id=chat_id, message_id=delivery.edit_of_message,
                    reply_markup=inline_keyboard(payload.buttons),
                )
                message_id = delivery.edit_of_message
            else:
                message = await self.bot.send_message(
                    chat_id, payload.text, reply_markup=inline_keyboard(payload.buttons), protect_content=payload.protect
                )
                message_id = message.message_id
        except RetryAfter as exc:
            await outbox.retry_later(delivery.id, _as_delta(exc.retry_after))
            return 0
        except Forbidden:
            # The person blocked the bot or deleted their account: stop trying.
            log.warning("outbox %s: recipient blocked the bot", delivery.id)
            await self._give_up(delivery, "blocked")
            return 0
        except BadRequest as exc:
            if delivery.edit_of_message is not None and "not modified" in str(exc).lower():
                await outbox.mark_sent(delivery, delivery.edit_of_message)
                return 0
            log.error("outbox %s: rejected by Telegram (%s)", delivery.id, exc.__class__.__name__)
            await self._give_up(delivery, "failed")
            return 0
        except (NetworkError, TelegramError) as exc:
            if delivery.attempts + 1 >= MAX_ATTEMPTS:
                log.error("outbox %s: giving up after %s attempts", delivery.id, MAX_ATTEMPTS)
                await self._give_up(delivery, "failed")
            else:
                log.info("outbox %s: will retry (%s)", delivery.id, exc.__class__.__name__)
                await outbox.retry_later(delivery.id, _backoff(delivery.attempts))
            return 0
        await outbox.mark_sent(delivery, message_id)
        if delivery.message_id is not None:
            await self.core.conversations.mark_delivered(delivery.message_id)
        return 1


    async def _give_up(self, delivery: Delivery, state: str) -> None:
        async with self.core.db.transaction():
            await self.core.outbox.finish(delivery.id, state)
            if delivery.message_id is not None:
                await self._undeliverable(delivery.message_id)


def _as_delta(value) -> timedelta:
    return value if isinstance(value, timedelta) else timedelta(seconds=float(value))
