"""The coordinator's side: invitations, who is available, the audit trail and the quality
figures. Never content."""
from __future__ import annotations

from babel.numbers import format_decimal
from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.foundations import callbacks, clock, prompts
from bot.foundations.model import Result
from bot.foundations.vocab import (
    AUDIT_ACTIONS,
    AUDIT_CLASSES,
    AUDIT_ACTORS,
    FIELD_NAMES,
    GENDER,
    INVITE_ROLES,
    LANGUAGE,
    MEETING_KINDS,
    PROFILE_CHOICES,
    ROLE,
)
from bot.network import routing
from bot.network.membership import gap_text
from bot.steering.digest.render import days_of, fmt, period_label
from bot.steering.figures import Statement

from .ui import (
    Context,
    alert,
    answer,
    buttons,
    data,
    person,
    refusal,
    reply,
    say,
    services,
    stale_button,
    too_soon,
    tr,
)


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
    cap, tz = services(context).settings.max_open_cases, services(context).settings.timezone

    def state(m) -> str:
        if routing.is_paused(m, now):
            return t("paused")
        if not routing.in_hours(m, now, tz):
            return t("outside their hours")
        return t("available") if routing.is_available(m, now, cap, tz) else t("at their limit")

    lines = [
        t("{name}: {open} of {cap} open, {state}", name=m.display_name, open=m.open_cases,
          cap=routing.limit_of(m, cap), state=state(m))
        for m in active
    ]
    free = sum(routing.is_available(m, now, cap, tz) for m in active)
    header = t("Listeners: {count}, available now: {free}.", count=len(active), free=free)
    await say(update, "\n".join([header, *lines]))


async def team(update: Update, context: Context) -> None:
    """Everyone with a role and the open invitations, each with a button to end it."""
    t, tz = tr(context), services(context).settings.timezone
    result, found = await services(context).membership.team(person(context))
    if result is not Result.OK:
        await _refuse(update, context)
        return
    lines, rows = [t("The network's people. Removing a listener or a steering group member ends their role at once; "
                     "a listener's open conversations go to other listeners. Removing a coordinator takes a second "
                     "coordinator and {hours} hours.",
                     hours=services(context).settings.removal_hours)], []
    for entry in found.entries:
        name = entry.name or t("(no name given)")
        if entry.since is None:
            lines.append(t("{name}: {role}", name=name, role=t(ROLE[entry.role])))
        else:  # the number announcements name them by; since when (decisions that take two people wait)
            lines.append(t("{name} (#{number}): {role} since {day}", name=name, number=entry.number,
                           role=t(ROLE[entry.role]), day=t.day(services(context).calendar.date_of(entry.since))))
        rows.append([(t("Remove {name}", name=name)[:60], callbacks.REMOVE_ASK(entry.role, entry.person_id))])
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
                    "only told that another listener takes over and, if there are notes, asked whether the next "
                    "listener may read them. They are told their role has ended."),
        "coordinator": t("Propose to remove this coordinator? A second coordinator must agree; then every "
                         "coordinator is told, and the removal takes effect {hours} hours later unless another "
                         "coordinator stops it. The last coordinator cannot be removed.",
                         hours=services(context).settings.removal_hours),
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


async def stop_removal(update: Update, context: Context) -> None:
    t = tr(context)
    (removal_id,) = callbacks.REMOVAL_STOP.parse(data(update))
    removed = await services(context).membership.stop_removal(person(context), removal_id)
    if removed.result is Result.OK:
        await answer(update, t("You stopped it: {name} stays a coordinator. Every coordinator has been told.",
                               name=removed.name or t("(no name given)")))
    elif removed.result is Result.NOT_ALLOWED and person(context).is_coordinator:
        await alert(update, context, t("Another coordinator can stop it; the one it is about cannot."))
    else:
        await _report_removal(update, context, removed)


async def _report_removal(update: Update, context: Context, removed) -> None:
    t = tr(context)
    name = removed.name or t("(no name given)")
    tz = services(context).settings.timezone
    if removed.result is Result.OK:
        text = t("{name} is no longer a {role}. They have been told.", name=name, role=t(ROLE[removed.role]))
        if removed.cases:
            text += " " + t("Open conversations handed to other listeners: {count}.", count=removed.cases)
        await answer(update, text)
    elif removed.result is Result.PENDING and removed.when is not None:
        await answer(update, t("Agreed: {name} stops being a coordinator on {when}, unless another coordinator stops "
                               "it before then. {name} and every coordinator have been told.", name=name,
                               when=t.when(removed.when, tz)))
    elif removed.result is Result.PENDING:
        await answer(update, t("The other coordinators have been asked to agree. {name} stays a coordinator until "
                               "one of them does.", name=name))
    elif removed.result is Result.TOO_SOON:
        await alert(update, context, too_soon(t, context, removed.when))
    elif removed.result is Result.LAST:
        await answer(update, t("{name} cannot be removed: a coordinator can only be removed when another "
                               "coordinator agrees, and the network always keeps one.", name=name))
    elif removed.result is Result.CLOSED:
        await answer(update, t("You said no: {name} stays a coordinator.", name=name))
    elif removed.result is Result.ALREADY:
        await reply(update, context, t("This was already decided, so nothing was changed."))
    elif removed.result is Result.NOT_ALLOWED:
        await reply(update, context, t("This needs another coordinator than the one who proposed it or the "
                                       "one it is about.") if person(context).is_coordinator
                    else t("This is for coordinators only."))
    else:
        await reply(update, context, t("This person no longer has that role, so nothing was changed."))


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
        await reply(update, context, t("That invitation was already used, cancelled or expired."))


async def oncall(update: Update, context: Context) -> None:
    """/oncall: who takes urgent requests outside everyone's hours, the coming four weeks."""
    t = tr(context)
    result, plan = await services(context).oncall.plan(person(context))
    if result is not Result.OK:
        await _refuse(update, context)
        return
    lines = [t("On call for urgent requests, when no listener is within their hours:")]
    rows = []
    for week in plan:
        span = t("{first} to {last}", first=t.day(week.first), last=t.day(week.last))
        if week.on_call is not None:
            lines.append(t("{span}: {name}", span=span, name=week.on_call.display_name))
        elif week.asked:
            lines.append(t("{span}: asked {names}, no answer yet", span=span,
                           names=", ".join(m.display_name for m in week.asked)))
        else:
            lines.append(t("{span}: nobody", span=span))
            rows.append([(t("Ask someone: {first} – {last}", first=t.day(week.first, short=True),
                            last=t.day(week.last, short=True)), callbacks.ONCALL_WEEK(week.week))])
    rota = await services(context).oncall.rota()
    lines.append(t("Rota: {names}", names=", ".join(m.display_name for m in rota)) if rota
                 else t("No rota: ask someone for each week with /oncall."))
    rows.append([(t("Set the rota"), callbacks.ROTA(""))])
    await say(update, "\n".join(lines), buttons(*rows))  # a command only


async def oncall_week(update: Update, context: Context) -> None:
    t = tr(context)
    if not person(context).is_coordinator:
        await _refuse(update, context)
        return
    (week,) = callbacks.ONCALL_WEEK.parse(data(update))
    listeners = await services(context).membership.active_listeners()
    await answer(update, t("Whom do you ask? They can say no."),
                 buttons(*[[(m.display_name, callbacks.ONCALL_ASK(week, m.id))] for m in listeners]))


async def oncall_ask(update: Update, context: Context) -> None:
    t = tr(context)
    week, member_id = callbacks.ONCALL_ASK.parse(data(update))
    result = await services(context).oncall.ask(person(context), week, member_id)
    if result is Result.NOT_ALLOWED:
        await _refuse(update, context)
    elif result is Result.OK:
        await answer(update, t("Asked. You will hear the answer here."))
    elif result is Result.TAKEN:
        await reply(update, context, t("Someone is on call that week already."))
    elif result is Result.ALREADY:
        await reply(update, context, t("That listener was asked for that week already."))
    else:
        await stale_button(update, context)


async def rota(update: Update, context: Context) -> None:
    """Build the rota by tapping listeners in turn; each button carries the rota it makes."""
    t = tr(context)
    if not person(context).is_coordinator:
        await _refuse(update, context)
        return
    (chosen,) = callbacks.ROTA.parse(data(update))
    ids = [int(x) for x in chosen.split(".") if x]
    listeners = {m.id: m for m in await services(context).membership.active_listeners()}
    if any(i not in listeners for i in ids) or len(set(ids)) != len(ids):
        await stale_button(update, context)
        return
    rows = [[(m.display_name, callbacks.ROTA(".".join(map(str, [*ids, m.id]))))]
            for m in listeners.values() if m.id not in ids and len(".".join(map(str, [*ids, m.id]))) <= 40]
    rows.append([(t("Save this rota"), callbacks.ROTA_SAVE(chosen or "0"))])
    order = ", ".join(listeners[i].display_name for i in ids) or t("nobody yet")
    await answer(update, t("Tap the listeners in the order they are asked, a week each. So far: {order}.",
                           order=order), buttons(*rows))


async def rota_save(update: Update, context: Context) -> None:
    t = tr(context)
    (chosen,) = callbacks.ROTA_SAVE.parse(data(update))
    ids = [int(x) for x in chosen.split(".") if x and x != "0"]
    listeners = {m.id for m in await services(context).membership.active_listeners()}
    if any(i not in listeners for i in ids):
        await stale_button(update, context)
        return
    if await services(context).oncall.set_rota(person(context), ids) is not Result.OK:
        await _refuse(update, context)
        return
    await answer(update, t("Rota saved. For each week without anyone on call, the next listener on the rota is asked, "
                           "two weeks ahead.")
                 if ids else t("The rota is empty: ask someone for each week with /oncall."))


async def coverage(update: Update, context: Context) -> None:
    """/coverage: the coming two weeks, whole days without anyone (fitting) and who could be asked."""
    t = tr(context)
    result, gaps = await services(context).oversight.coverage(person(context))
    if result is not Result.OK:
        await _refuse(update, context)
        return
    if not gaps:
        await say(update, t("The coming two weeks are covered: every day someone is available, also for a woman "
                            "or a man listener and in every language."))
        return
    lines = [t("Gaps in the coming two weeks (whole days):")]
    for gap in gaps:  # each stretch once, with every wish it misses
        span = t.day(gap.first) if gap.first == gap.last else t("{first} to {last}", first=t.day(gap.first),
                                                                  last=t.day(gap.last))
        what = t("nobody available") if gap.nobody else ", ".join(wish_text(t, wish) for wish in gap.wishes)
        line = t("{span}: {what}", span=span, what=what)
        if gap.could_ask:
            line += " · " + t("could be asked: {names}", names=", ".join(m.display_name for m in gap.could_ask))
        lines.append(line)
    await say(update, "\n".join(lines))


def wish_text(t, wish: tuple[str, str]) -> str:
    field, value = wish
    if field == "language":
        return t("nobody who speaks {language}", language=LANGUAGE[value])
    return t("no {who} listener", who=t(GENDER[value]).lower())


async def makeup(update: Update, context: Context) -> None:
    """/makeup: how the listeners spread, beside the organisation, and what to recruit for."""
    t = tr(context)
    result, found = await services(context).oversight.make_up(person(context))
    if result is not Result.OK:
        await _refuse(update, context)
        return
    lines = [t("The network's make-up (diverse, so that everyone finds someone they are at ease with):")]
    for field, counts in found.by_field.items():
        labels = PROFILE_CHOICES[field]
        lines.append(t("{label}: {value}", label=t(FIELD_NAMES[field]),
                       value=", ".join(f"{t(labels[v])} {n}" for v, n in counts.items())))
    parts = []
    for department, n in found.departments.items():
        staff = found.headcount.get(department)
        if staff:
            parts.append(t("{department} {listeners} of {staff} staff", department=department, listeners=n,
                           staff=staff) + (" ⚠" if n > staff else ""))
        else:
            parts.append(f"{department} {n}")
    lines.append(t("{label}: {value}", label=t("Departments"), value=", ".join(parts)))
    rows = []
    if found.gaps:
        departments = services(context).settings.departments
        wanted = [value if field == "department" else t(PROFILE_CHOICES[field][value]) for field, value in found.gaps]
        lines.append(t("To recruit for: {gaps}", gaps=", ".join(wanted)))
        for field, value in found.gaps:
            key = f"department.{departments.index(value)}" if field == "department" else f"{field}.{value}"
            rows.append([(t("Call for {wanted}", wanted=gap_text(t, key, departments)), callbacks.CALL(key))])
    await say(update, "\n".join(lines), buttons(*rows))


async def call(update: Update, context: Context) -> None:
    t = tr(context)
    if not person(context).is_coordinator:
        await _refuse(update, context)
        return
    (gap,) = callbacks.CALL.parse(data(update))
    wanted = gap_text(t, gap, services(context).settings.departments)
    if wanted is None:
        await stale_button(update, context)
        return
    await answer(update, t("Send a call for volunteers ({wanted}) to the employees who follow the network's news? "
                           "Only they get it.", wanted=wanted),
                 buttons([(t("Send the call"), callbacks.CALL_SEND(gap))]))


async def call_send(update: Update, context: Context) -> None:
    t = tr(context)
    (gap,) = callbacks.CALL_SEND.parse(data(update))
    result, sent = await services(context).membership.call_for_volunteers(person(context), gap)
    if result is not Result.OK:
        await _refuse(update, context)
        return
    await answer(update, t("The call went to {count} employees who follow the network's news.", count=sent))


async def volunteer(update: Update, context: Context) -> None:
    """Send an invitation to someone who would like to become a listener, or not now."""
    t = tr(context)
    volunteer_id, choice = callbacks.VOLUNTEER.parse(data(update))
    result, name = await services(context).membership.answer_volunteer(
        person(context), volunteer_id, choice == "yes", services(context).bot_username)
    if result is Result.NOT_ALLOWED:
        await _refuse(update, context)
    elif result is Result.OK and choice == "yes":
        await answer(update, t("{name} has been sent an invitation to join as a listener.", name=name))
    elif result is Result.OK:
        await answer(update, t("{name} has been thanked; no invitation was sent.", name=name))
    elif result is Result.ALREADY:
        await reply(update, context, t("{name} was answered already, so nothing was changed.", name=name))
    else:
        await answer(update, t("This wish is no longer there (the colleague may have erased their data)."))


async def meetings(update: Update, context: Context) -> None:
    """/meetings: the case discussions and intervisions ahead; coordinators plan and cancel them."""
    t, tz = tr(context), services(context).settings.timezone
    result, ahead = await services(context).meetings.upcoming(person(context))
    if result is not Result.OK:
        await reply(update, context, t("This is for the network's listeners and coordinators."))
        return
    lines = [t("The network's meetings ahead:")] if ahead else [t("No meetings are planned.")]
    lines += [t("{kind}: {when}", kind=t(MEETING_KINDS[m.kind]), when=t.when(m.at, tz)) for m in ahead]
    rows = []
    if person(context).is_coordinator:
        rows = [[(t("Cancel {when}", when=t.when(m.at, tz)), callbacks.MEETING_CANCEL(m.id))] for m in ahead]
        rows += [[(t("Plan {kind}", kind=t(label)), callbacks.MEETING_PLAN(kind))] for kind, label in MEETING_KINDS.items()]
    await say(update, "\n".join(lines), buttons(*rows))


async def meeting_plan(update: Update, context: Context) -> None:
    t = tr(context)
    if not person(context).is_coordinator:
        await _refuse(update, context)
        return
    (kind,) = callbacks.MEETING_PLAN.parse(data(update))
    await services(context).prompts.wait_for(person(context), prompts.MEETING_AT, data=kind)
    await answer(update, t("When is {kind}? Send the date and time, for example 2026-12-03 14:00. Every listener is "
                           "reminded the day before.", kind=t(MEETING_KINDS[kind])))


async def receive_meeting_at(update: Update, context: Context, text: str, waiting: prompts.Prompt) -> None:
    t, kind = tr(context), waiting.data
    planned = await services(context).meetings.plan(person(context), kind, text)
    if planned.result is Result.INVALID:
        await say(update, t("I do not understand that date and time. Send for example 2026-12-03 14:00."))
        return
    if planned.result is Result.PAST:
        await say(update, t("That moment has passed. Send a date and time ahead."))
        return
    await services(context).prompts.clear(person(context), prompts.MEETING_AT)
    if planned.result is Result.OK:
        await say(update, t("Planned: {kind} on {when}. Every listener is reminded the day before.",
                            kind=t(MEETING_KINDS[kind]), when=t.when(planned.at, services(context).settings.timezone)))
    else:
        await say(update, refusal(t, planned.result))


async def meeting_cancel(update: Update, context: Context) -> None:
    t = tr(context)
    (meeting_id,) = callbacks.MEETING_CANCEL.parse(data(update))
    result = await services(context).meetings.cancel(person(context), meeting_id)
    if result is Result.NOT_ALLOWED:
        await _refuse(update, context)
    elif result is Result.OK:
        await answer(update, t("The meeting is cancelled."))
    else:
        await reply(update, context, t("That meeting was cancelled already."))


async def audit(update: Update, context: Context) -> None:
    t = tr(context)
    result, summary = await services(context).oversight.audit_summary(person(context))
    if result is not Result.OK:
        await say(update, refusal(t, result))
        return
    first, last = summary.weeks[0][0], summary.weeks[-1][0]
    lines = [t("Audit trail: who did what to which case, never any content. Per closed week (W{first} – W{last}), "
               "and the latest entries up to yesterday ({day}). Today's entries appear tomorrow.",
               first=first, last=last, day=t.day(summary.last_day))]
    lines += ["• " + t("{label}: {value}", label=_audit_label(t, action), value=" · ".join(str(n) for n in counts))
              for action, counts in summary.counts.items()]
    if summary.recent:
        lines.append("")
        lines.append(t("Latest:"))
    numbers = await services(context).membership.role_numbers(person(context))  # never a people row number
    for entry in summary.recent:
        who = t(AUDIT_ACTORS[entry.actor_role], id=numbers.get(entry.actor_id, "?")
                if entry.actor_role == "coordinator" else entry.actor_id)
        what = _audit_label(t, entry.action)
        lines.append(" · ".join(filter(None, [t.day(entry.at), who, what, entry.request_ref])))
    await say(update, "\n".join(lines))


def _audit_label(t, action: str) -> str:
    """An action of the trail, or its coarse class, in words."""
    return t(AUDIT_CLASSES.get(action) or AUDIT_ACTIONS.get(action, action))


async def quality(update: Update, context: Context) -> None:
    t = tr(context)
    result, figures = await services(context).oversight.quality(person(context))
    if result is not Result.OK:
        await say(update, refusal(t, result))
        return
    k = services(context).settings.small_cell
    lines = []
    if figures.waiting is not None:
        lines.append(t("{period} is counted on {day}.", period=period_label(t, figures.waiting[0]),
                       day=t.day(figures.waiting[1])))
    if figures.period is None:
        lines.append(t("No quarter has been counted yet. The ratings of a quarter are counted once, a week after it "
                       "ends, and do not change afterwards."))
        await say(update, "\n".join(lines))
        return
    ratings = fmt(t, _statement(figures.ratings))
    if figures.average is not None:
        ratings = t("{count}, on average {average} out of 5", count=ratings,
                    average=format_decimal(figures.average, format="0.0", locale=t.lang))
    lines.append(t("Ratings in {period} ({days}, counted on {day}; it does not change): {ratings}. Written comments: "
                   "{comments} (kept encrypted; shown to nobody here). The average is given from {twice} ratings.",
                   period=period_label(t, figures.period), days=days_of(t, figures.period),
                   day=t.day(figures.counted_on), ratings=ratings, comments=fmt(t, _statement(figures.comments)),
                   twice=2 * k))
    await say(update, "\n".join(lines))


def _statement(found) -> Statement | None:
    return None if found is None else Statement(*found)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("invite", invite))
    app.add_handler(CommandHandler("members", members))
    app.add_handler(CommandHandler("audit", audit))
    app.add_handler(CommandHandler("quality", quality))
    app.add_handler(CommandHandler("team", team))
    app.add_handler(CommandHandler("oncall", oncall))
    app.add_handler(CommandHandler("coverage", coverage))
    app.add_handler(CommandHandler("makeup", makeup))
    app.add_handler(CommandHandler("meetings", meetings))
    app.add_handler(CallbackQueryHandler(meeting_plan, pattern=callbacks.MEETING_PLAN.pattern))
    app.add_handler(CallbackQueryHandler(meeting_cancel, pattern=callbacks.MEETING_CANCEL.pattern))
    app.add_handler(CallbackQueryHandler(call, pattern=callbacks.CALL.pattern))
    app.add_handler(CallbackQueryHandler(call_send, pattern=callbacks.CALL_SEND.pattern))
    app.add_handler(CallbackQueryHandler(volunteer, pattern=callbacks.VOLUNTEER.pattern))
    app.add_handler(CallbackQueryHandler(oncall_week, pattern=callbacks.ONCALL_WEEK.pattern))
    app.add_handler(CallbackQueryHandler(oncall_ask, pattern=callbacks.ONCALL_ASK.pattern))
    app.add_handler(CallbackQueryHandler(rota, pattern=callbacks.ROTA.pattern))
    app.add_handler(CallbackQueryHandler(rota_save, pattern=callbacks.ROTA_SAVE.pattern))
    app.add_handler(CallbackQueryHandler(create_invite, pattern=callbacks.INVITE.pattern))
    app.add_handler(CallbackQueryHandler(remove_ask, pattern=callbacks.REMOVE_ASK.pattern))
    app.add_handler(CallbackQueryHandler(remove, pattern=callbacks.REMOVE.pattern))
    app.add_handler(CallbackQueryHandler(decide_removal, pattern=callbacks.REMOVAL_DECIDE.pattern))
    app.add_handler(CallbackQueryHandler(stop_removal, pattern=callbacks.REMOVAL_STOP.pattern))
    app.add_handler(CallbackQueryHandler(cancel_invitation, pattern=callbacks.INVITE_CANCEL.pattern))
