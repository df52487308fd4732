"""A report made readable: its document in a language, its charts, the HTML and PDF files, and the
short text the bot sends a steering member for the quarterly table.

A report only reprints releases, each audited with everything else released when it was made:
it can state nothing a release did not, so there is nothing left to check here.
"""
from __future__ import annotations

from collections.abc import Sequence

from bot.foundations.charter import Charter
from bot.foundations.i18n import Translator

from . import charts, html, pdf
from .document import Bullets, Chart, Document, Facts, Para, Table, Writer
from .service import Report


def document(report: Report, lang: str, charter: Charter, departments: Sequence[str], contact_hours: int = 24
             ) -> Document:
    return Writer(report, Translator(lang), charter, departments, contact_hours).document()


def draw(doc: Document) -> dict[str, charts.Drawn]:
    """Every chart the document refers to, wide and narrow."""
    return {key: charts.draw(key, data) for key, data in doc.charts.items()}


def files(doc: Document) -> tuple[str, bytes]:
    """The self-contained HTML and its PDF."""
    drawn = draw(doc)
    return (html.render(doc, {key: (d.svg, d.narrow_svg) for key, d in drawn.items()}),
            pdf.render(doc, {key: d.png for key, d in drawn.items()}))


def phone_text(doc: Document, t: Translator) -> str:
    """The document, short enough for a phone: the key figures, then every table row on one line,
    the newest period first ("this (before)" when there are two)."""
    out = [f"📋 {doc.title}", doc.subtitle + "\n" + t("Each line: this quarter (the quarter before).")]
    for section in doc.sections:
        lines = [section.title]
        for block in section.blocks:
            if isinstance(block, Facts):
                lines += [f"• {value} {what}" for value, what in block.items]
            elif isinstance(block, Table) and block.columns:
                groups = dict(block.groups)
                for i, row in enumerate(block.rows):
                    if i in groups:
                        lines.append(groups[i] + ":")
                    values = [v for v in row[1:] if v]
                    shown = f"{values[-1]} ({values[0]})" if len(values) == 2 else " · ".join(values)
                    lines.append(f"• {row[0]}: {shown}")
            elif isinstance(block, Table):
                heads = [h.split("\n")[0] for h in block.head]
                for row in block.rows:
                    cells = [c.replace("\n", ", ") for c in row]
                    pairs = [f"{h} {c}" if block.numeric and h else c for h, c in zip(heads[1:], cells[1:]) if c]
                    lines.append("• " + " · ".join([cells[0], *pairs]))
            elif isinstance(block, Bullets):
                lines += [f"• {item}" for item in block.items]
            elif isinstance(block, Para) and block.style == "lead":
                lines.append(block.text)
        if len(lines) > 1:
            out.append("\n".join(lines))
    out.append(doc.footer)
    return "\n\n".join(out)


def phone(report: Report, lang: str, charter: Charter, departments: Sequence[str], contact_hours: int
          ) -> tuple[Document, bytes | None]:
    """The quarterly table for the phone: the document and its one chart (in a child process when
    serving, bot/foundations/offload.py: the chart's drawing loads matplotlib)."""
    doc = document(report, lang, charter, departments, contact_hours)
    return doc, phone_chart(doc)


def phone_chart(doc: Document) -> bytes | None:
    """One picture for the phone, drawn for its narrow screen: the themes of the quarter, else the
    trend, with its title, period, unit and legend."""
    for key in ("themes", "trend"):
        if key in doc.charts:
            return charts.png(charts.figure(key, doc.charts[key], narrow=True))
    return None


__all__ = ["document", "files", "draw", "phone", "phone_text", "phone_chart", "Chart"]
