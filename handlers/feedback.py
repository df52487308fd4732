"""The colleague's answers after their listener acted: the rating and comment after a close,
whether the next listener may read the notes after a hand-over, whether something may be
shared for a referral, and whether to meet outside the chat."""
from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.conversation.casework import MAX_COMMENT
from bot.foundations import callbacks, prompts
from bot.foundations.model import Result
from bot.running.sender import inline_keyboard

from .ui import (
    Context,
    alert,
    answer,
    buttons,
    data,
    edit_buttons,
    person,
    refusal,
    say,
    services,
    stale_button,
    tr,
)


async def rate(update: Update, context: Context) -> None:
    """Rates the closed conversation, then offers a comment."""
    t = tr(context)
    ref, stars = callbacks.RATE.parse(data(update))
    result = await services(context).casework.rate(person(context), ref, stars)
    if result is Result.ALREADY:
        await alert(update, context, t("You have already rated this conversation. Thank you."))
        return
    if result is not Result.OK:
        await stale_button(update, context)
        return
    await edit_buttons(update, _without_stars(update))
    await services(context).prompts.wait_for(person(context), prompts.COMMENT, ref=ref)
    await say(update, t("Thank you. Would you like to add a comment (at most {limit} characters)? Write it "
                        "now. It is kept encrypted, never with your name or your conversation, and deleted with "
                        "the conversation's content.", limit=MAX_COMMENT),
              buttons([(t("No comment"), callbacks.NO_COMMENT(ref, "skip"))]))


def _without_stars(update: Update):
    """The closing message's buttons once rated: the stars go, the offer to hear the news stays."""
    message = update.callback_query.message
    rows = [[(b.text, b.callback_data) for b in row]
            for row in (message.reply_markup.inline_keyboard if message and message.reply_markup else ())
            if not any(callbacks.RATE.parse(b.callback_data) for b in row)]
    return inline_keyboard(rows)


async def no_comment(update: Update, context: Context) -> None:
    await services(context).prompts.clear(person(context), prompts.COMMENT)
    await answer(update, tr(context)("Thank you for your rating."))


async def on_comment_text(update: Update, context: Context, text: str, waiting: prompts.Prompt) -> None:
    t = tr(context)
    result = await services(context).casework.comment(person(context), waiting.ref, text)
    if result is Result.TOO_LONG:
        await say(update, t("This comment is too long: at most {limit} characters. Nothing was saved; please "
                            "send a shorter one.", limit=MAX_COMMENT))
        return
    await services(context).prompts.clear(person(context), prompts.COMMENT)
    if result is Result.OK:
        await say(update, t("Thank you. Your comment is kept."))
    else:
        await say(update, refusal(t, result))


async def notes_consent(update: Update, context: Context) -> None:
    """May the next listener read the notes of a handed-over conversation?"""
    t = tr(context)
    ref, choice = callbacks.NOTES_CONSENT.parse(data(update))
    result = await services(context).casework.answer_notes_consent(person(context), ref, choice == "y")
    if result is Result.ALREADY:
        await alert(update, context, t("You have already answered this question."))
    elif result is not Result.OK:
        await stale_button(update, context)
    elif choice == "y":
        await answer(update, t("Thank you. The listener who takes over may read the notes."))
    else:
        await answer(update, t("The notes have been deleted. The listener who takes over starts afresh."))


async def handover_consent(update: Update, context: Context) -> None:
    """May the listener who takes over read the conversation so far (and the notes)? The colleague's
    own word; the question stays readable, with their answer under it."""
    t = tr(context)
    ref, choice = callbacks.HANDOVER_CONSENT.parse(data(update))
    result = await services(context).casework.answer_handover(person(context), ref, choice == "y")
    if result is Result.ALREADY:
        await alert(update, context, t("You have already answered this question."))
    elif result is Result.CLOSED:
        await alert(update, context, t("This conversation is closed, so nothing was shared."))
    elif result is not Result.OK:
        await stale_button(update, context)
    else:
        said = (t("Your answer: yes. The listener who takes over may read what came before.") if choice == "y"
                else t("Your answer: no. The listener who takes over starts afresh, without what came before."))
        asked = update.callback_query.message.text if update.callback_query.message else ""
        await answer(update, f"{asked}\n\n✓ {said}" if asked else f"✓ {said}")


async def referral_answer(update: Update, context: Context) -> None:
    """The colleague's own consent for a referral: their word, not their listener's."""
    t = tr(context)
    ref, referral_id, choice = callbacks.REFER_ANSWER.parse(data(update))
    result, referral = await services(context).casework.answer_referral(person(context), ref, referral_id,
                                                                        choice == "y")
    if result is Result.ALREADY:
        await alert(update, context, t("You have already answered this question."))
    elif result is Result.CLOSED:
        await alert(update, context, t("This conversation is closed, so nothing will be passed on."))
    elif result is not Result.OK:
        await stale_button(update, context)
    else:
        name = referral.name(t.lang) if referral else ""
        # The contact stays readable; the question under it is answered.
        await edit_buttons(update, None)
        await say(update, t("Thank you. Your listener may tell the contact “{name}” what they need to know, and "
                            "nothing more.", name=name) if choice == "y" else
                  t("Thank you. Nothing about you will be shared with the contact “{name}”. The contact is yours "
                    "to use if you wish.", name=name))


async def meeting_answer(update: Update, context: Context) -> None:
    """Meet in person or by phone, or go on writing here: the colleague's choice."""
    t = tr(context)
    ref, way, choice = callbacks.MEET_ANSWER.parse(data(update))
    result = await services(context).casework.answer_meeting(person(context), ref, way, choice == "y")
    if result is Result.ALREADY:
        await alert(update, context, t("You have already answered this question."))
    elif result is Result.CLOSED:
        await alert(update, context, t("This conversation is closed, so nothing was changed."))
    elif result is not Result.OK:
        await stale_button(update, context)
    elif choice == "y":
        await answer(update, t("Your listener is told you would like to meet. Agree on where and when here; the "
                               "bot records only that you agreed, never where or when."))
    else:
        await answer(update, t("Your listener is told you prefer to go on writing here. Nothing else changes."))


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(rate, pattern=callbacks.RATE.pattern))
    app.add_handler(CallbackQueryHandler(no_comment, pattern=callbacks.NO_COMMENT.pattern))
    app.add_handler(CallbackQueryHandler(notes_consent, pattern=callbacks.NOTES_CONSENT.pattern))  # legacy: see there
    app.add_handler(CallbackQueryHandler(handover_consent, pattern=callbacks.HANDOVER_CONSENT.pattern))
    app.add_handler(CallbackQueryHandler(referral_answer, pattern=callbacks.REFER_ANSWER.pattern))
    app.add_handler(CallbackQueryHandler(meeting_answer, pattern=callbacks.MEET_ANSWER.pattern))
