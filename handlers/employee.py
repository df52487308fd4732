"""The employee's side: the menu, the request wizard, withdrawing and ending."""
from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from bot.app import services
from bot.i18n import LANGUAGES, Translator
from bot.labels import AGE_BAND, GENDER, LANGUAGE, STATUS
from bot.requests import Ask, OpenRequestExists, Outcome
from bot.storage.requests import Preferences, Request

from .common import answer, buttons, emergency_text, person, say, stale_button, tr

# Wizard fields: callback letter -> (Preferences attribute, allowed values).
CHOICES = {
    "g": ("gender", tuple(GENDER)),
    "a": ("age_band", tuple(AGE_BAND)),
    "s": ("status", tuple(STATUS)),
    "l": ("language", LANGUAGES),
}
LABELS = {"gender": GENDER, "age_band": AGE_BAND, "status": STATUS}


async def show_menu(update: Update, context: ContextTypes.DEFAULT_TYPE, intro: bool = False) -> None:
    t = tr(context)
    core = services(context).core
    own = await core.requests.open_for_requester(person(context).id)
    if own is not None:
        await say(update, *status_of(t, own, context))
        return
    parts = []
    if intro:
        parts.append(t(
            "Welcome to the vigilance network. Colleagues who volunteer as listeners lend you an ear, "
            "in confidence. Ask for a conversation and a listener will contact you here within 24 hours."
        ))
        parts.append(t(
            "The network is not HR, not your manager, not a doctor and not an emergency service. "
            "Listeners listen; they do not decide or report about you. They never see your name or "
            "Telegram account, only a pseudonym, and nothing is shared without your consent."
        ))
        parts.append(t("In an emergency, call 112, or press \"I need help now / I am not safe\"."))
    else:
        parts.append(t("What would you like to do?"))
    await say(
        update,
        "\n\n".join(parts),
        buttons(
            [(t("Ask for a conversation"), "ask:start")],
            [(t("I need help now / I am not safe"), "urgent")],
        ),
    )


def status_of(t: Translator, request: Request, context) -> tuple:
    tz = services(context).settings.timezone
    if request.unclaimed:
        text = t(
            "Your request {ref} is waiting for a listener. Someone will contact you here before {deadline}. "
            "Anything you write here now is kept and passed on.",
            ref=request.ref, deadline=t.when(request.deadline_at, tz),
        )
        return text, buttons([(t("Withdraw my request"), f"withdraw:{request.ref}")])
    text = t(
        "Your conversation {ref} is open. Write here and your listener receives it.", ref=request.ref
    )
    return text, buttons([(t("End the conversation"), f"end:{request.ref}")])


async def urgent(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Numbers first, at once; then every available listener and the coordinators are alerted."""
    t = tr(context)
    await say(update, emergency_text(context, t))
    context.user_data.pop("ask", None)
    context.user_data.pop("awaiting", None)
    opened = await services(context).desk.open_urgent(person(context))
    deadline = t.when(opened.request.deadline_at, services(context).settings.timezone)
    await say(update, t(
        "Your request {ref} is marked urgent. Every available listener has been alerted; one will write "
        "to you here before {deadline}. If you are in danger, call 112 now.",
        ref=opened.request.ref, deadline=deadline,
    ), buttons([(t("Withdraw my request"), f"withdraw:{opened.request.ref}")]) if opened.request.unclaimed else None)


# The request wizard ------------------------------------------------------------------

def _draft(context) -> dict | None:
    return context.user_data.get("ask")


async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """ask:start | ask:<g|a|s|l>:<value> | ask:d | ask:m[:<handle>] | ask:next | ask:dep:<i|-> | ask:send | ask:cancel"""
    parts = update.callback_query.data.split(":")
    action = parts[1] if len(parts) > 1 else ""
    core = services(context).core
    if action == "start":
        if await core.requests.open_for_requester(person(context).id):
            await say(update, tr(context)("You already have an open request. You can have one at a time."))
            await show_menu(update, context)
            return
        context.user_data["ask"] = {}
        context.user_data.pop("awaiting", None)
        await _show_preferences(update, context)
        return
    draft = _draft(context)
    if draft is None:
        await stale_button(update, context)
        return
    if action in CHOICES and len(parts) == 3 and parts[2] in CHOICES[action][1]:
        field = CHOICES[action][0]
        draft[field] = None if draft.get(field) == parts[2] else parts[2]
        draft.pop("member", None)  # a choice of profile replaces a chosen person
        await _show_preferences(update, context)
    elif action == "d" and len(parts) == 2:
        draft["other_department"] = not draft.get("other_department")
        await _show_preferences(update, context)
    elif action == "m" and len(parts) == 2:
        await _show_members(update, context)
    elif action == "m" and len(parts) == 3:
        chosen = await core.members.by_handle(parts[2])
        if chosen is None or not chosen.active:
            await stale_button(update, context)
            return
        context.user_data["ask"] = {"member": chosen.handle}
        await _ask_widening(update, context)
    elif action == "next" and len(parts) == 2:
        if any(draft.get(f) for f in ("gender", "age_band", "status", "language", "member")):
            await _ask_widening(update, context)
        else:
            await _show_departments(update, context)
    elif action == "w" and len(parts) == 3 and parts[2] in ("0", "1"):
        draft["allow_widening"] = parts[2] == "1"
        await _show_departments(update, context)
    elif action == "dep" and len(parts) == 3:
        departments = services(context).settings.departments
        if parts[2] == "-" and not draft.get("other_department"):
            draft["department"] = None
        elif parts[2].isdigit() and int(parts[2]) < len(departments):
            draft["department"] = departments[int(parts[2])]
        else:
            await stale_button(update, context)
            return
        await _ask_first_message(update, context)
    elif action == "send" and len(parts) == 2:
        await submit(update, context, first_message=None)
    elif action == "cancel" and len(parts) == 2:
        context.user_data.pop("ask", None)
        context.user_data.pop("awaiting", None)
        await answer(update, tr(context)("Nothing was sent. You can ask again at any time with /start."))
    else:
        await stale_button(update, context)


def _mark(selected: bool, label: str) -> str:
    return f"✓ {label}" if selected else label


async def _show_preferences(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    t, draft = tr(context), _draft(context)
    rows = []
    for letter, (field, values) in CHOICES.items():
        rows.append([
            (_mark(draft.get(field) == v, LANGUAGE[v] if field == "language" else t(LABELS[field][v])),
             f"ask:{letter}:{v}")
            for v in values
        ])
    rows.append([(_mark(bool(draft.get("other_department")), t("Not from my department")), "ask:d")])
    rows.append([(t("A specific listener…"), "ask:m")])
    rows.append([(t("Next"), "ask:next"), (t("Cancel"), "ask:cancel")])
    await answer(
        update,
        t("Who would you be most comfortable talking to? Everything is optional: tap to choose, "
          "tap again to undo, then press Next. Rows: gender, age, status, language."),
        buttons(*rows),
    )


async def _show_members(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    t = tr(context)
    members = [m for m in await services(context).core.members.active() if m.person_id != person(context).id]
    if not members:
        await answer(update, t("There are no listeners to choose from yet."), buttons([(t("Back"), "ask:next")]))
        return
    rows = []
    for m in members:
        facts = ", ".join(filter(None, [
            t(GENDER[m.gender]) if m.gender else None,
            t(AGE_BAND[m.age_band]) if m.age_band else None,
            t(STATUS[m.status]) if m.status else None,
            m.department,
        ]))
        rows.append([(f"{m.display_name} ({facts})"[:60], f"ask:m:{m.handle}")])
    rows.append([(t("Back"), "ask:start")])
    await answer(update, t("Choose the listener you would like to talk to:"), buttons(*rows))


async def _ask_widening(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    t = tr(context)
    hours = int(services(context).settings.widen_after.total_seconds() // 3600)
    await answer(update, t(
        "If no listener who fits your wishes is free within {hours} hours, may we offer your request "
        "to another listener, so that someone contacts you within 24 hours?", hours=hours),
        buttons([(t("Yes, that is fine"), "ask:w:1")], [(t("No, I will wait"), "ask:w:0")]))


async def _show_departments(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    t, draft = tr(context), _draft(context)
    departments = services(context).settings.departments
    rows = [[(name, f"ask:dep:{i}")] for i, name in enumerate(departments)]
    if draft.get("other_department"):
        text = t("Which department do you work in? We need it to find a listener from another department. "
                 "Your listener will not be told.")
    else:
        text = t("Which department do you work in? This is optional. It only counts, anonymously, towards "
                 "the figures that show where problems recur. Your listener will not be told.")
        rows.append([(t("Skip"), "ask:dep:-")])
    await answer(update, text, buttons(*rows))


async def _ask_first_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    t = tr(context)
    context.user_data["awaiting"] = "first_message"
    await answer(
        update,
        t("If you like, write a first message now: what would you like to talk about? Only your listener "
          "will read it. Or send the request without a message."),
        buttons([(t("Send the request without a message"), "ask:send")], [(t("Cancel"), "ask:cancel")]),
    )


async def submit(update: Update, context: ContextTypes.DEFAULT_TYPE, first_message: str | None) -> None:
    t, draft = tr(context), context.user_data.pop("ask", None)
    context.user_data.pop("awaiting", None)
    if draft is None:
        await stale_button(update, context)
        return
    core = services(context).core
    chosen = await core.members.by_handle(draft["member"]) if draft.get("member") else None
    prefs = Preferences(
        gender=draft.get("gender"),
        age_band=draft.get("age_band"),
        status=draft.get("status"),
        language=draft.get("language"),
        other_department=bool(draft.get("other_department")),
        member_id=chosen.id if chosen else None,
    )
    try:
        opened = await services(context).desk.open(person(context), Ask(
            prefs, draft.get("department"), first_message, allow_widening=draft.get("allow_widening", True),
        ))
    except OpenRequestExists:
        await say(update, t("You already have an open request. You can have one at a time."))
        return
    request, tz = opened.request, services(context).settings.timezone
    lines = [t(
        "Your request {ref} has been received. A listener will contact you here before {deadline}. "
        "Keep this reference; the listener sees you as \"Colleague {ref}\".",
        ref=request.ref, deadline=t.when(request.deadline_at, tz),
    )]
    if request.urgent:
        # Urgency words in the first message: the numbers come first, at once.
        lines.insert(0, emergency_text(context, t))
        lines.append(t("Your request is marked urgent: every available listener has been alerted."))
    elif not opened.offered:
        lines.append(t("Right now no listener who fits your wishes is free. Your request stays open "
                       "and we keep looking."))
    markup = buttons([(t("Withdraw my request"), f"withdraw:{request.ref}")])
    if update.callback_query:
        await answer(update, "\n\n".join(lines), markup)
    else:
        await say(update, "\n\n".join(lines), markup)


async def withdraw(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    t = tr(context)
    ref = update.callback_query.data.partition(":")[2]
    outcome = await services(context).desk.withdraw(person(context), ref)
    if outcome is Outcome.OK:
        await answer(update, t("Your request {ref} was withdrawn. You can ask again at any time.", ref=ref))
    elif outcome is Outcome.TAKEN:
        await say(update, t("A listener has already taken your request. You can end the conversation instead."),
                  buttons([(t("End the conversation"), f"end:{ref}")]))
    elif outcome is Outcome.CLOSED:
        await say(update, t("This request is already closed."))
    else:
        await stale_button(update, context)


async def end(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    t = tr(context)
    ref = update.callback_query.data.partition(":")[2]
    outcome, _ = await services(context).desk.end(person(context), ref)
    if outcome is Outcome.OK:
        await answer(update, t("The conversation {ref} has ended. Thank you for reaching out; you can ask "
                               "for a new conversation at any time with /start.", ref=ref))
    elif outcome is Outcome.CLOSED:
        await say(update, t("This conversation is already closed."))
    else:
        await stale_button(update, context)


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(ask, pattern=r"^ask:"))
    app.add_handler(CallbackQueryHandler(urgent, pattern=r"^urgent$"))
    app.add_handler(CallbackQueryHandler(withdraw, pattern=r"^withdraw:[A-Z0-9]{5}$"))
    app.add_handler(CallbackQueryHandler(end, pattern=r"^end:[A-Z0-9]{5}$"))
