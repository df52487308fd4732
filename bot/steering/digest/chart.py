"""The digest's one chart: the requests of the released months and the themes of the latest
released quarter, as a PNG (matplotlib, Agg).

It draws only what releases stated: an exact number is a bar with its value; "fewer than 5" is no
bar and "<5"; a range held back is a bar to its low end, labelled with the range. No free text:
titles, the taxonomy's labels and numbers. With no month released yet, there is no chart.
"""
from __future__ import annotations

import io
import textwrap
from collections.abc import Iterable, Mapping, Sequence

from babel.dates import get_month_names

from bot.foundations.charter import Charter
from bot.foundations.i18n import Translator
from bot.steering.figures import Statement

from .model import Published, published_with
from .render import Words, fmt

ACCENT = "#1b6f80"
MUTED = "#9dbdc4"
INK = "#1f2a30"
GREY = "#6b7a80"
MAX_THEMES = 8


def bar(statement: Statement | None) -> int:
    """How high a statement's bar is: its value, or the low end of a range it is known to be in."""
    if statement is None or statement.kind in ("small", "withheld"):
        return 0
    return statement.low


def chart_numbers(pub: Published) -> list[str]:
    """Every number the chart prints, as printed (for tests: each is a released statement)."""
    t = Translator("en")
    found = [fmt(t, m.st("req"), short=True) for m in pub.trend]
    if pub.quarter is not None:
        found += [fmt(t, s, short=True) for _, s in pub.quarter.themes() if s.kind != "small"][:MAX_THEMES]
    return found


def charts(published: dict, bodies: Mapping[str, tuple[dict, str | None]], langs: Iterable[str], charter: Charter,
           departments: Sequence[str]) -> dict[str, bytes | None]:
    """The chart of a digest in each language, from plain data, so that it can be drawn in a child
    process (bot/foundations/offload.py)."""
    pub = published_with(published, bodies)
    return {lang: render_chart(pub, Words(Translator(lang), charter, departments)) for lang in langs}


def render_chart(pub: Published, words: Words) -> bytes | None:
    """The PNG, or None when there is nothing to draw."""
    trend = pub.trend
    if not trend:
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
    printed = []

    ax = figure.add_subplot(grid[0])
    ax.set_position([0.08, ax.get_position().y0, 0.85, ax.get_position().height])
    statements = [m.st("req") for m in trend]
    heights = [bar(s) for s in statements]
    top = max(heights + [1])
    colours = [MUTED] * (len(trend) - 1) + [ACCENT]
    ax.bar(range(len(trend)), heights, color=colours, width=0.62)
    for x, s in enumerate(statements):
        label = fmt(t, s, short=True)
        printed.append(s)
        ax.text(x, heights[x] + top * 0.03, label, ha="center", va="bottom", fontsize=10 if len(trend) > 8 else 12,
                color=INK, fontweight="bold" if x == len(trend) - 1 else "normal")
    ax.set_xticks(range(len(trend)))
    short = get_month_names("abbreviated", locale=t.lang)
    ax.set_xticklabels([f"{short[m.period.start.month]}\n{m.period.start.year}" for m in trend], fontsize=9,
                       color=GREY)
    ax.set_ylim(0, top * 1.25)
    ax.set_yticks([])
    ax.set_title(t("Requests per month (closed months)"), loc="left", fontsize=12.5, color=INK, pad=10)
    _plain(ax)

    ax = figure.add_subplot(grid[1])
    quarter = pub.quarter
    themes = [(key, s) for key, s in quarter.themes([th.key for th in words.charter.work_themes])
              if s.kind != "small"][:MAX_THEMES] if quarter is not None else []
    name = words.period(quarter.period) if quarter is not None else ""
    ax.set_title(t("Themes in {period} (work-related)", period=name), loc="left", fontsize=12.5, color=INK, pad=10,
                 x=-0.45)
    if themes:
        labels = [textwrap.fill(words.theme(key), 34) for key, _ in themes]
        positions = list(range(len(themes)))[::-1]
        widest = max(bar(s) for _, s in themes) or 1
        ax.barh(positions, [bar(s) for _, s in themes], color=ACCENT, height=0.62)
        for y, (_, s) in zip(positions, themes):
            printed.append(s)
            ax.text(bar(s) + widest * 0.02, y, fmt(t, s, short=True), va="center", fontsize=12, color=INK)
        ax.set_yticks(positions)
        ax.set_yticklabels(labels, fontsize=10.5, color=INK)
        ax.set_xlim(0, widest * 1.22)
        ax.set_ylim(-0.6, max(len(themes), 4) - 0.4)
    else:
        ax.set_yticks([])
        ax.text(0.0, 0.5, t("No theme can be shown yet."), transform=ax.transAxes, fontsize=12, color=GREY)
    ax.set_xticks([])
    _plain(ax)

    notes = []
    if any(s is not None and s.kind == "small" for s in printed):
        notes.append(t("<{k}: fewer than {k}", k=pub.k))
    if any(s is not None and s.kind == "protected" for s in printed):
        notes.append(t("a range: held back to protect a smaller number"))
    if notes:
        figure.text(0.04, 0.03, "   ".join(notes), fontsize=10, color=GREY)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", facecolor="white")
    return buffer.getvalue()


def _plain(ax) -> None:
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.tick_params(length=0)
