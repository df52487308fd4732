"""The digest's one chart: the requests of the released months and the themes of the latest
released quarter, as a PNG (matplotlib, Agg).

It draws only what releases stated: an exact number is a bar with its value; "fewer than 5" is no
bar and "<5"; a range held back is a bar to its low end, labelled with the range. No free text:
titles, the taxonomy's labels and numbers. With no month released yet, there is no chart.

Every panel says what it counts, over which period and in which unit, and a legend under the chart
explains every mark it prints ("<5", a range, "–", the darker bar) in the reader's language: the
picture is read on a phone, often without the message beside it.
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
from .render import Words, days_of, fmt

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


def legend(t: Translator, statements: Iterable[Statement | None], k: int) -> list[str]:
    """One line for each kind of mark the chart prints, with an example taken from the chart itself."""
    found = [s for s in statements]
    lines = []
    if any(s is not None and (s.kind == "small" or (s.kind == "step" and s.low == 0)) for s in found):
        lines.append(t("<{k}: fewer than {k} (no bar)", k=k))
    ranges = [fmt(t, s, short=True) for s in found if s is not None and s.kind in ("protected", "step")
              and s.low > 0 and s.high is not None]
    if ranges:
        lines.append(t("{example}: a range held back to protect a smaller number; the true number lies in it, the "
                       "bar stops at its lowest value", example=ranges[0]))
    open_ended = [s for s in found
                  if s is not None and s.kind in ("protected", "step") and s.low > 0 and s.high is None]
    if open_ended:
        lines.append(t("≥{n}: at least {n}; the bar stops there", n=open_ended[0].low))
    if any(s is None or s.kind == "withheld" for s in found):
        lines.append(t("–: not shown, so that nobody can be singled out"))
    return lines


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
    figure = draw_chart(pub, words)
    if figure is None:
        return None
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", facecolor="white", bbox_inches="tight", pad_inches=0.35)
    return buffer.getvalue()


def draw_chart(pub: Published, words: Words):
    """The matplotlib figure (tests read its texts), or None when there is nothing to draw."""
    trend = pub.trend
    if not trend:
        return None
    # Imported here: the bot starts without paying for matplotlib, and a broken installation
    # costs the chart, never the digest's text.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.transforms import blended_transform_factory, offset_copy

    t = words.t
    figure = Figure(figsize=(8, 10.4), dpi=130, facecolor="white")
    FigureCanvasAgg(figure)
    grid = figure.add_gridspec(2, 1, height_ratios=(1, 1.55), hspace=0.5, left=0.34, right=0.93,
                               top=0.86, bottom=0.1)
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
    first, last = trend[0].period, trend[-1].period
    _heading(figure, ax, t("Requests for a conversation per month (closed months)"),
             t("{period} · number of requests", period=t("{start} – {end}", start=words.period(first),
                                                           end=words.period(last))))
    _plain(ax)

    ax = figure.add_subplot(grid[1])
    quarter = pub.quarter
    ranked = [(key, s) for key, s in quarter.themes([th.key for th in words.charter.work_themes])
              ] if quarter is not None else []
    themes = [(key, s) for key, s in ranked if s.kind != "small"][:MAX_THEMES]
    if quarter is not None:
        about = t("{days} · number of conversations", days=days_of(t, quarter.period))
        if len(themes) < len(ranked):
            about += "\n" + t("The {n} most frequent themes; the others in the message.", n=len(themes))
        _heading(figure, ax, t("Themes in {period} (work-related)", period=words.period(quarter.period)), about)
    if themes:
        labels = [textwrap.fill(words.theme(key), 34, break_on_hyphens=False) for key, _ in themes]
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

    notes = [t("Darker bar: the latest closed month.")] + legend(t, printed, pub.k)
    under = offset_copy(blended_transform_factory(figure.transFigure, ax.transAxes), figure, y=-14, units="points")
    figure.text(0.04, 0, "\n".join(textwrap.fill(note, 100, break_on_hyphens=False) for note in notes), transform=under,
                fontsize=10, color=GREY, va="top", linespacing=1.5)
    return figure


def _heading(figure, ax, title: str, about: str) -> None:
    """A panel's title and, under it, its period and unit, from the figure's left edge."""
    from matplotlib.transforms import blended_transform_factory, offset_copy  # loaded with the figure
    where = blended_transform_factory(figure.transFigure, ax.transAxes)
    lines = about.count("\n") + 1
    figure.text(0.04, 1, about, transform=offset_copy(where, figure, y=10, units="points"), fontsize=10.5,
                color=GREY, va="bottom", linespacing=1.4)
    figure.text(0.04, 1, title, transform=offset_copy(where, figure, y=16 + 15 * lines, units="points"),
                fontsize=12.5, color=INK, fontweight="bold", va="bottom")


def _plain(ax) -> None:
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.tick_params(length=0)
