"""The member's side: home screen, claiming and declining offers, open cases."""
from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

import re
from datetime import datetime, time

from bot import clock, routing
from bot.app import services
from bot.i18n import N_
from bot.requests import Outcome, pseudonym

from .casework import ask_outcome
from .common import alert, answer, buttons, person, say, stale_button, tr

REF = r"[A-Z0-9]{5}"
HAND_BACK_REASONS = {
    "conflict": N_("Conflict of interest"),
    "knows_person": N_("I know this person"),
    "overload": N_("Too much for me right now"),
    "other_profile": N_("Another listener would fit better"),
}


async def member_home(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """/start for someone with a role; False when they are (only) an employee."""
    t, core, who = tr(context), services(context).core, person(context)
    member = await core.members.by_person(who.id)
    if member is not None and not member.left:
        if not member.charter_accepted:
            from .joining import show_charter

            await show_charter(update, context)
            return True
        if not member.profile_complete:
            from .joining import ask_name

            await ask_name(update, context)
            return True
        cap = routing.limit_of(member, services(context).settings.max_open_cases)
        await say(update, t("You are a listener of the vigilance network. Open conversations: {n} of at most {cap}.\n"
                            "/cases your conversations · /profile your profile · /limit how many at once · "
                            "/pause no new requests for a while · /leave leave the network",
                            n=member.open_cases, cap=cap))
        return True
    if who.is_coordinator:
        await say(update, t("Coordinator: /invite to invite someone, /members to see who is available."))
        return True
    if who.is_steering:
        await say(update, t("You are in the steering group. You will receive the figures here."))
        return True
    return False


async def claim(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    t = tr(context)
    ref = update.callback_query.data.partition(":")[2]
    outcome, request = await services(context).desk.claim(person(context), ref)
    if outcome is Outcome.OK:
        await answer(update, t(
            "You took request {ref}. Please make contact now: write your first message here and it goes "
            "to {colleague}. With several open conversations, reply to their message so it goes to the "
            "right person. Use /cases to see your conversations.",
            ref=ref, colleague=pseudonym(t, request),
        ))
    elif outcome is Outcome.ALREADY:
        await alert(update, context, t("This request is already yours."))
    elif outcome is Outcome.TAKEN:
        await answer(update, t("Another listener took request {ref} first. Thank you.", ref=ref))
    elif outcome is Outcome.CLOSED:
        await answer(update, t("Request {ref} is no longer open.", ref=ref))
    elif outcome is Outcome.AT_CAP:
        await alert(update, context, t("You already have as many open conversations as you allow. Close one first."))
    elif outcome is Outcome.NOT_MEMBER:
        await alert(update, context, t("Only listeners of the network can claim requests."))
    else:
        await stale_button(update, context)


async def decline(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    t = tr(context)
    ref = update.callback_query.data.partition(":")[2]
    outcome = await services(context).desk.decline(person(context), ref)
    if outcome is Outcome.OK:
        await answer(update, t("You declined request {ref}. Another listener will take it.", ref=ref))
    else:
        await stale_button(update, context)


async def cases(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    t, core = tr(context), services(context).core
    member = await core.members.by_person(person(context).id)
    if member is None or not member.active:
        await say(update, t("This command is for listeners of the vigilance network."))
        return
    open_cases = await core.requests.open_for_member(member.id)
    if not open_cases:
        await say(update, t("You have no open conversations."))
        return
    tz = services(context).settings.timezone
    for request in open_cases:
        state = t("contact made") if request.contacted_at else t("no contact yet")
        await say(
            update,
            t("{colleague}: taken {when}, {state}.", colleague=pseudonym(t, request),
              when=t.when(request.claimed_at, tz), state=state),
            buttons(
                [(t("Notes"), f"notes:{request.ref}"), (t("Themes"), f"tags:{request.ref}")],
                [(t("Send a contact"), f"rfr:{request.ref}")],
                [(t("Close this conversation"), f"close:{request.ref}")],
                [(t("Hand it back"), f"back:{request.ref}")],
            ),
        )
    await say(update, t("After a heavy conversation you can ask a coordinator for a debrief."),
              buttons([(t("Ask for a debrief"), "debrief")]))


async def close(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await ask_outcome(update, context, update.callback_query.data.partition(":")[2])  # the outcome picker


async def _active_member(update: Update, context):
    member = await services(context).core.members.by_person(person(context).id)
    if member is None or not member.active:
        text = tr(context)("This is for listeners of the vigilance network.")
        if update.callback_query:
            await alert(update, context, text)
        else:
            await say(update, text)
        return None
    return member


async def hand_back(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """back:<ref> asks why; back:<ref>:<reason> hands the case back."""
    t = tr(context)
    if await _active_member(update, context) is None:
        return
    parts = update.callback_query.data.split(":")
    ref = parts[1]
    if len(parts) == 2:
        await answer(update, t("Why do you hand back conversation {ref}? The colleague is only told that "
                               "another listener will take over.", ref=ref),
                     buttons(*[[(t(label), f"back:{ref}:{key}")] for key, label in HAND_BACK_REASONS.items()],
                             [(t("Cancel"), f"keepcase:{ref}")]))
        return
    if parts[2] not in HAND_BACK_REASONS:
        await stale_button(update, context)
        return
    outcome = await services(context).desk.hand_back(person(context), ref, parts[2])
    if outcome is Outcome.OK:
        await answer(update, t("You handed back conversation {ref}. Another listener will take over. "
                               "Thank you for saying so.", ref=ref))
    elif outcome is Outcome.CLOSED:
        await answer(update, t("Conversation {ref} was already closed.", ref=ref))
    else:
        await stale_button(update, context)


async def keep_case(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ref = update.callback_query.data.partition(":")[2]
    await answer(update, tr(context)("Nothing changed: conversation {ref} stays with you.", ref=ref))


async def confirm_claim(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """keep:<ref> or release:<ref>: the answer to "will you still make contact?"."""
    t = tr(context)
    action, _, ref = update.callback_query.data.partition(":")
    desk = services(context).desk
    if action == "keep":
        outcome = await desk.keep_claim(person(context), ref)
        if outcome is Outcome.OK:
            await answer(update, t("Thank you. Please write to {colleague} soon.", colleague=t("Colleague {ref}", ref=ref)))
            return
        if outcome is Outcome.ALREADY:
            await answer(update, t("You have already made contact. Thank you."))
            return
    else:
        outcome = await desk.hand_back(person(context), ref, "released")
        if outcome is Outcome.OK:
            await answer(update, t("Request {ref} went back to the other listeners. Thank you.", ref=ref))
            return
    if outcome is Outcome.CLOSED:
        await answer(update, t("Request {ref} is no longer open.", ref=ref))
    else:
        await stale_button(update, context)


async def debrief(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if await services(context).desk.ask_debrief(person(context)):
        await answer(update, tr(context)("A coordinator has been asked to get in touch with you for a debrief."))
    else:
        await stale_button(update, context)


def parse_until(text: str, tz) -> datetime | None:
    """A date as people type it (2026-12-01, 1/12/2026, 1-12-2026): the start of that day, in UTC."""
    text = text.strip()
    for pattern, order in ((r"^(\d{4})-(\d{1,2})-(\d{1,2})$", "ymd"), (r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$", "dmy")):
        if match := re.match(pattern, text):
            a, b, c = (int(x) for x in match.groups())
            year, month, day = (a, b, c) if order == "ymd" else (c, b, a)
            try:
                return datetime.combine(datetime(year, month, day).date(), time(0), tz).astimezone(clock.now().tzinfo)
            except ValueError:
                return None
    return None


async def pause(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/pause (until /resume) or /pause <date> (resumes by itself that day)."""
    t = tr(context)
    member = await _active_member(update, context)
    if member is None:
        return
    core, tz = services(context).core, services(context).settings.timezone
    if context.args:
        until = parse_until(" ".join(context.args), tz)
        if until is None:
            await say(update, t("I do not understand that date. Use for example /pause 2026-12-01 or /pause 1/12/2026."))
            return
        if until <= clock.now():
            await say(update, t("That date is in the past. Give a date from tomorrow on, or just /pause."))
            return
        await core.members.pause(member.id, clock.iso(until))
        await say(update, t("You are paused until {date}: no new requests until then. Your open conversations "
                            "stay with you. /resume ends the pause earlier.", date=t.when(until, tz)))
    else:
        await core.members.pause(member.id, routing.PAUSED_INDEFINITELY)
        await say(update, t("You are paused: no new requests until you send /resume. Your open conversations "
                            "stay with you."))


async def resume(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    member = await _active_member(update, context)
    if member is None:
        return
    await services(context).core.members.pause(member.id, None)
    await say(update, tr(context)("Welcome back: you will get requests again."))


async def leave(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    t = tr(context)
    if await _active_member(update, context) is None and not update.callback_query:
        return
    if update.callback_query is None:
        await say(update, t("Do you want to leave the vigilance network? You can, at any time, as the charter "
                            "promises. Your open conversations go to other listeners."),
                  buttons([(t("Yes, I leave"), "leave:yes")], [(t("No, I stay"), "leave:no")]))
        return
    if update.callback_query.data == "leave:no":
        await answer(update, t("Good to have you. Nothing changed."))
        return
    handed = await services(context).desk.leave(person(context))
    if handed is None:
        await stale_button(update, context)
        return
    await answer(update, t("You have left the vigilance network. Open conversations handed to other listeners: "
                           "{count}. Thank you for everything you did.", count=handed))


async def set_limit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/limit shows choices; limit:<n> sets how many open conversations this member accepts."""
    t = tr(context)
    member = await _active_member(update, context)
    if member is None:
        return
    cap = services(context).settings.max_open_cases
    if update.callback_query is None:
        await say(update, t("How many open conversations do you accept at the same time? Now: {n}.",
                            n=routing.limit_of(member, cap)),
                  buttons([(str(n), f"limit:{n}") for n in range(1, cap + 1)]))
        return
    value = update.callback_query.data.partition(":")[2]
    if not value.isdigit() or not 1 <= int(value) <= cap:
        await stale_button(update, context)
        return
    await services(context).core.members.set_limit(member.id, int(value))
    await answer(update, t("Done: at most {n} open conversations at the same time.", n=int(value)))


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(claim, pattern=rf"^claim:{REF}$"))
    app.add_handler(CallbackQueryHandler(hand_back, pattern=rf"^back:{REF}(:[a-z_]+)?$"))
    app.add_handler(CallbackQueryHandler(keep_case, pattern=rf"^keepcase:{REF}$"))
    app.add_handler(CallbackQueryHandler(confirm_claim, pattern=rf"^(keep|release):{REF}$"))
    app.add_handler(CallbackQueryHandler(debrief, pattern=r"^debrief$"))
    app.add_handler(CallbackQueryHandler(leave, pattern=r"^leave:(yes|no)$"))
    app.add_handler(CallbackQueryHandler(set_limit, pattern=r"^limit:\d+$"))
    app.add_handler(CommandHandler("pause", pause))
    app.add_handler(CommandHandler("resume", resume))
    app.add_handler(CommandHandler("leave", leave))
    app.add_handler(CommandHandler("limit", set_limit))
    app.add_handler(CallbackQueryHandler(decline, pattern=rf"^decline:{REF}$"))
    app.add_handler(CallbackQueryHandler(close, pattern=rf"^close:{REF}$"))
    app.add_handler(CommandHandler("cases", cases))
