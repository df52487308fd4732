"""The employee's side: the menu, the request wizard, the urgent path, withdrawing and ending."""
from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.conversation.requests import Ask, OpenRequestExists
from bot.foundations import callbacks, prompts
from bot.foundations.i18n import LANGUAGES, Translator
from bot.foundations.model import Preferences, Request, Result, ticked
from bot.foundations.vocab import AGE_BAND, GENDER, LANGUAGE, STATUS
from bot.network.membership import news_button

from .ui import (
    Context,
    answer,
    ask_name,
    buttons,
    data,
    emergency_text,
    likely_when,
    origin,
    person,
    reply,
    say,
    services,
    stale_button,
    took_name,
    tr,
)

# Wizard rows of wishes: the code that chooses a value -> (Preferences attribute, values, labels).
CHOICES = (
    (callbacks.ASK_GENDER, "gender", tuple(GENDER), GENDER),
    (callbacks.ASK_AGE, "age_band", tuple(AGE_BAND), AGE_BAND),
    (callbacks.ASK_STATUS, "status", tuple(STATUS), STATUS),
)


async def show_menu(update: Update, context: Context, intro: bool = False) -> None:
    t = tr(context)
    own = await services(context).desk.own_request(person(context))
    if own is not None:
        await say(update, *await status_of(t, own, context))
        return
    parts = []
    if intro:
        parts.append(t(
            "Welcome to the vigilance network. Colleagues who volunteer as listeners lend you an ear, "
            "in confidence. Ask for a conversation and a listener will contact you here within {hours} hours.",
            hours=services(context).settings.contact_hours))
        parts.append(t(
            "The network is not HR, not your manager, not a doctor and not an emergency service. "
            "Listeners listen; they do not decide or report about you. They never see your name or "
            "Telegram account, only a pseudonym, and nothing is shared without your consent."
        ))
        parts.append(t("Talking to the network is not a formal request under the law on well-being at work: it "
                       "starts no procedure. If you wish, a listener can tell you about the formal and informal routes."))
        parts.append(t("In an emergency, call 112, or press “I need help now / I am not safe”."))
    else:
        parts.append(t("What would you like to do?"))
    follows = await services(context).membership.follows_news(person(context))
    await say(
        update,
        "\n\n".join(parts),
        buttons(
            [(t("Ask for a conversation"), callbacks.ASK_START())],
            [(t("I am worried about a colleague"), callbacks.ASK_CONCERN())],
            [(t("Something is wrong in my team"), callbacks.SIGNAL_START())],
            [(t("I need help now / I am not safe"), callbacks.URGENT())],
            [(t("I would like to be a listener"), callbacks.VOLUNTEER_WISH())],
            [news_button(t, follows)],  # changes only itself: the welcome keeps every button
        ),
    )


async def volunteer_wish(update: Update, context: Context) -> None:
    """Joining freely: the wish goes to the coordinators with the name the person gives."""
    t = tr(context)
    if await services(context).membership.listener(person(context)) is not None:
        await reply(update, context, t("You are a listener already. Thank you!"))
        return
    await ask_name(update, context, prompts.VOLUNTEER_NAME, t(
        "Thank you! Listeners lend an ear to colleagues, in confidence, beside their job. What name may the "
        "coordinators know you by? Send it; they can then send you an invitation. Nothing of any conversation you "
        "had is shared with them."))


async def receive_volunteer_name(update: Update, context: Context, text: str, waiting: prompts.Prompt) -> None:
    t = tr(context)
    result = await services(context).membership.volunteer(person(context), text)
    if not await took_name(update, context, waiting, result):
        return
    if result is Result.ALREADY:
        await say(update, t("You are a listener already. Thank you!"))
    else:
        await say(update, t("Thank you. The coordinators have your wish and will get back to you here."))


async def expectation(t: Translator, request: Request, context: Context) -> str:
    """When a reply is likely, from the hours and pauses of the listeners who fit: never a promise
    the hours make impossible."""
    tz = services(context).settings.timezone
    likely = await services(context).desk.likely_reply(request)
    deadline = t.when(request.deadline_at, tz)
    if likely is not None and likely <= request.deadline_at:
        return t("A listener will contact you here before {deadline}; most likely {when}.", deadline=deadline,
                 when=likely_when(t, likely, services(context).calendar))
    later = (t("The listeners who fit your wishes can next take requests {when}: later than {deadline}.",
               when=likely_when(t, likely, services(context).calendar), deadline=deadline) if likely is not None else
             t("No listener who fits your wishes can take requests in the coming week."))
    if request.allow_widening:
        return later + " " + t("As you allowed, another listener will be asked if nobody who fits has taken it "
                               "in time.")
    return later + " " + t("You asked to wait for them; if nobody contacts you before {deadline}, the coordinators "
                           "are told.", deadline=deadline)


async def status_of(t: Translator, request: Request, context: Context) -> tuple:
    if request.unclaimed:
        text = "\n\n".join([
            t("Your request {ref} is waiting for a listener. Anything you write here now is kept and passed on.",
              ref=request.ref),
            await expectation(t, request, context)])
        return text, buttons([(t("Withdraw my request"), callbacks.WITHDRAW(request.ref))])
    text = t(
        "Your conversation {ref} is open. Write here and your listener receives it.", ref=request.ref
    )
    return text, buttons([(t("End the conversation"), callbacks.END(request.ref))])


async def urgent(update: Update, context: Context) -> None:
    """Numbers first, at once; then every available listener and the coordinators are alerted."""
    t = tr(context)
    await say(update, emergency_text(context, t))
    await services(context).prompts.clear(person(context), *prompts.WIZARD)
    opened = await services(context).desk.open_urgent(person(context), origin())
    request = opened.request
    deadline = t.when(request.deadline_at, services(context).settings.timezone)
    if not request.unclaimed:
        await say(update, t("Your request {ref} is marked urgent: your listener has been alerted to contact you "
                            "now. The numbers above are there at any moment.", ref=request.ref))
        return
    markup = buttons([(t("Withdraw my request"), callbacks.WITHDRAW(request.ref))])
    if opened.on_call:
        text = t("Your request {ref} is marked urgent. No listener is within their hours right now, so the "
                 "listener on call has been alerted; they will write to you here before {deadline}. The numbers "
                 "above are there at any moment.", ref=request.ref, deadline=deadline)
    elif opened.offered:
        text = t("Your request {ref} is marked urgent. Every available listener has been alerted; one will write "
                 "to you here before {deadline}. The numbers above are there at any moment.", ref=request.ref,
                 deadline=deadline)
    else:
        text = _nobody_now(t, request.ref)
    await say(update, text, markup)


def _nobody_now(t: Translator, ref: str) -> str:
    """Urgent, and nobody can answer now: said at once, next to the numbers, not at a deadline."""
    return t("Right now no listener of the network can take request {ref}, and nobody on call can either. Please "
             "call one of the numbers above now. The coordinators have been told, and a listener will write to you "
             "here as soon as one can.", ref=ref)


# The request wizard ------------------------------------------------------------------

async def _save(context: Context, draft: dict, kind: str = prompts.ASK) -> None:
    """The wizard's choices so far live in the database, sealed: a restart loses nothing."""
    await services(context).prompts.wait_for(person(context), kind, data=draft)


async def ask_start(update: Update, context: Context) -> None:
    """For oneself, or (ask:concern) worried about a colleague: the same wizard."""
    if await services(context).desk.own_request(person(context)):
        await say(update, tr(context)("You already have an open request. You can have one at a time."))
        await show_menu(update, context)
        return
    draft = {"kind": "concern"} if callbacks.ASK_CONCERN.parse(data(update)) is not None else {}
    await _save(context, draft)
    # A new message: the welcome above keeps its "I need help now" button in sight.
    await _show_preferences(update, context, draft, new=True)


async def ask_step(update: Update, context: Context) -> None:
    """Every wizard button after the start: re-checked against the draft in progress. Each
    button carries the value it sets, so a double tap or a replay sets the same again."""
    draft, pressed = await services(context).prompts.draft(person(context)), data(update)
    if draft is None:
        await stale_button(update, context)
        return
    for code, field, _, _ in CHOICES:
        if (value := code.parse(pressed)) is not None:
            draft[field] = None if value[0] == callbacks.NONE else value[0]
            draft.pop("member", None)  # a choice of profile replaces a chosen person
            await _save(context, draft)
            await _show_preferences(update, context, draft)
            return
    if (language := callbacks.ASK_LANGUAGE.parse(pressed)) is not None:
        draft["language"] = language[0]
        await _save(context, draft)
        await _show_preferences(update, context, draft)
    elif (other := callbacks.ASK_OTHER_DEPARTMENT.parse(pressed)) is not None:
        draft["other_department"] = other[0] == "1"
        await _save(context, draft)
        await _show_preferences(update, context, draft)
    elif (side := callbacks.ASK_EMPLOYER_SIDE.parse(pressed)) is not None:
        draft["not_employer_side"] = side[0] == "1"
        await _save(context, draft)
        await _show_preferences(update, context, draft)
    elif callbacks.ASK_LISTENERS.parse(pressed) is not None:
        await _show_members(update, context, draft)
    elif callbacks.ASK_BACK.parse(pressed) is not None:
        await _show_preferences(update, context, draft)  # the same message: no live list left above
    elif (chosen := callbacks.ASK_LISTENER.parse(pressed)) is not None:
        member = await services(context).membership.chosen_listener(chosen[0])
        if member is None:
            await stale_button(update, context)
            return
        # A chosen person replaces the profile wishes; what kind of request it is stays.
        await _save(context, {"member": member.handle, "language": draft.get("language"),
                              **({"kind": draft["kind"]} if "kind" in draft else {})})
        await _ask_widening(update, context)
    elif callbacks.ASK_NEXT.parse(pressed) is not None:
        await _ask_widening(update, context)
    elif (widen := callbacks.ASK_WIDENING.parse(pressed)) is not None:
        draft["allow_widening"] = widen[0] == "1"
        await _save(context, draft)
        await _show_departments(update, context, draft)
    elif (department := callbacks.ASK_DEPARTMENT.parse(pressed)) is not None:
        departments = services(context).settings.departments
        if department[0] == "-" and not draft.get("other_department"):
            draft["department"] = None
        elif department[0].isdigit() and int(department[0]) < len(departments):
            draft["department"] = departments[int(department[0])]
        else:
            await stale_button(update, context)
            return
        await _save(context, draft, prompts.FIRST_MESSAGE)
        await _ask_first_message(update, context)
    elif callbacks.ASK_SEND.parse(pressed) is not None:
        await submit(update, context, first_message=None)
    elif callbacks.ASK_CANCEL.parse(pressed) is not None:
        await services(context).prompts.clear(person(context), *prompts.WIZARD)
        await answer(update, tr(context)("Nothing was sent. You can ask again at any time with /start."))
    else:
        await stale_button(update, context)



def _way_out(t: Translator) -> list:
    """On every step of asking: the urgent way out stays one tap away."""
    return [(t("I need help now / I am not safe"), callbacks.URGENT())]


async def _show_preferences(update: Update, context: Context, draft: dict, new: bool = False) -> None:
    t = tr(context)
    rows = []
    for code, field, values, labels in CHOICES:
        rows.append([
            (ticked(t(labels[v]), draft.get(field) == v), code(callbacks.NONE if draft.get(field) == v else v))
            for v in values
        ])
    # The conversation's language: the person's own unless they choose another; never none.
    spoken = draft.get("language") or person(context).language
    rows.append([(ticked(LANGUAGE[code], spoken == code), callbacks.ASK_LANGUAGE(code)) for code in LANGUAGES])
    other = bool(draft.get("other_department"))
    rows.append([(ticked(t("Not from my department"), other), callbacks.ASK_OTHER_DEPARTMENT("0" if other else "1"))])
    side = bool(draft.get("not_employer_side"))
    rows.append([(ticked(t("Neither HR nor management"), side), callbacks.ASK_EMPLOYER_SIDE("0" if side else "1"))])
    rows.append([(t("A specific listener…"), callbacks.ASK_LISTENERS())])
    rows.append([(t("Next"), callbacks.ASK_NEXT()), (t("Cancel"), callbacks.ASK_CANCEL())])
    rows.append(_way_out(t))
    text = t("Who would you be most comfortable talking to? Everything is optional: tap to choose, "
             "tap again to undo, then press Next. The first rows are gender, age and status; the fourth is the "
             "language you want to talk in.")
    if draft.get("kind") == "concern":
        text = t("You are worried about a colleague. A listener can help you see what you can do and where "
                 "to point them. Please do not name them: the listener does not need to know who it is.") \
            + "\n\n" + text
    await (say if new else answer)(update, text, buttons(*rows))


async def _show_members(update: Update, context: Context, draft: dict) -> None:
    t = tr(context)
    # Back to the wishes in this same message, as they were chosen (a concern stays a concern).
    back = callbacks.ASK_BACK()
    members = await services(context).membership.listeners_to_choose(person(context))
    if not members:
        await answer(update, t("There are no listeners to choose from yet."),
                     buttons([(t("Back"), back)], _way_out(t)))
        return
    rows = []
    for m in members:
        facts = ", ".join(filter(None, [
            t(GENDER[m.gender]) if m.gender else None,
            t(AGE_BAND[m.age_band]) if m.age_band else None,
            t(STATUS[m.status]) if m.status else None,
            m.department,
        ]))
        rows.append([(f"{m.display_name} ({facts})"[:60], callbacks.ASK_LISTENER(m.handle))])
    rows.append([(t("Back"), back)])
    rows.append(_way_out(t))
    await answer(update, t("Choose the listener you would like to talk to:"), buttons(*rows))


async def _ask_widening(update: Update, context: Context) -> None:
    t = tr(context)
    hours = int(services(context).settings.widen_after.total_seconds() // 3600)
    await answer(update, t(
        "If no listener who fits your wishes and speaks your language is free within {hours} hours, may "
        "we offer your request to another listener, so that someone contacts you within {promise} hours?",
        hours=hours, promise=services(context).settings.contact_hours),
        buttons([(t("Yes, that is fine"), callbacks.ASK_WIDENING("1"))],
                [(t("No, I will wait"), callbacks.ASK_WIDENING("0"))], _way_out(t)))


async def _show_departments(update: Update, context: Context, draft: dict) -> None:
    t = tr(context)
    departments = services(context).settings.departments
    rows = [[(name, callbacks.ASK_DEPARTMENT(i))] for i, name in enumerate(departments)]
    if draft.get("other_department"):
        text = t("Which department do you work in? We need it to find a listener from another department. "
                 "Your listener will not be told.")
    else:
        text = t("Which department do you work in? This is optional. It only counts, anonymously, towards "
                 "the figures that show where problems recur. Your listener will not be told.")
        rows.append([(t("Skip"), callbacks.ASK_DEPARTMENT("-"))])
    rows.append(_way_out(t))
    await answer(update, text, buttons(*rows))


async def _ask_first_message(update: Update, context: Context) -> None:
    t = tr(context)
    await answer(
        update,
        t("If you like, write a first message now: what would you like to talk about? Only your listener "
          "will read it. Or send the request without a message."),
        buttons([(t("Send without a message"), callbacks.ASK_SEND())],
                [(t("Cancel"), callbacks.ASK_CANCEL())], _way_out(t)),
    )


async def submit(update: Update, context: Context, first_message: str | None) -> None:
    t, desk, waiting = tr(context), services(context).desk, services(context).prompts
    draft = await waiting.draft(person(context))
    if draft is None:
        # Handled again after a crash, the update finds the request it made; otherwise it is stale.
        if (made := await desk.opened_by(origin())) is not None:
            await _confirm(update, context, made)
        else:
            await stale_button(update, context)
        return
    chosen = await services(context).membership.chosen_listener(draft["member"]) if draft.get("member") else None
    prefs = Preferences(
        gender=draft.get("gender"),
        age_band=draft.get("age_band"),
        status=draft.get("status"),
        other_department=bool(draft.get("other_department")),
        member_id=chosen.id if chosen else None,
        not_employer_side=bool(draft.get("not_employer_side")),
    )
    try:
        opened = await desk.open(person(context), Ask(
            prefs, draft.get("department"), draft.get("language") or person(context).language, first_message,
            allow_widening=draft.get("allow_widening", True), kind=draft.get("kind", "self"),
        ), origin())
    except OpenRequestExists:
        await waiting.clear(person(context), *prompts.WIZARD)
        await say(update, t("You already have an open request. You can have one at a time."))
        return
    await waiting.clear(person(context), *prompts.WIZARD)
    await _confirm(update, context, opened, named=bool(first_message) and draft.get("kind") == "concern"
                   and services(context).talk.seems_to_name(first_message))


async def _confirm(update: Update, context: Context, opened, named: bool = False) -> None:
    t = tr(context)
    request = opened.request
    lines = [t("Your request {ref} has been received. Keep this reference; the listener sees you as "
               "“Colleague {ref}”.", ref=request.ref)]
    if request.urgent:
        # Urgency words in the first message: the numbers come first, at once.
        lines.insert(0, emergency_text(context, t))
        if opened.on_call:
            lines.append(t("Your request is marked urgent. No listener is within their hours right now, so the "
                           "listener on call has been alerted."))
        else:
            lines.append(t("Your request is marked urgent: every available listener has been alerted.")
                         if opened.offered else _nobody_now(t, request.ref))
    else:
        lines.append(await expectation(t, request, context))
    if named:
        lines.append(t("Your message may name someone. There is no need: your listener can help without knowing "
                       "who it is, and will be asked not to note a name."))
    markup = buttons([(t("Withdraw my request"), callbacks.WITHDRAW(request.ref))])
    if update.callback_query:
        await answer(update, "\n\n".join(lines), markup)
    else:
        await say(update, "\n\n".join(lines), markup)


async def withdraw(update: Update, context: Context) -> None:
    t = tr(context)
    (ref,) = callbacks.WITHDRAW.parse(data(update))
    result = await services(context).desk.withdraw(person(context), ref)
    if result is Result.OK:
        await answer(update, t("Your request {ref} was withdrawn. You can ask again at any time.", ref=ref))
    elif result is Result.TAKEN:
        await say(update, t("A listener has already taken your request. You can end the conversation instead."),
                  buttons([(t("End the conversation"), callbacks.END(ref))]))
    elif result is Result.CLOSED:
        await say(update, t("This request is already closed."))
    else:
        await stale_button(update, context)


async def end(update: Update, context: Context) -> None:
    t = tr(context)
    (ref,) = callbacks.END.parse(data(update))
    result, _ = await services(context).desk.end(person(context), ref)
    if result is Result.OK:
        await answer(update, t("The conversation {ref} has ended. Thank you for reaching out; you can ask "
                               "for a new conversation at any time with /start.", ref=ref))
    elif result is Result.CLOSED:
        await say(update, t("This conversation is already closed."))
    else:
        await stale_button(update, context)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("urgent", urgent))
    app.add_handler(CallbackQueryHandler(volunteer_wish, pattern=callbacks.VOLUNTEER_WISH.pattern))
    app.add_handler(CallbackQueryHandler(ask_start, pattern=callbacks.ASK_START.pattern))
    app.add_handler(CallbackQueryHandler(ask_start, pattern=callbacks.ASK_CONCERN.pattern))
    app.add_handler(CallbackQueryHandler(ask_step, pattern=callbacks.ASK_WIZARD))
    app.add_handler(CallbackQueryHandler(urgent, pattern=callbacks.URGENT.pattern))
    app.add_handler(CallbackQueryHandler(withdraw, pattern=callbacks.WITHDRAW.pattern))
    app.add_handler(CallbackQueryHandler(end, pattern=callbacks.END.pattern))
