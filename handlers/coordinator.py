"""The coordinator's side: invitations, who is available, the audit trail and the quality
figures. Never content."""
from __future__ import annotations

from babel.numbers import format_decimal
from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import callbacks, clock, routing
from bot.model import Result
from bot.vocab import AUDIT_ACTIONS, AUDIT_ACTORS, INVITE_ROLES, ROLE

from .ui import Context, answer, buttons, data, person, refusal, reply, say, services, tr


def invite_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}"


async def _refuse(update: Update, context: Context) -> None:
    await reply(update, context, tr(context)("This is for coordinators only."))


async def invite(update: Update, context: Context) -> None:
    if not person(context).is_coordinator:
        await _refuse(update, context)
        return
    t = tr(context)
    await say(update, t("Whom do you want to invite?"),
              buttons(*[[(t(ROLE[r]), callbacks.INVITE(r))] for r in INVITE_ROLES]))


async def create_invite(update: Update, context: Context) -> None:
    if not person(context).is_coordinator:
        await _refuse(update, context)
        return
    (role,) = callbacks.INVITE.parse(data(update))
    t, settings = tr(context), services(context).settings
    result, code = await services(context).membership.invite(person(context), role)
    if result is not Result.OK:
        await _refuse(update, context)
        return
    days = int(settings.invite_ttl.total_seconds() // 86400)
    await answer(update, t(
        "Invitation for a {role}: send this link to one person only. It works once and expires in {days} days.\n{link}",
        role=t(ROLE[role]), days=days, link=invite_link(context.bot.username, code),
    ))


async def members(update: Update, context: Context) -> None:
    if not person(context).is_coordinator:
        await _refuse(update, context)
        return
    t = tr(context)
    active = await services(context).membership.active_listeners()
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


async def audit(update: Update, context: Context) -> None:
    t, tz = tr(context), services(context).settings.timezone
    result, summary = await services(context).oversight.audit_summary(person(context))
    if result is not Result.OK:
        await say(update, refusal(t, result))
        return
    lines = [t("Audit trail, last {days} days: who did what to which case, never any content.", days=summary.days)]
    lines += [f"• {t(AUDIT_ACTIONS.get(action, action))}: {count}" for action, count in summary.counts.items()]
    if summary.recent:
        lines.append("")
        lines.append(t("Latest:"))
    for entry in summary.recent:
        who = t(AUDIT_ACTORS[entry.actor_role], id=entry.actor_id)
        what = t(AUDIT_ACTIONS.get(entry.action, entry.action))
        lines.append(" · ".join(filter(None, [t.when(entry.at, tz), who, what, entry.request_ref])))
    await say(update, "\n".join(lines))


async def quality(update: Update, context: Context) -> None:
    t = tr(context)
    result, figures = await services(context).oversight.quality(person(context))
    if result is not Result.OK:
        await say(update, refusal(t, result))
        return
    days = services(context).settings.retention.days
    k = services(context).settings.small_cell
    if figures.count < k:
        # Few ratings could point to one person's opinion: figures only from k on.
        await say(update, t("Fewer than {k} ratings in the last {days} days: no figures yet.",
                            k=k, days=days))
        return
    average = sum(n * c for n, c in figures.by_rating.items()) / figures.count
    await say(update, t(
        "Ratings in the last {days} days: {count}, on average {average} out of 5. Written comments: "
        "{comments} (kept encrypted; they are not shown to anyone here).",
        days=days, count=figures.count, comments=figures.comments,
        average=format_decimal(round(average, 1), locale=t.lang)))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("invite", invite))
    app.add_handler(CommandHandler("members", members))
    app.add_handler(CommandHandler("audit", audit))
    app.add_handler(CommandHandler("quality", quality))
    app.add_handler(CallbackQueryHandler(create_invite, pattern=callbacks.INVITE.pattern))
