"""A tiny PTB 22 bot that exists only to prove the e2e harness (not part of Waakzaam).

- ``/start [payload]``  -> "start:<payload>"
- ``copy:<chat_id>``    -> copies the user's message to that chat (protected, no forward header)
- ``fwd:<chat_id>``     -> forwards it instead (so tests can see a forward header being caught)
- any other text        -> "echo: <text>" as a protected reply with a "Press me" button
- pressing the button   -> answers "pressed!" and edits the message to "pressed: <text>"

Every update handled is printed as ``HANDLED <update_id>`` so tests can spot duplicates.
"""
from __future__ import annotations

import logging
import os
import sys

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyParameters,
    Update,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

PRESS = "press"


async def log_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    print(f"HANDLED {update.update_id}", flush=True)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    payload = " ".join(context.args) if context.args else "-"
    await update.message.reply_text(f"start:{payload}", protect_content=True)


async def relay(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.message
    verb, target = message.text.split(":", 1)
    if verb == "copy":
        await context.bot.copy_message(int(target), message.chat_id, message.message_id, protect_content=True)
    else:
        await context.bot.forward_message(int(target), message.chat_id, message.message_id)
    await message.reply_text(f"{verb} sent", protect_content=True)


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.message
    await message.reply_text(
        f"echo: {message.text}",
        protect_content=True,
        reply_parameters=ReplyParameters(message.message_id),
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Press me", callback_data=PRESS)]]),
    )


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer("pressed!")
    await query.edit_message_text(f"pressed: {query.message.text}")  # also drops the keyboard


async def post_init(app: Application) -> None:
    # Methods the stock emulator answered with HTTP 500.
    await app.bot.set_my_commands([BotCommand("start", "Start the bot")])
    await app.bot.set_my_description("Echo bot for the e2e harness")


async def post_shutdown(app: Application) -> None:
    print("STOPPED cleanly", flush=True)


def main() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per poll otherwise
    app = (
        Application.builder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(os.environ["TELEGRAM_API_BASE_URL"])
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    app.add_handler(TypeHandler(Update, log_update), group=-1)
    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.Regex(r"^(copy|fwd):-?\d+$"), relay))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(CallbackQueryHandler(pressed, pattern=f"^{PRESS}$"))
    app.run_polling(poll_interval=0.05)


if __name__ == "__main__":
    main()
