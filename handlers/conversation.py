"""Free text: answers to a wizard question, or a message to relay to the other side."""
from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot.app import services
from bot.requests import MAX_TEXT, Outcome, pseudonym
from bot.storage.requests import Request

from .casework import AWAITED, on_awaited_text
from .common import answer, buttons, person, say, stale_button, tr


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    text = update.message.text
    t = tr(context)
    if context.user_data.get("awaiting") in AWAITED:
        # A note or a feedback comment: kept (with its own limit), never passed on.
        await on_awaited_text(update, context, text)
        return
    if len(text) > MAX_TEXT:
        await say(update, t("Your message is too long to pass on (at most {limit} characters). "
                            "Please split it into shorter messages. Nothing was sent.", limit=MAX_TEXT))
        return
    awaiting = context.user_data.get("awaiting")
    if awaiting == "first_message":
        from .employee import submit

        await submit(update, context, first_message=text)
        return
    if awaiting == "display_name":
        from .joining import receive_name

        await receive_name(update, context, text)
        return
    await relay(update, context, text)


async def relay(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    t, desk, who = tr(context), services(context).desk, person(context)
    target: Request | None = None
    reply_to = update.message.reply_to_message
    if reply_to is not None:
        target = await desk.case_of_reply(who, reply_to.message_id)
    if target is None:
        open_ones = await desk.conversations_of(who)
        if not open_ones:
            await say(update, t("You have no open conversation, so this message was not passed on. "
                                "Use /start to ask for a conversation."))
            return
        if len(open_ones) > 1:
            # Never guess between people: the author says where it goes.
            draft_id = await desk.park_draft(who, text)
            await say(update, t("Which conversation is this message for?"), buttons(*[
                [(_label(t, r, who.id), f"to:{draft_id}:{r.ref}")] for r in open_ones
            ]))
            return
        target = open_ones[0]
    outcome, request = await desk.relay(who, target.id, text)
    await _report(update, context, outcome, request)


def _label(t, request: Request, person_id: int) -> str:
    if request.requester_id == person_id:
        return t("My own request {ref}", ref=request.ref)
    return pseudonym(t, request)


async def _report(update: Update, context, outcome: Outcome, request: Request | None) -> None:
    t, who = tr(context), person(context)
    if outcome is Outcome.OK:
        # Deliver now, then tell the author the truth: sent, or still queued.
        await services(context).sender.flush()
        author = "requester" if request.requester_id == who.id else "member"
        queued = await services(context).core.conversations.undelivered(request.id, author)
        if queued:
            await say(update, t("⏳ Not delivered yet. Your message is kept and goes out as soon as "
                                "Telegram accepts it."))
        elif author == "member":
            # A member always sees which case a message went to.
            await say(update, t("✓ Sent to {colleague}.", colleague=pseudonym(t, request)))
    elif outcome is Outcome.PENDING:
        await say(update, t("Saved. Your message will be passed on as soon as a listener takes your "
                            "request {ref}.", ref=request.ref))
    elif outcome is Outcome.CLOSED:
        await say(update, t("This conversation is closed, so your message was not passed on."))
    elif outcome is Outcome.NOT_FOUND:
        await say(update, t("This conversation is not open for you, so your message was not passed on."))


async def send_draft(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """to:<draft id>:<ref>: the author picked the conversation for a parked text."""
    _, draft, ref = update.callback_query.data.split(":")
    if not draft.isdigit():
        await stale_button(update, context)
        return
    outcome, request = await services(context).desk.send_draft(person(context), int(draft), ref)
    if outcome is Outcome.NOT_FOUND and request is None:
        await stale_button(update, context)
        return
    await answer(update, tr(context)("Message for {ref}:", ref=ref))
    await _report(update, context, outcome, request)


def register(app: Application) -> None:
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    app.add_handler(CallbackQueryHandler(send_draft, pattern=r"^to:\d+:[A-Z0-9]{5}$"))
