"""Free text: the answer to the question the bot is waiting for, or a message for the other side.

The question is read from the database, so a restart between question and answer cannot
turn a private note into a relayed message.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.conversation.talking import MAX_TEXT
from bot.foundations import callbacks, prompts
from bot.foundations.model import Request, Result
from bot.foundations.vocab import pseudonym

from . import actions, casework, coordinator, employee, feedback, joining, news, review
from .ui import (
    Context,
    answer,
    buttons,
    data,
    origin,
    person,
    say,
    services,
    stale_button,
    tr,
)


async def _first_message(update: Update, context: Context, text: str, waiting: prompts.Prompt) -> None:
    """The request wizard's last step: the first message, within what a relayed message may be."""
    if not await _too_long(update, context, text):
        await employee.submit(update, context, first_message=text)


# A typed text while a question is open is its answer, kept where it belongs and never relayed: one
# handler per question that a typed text answers (prompts.TYPED), each taking (update, context, text, prompt).
ANSWERS: dict[str, Callable[[Update, Context, str, prompts.Prompt], Awaitable[None]]] = {
    prompts.FIRST_MESSAGE: _first_message,
    prompts.DISPLAY_NAME: joining.receive_name,
    prompts.ROLE_NAME: joining.receive_role_name,
    prompts.VOLUNTEER_NAME: employee.receive_volunteer_name,
    prompts.MEETING_AT: coordinator.receive_meeting_at,
    prompts.NOTE: casework.on_note_text,
    prompts.COMMENT: feedback.on_comment_text,
    prompts.SUGGESTION: review.on_suggestion_text,
    prompts.ACTION: actions.on_action_text,
    prompts.SIGNAL_REASON: actions.on_reason_text,
    prompts.ACTION_NOTE: actions.on_note_text,
    prompts.ACTION_DUE: actions.on_due_text,
    prompts.NEWS: news.on_news_text,
    prompts.NEWS_VERSION: news.on_version_text,
}

# Wizards answered with buttons only: a typed text is never taken as something else (a message for a
# conversation, where the rest of a note would reach the colleague), and the wizard stays where it was.
BUTTONS_ONLY = (prompts.ASK, prompts.SIGNAL, prompts.NOTE_FOR)


async def on_text(update: Update, context: Context) -> None:
    """The answer to the open question, or else a message for the other side of a conversation."""
    text = update.message.text
    waiting = await services(context).prompts.current(person(context))
    if waiting is not None and not waiting.known:
        await _question_gone(update, context)
    elif waiting is not None and waiting.kind in ANSWERS:
        await ANSWERS[waiting.kind](update, context, text, waiting)
    elif waiting is not None and waiting.kind in BUTTONS_ONLY:
        await _use_the_buttons(update, context, waiting.kind)
    elif not await _too_long(update, context, text):
        await relay(update, context, text)


async def _question_gone(update: Update, context: Context) -> None:
    """A question this version does not ask (left by another version): closed, and the text neither
    kept nor passed on, since it may be a note or a name meant for the bot alone."""
    await services(context).prompts.clear(person(context))
    await say(update, tr(context)("The question you were answering is no longer open, so your message was not "
                                  "kept and not passed on. Please start again from the menu (/start)."))


async def _too_long(update: Update, context: Context, text: str) -> bool:
    """Refused, and said so, when longer than a relayed message may be."""
    if len(text) <= MAX_TEXT:
        return False
    await say(update, tr(context)("Your message is too long to pass on (at most {limit} characters). "
                                  "Please split it into shorter messages. Nothing was sent.", limit=MAX_TEXT))
    return True


async def _use_the_buttons(update: Update, context: Context, kind: str) -> None:
    t, who = tr(context), person(context)
    if kind == prompts.NOTE_FOR:
        await say(update, t("Please choose above which conversation your note is for: this text was not sent to "
                            "anyone, and not added to the note. To drop the note instead, send /start."))
        return
    text = (t("Please use the buttons above: telling the network about your team takes no text, so nothing was "
              "sent.") if kind == prompts.SIGNAL else
            t("Please use the buttons above to ask for a conversation; you can write a first message at the last "
              "step. Nothing was sent."))
    if await services(context).talk.conversations_of(who):
        text += " " + t("To write in your open conversation, first finish or cancel this above.")
    await say(update, text)


async def relay(update: Update, context: Context, text: str) -> None:
    t, talk, who = tr(context), services(context).talk, person(context)
    written = update.message.message_id
    target: Request | None = None
    reply_to = update.message.reply_to_message
    if reply_to is not None:
        target = await talk.case_of_reply(who, reply_to.message_id, reply_to.text or reply_to.caption)
    if target is None:
        open_ones = await talk.conversations_of(who)
        if not open_ones:
            await say(update, _nothing_open(t, who, await services(context).membership.active_listener(who)))
            return
        if len(open_ones) > 1:
            # Never guess between people: the author says where it goes.
            draft_id = await talk.park_draft(who, text, origin(), written)
            today = services(context).calendar.today()
            rows = [[(await _label(t, talk, who, r, today), callbacks.SEND_DRAFT(draft_id, r.ref))]
                    for r in open_ones]
            rows.append([(t("Do not send it"), callbacks.DROP_DRAFT(draft_id, "drop"))])
            await say(update, t("Which conversation is this message for?"), buttons(*rows))
            return
        target = open_ones[0]
    result, request = await talk.relay(who, target.id, text, origin(), written)
    await _report(update, context, result, request)


def _nothing_open(t, who, listener) -> str:
    if listener is not None:
        return t("You have no open conversation, so this message was not passed on. /cases shows your "
                 "conversations.")
    if who.roles:  # their /start opens their own role's home, not the request menu
        return t("You have no open conversation, so this message was not passed on.")
    return t("You have no open conversation, so this message was not passed on. Use /start to ask for a "
             "conversation.")


async def _label(t, talk, who, request: Request, today: date) -> str:
    """Enough to choose by: the pseudonym, the start of the other side's last message, its day."""
    if request.requester_id == who.id:
        return t("My own request {ref}", ref=request.ref)
    last = await talk.last_words(who, request)
    parts = [pseudonym(t, request.ref)]
    if last is not None:
        snippet = " ".join(last.body.split())
        parts.append(f"«{snippet[:22]}…»" if len(snippet) > 22 else f"«{snippet}»")
        if last.written_on is not None:
            parts.append(_age(t, last.written_on, today))
    return " · ".join(parts)


def _age(t, day: date, today: date) -> str:
    days = (today - day).days
    if days <= 0:
        return t("today")
    if days == 1:
        return t("yesterday")
    return t("{days} days ago", days=days)


async def _report(update: Update, context: Context, result: Result, request: Request | None) -> None:
    """Delivery shows as a reaction on the author's own message (the sender adds it once the other
    side has the text, or says it is not delivered yet); a line here only when it is news."""
    t = tr(context)
    if result is Result.PENDING:
        if await services(context).desk.waiting(request) <= 1:  # once; later ones get ✍ only
            await say(update, t("Saved. Your message will be passed on as soon as a listener takes your "
                                "request {ref}.", ref=request.ref))
    elif result is Result.CLOSED:
        await say(update, t("This conversation is closed, so your message was not passed on."))
    elif result is Result.NOT_FOUND:
        await say(update, t("This conversation is not open for you, so your message was not passed on."))


async def send_draft(update: Update, context: Context) -> None:
    """The author picked the conversation for a parked text: the question becomes the answer."""
    t = tr(context)
    draft, ref = callbacks.SEND_DRAFT.parse(data(update))
    result, request = await services(context).talk.send_draft(person(context), draft, ref, origin())
    if result is Result.NOT_FOUND and request is None:
        await stale_button(update, context)
        return
    if result in (Result.OK, Result.PENDING):
        await answer(update, t("For your own request {ref}.", ref=ref) if request.requester_id == person(context).id
                     else t("For {colleague}.", colleague=pseudonym(t, ref)))
    await _report(update, context, result, request)


async def drop_draft(update: Update, context: Context) -> None:
    """The author sends the parked text nowhere: the question says so."""
    t = tr(context)
    draft, _ = callbacks.DROP_DRAFT.parse(data(update))
    if await services(context).talk.drop_draft(person(context), draft) is not Result.OK:
        await stale_button(update, context)
        return
    await answer(update, t("Not sent: the bot no longer keeps it."))


def register(app: Application) -> None:
    app.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND, on_text))
    app.add_handler(CallbackQueryHandler(send_draft, pattern=callbacks.SEND_DRAFT.pattern))
    app.add_handler(CallbackQueryHandler(drop_draft, pattern=callbacks.DROP_DRAFT.pattern))
