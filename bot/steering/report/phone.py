"""The quarterly table on a steering member's phone: the latest quarter's report as a short text
and one chart (the HTML and PDF stay with `waakzaam report`, for print and the works council)."""
from __future__ import annotations

from dataclasses import dataclass

from bot.foundations.core import Core
from bot.foundations.i18n import Translator
from bot.foundations.model import Person, Result, split_message

from . import render
from .document import period_name
from .service import Reports


@dataclass(frozen=True)
class Table:
    parts: list[str]      # the text, in messages below Telegram's limit
    chart: bytes | None
    caption: str


class QuarterlyTable:
    def __init__(self, core: Core, reports: Reports) -> None:
        self.core = core
        self.reports = reports

    async def latest(self, person: Person) -> tuple[Result, Table | None]:
        """The latest released quarter (never an open one); NOT_FOUND before the first is released."""
        await self.core.offload.leave_step()  # its chart is drawn in a child: built once, on the loop
        result, report = await self.reports.quarterly(person)
        if result is not Result.OK:
            return result, None
        settings = self.core.settings
        t = Translator(person.language)
        doc, chart = await self.core.offload.run(render.phone, report, t.lang, self.core.charter,
                                                 tuple(settings.departments),
                                                 settings.contact_hours)
        caption = t("The quarterly table {period} at a glance.", period=period_name(t, report.period))
        return Result.OK, Table(split_message(render.phone_text(doc, t)), chart, caption)


__all__ = ["QuarterlyTable", "Table"]
