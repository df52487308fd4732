"""The network's review on the listener's phone (/review, the candidates, report or not, a
suggestion in their own words) and the coordinator's approval of each suggestion."""
from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.foundations import callbacks, prompts
from bot.foundations.model import Result
from bot.steering.digest.review import MAX_SUGGESTION

from .ui import (
    Context,
    alert,
    answer,
    answer_refused,
    buttons,
    data,
    origin,
    person,
    refusal,
    reply,
    say,
    services,
    stale_button,
    tr,
)


def _closed(context: Context) -> str:
    return tr(context)("This review is closed: a newer one is open. Use /review.")


async def review_command(update: Update, context: Context) -> None:
    t = tr(context)
    result, text, rows = await services(context).review.round_view(person(context))
    if result is Result.NOT_MEMBER:
        await say(update, t("This command is for listeners of the vigilance network."))
    elif result is not Result.OK:
        await say(update, t("There is no review yet: the first one comes with a digest for the steering group."))
    else:
        await say(update, text, buttons(*rows), protect=True)


async def show_list(update: Update, context: Context) -> None:
    (round_id,) = callbacks.REVIEW_LIST.parse(data(update))
    result, text, rows = await services(context).review.round_view(person(context), round_id)
    await _show(update, context, result, text, rows)


async def show_candidate(update: Update, context: Context) -> None:
    (candidate_id,) = callbacks.REVIEW_SHOW.parse(data(update))
    result, text, rows = await services(context).review.candidate_view(person(context), candidate_id)
    await _show(update, context, result, text, rows)


async def _show(update: Update, context: Context, result: Result, text, rows) -> None:
    if result is Result.OK:
        await answer(update, text, buttons(*rows))
    elif result is Result.CLOSED:
        await alert(update, context, _closed(context))
    elif result is Result.NOT_MEMBER:
        await alert(update, context, tr(context)("This is for listeners of the vigilance network."))
    else:
        await stale_button(update, context)


async def vote(update: Update, context: Context) -> None:
    candidate_id, choice = callbacks.REVIEW_VOTE.parse(data(update))
    review = services(context).review
    result = await review.vote(person(context), candidate_id, choice == "y")
    if result is not Result.OK:
        await _show(update, context, result, None, ())
        return
    await _show(update, context, *await review.candidate_view(person(context), candidate_id))


def _nobody_approves(context: Context) -> str:
    """A suggestion needs a coordinator other than its author; said when there is none (the only
    coordinator is the listener writing), rather than letting it wait unseen."""
    t = tr(context)
    return (t("You are the network's only coordinator, and nobody approves their own suggestion, so it could not "
              "reach the steering group's digest. Please write it once a second coordinator has joined.")
            if person(context).is_coordinator else
            t("There is no coordinator yet to approve a suggestion, so it could not reach the steering group's "
              "digest. Please write it once a coordinator has joined."))


def _not_kept(context: Context) -> str:
    return _nobody_approves(context) + " " + tr(context)("Your text was not kept.")


async def suggest_ask(update: Update, context: Context) -> None:
    t = tr(context)
    (candidate_id,) = callbacks.REVIEW_SUGGEST.parse(data(update))
    result, label = await services(context).review.ask_suggestion(person(context), candidate_id)
    if result is not Result.OK:
        await _show(update, context, result, None, ())
        return
    if not await services(context).membership.other_coordinators(person(context)):
        await say(update, _nobody_approves(context))  # before anything is written
        return
    await services(context).prompts.wait_for(person(context), prompts.SUGGESTION, ref=str(candidate_id))
    await say(update, t("Write your suggestion on {signal}, in your own words, at most {limit} characters.\n\nPlease write "
                        "nothing that points at a person: no names, no case references, nothing a colleague told "
                        "you. A coordinator reads it before it can reach the steering group.",
                        signal=label, limit=MAX_SUGGESTION))


async def on_suggestion_text(update: Update, context: Context, text: str, waiting: prompts.Prompt) -> None:
    """The answer to "your suggestion on ...": kept, checked, and passed to a coordinator."""
    t, who = tr(context), person(context)
    suggested = await services(context).review.suggest(who, waiting.number, text, origin())
    if await answer_refused(update, context, suggested.result, MAX_SUGGESTION):
        return
    await services(context).prompts.clear(who, prompts.SUGGESTION)
    if suggested.result is Result.OK:
        await say(update, t("Thank you. A coordinator reads your suggestion before it can appear in a digest."))
    elif suggested.result is Result.PENDING:
        found = ", ".join(f"“{word}”" for word in suggested.flagged) or "…"
        await say(update, t("This may point at a person: it contains {found}. Please leave out names and case "
                            "references. Send it anyway (a coordinator reads it first), or write it again?",
                            found=found),
                  buttons([(t("Send it anyway"), callbacks.SUGGESTION_SEND(suggested.suggestion_id, "send"))],
                          [(t("Write it again"), callbacks.SUGGESTION_SEND(suggested.suggestion_id, "redo"))]))
    elif suggested.result is Result.LAST:  # the other coordinator left meanwhile
        await say(update, _not_kept(context))
    elif suggested.result is Result.CLOSED:
        await say(update, _closed(context))
    else:
        await say(update, refusal(t, suggested.result))


async def send_flagged(update: Update, context: Context) -> None:
    t, who = tr(context), person(context)
    suggestion_id, choice = callbacks.SUGGESTION_SEND.parse(data(update))
    result, candidate_id = await services(context).review.send_flagged(who, suggestion_id, choice == "send")
    if result is Result.OK:
        await answer(update, t("Sent. A coordinator reads your suggestion before it can appear in a digest."))
    elif result is Result.CANCELLED:
        await services(context).prompts.wait_for(who, prompts.SUGGESTION, ref=str(candidate_id))
        await answer(update, t("It was deleted. Write your suggestion again, at most {limit} characters, without "
                               "names or case references.", limit=MAX_SUGGESTION))
    elif result is Result.LAST:
        await answer(update, _not_kept(context))
    elif result is Result.CLOSED:
        await alert(update, context, _closed(context))
    else:
        await stale_button(update, context)


async def decide(update: Update, context: Context) -> None:
    t = tr(context)
    suggestion_id, choice = callbacks.SUGGESTION_DECIDE.parse(data(update))
    result = await services(context).review.decide(person(context), suggestion_id, choice == "ok")
    if result is Result.OK:
        await answer(update, t("You approved the suggestion: it may appear in the digest with its signal.")
                     if choice == "ok" else t("You sent the suggestion back. Its author has been told."))
    elif result is Result.ALREADY:
        await reply(update, context, t("This suggestion was already decided on, so nothing was changed."))
    elif result is Result.NOT_ALLOWED and person(context).is_coordinator:
        await alert(update, context, t("This is your own suggestion: another coordinator decides on it."))
    elif result is Result.NOT_ALLOWED:
        await reply(update, context, t("This is for coordinators only."))
    else:
        await stale_button(update, context)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("review", review_command))
    app.add_handler(CallbackQueryHandler(show_list, pattern=callbacks.REVIEW_LIST.pattern))
    app.add_handler(CallbackQueryHandler(show_candidate, pattern=callbacks.REVIEW_SHOW.pattern))
    app.add_handler(CallbackQueryHandler(vote, pattern=callbacks.REVIEW_VOTE.pattern))
    app.add_handler(CallbackQueryHandler(suggest_ask, pattern=callbacks.REVIEW_SUGGEST.pattern))
    app.add_handler(CallbackQueryHandler(send_flagged, pattern=callbacks.SUGGESTION_SEND.pattern))
    app.add_handler(CallbackQueryHandler(decide, pattern=callbacks.SUGGESTION_DECIDE.pattern))
