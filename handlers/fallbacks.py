"""What no other handler took, the end of every button press, and the one error handler."""
from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, TypeHandler, filters

from .ui import Context, say, stale_button, tr

log = logging.getLogger(__name__)
SETTLE_GROUP = 99  # after every handler, before the outbox is drained


async def unknown_command(update: Update, context: Context) -> None:
    await say(update, tr(context)("I do not know that command. Use /start to see what you can do."))


async def not_text(update: Update, context: Context) -> None:
    # Photos, voice, files...: not relayed and not stored, so they cannot leak.
    await say(
        update,
        tr(context)("I can only pass on text messages. Please write what you want to say; "
                    "your photo, voice message or file was not passed on or kept."),
    )


async def settle_press(update: Update, context: Context) -> None:
    """After the handlers: stop the button's spinner unless an alert already answered it."""
    query = update.callback_query
    if query is not None and context.user_data.get("answered") != query.id:
        await query.answer()


async def on_error(update: object, context: Context) -> None:
    # Log first, with the exception type and stack but no update content (it may hold text or ids).
    log.error("error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat and "person" in context.user_data:
        try:
            await update.effective_chat.send_message(
                tr(context)("Sorry, something went wrong on our side. Nothing you sent was lost; "
                            "please try again in a moment.")
            )
        except Exception:  # noqa: BLE001 - the error handler must never raise
            log.error("could not tell the user about the error")


def register(app: Application) -> None:
    """Last in group 0, after every module's handlers."""
    app.add_handler(MessageHandler(filters.COMMAND, unknown_command))
    app.add_handler(MessageHandler(~filters.TEXT & ~filters.StatusUpdate.ALL, not_text))
    app.add_handler(CallbackQueryHandler(stale_button))
    app.add_handler(TypeHandler(Update, settle_press), group=SETTLE_GROUP)
    app.add_error_handler(on_error)
