"""/report: the latest released quarter's table for a steering member (never an open quarter), as
text and one chart, protected from forwarding like the digest. The annual report and the PDF are
`waakzaam report`."""
from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.foundations.model import Result

from .ui import Context, person, picture, say, services, tr


async def report_command(update: Update, context: Context) -> None:
    t = tr(context)
    result, table = await services(context).quarterly.latest(person(context))
    if result is Result.NOT_ALLOWED:
        await say(update, t("This is for the steering group."))
        return
    if result is Result.NOT_FOUND:
        await say(update, t("No quarter has been counted yet: a quarter's figures are counted a week after it ends, "
                            "and come with that week's digest."), protect=True)
        return
    for part in table.parts:
        await say(update, part, protect=True)
    if table.chart is not None:
        await picture(update, table.chart, table.caption)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("report", report_command))
