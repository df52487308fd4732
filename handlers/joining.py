"""Joining by invitation: the charter for listeners, then their profile."""
from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.foundations import callbacks, prompts
from bot.foundations.i18n import LANGUAGES
from bot.foundations.model import Result, ticked
from bot.foundations.vocab import AGE_BAND, GENDER, LANGUAGE, STATUS
from bot.network.membership import MAX_NAME

from .ui import (
    Context,
    alert,
    answer,
    ask_name,
    buttons,
    data,
    hours_text,
    person,
    reply,
    say,
    services,
    stale_button,
    took_name,
    tr,
)

# Profile steps after the display name, in order: (code, field, labels).
STEPS = (
    (callbacks.PROFILE_GENDER, "gender", GENDER),
    (callbacks.PROFILE_AGE, "age_band", AGE_BAND),
    (callbacks.PROFILE_STATUS, "status", STATUS),
)


async def redeem(update: Update, context: Context, code: str) -> None:
    t, membership = tr(context), services(context).membership
    joined = await membership.redeem(person(context), code)
    if joined.result is not Result.OK:
        await say(update, {
            Result.USED: t("This invitation has already been used. Ask your coordinator for a new one."),
            Result.EXPIRED: t("This invitation has expired. Ask your coordinator for a new one."),
            Result.CANCELLED: t("This invitation was cancelled. Ask your coordinator for a new one if it should work."),
        }.get(joined.result, t("This invitation link is not valid. Check that you copied all of it.")))
        return
    if joined.role == "member":
        await show_charter(update, context)
        return
    context.person = await services(context).access.refresh(person(context))
    wait = t("Decisions that take two people (removing a coordinator, approving a “you said, we did”) need two "
             "people the bot has known for a while: you can take part in them from {when}. Every coordinator hears "
             "when someone joins with a role.", when=t.when(joined.ready_at, services(context).settings.timezone))
    if joined.role == "coordinator":
        await say(update, t("Welcome, you are now a coordinator of the vigilance network. Use /invite to "
                            "invite listeners, coordinators or steering group members, and /members to "
                            "see who is available. You never see conversations or notes.") + "\n\n" + wait)
    else:
        await say(update, t("Welcome to the steering group. You will receive figures about recurring "
                            "issues: counts only, never names, messages or anything below the privacy "
                            "threshold.") + "\n\n" + services(context).digests.home(t) + "\n\n" + wait)
    await ask_name(update, context, prompts.ROLE_NAME, t(
        "How should the coordinators see you in the list of the network's people? Send a name, for example your "
        "first name (at most {limit} characters).", limit=MAX_NAME))


async def receive_role_name(update: Update, context: Context, text: str, waiting: prompts.Prompt) -> None:
    result = await services(context).membership.set_role_name(person(context), text)
    if await took_name(update, context, waiting, result) and result is Result.OK:
        await say(update, tr(context)("Thank you. Use /start to see what you can do."))


async def show_charter(update: Update, context: Context) -> None:
    t = tr(context)
    charter = services(context).charter.charter_text(t.lang)
    await say(update, charter)
    await say(
        update,
        t("To join as a listener, please accept the charter."),
        buttons([(t("I accept the charter"), callbacks.CHARTER("yes"))], [(t("Not now"), callbacks.CHARTER("no"))]),
    )


async def charter_choice(update: Update, context: Context) -> None:
    t, membership = tr(context), services(context).membership
    if await membership.listener(person(context)) is None:
        await stale_button(update, context)
        return
    if callbacks.CHARTER.parse(data(update)) == ("no",):
        await answer(update, t("No problem. You can accept the charter later with /start."))
        return
    result = await membership.accept_charter(person(context))
    if result is Result.ALREADY:
        await reply(update, context, t("You have already accepted the charter."))
        member = await membership.listener(person(context))
        if member is not None and not member.profile_complete:
            await ask_display_name(update, context)
        return
    if result is not Result.OK:
        await stale_button(update, context)
        return
    await answer(update, t("Thank you for joining the vigilance network."))
    await ask_display_name(update, context)


async def ask_display_name(update: Update, context: Context) -> None:
    await ask_name(update, context, prompts.DISPLAY_NAME, tr(context)(
        "How should colleagues who ask for a conversation see you? Send the name you want to show, "
        "for example your first name (at most {limit} characters).", limit=MAX_NAME))


async def receive_name(update: Update, context: Context, text: str, waiting: prompts.Prompt) -> None:
    result = await services(context).membership.set_display_name(person(context), text)
    if await took_name(update, context, waiting, result) and result is Result.OK:
        await _ask_step(update, context, 0, new_message=True)


async def _ask_step(update: Update, context: Context, index: int, new_message: bool = False) -> None:
    t = tr(context)
    code, field, labels = STEPS[index]
    question = {
        "gender": t("Your gender (colleagues can ask for a listener of a given gender):"),
        "age_band": t("Your age group:"),
        "status": t("Your status:"),
    }[field]
    markup = buttons([(t(label), code(value)) for value, label in labels.items()])
    await (say if new_message else answer)(update, question, markup)


async def _ask_hr(update: Update, context: Context) -> None:
    t = tr(context)
    await answer(update, t("Do you work in HR? Colleagues can ask for a listener who is neither from HR nor "
                           "management; it is only used for that."),
                 buttons([(t("Yes, in HR"), callbacks.PROFILE_HR("1")), (t("No"), callbacks.PROFILE_HR("0"))]))


async def _ask_department(update: Update, context: Context) -> None:
    t = tr(context)
    departments = services(context).settings.departments
    await answer(update, t("Your department:"),
                 buttons(*[[(n, callbacks.PROFILE_DEPARTMENT(i))] for i, n in enumerate(departments)]))


async def _ask_languages(update: Update, context: Context) -> None:
    t = tr(context)
    member = await services(context).membership.listener(person(context))
    row = [(ticked(LANGUAGE[c], c in member.languages),
            callbacks.PROFILE_LANGUAGE(c, "0" if c in member.languages else "1")) for c in LANGUAGES]
    await answer(update, t("The languages you can listen in (tap to choose, then Done):"),
                 buttons(row, [(t("Done"), callbacks.PROFILE_DONE())]))


async def profile_step(update: Update, context: Context) -> None:
    """One answer of the profile: a choice, the department, a language, or Done."""
    t, membership, who, pressed = tr(context), services(context).membership, person(context), data(update)
    if callbacks.PROFILE_EDIT.parse(pressed) is not None:
        if await membership.listener(who) is None:
            await stale_button(update, context)
        else:
            await ask_display_name(update, context)
        return
    for index, (code, field, _) in enumerate(STEPS):
        if (value := code.parse(pressed)) is not None:
            result = await membership.set_choice(who, field, value[0])
            if result is Result.OK:
                if index + 1 < len(STEPS):
                    await _ask_step(update, context, index + 1)
                else:
                    await _ask_hr(update, context)
                return
            break
    else:
        if (hr := callbacks.PROFILE_HR.parse(pressed)) is not None:
            if await membership.set_hr(who, hr[0] == "1") is Result.OK:
                await _ask_department(update, context)
                return
        elif (index := callbacks.PROFILE_DEPARTMENT.parse(pressed)) is not None:
            if await membership.set_department(who, index[0]) is Result.OK:
                await _ask_languages(update, context)
                return
        elif (chosen := callbacks.PROFILE_LANGUAGE.parse(pressed)) is not None:
            if await membership.choose_language(who, chosen[0], chosen[1] == "1") is Result.OK:
                await _ask_languages(update, context)
                return
        elif callbacks.PROFILE_DONE.parse(pressed) is not None:
            result = await membership.complete_profile(who)
            if result is Result.EMPTY:
                await alert(update, context, t("Choose at least one language."))
                return
            if result is Result.OK:
                await answer(update, t("Your profile is ready. You will get requests that fit you; press Claim to "
                                       "take one. Use /profile to see or change your profile, /cases for your "
                                       "open conversations."))
                return
    await stale_button(update, context)


async def profile(update: Update, context: Context) -> None:
    t, membership = tr(context), services(context).membership
    member = await membership.listener(person(context))
    if member is None or not member.charter_accepted:
        await say(update, t("This command is for listeners of the vigilance network."))
        return
    facts = [
        (t("Name"), member.display_name or "—"),
        (t("Gender"), t(GENDER[member.gender]) if member.gender else "—"),
        (t("Age"), t(AGE_BAND[member.age_band]) if member.age_band else "—"),
        (t("Status"), t(STATUS[member.status]) if member.status else "—"),
        (t("Department"), member.department or "—"),
        (t("HR"), t("yes") if member.hr else t("no")),
        (t("Languages"), ", ".join(LANGUAGE[c] for c in member.languages) or "—"),
        (t("Open conversations"), f"{member.open_cases} / {membership.cap_of(member)}"),
        (t("Hours"), hours_text(t, member.hours)),
    ]
    facts = [t("{label}: {value}", label=label, value=value) for label, value in facts]
    await say(update, t("Your listener profile:") + "\n" + "\n".join(facts),
              buttons([(t("Edit my profile"), callbacks.PROFILE_EDIT())], [(t("My hours"), callbacks.HOURS())]))


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(charter_choice, pattern=callbacks.CHARTER.pattern))
    app.add_handler(CallbackQueryHandler(profile_step, pattern=callbacks.PROFILE_FAMILY))
    app.add_handler(CommandHandler("profile", profile))
