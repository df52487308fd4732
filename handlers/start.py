"""Where everyone begins: /start (invitation links too), /help, /language."""
from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.foundations import callbacks
from bot.foundations.i18n import LANGUAGES, Translator
from bot.foundations.model import split_message
from bot.foundations.vocab import LANGUAGE
from bot.network.membership import looks_like_invite

from . import employee, joining, listener
from .ui import (
    Context,
    answer,
    buttons,
    data,
    emergency_text,
    person,
    say,
    services,
    tr,
)


async def start(update: Update, context: Context) -> None:
    payload = context.args[0] if context.args else ""
    await services(context).prompts.clear(person(context))  # /start leaves any open question
    if looks_like_invite(payload):
        await joining.redeem(update, context, payload)
        return
    if await listener.listener_home(update, context):
        return
    await employee.show_menu(update, context, intro=True)


async def language(update: Update, context: Context) -> None:
    t = tr(context)
    await say(update, t("Choose your language:"),
              buttons([(LANGUAGE[code], callbacks.LANGUAGE(code)) for code in LANGUAGES]))


async def set_language(update: Update, context: Context) -> None:
    (code,) = callbacks.LANGUAGE.parse(data(update))
    context.person = await services(context).access.set_language(person(context), code)
    await answer(update, Translator(code)("From now on I will speak English with you."))


async def help_command(update: Update, context: Context) -> None:
    t, casework = tr(context), services(context).casework
    text = "\n\n".join([
        t("This bot puts you in touch, confidentially, with a colleague from the vigilance network "
          "who listens. Listeners do not solve or decide anything and never tell anyone about you "
          "without your permission. They see a pseudonym, not your name."),
        t("Use /start to see what you can do, also to ask for a conversation for yourself; /language to change "
          "the language.") if person(context).roles or await services(context).membership.listener(person(context))
        else t("Use /start to ask for a conversation, /language to change the language."),
        emergency_text(context, t),
    ])
    await say(update, text)
    # The referral directory; the emergency lines are above already.
    parts = [t("Other places where you can find help:")]
    parts += [casework.entry_text(t, r) for r in casework.directory() if not r.shows_emergency]
    parts.append(t("To erase everything the bot keeps about you: /forget."))
    for text in split_message(parts):
        await say(update, text)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("language", language))
    app.add_handler(CommandHandler("help", help_command))
    app.add_handler(CallbackQueryHandler(set_language, pattern=callbacks.LANGUAGE.pattern))
