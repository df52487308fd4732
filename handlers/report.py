"""/report: the latest quarterly table for a steering member, as text and one chart, protected
from forwarding like the digest. The annual report and the PDF are `waakzaam report`."""
from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.foundations.model import Result
from bot.steering.report.document import period_name

from .ui import Context, person, picture, say, services, tr


async def report_command(update: Update, context: Context) -> None:
    t = tr(context)
    result, report = await services(context).reports.quarterly(person(context))
    if result is Result.NOT_ALLOWED:
        await say(update, t("This is for the steering group."))
        return
    if report.figures.empty:
        # One true statement: a table of dashes and zeros after "no figures" would read as "0 listeners".
        await say(update, t("There are no figures for {period}: no digest with figures covers that quarter (the bot "
                            "was not running yet, or too few colleagues asked to say anything without pointing at "
                            "someone). The steering group's actions are in /actions; the next quarter's table "
                            "comes with its digests.", period=period_name(t, report.period)), protect=True)
        return
    result, table = await services(context).quarterly.latest(person(context))
    for part in table.parts:
        await say(update, part, protect=True)
    if table.chart is not None:
        await picture(update, table.chart, table.caption)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("report", report_command))
