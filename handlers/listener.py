"""The listener's side: home screen, claiming and declining offers, open cases, and the
guard rail (how many at once, pauses, handing back, a debrief, leaving)."""
from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.foundations import callbacks
from bot.foundations.i18n import N_
from bot.foundations.model import Result, ticked
from bot.foundations.vocab import HAND_BACK_REASONS, pseudonym
from bot.network.hours import PRESETS, build, preset

from . import casework, joining
from .ui import (
    Context,
    alert,
    answer,
    buttons,
    data,
    day_names,
    hours_text,
    person,
    reply,
    say,
    services,
    stale_button,
    tr,
)


async def listener_home(update: Update, context: Context) -> bool:
    """/start for someone with a role; False when they are (only) an employee."""
    t, who, membership = tr(context), person(context), services(context).membership
    member = await membership.listener(who)
    if member is not None:
        if not member.charter_accepted:
            await joining.show_charter(update, context)
            return True
        if not member.profile_complete:
            await joining.ask_display_name(update, context)
            return True
        await say(update, t("You are a listener of the vigilance network. Open conversations: {n} of at most {cap}.\n"
                            "/cases your conversations · /profile your profile · /limit how many at once · "
                            "/pause no new requests for a while · /review the network's review of recurring "
                            "problems · /leave leave the network",
                            n=member.open_cases, cap=membership.cap_of(member)))
        return True
    if who.is_coordinator:
        await say(update, t("Coordinator: /invite to invite someone, /members to see who is available, /team to "
                            "see or remove the network's people and open invitations."))
        return True
    if who.is_steering:
        await say(update, t("You are in the steering group.") + " " + services(context).digests.home(t))
        return True
    return False


async def claim(update: Update, context: Context) -> None:
    t = tr(context)
    (ref,) = callbacks.CLAIM.parse(data(update))
    result, request = await services(context).desk.claim(person(context), ref)
    if result is Result.OK:
        await answer(update, t(
            "You took the request of {colleague}. Please make contact now: write your first message here. With "
            "several open conversations, reply to the colleague's message so it goes to the right person. /cases "
            "shows your conversations.", colleague=pseudonym(t, request.ref),
        ))
    elif result is Result.ALREADY:
        await alert(update, context, t("This request is already yours."))
    elif result is Result.TAKEN:
        await answer(update, t("Another listener took request {ref} first. Thank you.", ref=ref))
    elif result is Result.CLOSED:
        await reply(update, context, t("Request {ref} is no longer open.", ref=ref))
    elif result is Result.PAUSED:
        await alert(update, context, t("You are paused, so you cannot take requests now. Send /resume first."))
    elif result is Result.AT_CAP:
        await alert(update, context, t("You already have as many open conversations as you allow. Close one first."))
    elif result is Result.NOT_MEMBER:
        await alert(update, context, t("Only listeners of the network can claim requests."))
    else:
        await stale_button(update, context)


async def decline(update: Update, context: Context) -> None:
    t = tr(context)
    (ref,) = callbacks.DECLINE.parse(data(update))
    result = await services(context).desk.decline(person(context), ref)
    if result is Result.OK:
        await answer(update, t("You declined request {ref}. Another listener will take it.", ref=ref))
    else:
        await stale_button(update, context)


async def cases(update: Update, context: Context) -> None:
    t = tr(context)
    member = await services(context).membership.active_listener(person(context))
    if member is None:
        await say(update, t("This command is for listeners of the vigilance network."))
        return
    cards = await services(context).casework.open_cards(person(context))
    if not cards:
        await say(update, t("You have no open conversations."))
        return
    # The hint comes once, above the cards, not under each of them.
    await say(update, t("Your open conversations: {count}. After a heavy conversation you can ask a coordinator "
                        "for a debrief.", count=len(cards)),
              buttons([(t("Ask for a debrief"), callbacks.DEBRIEF())]))
    for request, facts in cards:
        await casework.show_card(update, context, request, facts, new=True)


async def close(update: Update, context: Context) -> None:
    (ref,) = callbacks.CLOSE.parse(data(update))
    await casework.ask_outcome(update, context, ref)


async def _active_member(update: Update, context: Context):
    member = await services(context).membership.active_listener(person(context))
    if member is None:
        await reply(update, context, tr(context)("This is for listeners of the vigilance network."))
    return member


async def hand_back_ask(update: Update, context: Context) -> None:
    """Why do you hand it back? The answer hands the case back."""
    t = tr(context)
    if await _active_member(update, context) is None:
        return
    (ref,) = callbacks.HAND_BACK_ASK.parse(data(update))
    await answer(update, t("Why do you hand back conversation {ref}? The colleague is only told that "
                           "another listener will take over and, if you kept notes, asked whether the next "
                           "listener may read them.", ref=ref),
                 buttons(*[[(t(label), callbacks.HAND_BACK(ref, key))] for key, label in HAND_BACK_REASONS.items()],
                         [(t("Cancel"), callbacks.KEEP_CASE(ref))]))


async def hand_back(update: Update, context: Context) -> None:
    t = tr(context)
    if await _active_member(update, context) is None:
        return
    ref, reason = callbacks.HAND_BACK.parse(data(update))
    result = await services(context).desk.hand_back(person(context), ref, reason)
    if result is Result.OK:
        await answer(update, t("You handed back conversation {ref}. Another listener will take over. "
                               "Thank you for saying so.", ref=ref))
    elif result is Result.CLOSED:
        await reply(update, context, t("Conversation {ref} was already closed.", ref=ref))
    else:
        await stale_button(update, context)


async def keep_case(update: Update, context: Context) -> None:
    """Cancel on a sub-screen of a case: its card comes back."""
    (ref,) = callbacks.KEEP_CASE.parse(data(update))
    if not await casework.back_to_card(update, context, ref):
        await answer(update, tr(context)("Nothing changed: conversation {ref} stays with you.", ref=ref))


async def keep_claim(update: Update, context: Context) -> None:
    """The answer "yes" to "will you still make contact?"."""
    t = tr(context)
    (ref,) = callbacks.KEEP_CLAIM.parse(data(update))
    result = await services(context).desk.keep_claim(person(context), ref)
    if result is Result.OK:
        await answer(update, t("Thank you. Please write to {colleague} soon.", colleague=pseudonym(t, ref)))
    elif result is Result.ALREADY:
        await reply(update, context, t("You have already made contact. Thank you."))
    elif result is Result.CLOSED:
        await reply(update, context, t("Request {ref} is no longer open.", ref=ref))
    else:
        await stale_button(update, context)


async def release_claim(update: Update, context: Context) -> None:
    """The answer "release it" to "will you still make contact?"."""
    t = tr(context)
    (ref,) = callbacks.RELEASE_CLAIM.parse(data(update))
    result = await services(context).desk.hand_back(person(context), ref, "released")
    if result is Result.OK:
        await answer(update, t("Request {ref} went back to the other listeners. Thank you.", ref=ref))
    elif result is Result.CLOSED:
        await reply(update, context, t("Request {ref} is no longer open.", ref=ref))
    else:
        await stale_button(update, context)


async def debrief(update: Update, context: Context) -> None:
    if await services(context).desk.ask_debrief(person(context)):
        await answer(update, tr(context)("The coordinators have been asked to get in touch with you for a debrief."))
    else:
        await stale_button(update, context)


async def pause(update: Update, context: Context) -> None:
    """/pause (until /resume) or /pause <date> (resumes by itself that day)."""
    t = tr(context)
    if await _active_member(update, context) is None:
        return
    paused = await services(context).membership.pause(person(context), " ".join(context.args or ()))
    tz = services(context).settings.timezone
    if paused.result is Result.INVALID:
        await say(update, t("I do not understand that date. Use for example /pause 2026-12-01 or /pause 1/12/2026."))
    elif paused.result is Result.PAST:
        await say(update, t("That date is in the past. Give a date from tomorrow on, or just /pause."))
    elif paused.result is Result.TOO_LONG:
        await say(update, t("That date is more than a year away. For a longer break, use /pause without a date "
                            "and /resume when you are back."))
    elif paused.result is Result.OK and paused.until is not None:
        await say(update, t("You are paused until {date}: no new requests until then. Your open conversations "
                            "stay with you. /resume ends the pause earlier.", date=t.when(paused.until, tz)))
    elif paused.result is Result.OK:
        await say(update, t("You are paused: no new requests until you send /resume. Your open conversations "
                            "stay with you."))


async def resume(update: Update, context: Context) -> None:
    if await services(context).membership.resume(person(context)) is Result.OK:
        await say(update, tr(context)("Welcome back: you will get requests again."))
    else:
        await reply(update, context, tr(context)("This is for listeners of the vigilance network."))


async def leave(update: Update, context: Context) -> None:
    t = tr(context)
    if update.callback_query is None:
        if await _active_member(update, context) is None:
            return
        await say(update, t("Do you want to leave the vigilance network? You can, at any time, as the charter "
                            "promises. Your open conversations go to other listeners."),
                  buttons([(t("Yes, I leave"), callbacks.LEAVE("yes"))], [(t("No, I stay"), callbacks.LEAVE("no"))]))
        return
    if callbacks.LEAVE.parse(data(update)) == ("no",):
        await answer(update, t("Good to have you. Nothing changed."))
        return
    handed = await services(context).membership.leave(person(context))
    if handed is None:
        await stale_button(update, context)
        return
    await answer(update, t("You have left the vigilance network. Open conversations handed to other listeners: "
                           "{count}. Thank you for everything you did.", count=handed))


async def set_limit(update: Update, context: Context) -> None:
    """/limit shows choices; a choice sets how many open conversations this listener accepts."""
    t, membership = tr(context), services(context).membership
    member = await _active_member(update, context)
    if member is None:
        return
    cap = services(context).settings.max_open_cases
    if update.callback_query is None:
        await say(update, t("How many open conversations do you accept at the same time? Now: {n}.",
                            n=membership.cap_of(member)),
                  buttons([(str(n), callbacks.LIMIT(n)) for n in range(1, cap + 1)]))
        return
    (value,) = callbacks.LIMIT.parse(data(update))
    if await membership.set_limit(person(context), value) is not Result.OK:
        await stale_button(update, context)
        return
    await answer(update, t("Done: at most {n} open conversations at the same time.", n=value))


async def oncall_answer(update: Update, context: Context) -> None:
    """Yes or no to being on call for a week."""
    t = tr(context)
    duty_id, choice = callbacks.ONCALL_ANSWER.parse(data(update))
    result, _ = await services(context).oncall.answer(person(context), duty_id, choice == "yes")
    if result is Result.OK and choice == "yes":
        await answer(update, t("Thank you: you are on call that week. Urgent requests may reach you outside your "
                               "hours then."))
    elif result is Result.OK:
        await answer(update, t("That is fine: the coordinators will ask someone else."))
    elif result is Result.TAKEN:
        await answer(update, t("Someone else is on call that week already. Thank you."))
    elif result is Result.ALREADY:
        await reply(update, context, t("You answered this already."))
    else:
        await stale_button(update, context)


# Hours: when a listener takes offers and reminders ------------------------------------------

PRESET_LABELS = {
    "weekdays_8_18": N_("Weekdays 08:00-18:00"),
    "weekdays_9_17": N_("Weekdays 09:00-17:00"),
    "every_day_8_20": N_("Every day 08:00-20:00"),
    "weekday_evenings": N_("Weekday evenings 18:00-22:00"),
}


async def hours(update: Update, context: Context) -> None:
    """/hours and the profile's button: presets, any time, or days and hours of one's own."""
    t = tr(context)
    member = await _active_member(update, context)
    if member is None:
        return
    promise = services(context).settings.contact_hours
    text = t("You get offers and reminders only within your hours; what comes in outside them waits for you "
             "(the {promise}-hour promise still runs, and others may take it). Now: {hours}.",
             hours=hours_text(t, member.hours), promise=promise)
    rows = [[(t(label), callbacks.HOURS_PRESET(key))] for key, label in PRESET_LABELS.items()]
    rows.append([(t("Any time"), callbacks.HOURS_PRESET("any"))])
    rows.append([(t("My own days and hours…"), callbacks.HOURS_DAYS(0))])
    await answer(update, text, buttons(*rows))  # edits the pressed message, or a new one


async def hours_preset(update: Update, context: Context) -> None:
    (key,) = callbacks.HOURS_PRESET.parse(data(update))
    if key != "any" and key not in PRESETS:
        await stale_button(update, context)
        return
    await _save_hours(update, context, None if key == "any" else preset(key))


async def hours_days(update: Update, context: Context) -> None:
    """Tap the days (each button carries the set it makes), then Next."""
    t = tr(context)
    (mask,) = callbacks.HOURS_DAYS.parse(data(update))
    if mask >= 1 << 7:
        await stale_button(update, context)
        return
    names = day_names(t)
    row = [(ticked(names[d], bool(mask >> d & 1)), callbacks.HOURS_DAYS(mask ^ (1 << d))) for d in range(7)]
    done = [(t("Next"), callbacks.HOURS_FROM(mask))] if mask else []
    await answer(update, t("On which days do you take offers?"), buttons(row[:4], row[4:], done))


async def hours_from(update: Update, context: Context) -> None:
    t = tr(context)
    (mask,) = callbacks.HOURS_FROM.parse(data(update))
    if not 0 < mask < 1 << 7:
        await stale_button(update, context)
        return
    grid = [[(f"{h:02d}:00", callbacks.HOURS_UNTIL(mask, h)) for h in range(row, row + 6)] for row in range(0, 24, 6)]
    await answer(update, t("From what time?"), buttons(*grid))


async def hours_until(update: Update, context: Context) -> None:
    t = tr(context)
    mask, start = callbacks.HOURS_UNTIL.parse(data(update))
    if not 0 < mask < 1 << 7 or start > 23:
        await stale_button(update, context)
        return
    grid = [[(f"{h:02d}:00", callbacks.HOURS_SET(mask, start, h)) for h in range(row, row + 6) if h != start]
            for row in range(0, 24, 6)]
    await answer(update, t("Until what time? An hour earlier than {start} means until the next day.",
                           start=f"{start:02d}:00"), buttons(*grid))


async def hours_set(update: Update, context: Context) -> None:
    mask, start, end = callbacks.HOURS_SET.parse(data(update))
    if not 0 < mask < 1 << 7 or start > 23 or end > 23 or start == end:
        await stale_button(update, context)
        return
    days = [d for d in range(7) if mask >> d & 1]
    await _save_hours(update, context, build(days, start * 60, end * 60))


async def _save_hours(update: Update, context: Context, chosen) -> None:
    t = tr(context)
    if await services(context).membership.set_hours(person(context), chosen) is not Result.OK:
        await stale_button(update, context)
        return
    await answer(update, t("Your hours are now: {hours}.", hours=hours_text(t, chosen)))


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(claim, pattern=callbacks.CLAIM.pattern))
    app.add_handler(CallbackQueryHandler(decline, pattern=callbacks.DECLINE.pattern))
    app.add_handler(CallbackQueryHandler(hand_back_ask, pattern=callbacks.HAND_BACK_ASK.pattern))
    app.add_handler(CallbackQueryHandler(hand_back, pattern=callbacks.HAND_BACK.pattern))
    app.add_handler(CallbackQueryHandler(keep_case, pattern=callbacks.KEEP_CASE.pattern))
    app.add_handler(CallbackQueryHandler(keep_claim, pattern=callbacks.KEEP_CLAIM.pattern))
    app.add_handler(CallbackQueryHandler(release_claim, pattern=callbacks.RELEASE_CLAIM.pattern))
    app.add_handler(CallbackQueryHandler(debrief, pattern=callbacks.DEBRIEF.pattern))
    app.add_handler(CallbackQueryHandler(leave, pattern=callbacks.LEAVE.pattern))
    app.add_handler(CallbackQueryHandler(set_limit, pattern=callbacks.LIMIT.pattern))
    app.add_handler(CallbackQueryHandler(close, pattern=callbacks.CLOSE.pattern))
    app.add_handler(CommandHandler("cases", cases))
    app.add_handler(CommandHandler("pause", pause))
    app.add_handler(CommandHandler("resume", resume))
    app.add_handler(CommandHandler("leave", leave))
    app.add_handler(CommandHandler("limit", set_limit))
    app.add_handler(CommandHandler("hours", hours))
    app.add_handler(CallbackQueryHandler(oncall_answer, pattern=callbacks.ONCALL_ANSWER.pattern))
    app.add_handler(CallbackQueryHandler(hours, pattern=callbacks.HOURS.pattern))
    app.add_handler(CallbackQueryHandler(hours_preset, pattern=callbacks.HOURS_PRESET.pattern))
    app.add_handler(CallbackQueryHandler(hours_days, pattern=callbacks.HOURS_DAYS.pattern))
    app.add_handler(CallbackQueryHandler(hours_from, pattern=callbacks.HOURS_FROM.pattern))
    app.add_handler(CallbackQueryHandler(hours_until, pattern=callbacks.HOURS_UNTIL.pattern))
    app.add_handler(CallbackQueryHandler(hours_set, pattern=callbacks.HOURS_SET.pattern))
