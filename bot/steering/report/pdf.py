"""The report as a PDF on A4, drawn from the same document as the HTML (reportlab's platypus, pure
Python): the same sections, tables, paragraphs and charts (PNG), page numbers in the footer, table
headers repeated on every page. The font is DejaVu Sans from matplotlib's own files, so every
character the report uses ("–", "≥", "“”", accents) prints, with nothing to install.
"""
from __future__ import annotations

import io
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Image,
    KeepTogether,
    ListFlowable,
    ListItem,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)
from reportlab.platypus import Table as PdfTable

from .document import Bullets, Chart, Document, Facts, Para, Table

INK = colors.HexColor("#1f2a30")
MUTED = colors.HexColor("#5f6f75")
ACCENT = colors.HexColor("#1b6f80")
LINE = colors.HexColor("#d3e0e3")
BAND = colors.HexColor("#edf4f5")
MARGIN = 15 * mm
WIDTH = A4[0] - 2 * MARGIN
FONT, BOLD = "WaakzaamSans", "WaakzaamSans-Bold"


def _fonts() -> None:
    """DejaVu Sans, as matplotlib ships it (imported here: only a report needs it)."""
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    from matplotlib import get_data_path

    folder = Path(get_data_path()) / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont(FONT, str(folder / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(folder / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("p", fontName=FONT, fontSize=9.6, leading=13.2, textColor=INK, spaceAfter=2.2 * mm)
    return {
        "p": base,
        "lead": ParagraphStyle("lead", parent=base, fontSize=11, leading=15),
        "note": ParagraphStyle("note", parent=base, fontSize=8.4, leading=11.4, textColor=MUTED),
        "kicker": ParagraphStyle("kicker", parent=base, fontName=BOLD, fontSize=8, textColor=ACCENT, spaceAfter=1 * mm),
        "title": ParagraphStyle("title", parent=base, fontName=BOLD, fontSize=18, leading=22, spaceAfter=1.5 * mm),
        "subtitle": ParagraphStyle("subtitle", parent=base, textColor=MUTED, spaceAfter=5 * mm),
        "h2": ParagraphStyle("h2", parent=base, fontName=BOLD, fontSize=12.5, leading=16, textColor=ACCENT,
                             spaceBefore=5 * mm, spaceAfter=2.2 * mm),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8.4, leading=10.8, spaceAfter=0),
        "cellsub": ParagraphStyle("cellsub", parent=base, fontSize=7.6, leading=9.6, textColor=MUTED, spaceAfter=0),
        "num": ParagraphStyle("num", parent=base, fontSize=8.4, leading=10.8, alignment=TA_RIGHT, spaceAfter=0),
        "head": ParagraphStyle("head", parent=base, fontName=BOLD, fontSize=8, leading=10.2, spaceAfter=0),
        "headnum": ParagraphStyle("headnum", parent=base, fontName=BOLD, fontSize=8, leading=10.2,
                                  alignment=TA_RIGHT, spaceAfter=0),
        "group": ParagraphStyle("group", parent=base, fontName=BOLD, fontSize=8.4, leading=10.8, textColor=ACCENT,
                                spaceAfter=0),
        "factnum": ParagraphStyle("factnum", parent=base, fontName=BOLD, fontSize=16, leading=19, textColor=ACCENT,
                                  spaceAfter=0),
        "fact": ParagraphStyle("fact", parent=base, fontSize=8.2, leading=10.5, textColor=MUTED, spaceAfter=0),
    }


def _text(text: str) -> str:
    """Plain text as reportlab's paragraph markup: escaped, line breaks kept."""
    return escape(text).replace("\n", "<br/>")


def _two_lines(text: str, main: ParagraphStyle, sub: ParagraphStyle) -> Paragraph:
    first, _, second = text.partition("\n")
    markup = _text(first)
    if second:
        markup += (f'<br/><font name="{FONT}" size="{sub.fontSize}" color="#{sub.textColor.hexval()[2:]}">'
                   f"{_text(second)}</font>")
    return Paragraph(markup, main)


def _table(block: Table, styles) -> PdfTable:
    columns = len(block.head)
    relative = block.widths or (2.4, *([1] * (columns - 1)))
    widths = [WIDTH * w / sum(relative) for w in relative]
    numeric = block.numeric
    head = [_two_lines(h, styles["headnum"] if numeric and i else styles["head"], styles["cellsub"])
            for i, h in enumerate(block.head)]
    data, style = [head], [
        ("BACKGROUND", (0, 0), (-1, 0), BAND),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.5, LINE),
        ("TOPPADDING", (0, 0), (-1, -1), 2.2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.6),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    groups = dict(block.groups)
    for i, row in enumerate(block.rows):
        if i in groups:
            data.append([Paragraph(_text(groups[i]), styles["group"])] + [""] * (columns - 1))
            at = len(data) - 1
            style += [("SPAN", (0, at), (-1, at)), ("LINEBELOW", (0, at), (-1, at), 0, colors.white),
                      ("TOPPADDING", (0, at), (-1, at), 6)]
        cells = []
        for j, cell in enumerate(row):
            if j and numeric:
                cells.append(Paragraph(_text(cell), styles["num"]))
            else:
                cells.append(_two_lines(cell, styles["cell"], styles["cellsub"]))
        data.append(cells)
    table = PdfTable(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle(style))
    return table


def _facts(block: Facts, styles) -> PdfTable:
    cells = [[Paragraph(_text(value), styles["factnum"]), Paragraph(_text(what), styles["fact"])]
             for value, what in block.items]
    rows = [cells[i:i + 3] for i in range(0, len(cells), 3)]
    rows[-1] += [""] * (3 - len(rows[-1]))
    table = PdfTable(rows, colWidths=[WIDTH / 3] * 3, hAlign="LEFT")
    table.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.5, LINE), ("INNERGRID", (0, 0), (-1, -1), 0.5, LINE),
                               ("VALIGN", (0, 0), (-1, -1), "TOP"), ("TOPPADDING", (0, 0), (-1, -1), 5),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 6), ("LEFTPADDING", (0, 0), (-1, -1), 6)]))
    return table


def _chart(png: bytes) -> Image:
    width, height = ImageReader(io.BytesIO(png)).getSize()
    return Image(io.BytesIO(png), width=WIDTH, height=WIDTH * height / width)


def _flowables(doc: Document, charts: dict[str, bytes], styles) -> list:
    story = [Paragraph("WAAKZAAM", styles["kicker"]), Paragraph(_text(doc.title), styles["title"]),
             Paragraph(_text(doc.subtitle), styles["subtitle"])]
    for section in doc.sections:
        parts = [Paragraph(_text(section.title), styles["h2"])]
        opening = 2  # the heading and its first block
        for number, item in enumerate(section.blocks):
            if isinstance(item, Para):
                parts.append(Paragraph(_text(item.text), styles[item.style]))
            elif isinstance(item, Bullets):
                parts.append(ListFlowable([ListItem(Paragraph(_text(text), styles["p"]), leftIndent=10)
                                           for text in item.items], bulletType="bullet", start="•",
                                          bulletFontName=FONT, leftIndent=10))
            elif isinstance(item, Facts):
                parts.append(_facts(item, styles))
                parts.append(Spacer(1, 3 * mm))
            elif isinstance(item, Table):
                parts.append(_table(item, styles))
                parts.append(Spacer(1, 3 * mm))
            elif isinstance(item, Chart) and charts.get(item.key):
                parts.append(_chart(charts[item.key]))
                if number == 1:  # the chart that opens its section
                    opening = len(parts)
                parts.append(Spacer(1, 2 * mm))
        # A heading never stands alone at the foot of a page: it goes with what follows it, and a
        # chart that opens a section stays on one page with its heading and first paragraph.
        story.append(CondPageBreak(40 * mm))
        story.append(KeepTogether(parts[:opening]))
        story += parts[opening:]
    return story


def _footer_lines(text: str, width: float = WIDTH - 18 * mm) -> list[str]:
    """The footer in at most two lines that fit beside the page number (split between its parts)."""
    lines, current = [], ""
    for part in text.split(" · "):
        candidate = f"{current} · {part}" if current else part
        if current and pdfmetrics.stringWidth(candidate, FONT, 7.4) > width:
            lines.append(current)
            current = part
        else:
            current = candidate
    return (lines + [current])[:2]


class _NumberedCanvas(Canvas):
    """'page 2 of 5' and the footer on every page (a second pass knows the count)."""

    footer = ""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []

    def showPage(self) -> None:  # noqa: N802 - reportlab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.setFont(FONT, 7.4)
            self.setFillColor(MUTED)
            for number, line in enumerate(_footer_lines(self.footer)):
                self.drawString(MARGIN, (10.5 - 3.4 * number) * mm, line)
            self.drawRightString(A4[0] - MARGIN, 10.5 * mm, f"{self._pageNumber} / {total}")
            super().showPage()
        super().save()


def render(doc: Document, charts: dict[str, bytes]) -> bytes:
    """The PDF's bytes. `charts`: key -> PNG (charts.py)."""
    _fonts()
    styles = _styles()
    buffer = io.BytesIO()
    template = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=15 * mm,
                                 bottomMargin=17 * mm, title=doc.title, author="Waakzaam", subject=doc.subtitle,
                                 lang=doc.lang, creator="Waakzaam")
    canvas = type("Canvas", (_NumberedCanvas,), {"footer": doc.footer})
    template.build(_flowables(doc, charts, styles), canvasmaker=canvas)
    return buffer.getvalue()


__all__ = ["render"]
