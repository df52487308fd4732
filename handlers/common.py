"""Shared gatekeeping, /start, /language, /help, unknown input and the error handler."""
from __future__ import annotations

import hmac
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.app import drain_after, services
from bot.i18n import LANGUAGES, Translator, pick_language
from bot.labels import LANGUAGE
from bot.storage.invites import looks_like_invite
from bot.storage.people import Person

log = logging.getLogger(__name__)

GATE_GROUP = -10
DRAIN_GROUP = 100


# Helpers used by every handler module -------------------------------------------

def person(context: ContextTypes.DEFAULT_TYPE) -> Person:
    """The person behind this update, as resolved by the gatekeeper."""
    return context.user_data["person"]


def tr(context: ContextTypes.DEFAULT_TYPE) -> Translator:
    return Translator(person(context).language)


def buttons(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=token) for label, token in row] for row in rows]
    )


async def answer(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Reply to the person acting: edit the pressed message, or send a new one."""
    query = update.callback_query
    if query is not None:
        await query.edit_message_text(text, reply_markup=markup)
    else:
        await update.effective_chat.send_message(text, reply_markup=markup)


async def say(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """A new message to the person acting (keeps the pressed message as it was)."""
    await update.effective_chat.send_message(text, reply_markup=markup)


async def alert(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    """A pop-up answer to a button press. Telegram takes one answer per press."""
    await update.callback_query.answer(text, show_alert=True)
    context.user_data["answered"] = update.callback_query.id


async def settle_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """After the handlers: stop the button's spinner unless an alert already answered it."""
    query = update.callback_query
    if query is not None and context.user_data.get("answered") != query.id:
        await query.answer()


def emergency_text(context: ContextTypes.DEFAULT_TYPE, t: Translator) -> str:
    core = services(context).core
    lines = core.charter.emergency_lines(core.settings.emergency_countries, t.lang)
    listed = "\n".join(f"☎ {line.number}: {line.label(t.lang)}" for line in lines)
    return t("If you are in danger or thinking of harming yourself, call now:\n{lines}", lines=listed)


# Gatekeeping ----------------------------------------------------------------------

async def gatekeeper(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Private chats only; resolves the person; the employee access code, when set."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or user.is_bot:
        raise ApplicationHandlerStop
    if chat.type != ChatType.PRIVATE:
        # Conversations here are confidential: never in a group where others read along.
        if update.message and update.message.text and update.message.text.startswith("/"):
            t = Translator(pick_language(user.language_code, services(context).settings.default_language))
            await chat.send_message(t("I only talk in private chats. Please write to me directly."))
        raise ApplicationHandlerStop
    core = services(context).core
    language = pick_language(user.language_code, core.settings.default_language)
    who = await core.people.ensure(user.id, chat.id, language)
    context.user_data["person"] = who
    await _access_gate(update, context, who)


async def _access_gate(update: Update, context: ContextTypes.DEFAULT_TYPE, who: Person) -> None:
    settings = services(context).settings
    if settings.access_code is None or who.access_granted or who.roles:
        return
    core = services(context).core
    if await core.members.by_person(who.id):
        return
    t = Translator(who.language)
    query = update.callback_query
    if query is not None and (query.data or "").startswith("lang:"):
        return
    text = (update.message.text or "").strip() if update.message else ""
    if text.startswith(("/language", "/help")):
        return  # language and emergency numbers are for everyone
    if text.startswith("/start"):
        text = text.removeprefix("/start").strip()
        if looks_like_invite(text):
            return
    elif context.user_data.get("awaiting") != "access_code":
        text = ""
    if not text:
        context.user_data["awaiting"] = "access_code"
        await say(update, t("Welcome. Please send the access code you received from your organisation. "
                            "In an emergency call 112, or see /help for help lines."))
        raise ApplicationHandlerStop
    if hmac.compare_digest(text.encode(), settings.access_code.encode()):
        await core.people.grant_access(who.id)
        context.user_data.pop("awaiting", None)
        context.user_data["person"] = await core.people.get(who.id)
        await update.effective_chat.send_message(t("Thank you, the code is right."))
        from handlers.employee import show_menu

        await show_menu(update, context)
    else:
        await update.effective_chat.send_message(
            t("That access code is not right. Please check it and send it again.")
        )
    raise ApplicationHandlerStop


# /start, /language, /help --------------------------------------------------------

async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    payload = context.args[0] if context.args else ""
    context.user_data.pop("awaiting", None)
    if looks_like_invite(payload):
        from handlers.joining import redeem

        await redeem(update, context, payload)
        return
    from handlers.employee import show_menu
    from handlers.member import member_home

    if await member_home(update, context):
        return
    await show_menu(update, context, intro=True)


async def language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    t = tr(context)
    await say(
        update,
        t("Choose your language:"),
        buttons([(LANGUAGE[code], f"lang:{code}") for code in LANGUAGES]),
    )


async def set_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    code = update.callback_query.data.partition(":")[2]
    if code not in LANGUAGES:
        await stale_button(update, context)
        return
    core = services(context).core
    await core.people.set_language(person(context).id, code)
    context.user_data["person"] = await core.people.get(person(context).id)
    await answer(update, Translator(code)("From now on I will speak English with you."))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    t = tr(context)
    text = "\n\n".join([
        t("This bot puts you in touch, confidentially, with a colleague from the vigilance network "
          "who listens. Listeners do not solve or decide anything and never tell anyone about you "
          "without your permission. They see a pseudonym, not your name."),
        t("Use /start to ask for a conversation, /language to change the language."),
        emergency_text(context, t),
    ])
    await say(update, text)
    from handlers.casework import show_directory  # the referral directory, and /forget

    await show_directory(update, context)


# Unknown input and errors ------------------------------------------------------------

async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await say(update, tr(context)("I do not know that command. Use /start to see what you can do."))


async def not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    # Photos, voice, files...: not relayed and not stored, so they cannot leak.
    await say(
        update,
        tr(context)("I can only pass on text messages. Please write what you want to say; "
                    "your photo, voice message or file was not passed on or kept."),
    )


async def stale_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An old, forged or no longer valid button: say so, change nothing."""
    await alert(update, context, tr(context)("This button is no longer valid."))


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
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
    app.add_handler(TypeHandler(Update, gatekeeper), group=GATE_GROUP)
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("language", language))
    app.add_handler(CommandHandler("help", help_command))
    app.add_handler(CallbackQueryHandler(set_language, pattern=r"^lang:"))
    app.add_handler(TypeHandler(Update, settle_press), group=DRAIN_GROUP - 1)
    app.add_handler(TypeHandler(Update, drain_after), group=DRAIN_GROUP)
    app.add_error_handler(on_error)


def register_fallbacks(app: Application) -> None:
    """Last in group 0, after every module's handlers: what nobody else took."""
    app.add_handler(MessageHandler(filters.COMMAND, unknown_command))
    app.add_handler(MessageHandler(~filters.TEXT & ~filters.StatusUpdate.ALL, not_text))
    app.add_handler(CallbackQueryHandler(stale_button))
