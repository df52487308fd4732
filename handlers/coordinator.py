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


async def team(update: Update, context: Context) -> None:
    """Everyone with a role and the open invitations, each with a button to end it."""
    t, tz = tr(context), services(context).settings.timezone
    result, found = await services(context).membership.team(person(context))
    if result is not Result.OK:
        await _refuse(update, context)
        return
    lines, rows = [t("The network's people. Removing someone ends their role at once; a listener's open "
                     "conversations go to other listeners.")], []
    for entry in found.entries:
        name = entry.name or t("(no name given)")
        lines.append(t("{name}: {role}", name=name, role=t(ROLE[entry.role])))
        rows.append([(t("Remove {name} ({role})", name=name, role=t(ROLE[entry.role]))[:60],
                      callbacks.REMOVE_ASK(entry.role, entry.person_id))])
    for invitation in found.invitations:
        lines.append(t("Open invitation #{number} for a {role}, until {when}", number=invitation.id,
                       role=t(ROLE[invitation.role]), when=t.when(invitation.expires_at, tz)))
        rows.append([(t("Cancel invitation #{number}", number=invitation.id), callbacks.INVITE_CANCEL(invitation.id))])
    await say(update, "\n".join(lines), buttons(*rows))


async def remove_ask(update: Update, context: Context) -> None:
    t = tr(context)
    if not person(context).is_coordinator:
        await _refuse(update, context)
        return
    role, person_id = callbacks.REMOVE_ASK.parse(data(update))
    question = {
        "member": t("Remove this listener? Their open conversations go to other listeners; each colleague is "
                    "only told that another listener takes over. They are told their role has ended."),
        "coordinator": t("Remove this coordinator? A second coordinator must agree; the last coordinator "
                         "cannot be removed."),
        "steering": t("Remove this steering group member? They are told their role has ended."),
    }[role]
    await answer(update, question, buttons([(t("Yes, remove"), callbacks.REMOVE(role, person_id, "yes")),
                                            (t("No"), callbacks.REMOVE(role, person_id, "no"))]))


async def remove(update: Update, context: Context) -> None:
    t = tr(context)
    role, person_id, sure = callbacks.REMOVE.parse(data(update))
    if sure == "no":
        await answer(update, t("Nothing changed."))
        return
    removed = await services(context).membership.remove(person(context), role, person_id)
    await _report_removal(update, context, removed)


async def decide_removal(update: Update, context: Context) -> None:
    removal_id, agree = callbacks.REMOVAL_DECIDE.parse(data(update))
    removed = await services(context).membership.decide_removal(person(context), removal_id, agree == "yes")
    await _report_removal(update, context, removed)


async def _report_removal(update: Update, context: Context, removed) -> None:
    t = tr(context)
    name = removed.name or t("(no name given)")
    if removed.result is Result.OK:
        text = t("{name} is no longer a {role}. They have been told.", name=name, role=t(ROLE[removed.role]))
        if removed.cases:
            text += " " + t("Open conversations handed to other listeners: {count}.", count=removed.cases)
        await answer(update, text)
    elif removed.result is Result.PENDING:
        await answer(update, t("The other coordinators have been asked to agree. {name} stays a coordinator until "
                               "one of them does.", name=name))
    elif removed.result is Result.LAST:
        await answer(update, t("{name} cannot be removed: a coordinator can only be removed when another "
                               "coordinator agrees, and the network always keeps one.", name=name))
    elif removed.result is Result.CLOSED:
        await answer(update, t("You said no: {name} stays a coordinator.", name=name))
    elif removed.result is Result.ALREADY:
        await answer(update, t("This was already decided, so nothing was changed."))
    elif removed.result is Result.NOT_ALLOWED:
        await reply(update, context, t("This needs another coordinator than the one who proposed it or the "
                                       "one it is about.") if person(context).is_coordinator
                    else t("This is for coordinators only."))
    else:
        await answer(update, t("This person no longer has that role, so nothing was changed."))


async def cancel_invitation(update: Update, context: Context) -> None:
    t = tr(context)
    (invite_id,) = callbacks.INVITE_CANCEL.parse(data(update))
    result, role = await services(context).membership.cancel_invitation(person(context), invite_id)
    if result is Result.OK:
        await answer(update, t("Invitation #{number} for a {role} is cancelled: its link no longer works.",
                               number=invite_id, role=t(ROLE[role])))
    elif result is Result.NOT_ALLOWED:
        await _refuse(update, context)
    else:
        await answer(update, t("That invitation was already used, cancelled or expired."))


async def audit(update: Update, context: Context) -> None:
    t = tr(context)
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
        lines.append(" · ".join(filter(None, [t.day(entry.at), who, what, entry.request_ref])))
    await say(update, "\n".join(lines))


async def quality(update: Update, context: Context) -> None:
    t = tr(context)
    result, figures = await services(context).oversight.quality(person(context))
    if result is not Result.OK:
        await say(update, refusal(t, result))
        return
    k = services(context).settings.small_cell
    quality = figures.quality
    if quality is None:
        # Few ratings could point to one person's opinion: figures only from k on.
        await say(update, t("Fewer than {k} ratings in {period}: no figures for that quarter. Figures cover "
                            "closed quarters only, so that no single rating can be read from them.",
                            k=k, period=figures.period.label))
        return
    average = sum(n * c for n, c in quality.by_rating.items()) / quality.count
    await say(update, t(
        "Ratings in {period}: {count}, on average {average} out of 5. Written comments: "
        "{comments} (kept encrypted; they are not shown to anyone here). Figures cover closed quarters only.",
        period=figures.period.label, count=quality.count, comments=quality.comments,
        average=format_decimal(round(average, 1), locale=t.lang)))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("invite", invite))
    app.add_handler(CommandHandler("members", members))
    app.add_handler(CommandHandler("audit", audit))
    app.add_handler(CommandHandler("quality", quality))
    app.add_handler(CommandHandler("team", team))
    app.add_handler(CallbackQueryHandler(create_invite, pattern=callbacks.INVITE.pattern))
    app.add_handler(CallbackQueryHandler(remove_ask, pattern=callbacks.REMOVE_ASK.pattern))
    app.add_handler(CallbackQueryHandler(remove, pattern=callbacks.REMOVE.pattern))
    app.add_handler(CallbackQueryHandler(decide_removal, pattern=callbacks.REMOVAL_DECIDE.pattern))
    app.add_handler(CallbackQueryHandler(cancel_invitation, pattern=callbacks.INVITE_CANCEL.pattern))
