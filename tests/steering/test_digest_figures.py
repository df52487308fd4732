"""The weekly digest's figures as a steering member reads them, over the demo year (a digest every
week, made by the real service): every number is a release's statement under its period's name,
the same period reads the same in every digest, and the month so far moves only in fixed steps."""
from __future__ import annotations

import re

from report_demo import demo_report

from bot.foundations.calendar import parse_period
from bot.foundations.i18n import Translator
from bot.steering.digest.render import fmt
from bot.steering.figures import ladder
from bot.steering.releases.view import PeriodView

T = Translator("en")


def _view(demo, label: str) -> PeriodView:
    return PeriodView(demo.releases[label])


def test_every_number_a_digest_prints_is_a_release_statement_under_its_period_s_name():
    demo = demo_report("2025", "en")
    text = demo.digests["2025-W42"]  # 13 October: September and the third quarter are new
    assert "New this week: the final figures of September 2025 and Q3 2025, counted on 13 Oct 2025." in text
    q3, q2, september = _view(demo, "2025-Q3"), _view(demo, "2025-Q2"), _view(demo, "2025-09")
    assert (f"Q3 2025 (1 Jul – 30 Sep 2025, final), the quarter before in brackets\n• Requests: "
            f"{fmt(T, q3.st('req'))} ({fmt(T, q2.st('req'))}), of which urgent: {fmt(T, q3.st('urg'))} "
            f"({fmt(T, q2.st('urg'))})") in text
    assert f"September 2025 (final)\n• Requests: {fmt(T, september.st('req'))} · contact within 24 h: " in text
    themes = next(line for line in text.splitlines() if line.startswith("• Themes that come back"))
    for key, statement in q3.themes():
        if statement.kind == "exact" and statement.low >= 10:
            assert f" {fmt(T, statement)} (" in themes
    assert "≈" not in text and "–" not in re.sub(r"\d+ \w{3}( \d{4})? – \d+ \w{3} \d{4}|\d+–\d+", "", text)


def test_the_same_period_reads_the_same_in_every_digest_that_prints_it():
    """Attack 1 from the reader's side: a quarter is "now" in one digest and never a different
    "before" in another; every digest prints the one statement of its release."""
    demo = demo_report("2025", "en")
    q3 = _view(demo, "2025-Q3")
    requests = fmt(T, q3.st("req"))
    printed = [week for week, text in demo.digests.items() if "Q3 2025 (final)" in text]
    assert len(printed) >= 5
    for week in printed:
        assert f"Q3 2025 (final): {requests} requests" in demo.digests[week], week
    q4 = _view(demo, "2025-Q4")
    assert f"• Requests: {fmt(T, q4.st('req'))} ({requests})," in demo.digests["2026-W03"]


def test_the_month_so_far_moves_only_up_in_fixed_steps_of_k():
    demo = demo_report("2025", "en")
    edges = ladder(5)
    months: dict[str, list] = {}
    for label, body in demo.releases.items():
        if body["kind"] == "open":
            (figure,) = body["figures"]
            months.setdefault(body["extra"]["month"], []).append((label, figure["st"]))
    assert len(months) >= 12
    for month, steps in months.items():
        lows = [st[1] for _, st in sorted(steps)]
        assert lows == sorted(lows), month  # a count that only grows
        for kind, low, high in (st for _, st in steps):
            assert kind in ("step", "withheld")
            assert low in edges and (high is None or high + 1 in edges), (month, low, high)
        if month in demo.releases:  # the month's count, released after it closed, is never below a step
            assert _view(demo, month).st("req").low >= lows[-1]
        assert parse_period(month).kind == "month"


def test_a_digest_names_what_is_new_and_when_a_quarter_is_counted():
    demo = demo_report("2025", "en")
    assert "Q3 2025 is counted on 13 Oct 2025." in demo.digests["2025-W41"]  # 6 October: ended, not counted yet
    assert "New this week" not in demo.digests["2025-W41"]
    assert "New this week: the final figures of December 2025, Q4 2025 and 2025, counted on 12 Jan 2026." in \
        demo.digests["2026-W03"]
