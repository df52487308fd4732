"""The digest's one chart: the trend and the themes at a glance, as a PNG (matplotlib, Agg).

It draws only what the release published (model.Published): a hidden number is a "–" with no
bar, a repeated one carries "≈". No free text: titles, the taxonomy's labels and numbers.
When the window can say nothing (fewer than k requests), there is no chart.
"""
from __future__ import annotations

import io
import textwrap
from collections.abc import Iterable, Sequence

from babel.dates import format_date

from bot.foundations.charter import Charter
from bot.foundations.i18n import Translator

from .model import Published
from .render import APPROX, DASH, Words, num

ACCENT = "#1b6f80"
MUTED = "#9dbdc4"
INK = "#1f2a30"
GREY = "#6b7a80"
MAX_THEMES = 8


def chart_numbers(pub: Published) -> list[int]:
    """Every number the chart draws: the trend's shown windows and the shown themes."""
    if pub.empty:
        return []
    return [n.value for _, n in pub.trend() if not n.hidden] + [n.value for _, n in pub.themes()[:MAX_THEMES]]


def charts(published: dict, langs: Iterable[str], charter: Charter, departments: Sequence[str]
           ) -> dict[str, bytes | None]:
    """The chart of a recorded digest in each language: from plain data, so that it can be drawn
    in a child process (bot/foundations/offload.py)."""
    pub = Published(published)
    return {lang: render_chart(pub, Words(Translator(lang), charter, departments)) for lang in langs}


def render_chart(pub: Published, words: Words) -> bytes | None:
    """The PNG, or None when there is nothing to draw."""
    if pub.empty:
        return None
    # Imported here: the bot starts without paying for matplotlib, and a broken installation
    # costs the chart, never the digest's text.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    t = words.t
    figure = Figure(figsize=(8, 9.2), dpi=130, facecolor="white")
    FigureCanvasAgg(figure)
    grid = figure.add_gridspec(2, 1, height_ratios=(1, 1.55), hspace=0.42, left=0.34, right=0.93,
                               top=0.88, bottom=0.09)
    figure.text(0.04, 0.955, t("Digest for the steering group, week {week} of {year}", week=pub.week_number,
                               year=pub.year), fontsize=15, fontweight="bold", color=INK)
    shown = []

    trend = pub.trend()
    ax = figure.add_subplot(grid[0])
    ax.set_position([0.08, ax.get_position().y0, 0.85, ax.get_position().height])
    values = [n.value or 0 for _, n in trend]
    top = max(values + [1])
    colours = [MUTED] * (len(trend) - 1) + [ACCENT]
    ax.bar(range(len(trend)), [0 if n.hidden else n.value for _, n in trend], color=colours, width=0.62)
    for x, (_, n) in enumerate(trend):
        ax.text(x, (0 if n.hidden else n.value) + top * 0.03, num(n), ha="center", va="bottom", fontsize=13,
                color=INK, fontweight="bold" if x == len(trend) - 1 else "normal")
        shown.append(num(n))
    ax.set_xticks(range(len(trend)))
    ax.set_xticklabels([t("to {day}", day=format_date(w.last_day, "d MMM y", locale=t.lang)) for w, _ in trend],
                       fontsize=10, color=GREY)
    ax.set_ylim(0, top * 1.25)
    ax.set_yticks([])
    ax.set_title(t("Requests per {weeks} weeks, last 12 months", weeks=pub.weeks), loc="left", fontsize=12.5,
                 color=INK, pad=10)
    _plain(ax)

    ax = figure.add_subplot(grid[1])
    themes = pub.themes()[:MAX_THEMES]
    ax.set_title(t("Themes in the last {weeks} weeks (work-related)", weeks=pub.weeks), loc="left",
                 fontsize=12.5, color=INK, pad=10, x=-0.45)
    if themes:
        labels = [textwrap.fill(words.theme(key), 34) for key, _ in themes]
        positions = list(range(len(themes)))[::-1]
        widest = max(n.value for _, n in themes)
        ax.barh(positions, [n.value for _, n in themes], color=ACCENT, height=0.62)
        for y, (_, n) in zip(positions, themes):
            ax.text(n.value + widest * 0.02, y, num(n), va="center", fontsize=12, color=INK)
            shown.append(num(n))
        ax.set_yticks(positions)
        ax.set_yticklabels(labels, fontsize=10.5, color=INK)
        ax.set_xlim(0, widest * 1.18)
        ax.set_ylim(-0.6, max(len(themes), 4) - 0.4)
    else:
        ax.set_yticks([])
        ax.text(0.0, 0.5, t("No theme can be shown yet."), transform=ax.transAxes, fontsize=12, color=GREY)
    ax.set_xticks([])
    _plain(ax)

    notes = []
    if any(DASH in s for s in shown) or pub.themes_hidden():
        notes.append(t("– fewer than {k}, or held back", k=pub.k))
    if any(s.startswith(APPROX) for s in shown):
        notes.append(t("≈ repeated from an earlier digest"))
    if notes:
        figure.text(0.04, 0.03, "   ".join(notes), fontsize=10, color=GREY)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", facecolor="white")
    return buffer.getvalue()


def _plain(ax) -> None:
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.tick_params(length=0)
