"""The report's charts, drawn from released statements only: the requests of each released month
and the largest themes of the period. SVG for the HTML (vector, prints sharp, text as paths: no
font needed offline) and PNG for the PDF and the bot; matplotlib with the Agg backend, no display.

"<5" has no bar; a range held back is a bar to its low end, labelled with the range.
"""
from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence

from bot.foundations.i18n import Translator
from bot.steering.digest.chart import bar
from bot.steering.digest.render import fmt
from bot.steering.figures import Statement

ACCENT = "#1b6f80"
MUTED = "#9dbdc4"
INK = "#1f2a30"
GREY = "#6b7a80"
CM = 1 / 2.54


def _figure(width_cm: float, height_cm: float):
    # Imported here: the bot starts without paying for matplotlib (as bot/steering/digest/chart.py).
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width_cm * CM, height_cm * CM), dpi=200, facecolor="white")
    FigureCanvasAgg(figure)
    return figure


def _plain(ax) -> None:
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.tick_params(length=0)


def _both(figure) -> tuple[bytes, str]:
    png, svg = io.BytesIO(), io.StringIO()
    # "tight": the long theme labels are never cut at the edge
    figure.savefig(png, format="png", facecolor="white", bbox_inches="tight", pad_inches=0.08)
    figure.savefig(svg, format="svg", facecolor="white", bbox_inches="tight", pad_inches=0.08,
                   metadata={"Date": None})
    text = svg.getvalue()
    return png.getvalue(), text[text.index("<svg"):]  # no XML prologue: it goes inline in the HTML


_T = Translator("en")  # only "<5" and "5–12" are printed: the same in every language


def trend(bars: Sequence[tuple[str, Statement]]) -> tuple[bytes, str]:
    """Requests per released month: (the month's name, its statement)."""
    figure = _figure(16.5, 6.2)
    ax = figure.add_axes((0.02, 0.22, 0.96, 0.72))
    values = [bar(s) for _, s in bars]
    top = max(values + [1])
    ax.bar(range(len(bars)), values, color=ACCENT, width=0.6)
    for x, (_, s) in enumerate(bars):
        ax.text(x, values[x] + top * 0.04, fmt(_T, s, short=True), ha="center", va="bottom",
                fontsize=10 if len(bars) <= 6 else 8, color=INK, fontweight="bold")
    ax.set_xticks(range(len(bars)))
    ax.set_xticklabels([textwrap.fill(label, 9) for label, _ in bars], fontsize=8 if len(bars) <= 6 else 7,
                       color=GREY)
    ax.set_ylim(0, top * 1.28)
    ax.set_yticks([])
    _plain(ax)
    return _both(figure)


def themes(bars: Sequence[tuple[str, Statement]]) -> tuple[bytes, str]:
    """The largest themes of the period (exact or held back), largest first."""
    height = 1.4 + 0.62 * max(len(bars), 3)
    figure = _figure(16.5, height)
    ax = figure.add_axes((0.36, 0.04, 0.56, 0.92))
    positions = list(range(len(bars)))[::-1]
    widest = max([bar(s) for _, s in bars] + [1])
    ax.barh(positions, [bar(s) for _, s in bars], color=ACCENT, height=0.62)
    for y, (_, s) in zip(positions, bars):
        ax.text(bar(s) + widest * 0.02, y, fmt(_T, s, short=True), va="center", fontsize=9, color=INK)
    ax.set_yticks(positions)
    ax.set_yticklabels([textwrap.fill(label, 38) for label, _ in bars], fontsize=8.5, color=INK)
    ax.set_xlim(0, widest * 1.15)
    ax.set_ylim(-0.6, max(len(bars), 3) - 0.4)
    ax.set_xticks([])
    _plain(ax)
    return _both(figure)


def draw(key: str, data) -> tuple[bytes, str]:
    if key == "trend":
        return trend(data)
    if key == "themes":
        return themes(data)
    raise ValueError(key)


__all__ = ["trend", "themes", "draw"]
