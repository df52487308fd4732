"""The coordinator's side: invitations and member availability, never content."""
from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot import clock, routing
from bot.app import services
from bot.labels import ROLE
from bot.storage.invites import ROLES

from .common import alert, answer, buttons, person, say, stale_button, tr


def invite_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}"


async def _refuse(update: Update, context) -> None:
    if update.callback_query:
        await alert(update, context, tr(context)("This is for coordinators only."))
    else:
        await say(update, tr(context)("This is for coordinators only."))


async def invite(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not person(context).is_coordinator:
        await _refuse(update, context)
        return
    t = tr(context)
    await say(update, t("Whom do you want to invite?"), buttons(*[[(t(ROLE[r]), f"inv:{r}")] for r in ROLES]))


async def create_invite(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not person(context).is_coordinator:
        await _refuse(update, context)
        return
    role = update.callback_query.data.partition(":")[2]
    if role not in ROLES:
        await stale_button(update, context)
        return
    t, settings = tr(context), services(context).settings
    code = await services(context).core.invites.create(role, settings.invite_ttl, person(context).id)
    days = int(settings.invite_ttl.total_seconds() // 86400)
    await answer(update, t(
        "Invitation for a {role}: send this link to one person only. It works once and expires in {days} days.\n{link}",
        role=t(ROLE[role]), days=days, link=invite_link(context.bot.username, code),
    ))


async def members(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not person(context).is_coordinator:
        await _refuse(update, context)
        return
    t, core = tr(context), services(context).core
    active = await core.members.active()
    now = clock.now()
    cap = services(context).settings.max_open_cases

    def state(m) -> str:
        if routing.is_paused(m, now):
            return t("paused")
        return t("available") if routing.is_available(m, now, cap) else t("at their limit")

    lines = [
        t("{name}: {open} of {cap} open, {state}", name=m.display_name, open=m.open_cases,
          cap=routing.limit_of(m, cap), state=state(m))
        for m in active
    ]
    free = sum(routing.is_available(m, now, cap) for m in active)
    header = t("Listeners: {count}, available now: {free}.", count=len(active), free=free)
    await say(update, "\n".join([header, *lines]))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("invite", invite))
    app.add_handler(CommandHandler("members", members))
    app.add_handler(CallbackQueryHandler(create_invite, pattern=r"^inv:"))
