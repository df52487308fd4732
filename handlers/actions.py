"""The steering group acts on signals and follows its actions up: /actions, the digest's "Answer
the signals", a signal's answers, the new-action wizard, and an action's card (status, effect,
dated updates, a new due date, who follows it up). Coordinators read; steering members act."""
from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.foundations import callbacks, prompts
from bot.foundations.model import Result
from bot.steering.actions import cards
from bot.steering.actions.tracker import (
    MAX_OWNER,
    MAX_REASON,
    MAX_TEXT,
    MAX_TITLE,
    next_step,
)

from .ui import (
    Context,
    alert,
    answer,
    answer_refused,
    buttons,
    data,
    origin,
    person,
    reply,
    say,
    services,
    stale_button,
    toast,
    tr,
)


def _today(context: Context):
    return services(context).actions.today()


def _refusal(context: Context, result: Result) -> str:
    t = tr(context)
    return {
        Result.NOT_ALLOWED: t("This is for the steering group."),
        Result.CLOSED: t("This action is closed, so nothing was changed."),
        Result.ALREADY: t("That was already so, so nothing was changed."),
        Result.EMPTY: t("That was empty, so nothing was saved."),
        Result.INVALID: t("That is not a date I can read. Please write it like 31/12/2026 or 2026-12-31; nothing "
                          "was changed."),
        Result.PAST: t("That date is in the past. Please give today or a later date; nothing was changed."),
    }.get(result) or t("Nothing was changed.")


async def _refuse(update: Update, context: Context, result: Result) -> None:
    if result is Result.NOT_FOUND:
        await stale_button(update, context)
    else:
        await reply(update, context, _refusal(context, result))


# The list and the cards ------------------------------------------------------------------------

async def actions_command(update: Update, context: Context) -> None:
    t, tracker = tr(context), services(context).actions
    result, open_ones, closed, waiting = await tracker.listing(person(context))
    if result is not Result.OK:
        await say(update, t("This is for the steering group and the coordinators."))
        return
    text, rows = cards.listing(tracker.words(t), open_ones, closed, waiting, _today(context))
    await say(update, text, buttons(*rows), protect=True)


async def show_list(update: Update, context: Context) -> None:
    t, tracker = tr(context), services(context).actions
    (which,) = callbacks.ACTIONS.parse(data(update))
    result, open_ones, closed, waiting = await tracker.listing(person(context))
    if result is not Result.OK:
        await _refuse(update, context, result)
        return
    text, rows = cards.listing(tracker.words(t), open_ones, closed, waiting, _today(context),
                               show_closed=which == "closed")
    await answer(update, text, buttons(*rows))


async def _show_action(update: Update, context: Context, action_id: int) -> None:
    t, tracker = tr(context), services(context).actions
    result, found = await tracker.card(person(context), action_id)
    if result is not Result.OK:
        await _refuse(update, context, result)
        return
    text, rows = cards.card(tracker.words(t), found, _today(context))
    await answer(update, text, buttons(*rows))


async def show_action(update: Update, context: Context) -> None:
    (action_id,) = callbacks.ACTION_SHOW.parse(data(update))
    await _show_action(update, context, action_id)


# Signals -----------------------------------------------------------------------------------------

async def signals_of_week(update: Update, context: Context) -> None:
    """From the digest: its signals, each with its answer so far, in a message of their own below it:
    the digest stays in the chat as it came (protected, like the digest)."""
    t, tracker = tr(context), services(context).actions
    (week,) = callbacks.SIGNALS_OF.parse(data(update))
    result, found = await tracker.week_signals(person(context), week)
    if result is not Result.OK:
        await _refuse(update, context, result)
        return
    text, rows = cards.week_signals(tracker.words(t), week, found)
    await say(update, text, buttons(*rows), protect=True)


async def open_signals(update: Update, context: Context) -> None:
    t, tracker = tr(context), services(context).actions
    result, found = await tracker.unanswered(person(context))
    if result is not Result.OK:
        await _refuse(update, context, result)
        return
    text, rows = cards.open_signals(tracker.words(t), found)
    await answer(update, text, buttons(*rows))


async def _show_signal(update: Update, context: Context, signal_id: int) -> None:
    t, tracker, who = tr(context), services(context).actions, person(context)
    result, signal, actions, newest = await tracker.signal_view(who, signal_id)
    if result is not Result.OK:
        await _refuse(update, context, result)
        return
    text, rows = cards.signal_card(tracker.words(t), signal, actions, newest, editable=who.is_steering)
    await answer(update, text, buttons(*rows))


async def show_signal(update: Update, context: Context) -> None:
    (signal_id,) = callbacks.SIGNAL_SHOW.parse(data(update))
    await _show_signal(update, context, signal_id)


async def answer_signal(update: Update, context: Context) -> None:
    t, tracker, who = tr(context), services(context).actions, person(context)
    signal_id, choice = callbacks.SIGNAL_ANSWER.parse(data(update))
    if choice == "ack":
        result = await tracker.answer_signal(who, signal_id, "acknowledged")
        if result is not Result.OK:
            await _refuse(update, context, result)
            return
        await toast(update, context, t("Acknowledged."))
        await _show_signal(update, context, signal_id)
        return
    result = await tracker.begin(who, signal_id)
    if result is not Result.OK:
        await _refuse(update, context, result)
        return
    waiting = services(context).prompts
    if choice == "later":
        await waiting.wait_for(who, prompts.SIGNAL_REASON, ref=str(signal_id))
        await say(update, t("Why not now? In a sentence or two, at most {limit} characters. The steering group and "
                            "the coordinators see it with the signal.", limit=MAX_REASON))
        return
    await waiting.wait_for(who, prompts.ACTION, data={"signal": signal_id})
    await _ask(update, context, {"signal": signal_id})


async def on_reason_text(update: Update, context: Context, text: str, waiting: prompts.Prompt) -> None:
    t, who, signal_id = tr(context), person(context), waiting.number
    result = await services(context).actions.answer_signal(who, signal_id, "not_now", text)
    if await answer_refused(update, context, result, MAX_REASON):
        return
    await services(context).prompts.clear(who, prompts.SIGNAL_REASON)
    if result is Result.OK:
        await say(update, t("Noted: not now, with your reason. It stays in /actions with the signal."),
                  buttons([(t("The signal"), callbacks.SIGNAL_SHOW(signal_id))]))
    else:
        await say(update, _refusal(context, result))


# The new-action wizard ---------------------------------------------------------------------------

async def _ask(update: Update, context: Context, draft: dict, *, edit: bool = False) -> None:
    """The wizard's next question: a new message after a typed answer, the same one after a button."""
    t, tracker, who = tr(context), services(context).actions, person(context)
    signal = None
    if draft.get("signal") is not None:
        _, signal, _, _ = await tracker.signal_view(who, draft["signal"])
    text, rows = cards.question(tracker.words(t), draft, signal)
    if edit:
        await answer(update, text, buttons(*rows))
    else:
        await say(update, text, buttons(*rows), protect=True)


async def _draft(context: Context) -> dict | None:
    waiting = await services(context).prompts.current(person(context))
    return waiting.data if waiting is not None and waiting.kind == prompts.ACTION else None


async def on_action_text(update: Update, context: Context, text: str, waiting: prompts.Prompt) -> None:
    t, tracker, draft = tr(context), services(context).actions, waiting.data or {}
    step = tracker.wizard_text(draft, text)
    if step.result is Result.OK:
        await services(context).prompts.wait_for(person(context), prompts.ACTION, data=step.draft)
        await _ask(update, context, step.draft)
        return
    limit = {"title": MAX_TITLE, "owner": MAX_OWNER}.get(next_step(draft), MAX_TEXT)
    if await answer_refused(update, context, step.result, limit):
        return
    if step.result is Result.UNKNOWN:
        await say(update, t("Please answer with the buttons of the last question."))
    else:
        await say(update, _refusal(context, step.result))


async def wizard_button(update: Update, context: Context) -> None:
    """Urgency, feasibility, a due date in months, or skipping an optional text."""
    tracker = services(context).actions
    draft = await _draft(context)
    if draft is None:
        await stale_button(update, context)
        return
    raw = data(update)
    if (parsed := callbacks.ACTION_URGENCY.parse(raw)) is not None:
        step = tracker.wizard_choice(draft, "urgency", parsed[0])
    elif (parsed := callbacks.ACTION_FEASIBILITY.parse(raw)) is not None:
        step = tracker.wizard_choice(draft, "feasibility", parsed[0])
    elif (parsed := callbacks.ACTION_DUE_IN.parse(raw)) is not None:
        step = tracker.wizard_choice(draft, "due", parsed[0])
    else:
        step = tracker.wizard_choice(draft, next_step(draft), "")
    if step.result is not Result.OK:
        await stale_button(update, context)
        return
    await services(context).prompts.wait_for(person(context), prompts.ACTION, data=step.draft)
    await _ask(update, context, step.draft, edit=True)


async def save(update: Update, context: Context) -> None:
    t, tracker, who = tr(context), services(context).actions, person(context)
    (choice,) = callbacks.ACTION_SAVE.parse(data(update))
    draft = await _draft(context)
    if choice == "cancel":
        await services(context).prompts.clear(who, prompts.ACTION)
        await answer(update, t("The new action was not saved."))
        return
    if draft is None:
        await stale_button(update, context)
        return
    result, action_id = await tracker.open_action(who, draft, origin())
    if result is Result.PAST:
        draft = {k: v for k, v in draft.items() if k not in ("due", "plan", "feedback")}
        await services(context).prompts.wait_for(who, prompts.ACTION, data=draft)
        await alert(update, context, _refusal(context, result))
        await _ask(update, context, draft)
        return
    await services(context).prompts.clear(who, prompts.ACTION)
    if result is not Result.OK:
        await _refuse(update, context, result)
        return
    await toast(update, context, t("The action is saved."))
    await _show_action(update, context, action_id)


# An action's follow-up -----------------------------------------------------------------------------

async def status(update: Update, context: Context) -> None:
    t, tracker, who = tr(context), services(context).actions, person(context)
    action_id, new = callbacks.ACTION_STATUS.parse(data(update))
    if new == "in_progress":
        result = await tracker.start(who, action_id)
        if result is not Result.OK:
            await _refuse(update, context, result)
            return
        await _show_action(update, context, action_id)
        return
    result, found = await tracker.card(who, action_id)
    if result is Result.OK and (change := await tracker.may_change(who, action_id)) is not Result.OK:
        result = change
    if result is not Result.OK:
        await _refuse(update, context, result)
        return
    text, rows = cards.effect_question(t, found.action, new)
    await answer(update, text, buttons(*rows))


async def effect(update: Update, context: Context) -> None:
    t, tracker = tr(context), services(context).actions
    action_id, new, found_effect = callbacks.ACTION_EFFECT.parse(data(update))
    result = await tracker.close(person(context), action_id, new, found_effect)
    if result is not Result.OK:
        await _refuse(update, context, result)
        return
    await toast(update, context, t("Closed, with its effect. Tell staff what changed: “you said, we did”.")
                if new == "done" else t("Closed, with its effect."))
    await _show_action(update, context, action_id)


async def ask_note(update: Update, context: Context) -> None:
    t, who = tr(context), person(context)
    (action_id,) = callbacks.ACTION_NOTE.parse(data(update))
    result = await services(context).actions.may_change(who, action_id)
    if result is not Result.OK:
        await _refuse(update, context, result)
        return
    await services(context).prompts.wait_for(who, prompts.ACTION_NOTE, ref=str(action_id))
    await say(update, t("Your update, in a few words (at most {limit} characters). It is dated today and counts "
                        "as the action's latest update.", limit=MAX_TEXT))


async def on_note_text(update: Update, context: Context, text: str, waiting: prompts.Prompt) -> None:
    t, who, action_id = tr(context), person(context), waiting.number
    result = await services(context).actions.add_note(who, action_id, text, origin())
    if await answer_refused(update, context, result, MAX_TEXT):
        return
    await services(context).prompts.clear(who, prompts.ACTION_NOTE)
    if result is Result.OK:
        await say(update, t("The update is kept, dated today."),
                  buttons([(t("Open the action"), callbacks.ACTION_SHOW(action_id))]))
    else:
        await say(update, _refusal(context, result))


async def ask_due(update: Update, context: Context) -> None:
    t, who = tr(context), person(context)
    (action_id,) = callbacks.ACTION_DUE.parse(data(update))
    result = await services(context).actions.may_change(who, action_id)
    if result is not Result.OK:
        await _refuse(update, context, result)
        return
    await services(context).prompts.wait_for(who, prompts.ACTION_DUE, ref=str(action_id))
    await say(update, t("The new due date? For example 31/12/2026."))


async def on_due_text(update: Update, context: Context, text: str, waiting: prompts.Prompt) -> None:
    t, who, action_id = tr(context), person(context), waiting.number
    result = await services(context).actions.set_due(who, action_id, text)
    if result in (Result.INVALID, Result.PAST):
        await say(update, _refusal(context, result))  # the question stays open: try again
        return
    await services(context).prompts.clear(who, prompts.ACTION_DUE)
    if result is Result.OK:
        await say(update, t("The due date is changed; the reminder follows it."),
                  buttons([(t("Open the action"), callbacks.ACTION_SHOW(action_id))]))
    else:
        await say(update, _refusal(context, result))


async def keep(update: Update, context: Context) -> None:
    t = tr(context)
    (action_id,) = callbacks.ACTION_KEEP.parse(data(update))
    result = await services(context).actions.keep(person(context), action_id)
    if result is Result.OK:
        await toast(update, context, t("You follow this action up now, and get its reminder."))
    elif result is not Result.ALREADY:
        await _refuse(update, context, result)
        return
    await _show_action(update, context, action_id)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("actions", actions_command))
    app.add_handler(CallbackQueryHandler(show_list, pattern=callbacks.ACTIONS.pattern))
    app.add_handler(CallbackQueryHandler(show_action, pattern=callbacks.ACTION_SHOW.pattern))
    app.add_handler(CallbackQueryHandler(signals_of_week, pattern=callbacks.SIGNALS_OF.pattern))
    app.add_handler(CallbackQueryHandler(open_signals, pattern=callbacks.SIGNALS_OPEN.pattern))
    app.add_handler(CallbackQueryHandler(show_signal, pattern=callbacks.SIGNAL_SHOW.pattern))
    app.add_handler(CallbackQueryHandler(answer_signal, pattern=callbacks.SIGNAL_ANSWER.pattern))
    for code in (callbacks.ACTION_URGENCY, callbacks.ACTION_FEASIBILITY, callbacks.ACTION_DUE_IN,
                 callbacks.ACTION_SKIP):
        app.add_handler(CallbackQueryHandler(wizard_button, pattern=code.pattern))
    app.add_handler(CallbackQueryHandler(save, pattern=callbacks.ACTION_SAVE.pattern))
    app.add_handler(CallbackQueryHandler(status, pattern=callbacks.ACTION_STATUS.pattern))
    app.add_handler(CallbackQueryHandler(effect, pattern=callbacks.ACTION_EFFECT.pattern))
    app.add_handler(CallbackQueryHandler(ask_note, pattern=callbacks.ACTION_NOTE.pattern))
    app.add_handler(CallbackQueryHandler(ask_due, pattern=callbacks.ACTION_DUE.pattern))
    app.add_handler(CallbackQueryHandler(keep, pattern=callbacks.ACTION_KEEP.pattern))


__all__ = ["register", "on_action_text", "on_reason_text", "on_note_text", "on_due_text"]
