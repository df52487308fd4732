"""The demo report, made once per test run: a generated year through the real services, rendered
to a document, HTML and PDF (several test files look at the same files)."""
from __future__ import annotations

import asyncio
import functools
import time
from dataclasses import dataclass
from pathlib import Path

from bot.foundations import calendar
from bot.foundations.charter import Charter
from bot.foundations.settings import Settings
from bot.running.demo_report import run_demo
from bot.steering.report import render
from bot.steering.report.document import Document
from bot.steering.report.service import Report

DEPARTMENTS = ("Production", "Maintenance", "Logistics", "Office", "Sales")


@dataclass(frozen=True)
class DemoReport:
    report: Report
    doc: Document
    html: str
    pdf: bytes
    seconds: float          # generating the year and its digests, then building the report
    render_seconds: float   # the document, the charts, the HTML and the PDF


@functools.cache
def demo_report(period: str = "2025", lang: str = "en", departments: tuple[str, ...] = DEPARTMENTS) -> DemoReport:
    """Call from a synchronous test (it runs its own event loop)."""
    settings = Settings(token="", db_path=Path("/nonexistent/never-used.db"), key_file=Path("/nonexistent/k.key"),
                        departments=DEPARTMENTS)
    charter = Charter.load()
    start = time.perf_counter()

    async def go(report: Report):
        built = time.perf_counter()
        doc = render.document(report, lang, charter, departments)
        html, pdf = render.files(doc, report)
        return DemoReport(report, doc, html, pdf, built - start, time.perf_counter() - built)

    return asyncio.run(run_demo(settings, calendar.parse_period(period), charter, lang=lang, render=go))
