"""Who may talk to the bot: private chats only, a known person, and the access code."""
from __future__ import annotations

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from bot.foundations import callbacks, prompts
from bot.foundations.i18n import Translator, pick_language
from bot.foundations.model import Person, Result
from bot.network.membership import looks_like_invite

from . import employee
from .ui import Context, begin, say, services, to_group

GATE_GROUP = -10


async def gatekeeper(update: Update, context: Context) -> None:
    """Private chats only; resolves the person; the employee access code, when set."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or user.is_bot:
        raise ApplicationHandlerStop
    if chat.type != ChatType.PRIVATE:
        # Conversations here are confidential: never in a group where others read along.
        message = update.message
        if message and message.text and message.text.startswith("/"):
            t = Translator(pick_language(user.language_code, services(context).settings.default_language))
            await to_group(update, t("I only talk in private chats. Please write to me directly."))
        raise ApplicationHandlerStop
    access = services(context).access
    if update.my_chat_member is not None:
        # Blocked or unblocked: nobody new is created for it, and nothing is answered.
        who = await access.find(user.id)
        if who is not None and update.my_chat_member.new_chat_member.status == ChatMemberStatus.MEMBER:
            await services(context).talk.reachable_again(who)
        raise ApplicationHandlerStop
    language = pick_language(user.language_code, services(context).settings.default_language)
    who = await access.identify(user.id, chat.id, language)
    context.person = who
    await begin(update, context, who)  # what this update says goes to them; a press is answered first
    await services(context).talk.reachable_again(who)  # what was kept for them while they blocked the bot
    await _access_gate(update, context, who)


async def _access_gate(update: Update, context: Context, who: Person) -> None:
    access, waiting = services(context).access, services(context).prompts
    if not await access.needs_code(who):
        return
    t = Translator(who.language)
    query = update.callback_query
    if query is not None and callbacks.LANGUAGE.parse(query.data):
        return
    text = (update.message.text or "").strip() if update.message else ""
    if text.startswith(("/language", "/help")):
        return  # language and emergency numbers are for everyone
    if text.startswith("/start"):
        text = text.removeprefix("/start").strip()
        if looks_like_invite(text):
            return
    elif (prompt := await waiting.current(who)) is None or prompt.kind != prompts.ACCESS_CODE:
        text = ""
    if not text:
        await waiting.wait_for(who, prompts.ACCESS_CODE)
        await say(update, t("Welcome. Please send the access code you received from your organisation. "
                            "In an emergency call 112, or see /help for help lines."))
        raise ApplicationHandlerStop
    if await access.give_code(who, text) is Result.OK:
        await waiting.clear(who, prompts.ACCESS_CODE)
        context.person = await access.refresh(who)
        await say(update, t("Thank you, the code is right."))
        await employee.show_menu(update, context, intro=True)  # the first time they read what the network is
    else:
        await say(update, t("That access code is not right. Please check it and send it again."))
    raise ApplicationHandlerStop


def register(app: Application) -> None:
    app.add_handler(TypeHandler(Update, gatekeeper), group=GATE_GROUP)
