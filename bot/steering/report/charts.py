"""The report's charts, drawn from released statements only: the requests of each released month
and the most frequent themes of the period. SVG for the HTML (vector, prints sharp, text as paths:
no font needed offline) and PNG for the PDF and the bot; matplotlib with the Agg backend, no display.

Each chart carries its title, its period and unit, and a legend for every mark it prints (all
written by document.py, in the reader's language), so that it reads alone: in the PDF, on a
phone, forwarded. Each is drawn twice: wide (16.5 cm, the page of the PDF and a desk's screen) and
narrow (9 cm, a phone's screen, where the wide one's text would shrink to 6 px): there the months
are rows and each theme's name stands above its bar.

"<5" has no bar; a range held back is a bar to its low end, labelled with the range.
"""
from __future__ import annotations

import io
import re
import textwrap
from dataclasses import dataclass

from bot.foundations.i18n import Translator
from bot.steering.digest.chart import bar
from bot.steering.digest.render import fmt

from .document import ChartData

ACCENT = "#1b6f80"
INK = "#1f2a30"
GREY = "#5f6f75"
CM = 1 / 2.54
PT = 1 / 72  # inches
WIDE, NARROW = 16.5, 9.0  # cm


@dataclass(frozen=True)
class Drawn:
    png: bytes        # wide: the PDF
    svg: str          # wide: the HTML on a desk, and printed
    narrow_svg: str   # narrow: the HTML on a phone


_T = Translator("en")  # only "<5" and "5–12" are printed on the bars: the same in every language


class _Layout:
    """A figure of a fixed width whose height follows its content: a heading (title, period and
    unit), the plot, and the legend, laid out in inches from the top."""

    def __init__(self, data: ChartData, width_cm: float, plot_in: float, size: float) -> None:
        # Imported here: the bot starts without paying for matplotlib (as bot/steering/digest/chart.py).
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.width = width_cm * CM
        chars = int(self.width / (size * 0.62 * PT))  # a line of the heading or legend, in characters (DejaVu Sans, wide letters too)
        self.title = textwrap.fill(data.title, int(chars / 1.25), break_on_hyphens=False)
        self.about = "\n".join(textwrap.fill(line, chars, break_on_hyphens=False) for line in data.about.split("\n"))
        self.legend = "\n".join(textwrap.fill(line, chars, break_on_hyphens=False) for line in data.legend)
        line = size * 1.45 * PT
        self.head = (self.title.count("\n") + 1) * line * 1.3 + (self.about.count("\n") + 1) * line + 0.14
        self.foot = (self.legend.count("\n") + 1) * line * 0.92 + 0.06 if data.legend else 0.0
        self.plot = plot_in
        self.height = self.head + plot_in + self.foot + 0.1
        self.size = size
        self.figure = Figure(figsize=(self.width, self.height), dpi=200, facecolor="white")
        FigureCanvasAgg(self.figure)

    def axes(self, left: float, right: float = 0.02):
        """The plot's axes: `left` and `right` margins in inches (the labels' room)."""
        bottom = (self.foot + 0.1) / self.height
        return self.figure.add_axes((left / self.width, bottom, 1 - (left + right) / self.width,
                                     self.plot / self.height))

    def words(self) -> None:
        """The heading above the plot and the legend under it, from the left edge."""
        f, h, size = self.figure, self.height, self.size
        f.text(0, 1 - 0.02 / h, self.title, fontsize=size * 1.25, fontweight="bold", color=INK, va="top",
               linespacing=1.3)
        title_lines = self.title.count("\n") + 1
        f.text(0, 1 - (0.06 + title_lines * size * 1.45 * 1.3 * PT) / h, self.about, fontsize=size, color=GREY,
               va="top", linespacing=1.45)
        if self.legend:
            f.text(0, 0.02 / h, self.legend, fontsize=size * 0.92, color=GREY, va="bottom", linespacing=1.45)


def _plain(ax) -> None:
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.tick_params(length=0)


def png(figure) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format="png", facecolor="white", bbox_inches="tight", pad_inches=0.08)
    return out.getvalue()


def _svg(figure, prefix: str) -> str:
    """Inline SVG (no XML prologue), its ids prefixed: several charts share one page, and a phone
    hides the wide drawing whose glyphs the narrow one would otherwise point at."""
    out = io.StringIO()
    figure.savefig(out, format="svg", facecolor="white", bbox_inches="tight", pad_inches=0.08,
                   metadata={"Date": None})
    text = out.getvalue()
    text = text[text.index("<svg"):]
    for found in set(re.findall(r'\bid="([^"]+)"', text)):
        text = text.replace(f'id="{found}"', f'id="{prefix}-{found}"').replace(f'#{found})', f'#{prefix}-{found})') \
            .replace(f'#{found}"', f'#{prefix}-{found}"')
    return text


def trend(data: ChartData, narrow: bool = False):
    """Requests per released month: columns side by side (wide), or one row per month (narrow)."""
    bars = data.bars
    values = [bar(s) for _, s in bars]
    top = max(values + [1])
    if narrow:
        layout = _Layout(data, NARROW, 0.3 * max(len(bars), 3), 9.5)
        ax = layout.axes(left=1.3, right=0.1)
        positions = list(range(len(bars)))[::-1]
        ax.barh(positions, values, color=ACCENT, height=0.62)
        for y, value, (_, s) in zip(positions, values, bars):
            ax.text(value + top * 0.02, y, fmt(_T, s, short=True), va="center", fontsize=9.5, color=INK,
                    fontweight="bold")
        ax.set_yticks(positions)
        ax.set_yticklabels([label for label, _ in bars], fontsize=9.5, color=INK)
        ax.set_xlim(0, top * 1.18)
        ax.set_ylim(-0.6, max(len(bars), 3) - 0.4)
        ax.set_xticks([])
    else:
        layout = _Layout(data, WIDE, 1.7, 9)
        ax = layout.axes(left=0.05, right=0.05)
        ax.bar(range(len(bars)), values, color=ACCENT, width=0.6)
        for x, (_, s) in enumerate(bars):
            ax.text(x, values[x] + top * 0.04, fmt(_T, s, short=True), ha="center", va="bottom",
                    fontsize=10 if len(bars) <= 6 else 8.5, color=INK, fontweight="bold")
        ax.set_xticks(range(len(bars)))
        ax.set_xticklabels(data.ticks or [textwrap.fill(label, 9, break_on_hyphens=False) for label, _ in bars],
                           fontsize=8.5, color=GREY)
        ax.set_ylim(0, top * 1.28)
        ax.set_yticks([])
    _plain(ax)
    layout.words()
    return layout.figure


def themes(data: ChartData, narrow: bool = False):
    """The most frequent themes of the period, largest first: the name beside its bar (wide), or
    above it (narrow, where a long name would leave the bar no room)."""
    bars = data.bars
    values = [bar(s) for _, s in bars]
    widest = max(values + [1])
    rows = max(len(bars), 3)
    if narrow:
        labels = [textwrap.fill(label, 40, break_on_hyphens=False) for label, _ in bars]
        lines = [label.count("\n") + 1 for label in labels]
        layout = _Layout(data, NARROW, sum(0.22 + 0.18 * n for n in lines), 9.5)
        ax = layout.axes(left=0.0, right=0.05)
        y, positions = 0.0, []
        for n in lines:  # from the top: the name, then its bar
            y -= 0.18 * n + 0.22
            positions.append(y)
        ax.barh(positions, values, color=ACCENT, height=0.11)
        for y, value, label, (_, s) in zip(positions, values, labels, bars):
            ax.text(0, y + 0.08, label, va="bottom", fontsize=9.5, color=INK, linespacing=1.25)
            ax.text(value + widest * 0.02, y, fmt(_T, s, short=True), va="center", fontsize=9.5, color=INK,
                    fontweight="bold")
        ax.set_xlim(0, widest * 1.15)
        ax.set_ylim(min(positions, default=-1) - 0.1, 0)
        ax.set_yticks([])
    else:
        layout = _Layout(data, WIDE, 0.26 * rows, 9)
        ax = layout.axes(left=7.4 * CM, right=0.05)
        positions = list(range(len(bars)))[::-1]
        ax.barh(positions, values, color=ACCENT, height=0.62)
        for y, (_, s) in zip(positions, bars):
            ax.text(bar(s) + widest * 0.02, y, fmt(_T, s, short=True), va="center", fontsize=9, color=INK)
        ax.set_yticks(positions)
        ax.set_yticklabels([textwrap.fill(label, 48, break_on_hyphens=False) for label, _ in bars], fontsize=8.5,
                           color=INK, linespacing=1.0)
        ax.set_xlim(0, widest * 1.15)
        ax.set_ylim(-0.6, rows - 0.4)
    ax.set_xticks([])
    _plain(ax)
    layout.words()
    return layout.figure


FIGURES = {"trend": trend, "themes": themes}


def figure(key: str, data: ChartData, narrow: bool = False):
    """The matplotlib figure of a chart (tests read the words it carries)."""
    if key not in FIGURES:
        raise ValueError(key)
    return FIGURES[key](data, narrow)


def draw(key: str, data: ChartData) -> Drawn:
    wide, small = figure(key, data), figure(key, data, narrow=True)
    return Drawn(png(wide), _svg(wide, f"{key}-wide"), _svg(small, f"{key}-narrow"))


__all__ = ["trend", "themes", "figure", "draw", "png", "Drawn"]
