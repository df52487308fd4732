"""/forget: a person erases what the bot keeps about them as a colleague who asked."""
from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.conversation.retention import Erasure
from bot.foundations import callbacks

from .ui import (
    Context,
    answer,
    buttons,
    data,
    farewell,
    origin,
    person,
    say,
    services,
    tr,
)


async def forget(update: Update, context: Context) -> None:
    """/forget asks for confirmation; yes erases at once, no keeps everything."""
    t, who = tr(context), person(context)
    member = await services(context).membership.listener(who)
    has_role = bool(who.roles) or member is not None
    if update.callback_query is None:
        if has_role:
            text = t("/forget erases what you asked as a colleague who needed a listener: your request is "
                     "closed and its messages deleted. Your role in the network stays, with what you do for it: "
                     "to be removed completely, first end your role (a listener uses /leave; a coordinator ends "
                     "the other roles), then use /forget. Erase your data as a colleague now?")
        else:
            text = t("Do you want to erase your data? Your open request is closed (your listener is told you "
                     "closed it) and everything that links you to your conversations is deleted at once: "
                     "messages, notes, and the bot's record of your Telegram account. Only anonymous counts "
                     "remain. This cannot be undone.")
        await say(update, text, buttons([(t("Yes, erase it"), callbacks.FORGET("yes"))],
                                        [(t("No, keep it"), callbacks.FORGET("no"))]))
        return
    if callbacks.FORGET.parse(data(update)) == ("no",):
        await answer(update, t("Nothing was erased."))
        return
    done = await services(context).retention.forget(who, origin())
    lines = []
    if done.closed_ref:
        lines.append(t("Your request {ref} is closed.", ref=done.closed_ref))
    if done.erasure is Erasure.ERASED:
        lines.append(t("Everything that linked you to your conversations has been erased. If you write to "
                       "this bot again, it starts afresh, without knowing you."))
    elif done.erasure is Erasure.ROLE_KEPT and done.cases:
        lines.append(t("What you asked as a colleague has been erased (conversations: {count}). Your role in "
                       "the network stays.", count=done.cases))
    elif done.erasure is Erasure.ROLE_KEPT and done.signal:
        lines.append(t("Your team signal has been erased. Your role in the network stays."))
    else:
        lines.append(t("There was nothing to erase: the bot keeps nothing about you as a colleague who "
                       "asked for a conversation."))
    if done.erasure is not Erasure.ROLE_KEPT:  # their record is gone: nothing is kept for them, not even this
        await farewell(update, "\n\n".join(lines))
    else:
        await answer(update, "\n\n".join(lines))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("forget", forget))
    app.add_handler(CallbackQueryHandler(forget, pattern=callbacks.FORGET.pattern))
