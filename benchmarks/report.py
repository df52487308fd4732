"""How long does the annual report take? Prints JSON lines; asserts nothing.

    .venv/bin/python benchmarks/report.py [period] [lang]      (default 2025 nl)

Runs `waakzaam report --demo`'s steps and times each: generating the year (cases, a digest every
week with the releases it makes and their audits, the steering group's actions), building the
report from the releases, and writing it: the document, the two charts (PNG and SVG), the HTML
and the PDF.
"""
from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.foundations import calendar  # noqa: E402
from bot.foundations.charter import Charter  # noqa: E402
from bot.foundations.settings import Settings  # noqa: E402
from bot.running.demo_report import run_demo  # noqa: E402
from bot.steering.report import render  # noqa: E402
from bot.steering.report.service import Reports  # noqa: E402


def _timed(step: str, function):
    async def timed(*args, **kwargs):
        began = time.perf_counter()
        result = await function(*args, **kwargs)
        print(json.dumps({"step": step, "seconds": round(time.perf_counter() - began, 3)}))
        return result
    return timed


async def main(label: str, lang: str) -> None:
    settings = Settings(token="", db_path=Path("/nonexistent/unused.db"), key_file=Path("/nonexistent/unused.key"))
    charter = Charter.load()
    started = time.perf_counter()
    Reports.build = _timed("build the report from the database (read the releases)", Reports.build)

    async def measure(report):
        print(json.dumps({"step": "generate the year, its digests and the steering group's work, and build",
                          "seconds": round(time.perf_counter() - started, 2)}))
        began = time.perf_counter()
        doc = render.document(report, lang, charter, settings.departments)
        print(json.dumps({"step": "the document", "seconds": round(time.perf_counter() - began, 3)}))
        began = time.perf_counter()
        html, pdf = render.files(doc)
        print(json.dumps({"step": "the charts, the HTML and the PDF", "seconds": round(time.perf_counter() - began, 3)}))
        print(json.dumps({"html_bytes": len(html), "pdf_bytes": len(pdf)}))

    await run_demo(settings, calendar.parse_period(label), charter, lang=lang, render=measure)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "2025", sys.argv[2] if len(sys.argv) > 2 else "nl"))
