"""Joining by invitation: the charter for members, then their profile."""
from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot import routing
from bot.app import services
from bot.i18n import LANGUAGES
from bot.labels import AGE_BAND, GENDER, LANGUAGE, STATUS

from .common import alert, answer, buttons, person, say, stale_button, tr

MAX_NAME = 40
# Profile steps after the display name: callback letter -> (field, values).
STEPS = {"g": ("gender", tuple(GENDER)), "a": ("age_band", tuple(AGE_BAND)), "s": ("status", tuple(STATUS))}
LABELS = {"gender": GENDER, "age_band": AGE_BAND, "status": STATUS}


async def redeem(update: Update, context: ContextTypes.DEFAULT_TYPE, code: str) -> None:
    t, core = tr(context), services(context).core
    who = person(context)
    role, reason = await core.invites.redeem(code, who.id)
    if role is None:
        await say(update, {
            "used": t("This invitation has already been used. Ask your coordinator for a new one."),
            "expired": t("This invitation has expired. Ask your coordinator for a new one."),
        }.get(reason, t("This invitation link is not valid. Check that you copied all of it.")))
        return
    if role == "member":
        await core.members.enrol(who.id)
        await show_charter(update, context)
        return
    await core.people.add_role(who.id, role)
    context.user_data["person"] = await core.people.get(who.id)
    if role == "coordinator":
        await say(update, t("Welcome, you are now a coordinator of the vigilance network. Use /invite to "
                            "invite listeners, coordinators or steering group members, and /members to "
                            "see who is available. You never see conversations or notes."))
    else:
        await say(update, t("Welcome to the steering group. You will receive figures about recurring "
                            "issues: counts only, never names, messages or anything below the privacy "
                            "threshold."))


async def show_charter(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    t = tr(context)
    charter = services(context).core.charter.charter_text(t.lang)
    await say(update, charter)
    await say(
        update,
        t("To join as a listener, please accept the charter."),
        buttons([(t("I accept the charter"), "charter:yes")], [(t("Not now"), "charter:no")]),
    )


async def charter_choice(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    t, core = tr(context), services(context).core
    member = await core.members.by_person(person(context).id)
    if member is None or member.left:
        await stale_button(update, context)
        return
    if update.callback_query.data == "charter:no":
        await answer(update, t("No problem. You can accept the charter later with /start."))
        return
    if member.charter_accepted:
        await answer(update, t("You have already accepted the charter."))
        if not member.profile_complete:
            await ask_name(update, context)
        return
    await core.members.accept_charter(member.id)
    await answer(update, t("Thank you for joining the vigilance network."))
    await ask_name(update, context)


async def ask_name(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    context.user_data["awaiting"] = "display_name"
    await say(update, tr(context)(
        "How should colleagues who ask for a conversation see you? Send the name you want to show, "
        "for example your first name (at most 40 characters)."
    ))


async def receive_name(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    t, core = tr(context), services(context).core
    member = await core.members.by_person(person(context).id)
    if member is None or not member.charter_accepted or member.left:
        context.user_data.pop("awaiting", None)
        return
    name = " ".join(text.split())
    if not name or len(name) > MAX_NAME:
        await say(update, t("Please send a name of 1 to 40 characters."))
        return
    await core.members.set_display_name(member.id, name)
    context.user_data.pop("awaiting", None)
    await _ask_step(update, context, "g", new_message=True)


async def _ask_step(update: Update, context, letter: str, new_message: bool = False) -> None:
    t = tr(context)
    field, values = STEPS[letter]
    question = {
        "gender": t("Your gender (colleagues can ask for a listener of a given gender):"),
        "age_band": t("Your age group:"),
        "status": t("Your status:"),
    }[field]
    markup = buttons([(t(LABELS[field][v]), f"prof:{letter}:{v}") for v in values])
    await (say if new_message else answer)(update, question, markup)


async def _ask_department(update: Update, context) -> None:
    t = tr(context)
    departments = services(context).settings.departments
    await answer(update, t("Your department:"), buttons(*[[(n, f"prof:d:{i}")] for i, n in enumerate(departments)]))


async def _ask_languages(update: Update, context) -> None:
    t = tr(context)
    member = await services(context).core.members.by_person(person(context).id)
    row = [(("✓ " if c in member.languages else "") + LANGUAGE[c], f"prof:l:{c}") for c in LANGUAGES]
    await answer(update, t("The languages you can listen in (tap to choose, then Done):"),
                 buttons(row, [(t("Done"), "prof:l:done")]))


async def profile_step(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """prof:<g|a|s>:<value> | prof:d:<index> | prof:l:<code|done> | prof:edit"""
    t, core = tr(context), services(context).core
    member = await core.members.by_person(person(context).id)
    parts = update.callback_query.data.split(":")
    if member is None or member.left or not member.charter_accepted:
        await stale_button(update, context)
        return
    if parts == ["prof", "edit"]:
        await ask_name(update, context)
        return
    if len(parts) != 3:
        await stale_button(update, context)
        return
    letter, value = parts[1], parts[2]
    if letter in STEPS and value in STEPS[letter][1]:
        await core.members.set_field(member.id, STEPS[letter][0], value)
        following = {"g": "a", "a": "s"}.get(letter)
        if following:
            await _ask_step(update, context, following)
        else:
            await _ask_department(update, context)
    elif letter == "d" and value.isdigit() and int(value) < len(services(context).settings.departments):
        await core.members.set_field(member.id, "department", services(context).settings.departments[int(value)])
        await _ask_languages(update, context)
    elif letter == "l" and value in LANGUAGES:
        chosen = set(member.languages) ^ {value}
        await core.members.set_languages(member.id, tuple(c for c in LANGUAGES if c in chosen))
        await _ask_languages(update, context)
    elif letter == "l" and value == "done":
        if not member.languages:
            await alert(update, context, t("Choose at least one language."))
            return
        if not member.display_name or not all((member.gender, member.age_band, member.status, member.department)):
            await stale_button(update, context)
            return
        await core.members.mark_profile_complete(member.id)
        await answer(update, t("Your profile is ready. You will get requests that fit you; press Claim to "
                               "take one. Use /profile to see or change your profile, /cases for your "
                               "open conversations."))
    else:
        await stale_button(update, context)


async def profile(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    t, core = tr(context), services(context).core
    member = await core.members.by_person(person(context).id)
    if member is None or member.left or not member.charter_accepted:
        await say(update, t("This command is for listeners of the vigilance network."))
        return
    cap = routing.limit_of(member, services(context).settings.max_open_cases)
    facts = [
        (t("Name"), member.display_name or "—"),
        (t("Gender"), t(GENDER[member.gender]) if member.gender else "—"),
        (t("Age"), t(AGE_BAND[member.age_band]) if member.age_band else "—"),
        (t("Status"), t(STATUS[member.status]) if member.status else "—"),
        (t("Department"), member.department or "—"),
        (t("Languages"), ", ".join(LANGUAGE[c] for c in member.languages) or "—"),
        (t("Open conversations"), f"{member.open_cases} / {cap}"),
    ]
    facts = [t("{label}: {value}", label=label, value=value) for label, value in facts]
    await say(update, t("Your listener profile:") + "\n" + "\n".join(facts),
              buttons([(t("Edit my profile"), "prof:edit")]))


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(charter_choice, pattern=r"^charter:(yes|no)$"))
    app.add_handler(CallbackQueryHandler(profile_step, pattern=r"^prof:"))
    app.add_handler(CommandHandler("profile", profile))
