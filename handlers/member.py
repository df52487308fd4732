"""The member's side: home screen, claiming and declining offers, open cases."""
from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.app import services
from bot.requests import Outcome, pseudonym

from .common import answer, buttons, person, say, stale_button, tr

REF = r"[A-Z0-9]{5}"


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
        await say(update, t("You are a listener of the vigilance network. Open conversations: {n} of at most {cap}. "
                            "Use /cases for your conversations and /profile for your profile.",
                            n=member.open_cases, cap=member.max_open_cases))
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
        await update.callback_query.answer(t("This request is already yours."), show_alert=True)
    elif outcome is Outcome.TAKEN:
        await answer(update, t("Another listener took request {ref} first. Thank you.", ref=ref))
    elif outcome is Outcome.CLOSED:
        await answer(update, t("Request {ref} is no longer open.", ref=ref))
    elif outcome is Outcome.AT_CAP:
        await update.callback_query.answer(
            t("You already have as many open conversations as you allow. Close one first."), show_alert=True
        )
    elif outcome is Outcome.NOT_MEMBER:
        await update.callback_query.answer(t("Only listeners of the network can claim requests."), show_alert=True)
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
            buttons([(t("Close this conversation"), f"close:{request.ref}")]),
        )


async def close(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    t = tr(context)
    ref = update.callback_query.data.partition(":")[2]
    outcome, _ = await services(context).desk.end(person(context), ref)
    if outcome is Outcome.OK:
        await answer(update, t("Conversation {ref} is closed. The colleague has been told. Thank you.", ref=ref))
    elif outcome is Outcome.CLOSED:
        await answer(update, t("Conversation {ref} was already closed.", ref=ref))
    else:
        await stale_button(update, context)


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(claim, pattern=rf"^claim:{REF}$"))
    app.add_handler(CallbackQueryHandler(decline, pattern=rf"^decline:{REF}$"))
    app.add_handler(CallbackQueryHandler(close, pattern=rf"^close:{REF}$"))
    app.add_handler(CommandHandler("cases", cases))
