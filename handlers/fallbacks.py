"""What no other handler took, and the one error handler. (Every button press is answered by the
gate's first reply: bot/running/replies.py.)"""
from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    MessageHandler,
    filters,
)

from bot.foundations import prompts
from bot.running import replies
from bot.running.faults import passing

from .ui import Context, person, say, services, stale_button, tr

log = logging.getLogger(__name__)


async def unknown_command(update: Update, context: Context) -> None:
    await say(update, tr(context)("I do not know that command. Use /start to see what you can do."))


async def not_text(update: Update, context: Context) -> None:
    """Photos, voice, files...: not relayed and not stored, so they cannot leak. Said at once, with why."""
    t, message = tr(context), update.effective_message
    if message.voice or message.audio or message.video_note or message.video:
        text = t("Voice messages and videos are not passed on: a voice or a face can tell who you are, and the "
                 "network keeps you anonymous. What you sent was not kept either. Please write it instead.")
    elif message.photo or message.document or message.animation:
        text = t("Photos and files are not passed on: they can show who you are (a face, a name, details hidden "
                 "in the file). What you sent was not kept either. Please describe it in words.")
    else:
        text = t("I can only pass on text messages. Please write what you want to say; what you sent was not "
                 "passed on or kept.")
    await say(update, text)


async def edited(update: Update, context: Context) -> None:
    """Edits are not read. Said in the terms of what the message was: one passed on in a conversation
    (the other side keeps it as it was first sent), an answer in the new-action wizard (the action
    keeps it; there is no other person), or anything else (nothing changed)."""
    t, who = tr(context), person(context)
    found = services(context)
    if await found.talk.was_passed_on(who, update.edited_message.message_id):
        text = t("Edits are not passed on: the other person still sees your message as you first sent it. To "
                 "correct something, send a new message.")
    elif (waiting := await found.prompts.current(who)) is not None and waiting.kind == prompts.ACTION:
        text = t("The bot does not read edits, so the new action keeps what you first sent. You see all of it "
                 "before you save, and can cancel there.")
    else:
        text = t("The bot does not read edits, so nothing changed: it keeps your message as you first sent it.")
    await say(update, text)


async def on_error(update: object, context: Context) -> None:
    """The one error handler: it logs the kind of failure, never content or ids. The inbox then
    tries the update again or tells the person, truthfully, whether what they sent was kept."""
    handling = replies.current.get()
    if handling is not None and handling.inbox_id is not None:
        handling.error = context.error
        if handling.trial:  # a first try on the database's thread: the inbox handles it again on the loop
            raise ApplicationHandlerStop
        if passing(context.error):
            log.warning("update #%d failed (%s); it will be tried again", handling.inbox_id,
                        context.error.__class__.__name__)
            return
    log.error("error while handling %s", "an update" if update is not None else "a job", exc_info=context.error)


def register_first(app: Application) -> None:
    """Before every module's handlers: an edited message never reaches a command or a relay, and
    a press without data (PTB lets it match every pattern) reaches no button handler."""
    app.add_handler(MessageHandler(filters.UpdateType.EDITED, edited))
    app.add_handler(CallbackQueryHandler(stale_button, pattern=r"^\Z"))


def register(app: Application) -> None:
    """Last in group 0, after every module's handlers."""
    app.add_handler(MessageHandler(filters.COMMAND, unknown_command))
    app.add_handler(MessageHandler(~filters.TEXT & ~filters.StatusUpdate.ALL, not_text))
    app.add_handler(CallbackQueryHandler(stale_button))
    app.add_error_handler(on_error)
