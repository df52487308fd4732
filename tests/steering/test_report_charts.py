"""Every chart reads alone (on a phone, in a PDF, forwarded): its title, period and unit, and a
legend for each mark it prints, in the reader's language. Read from the matplotlib figure itself,
before it is saved: what is drawn is what these tests see."""
from __future__ import annotations

import pytest
import time_machine
from steering_flows import SLOT_W46, T0
from steering_flows import history as _history
from steering_flows import steering as _steering
from steering_flows import sweep as _sweep

from bot.foundations.i18n import Translator
from bot.steering.digest.chart import MAX_THEMES, draw_chart, legend
from bot.steering.digest.render import Words
from bot.steering.figures import Statement
from bot.steering.report import charts
from bot.steering.report.document import ChartData


def drawn_words(figure) -> str:
    """Every text the figure draws: its own, its axes', and the axes' tick labels."""
    found = [t.get_text() for t in figure.texts]
    for ax in figure.axes:
        found += [t.get_text() for t in ax.texts]
        found += [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
    return "\n".join(found)


THEMES = ChartData("The most frequent themes of Q4 2025", "1 Oct – 31 Dec 2025 · number of conversations",
                   (("High workload", Statement.exact(36)), ("Stress", Statement("protected", 8, 12)),
                    ("Burn-out", Statement("protected", 5, None)), ("Bullying at work", Statement.withheld())),
                   ("8–12: a range held back", "≥5: at least 5", "–: not shown"))


@pytest.mark.parametrize("key", ["trend", "themes"])
@pytest.mark.parametrize("narrow", [False, True])
def test_a_report_chart_carries_its_title_period_unit_and_legend(key, narrow):
    figure = charts.figure(key, THEMES, narrow=narrow)
    words = drawn_words(figure)
    for text in ("The most frequent themes of Q4 2025", "number of conversations", "1 Oct – 31 Dec 2025",
                 "8–12: a range held back", "≥5: at least 5", "–: not shown"):
        assert text in " ".join(words.split()), (text, words)
    for label, statement in THEMES.bars:
        assert label in words.replace("\n", " ")
    assert "36" in words and "8–12" in words and "≥5" in words
    if narrow:  # drawn for a phone: 9 cm wide, so that its text is not shrunk
        assert figure.get_size_inches()[0] == pytest.approx(9 / 2.54)


def test_the_legend_explains_every_mark_the_chart_prints_and_nothing_else():
    t = Translator("en")
    assert legend(t, [Statement.exact(12), Statement.exact(5)], 5) == []
    lines = legend(t, [Statement.exact(12), Statement.small(5), Statement("protected", 6, 9), Statement.withheld()], 5)
    assert lines == ["<5: fewer than 5 (no bar)",
                     "6–9: a range held back to protect a smaller number; the true number lies in it, the bar stops "
                     "at its lowest value",
                     "–: not shown, so that nobody can be singled out"]
    fr = legend(Translator("fr"), [Statement.small(5)], 5)
    assert fr == ["<5 : moins de 5 (pas de barre)"]


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.mark.parametrize("lang", ["en", "nl"])
async def test_the_digest_chart_says_what_it_counts_and_that_it_shows_the_most_frequent_themes(
        services, people, clock, lang):
    await _steering(services, people)
    await _history(services)
    await _sweep(services)
    clock.move_to(SLOT_W46)
    assert await _sweep(services) == "2026-W46"
    pub = await services.digests.load((await services.core.digests.get("2026-W46")).published)
    figure = draw_chart(pub, Words(Translator(lang), services.charter, services.settings.departments))
    words = " ".join(drawn_words(figure).split())
    themes = pub.quarter.themes()
    shown = min(MAX_THEMES, sum(1 for _, s in themes if s.kind != "small"))
    if lang == "en":
        assert "Requests for a conversation per month (closed months)" in words
        assert "number of requests" in words and "number of conversations" in words
        assert "Themes in Q3 2026 (work-related)" in words and "1 Jul – 30 Sep 2026" in words
        assert "Darker bar: the latest closed month." in words
        if shown < len(themes):
            assert f"The {shown} most frequent themes; the others in the message." in words
    else:
        assert "Gespreksaanvragen per maand (afgesloten maanden)" in words and "aantal gesprekken" in words
        assert "Donkere balk: de laatste afgesloten maand." in words
        if shown < len(themes):
            assert f"De {shown} meest voorkomende thema's; de andere in het bericht." in words
    assert shown < len(themes)  # the history has more themes than the chart draws: the note is tested
