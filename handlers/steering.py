"""The steering group's side: /digest shows the latest digest again (text and chart), and
the digest's buttons (how to read it, and back). Figures only, never free text from a case."""
from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.foundations import callbacks
from bot.foundations.model import Result, split_message
from bot.steering.digest.render import caption

from .ui import (
    Context,
    alert,
    answer,
    buttons,
    data,
    person,
    picture,
    say,
    services,
    stale_button,
    tr,
)


async def digest_command(update: Update, context: Context) -> None:
    t, digests = tr(context), services(context).digests
    result, pub, newer = await digests.latest(person(context))
    if result is Result.NOT_ALLOWED:
        await say(update, t("This is for the steering group."))
        return
    if result is Result.NOT_FOUND:
        await say(update, t("There is no digest yet. The first one comes on {when}.",
                            when=t.when(digests.next_at(), services(context).settings.timezone)))
        return
    rendered = await digests.render(pub, t.lang)
    for number, part in enumerate(rendered.parts):
        last = number == len(rendered.parts) - 1
        await say(update, part, buttons(*digests.buttons(t, pub)) if last else None, protect=True)
    if rendered.chart is not None:
        await picture(update, rendered.chart, caption(pub, digests.words(t)))


async def _digest_of(update: Update, context: Context, week: str):
    result, pub, newer = await services(context).digests.latest(person(context), week)
    if result is Result.NOT_ALLOWED:
        await alert(update, context, tr(context)("This is for the steering group."))
        return None, None
    if result is not Result.OK:
        await stale_button(update, context)
        return None, None
    return pub, newer


async def about(update: Update, context: Context) -> None:
    """How to read this digest; a button on an older digest still explains that one, and says
    a newer one exists."""
    t = tr(context)
    (week,) = callbacks.DIGEST_ABOUT.parse(data(update))
    pub, newer = await _digest_of(update, context, week)
    if pub is not None:
        await answer(update, services(context).digests.about(pub, t.lang, newer=newer),
                     buttons([(t("Back to the digest"), callbacks.DIGEST_MAIN(week))]))


async def main(update: Update, context: Context) -> None:
    t, digests = tr(context), services(context).digests
    (week,) = callbacks.DIGEST_MAIN.parse(data(update))
    pub, newer = await _digest_of(update, context, week)
    if pub is not None:
        first = split_message(digests.text(pub, t.lang, newer=newer))[0]  # the text only: the chart stays
        await answer(update, first, buttons(*digests.buttons(t, pub)))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("digest", digest_command))
    app.add_handler(CallbackQueryHandler(about, pattern=callbacks.DIGEST_ABOUT.pattern))
    app.add_handler(CallbackQueryHandler(main, pattern=callbacks.DIGEST_MAIN.pattern))
