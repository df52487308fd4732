"""The report's and "you said, we did"'s figures against a curious reader: property tests over
random case histories, through the real digest builder and the real report.

The digests of the report's windows are built one after the other (each audited with the one
before, as the bot does); the report then re-reads them. For every history: nothing below k in
the report's figures, totals or text; every number is one a digest released (or the sum of
released ones, shown only when all its parts are); and the engine's auditor, run on everything
the report shows, finds no hidden figure that can be worked out. The same holds for the use
figures a "you said, we did" message may carry.
"""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from digest_cases import WINDOWS, Case, counts_of, department_requests
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_digest_figures import DEPARTMENTS, KINDS, LEVELS, PRIVATE, WORK, cases

from bot.foundations import calendar
from bot.foundations.charter import Charter
from bot.foundations.i18n import Translator
from bot.steering.actions.news import figures_line
from bot.steering.digest import digest as dg
from bot.steering.digest.model import Num, Published
from bot.steering.report import figures as fig
from bot.steering.report import render
from bot.steering.report.document import Table
from bot.steering.report.service import Report

CHARTER = Charter.load()
TZ = ZoneInfo("Europe/Brussels")


def _windows(period: str) -> list[fig.ReportWindow]:
    return fig.report_windows(calendar.parse_period(period), weekday=0, at=time(8, 30), tz=TZ, weeks=13)


def _digests(k: int, timeline: list[Case], windows: list[fig.ReportWindow], reported) -> list[Published]:
    """The digest of each window's slot, oldest first; `timeline` ages count back from the last window's end."""
    pubs, previous = [], None
    for back, window in zip(range(len(windows) - 1, -1, -1), windows):
        now = [replace(c, age=c.age - 13 * back) for c in timeline if c.age >= 13 * back]
        departments = dg.group_departments(department_requests(now), DEPARTMENTS, k=k,
                                           separate_before=previous.separate if previous else None)
        counts = counts_of(now, departments, WORK, PRIVATE, LEVELS)
        dims = dg.Dims(WINDOWS, departments.order, WORK, (*LEVELS, dg.UNSET), KINDS)
        dates = [[name, (window.first_day - timedelta(weeks=13 * i)).isoformat(),
                  (window.last_day - timedelta(weeks=13 * i)).isoformat()] for i, name in enumerate(WINDOWS)]
        built = dg.build(counts, label=window.week, k=k, dims=dims, departments=departments, previous=previous,
                         reported=[dg.Reported(*r) for r in reported], signal_min=2,
                         extra={"windows": dates, "weeks": 13, "separate": sorted(departments.separate),
                                "health": {"listeners": 6, "paused": 1, "makeup": {}, "gaps": {}}})
        stored = dg.release_of(built.published)
        previous = dg.Previous(built.release.ledger, built.published["separate"], stored[0], stored[1])
        pubs.append(Published(built.published))
    return pubs


def _report(k: int, period: str, pubs: list[Published], windows) -> Report:
    figures = fig.collect(windows, pubs, k=k, themes=list(WORK), levels=list(LEVELS), kinds=list(KINDS))
    return Report(calendar.parse_period(period), figures, datetime(2026, 1, 10, tzinfo=UTC))


def _cells(doc) -> list[str]:
    """Every number cell of the document's count tables (not shares, hours, listeners or ratios)."""
    found = []
    for section in doc.sections:
        for block in section.blocks:
            if isinstance(block, Table) and block.numeric and section.title != "The contact promise":
                # a signal's window is named, and a signal over 12 months says so rather than count
                skip = {i for i, head in enumerate(block.head) if head == "Window"}
                for row in block.rows:
                    if row[0] in ("Listeners", "Requests per listener") or section.title == "Feedback from colleagues":
                        continue
                    found += [c for i, c in enumerate(row) if i and c and i not in skip and c != "12 months"]
    return found


def _check(report: Report) -> None:
    f, k = report.figures, report.k
    assert fig.small(f) == []
    totals = {key: f.total(key) for key in f.counts}
    assert fig.audit(f, totals) == []
    for key in f.counts:
        parts = [f.counts[key][i] for i in f.inside]
        total = totals[key]
        if any(p is None or p.hidden for p in parts):
            assert total.hidden, key  # a total over a hidden part would give the part away
        else:
            assert total.value == sum(p.value for p in parts) >= k
    doc = render.document(report, "en", CHARTER, DEPARTMENTS)  # runs the same checks, then writes
    for cell in _cells(doc):
        assert cell == "–" or int(cell.lstrip("≈")) >= k, cell
    for _, n in doc.charts.get("themes", ()):
        assert n.value >= k
    for _, n in doc.charts.get("trend", ()):
        assert n.hidden or n.value >= k


@st.composite
def histories(draw, max_age: int):
    k = draw(st.sampled_from((3, 5)))
    timeline = draw(st.lists(cases(max_age), max_size=draw(st.integers(0, 110))))
    reported = draw(st.lists(st.tuples(st.sampled_from(DEPARTMENTS + (dg.OTHER,)), st.sampled_from(WORK),
                                       st.sampled_from(("recent", "year"))), max_size=3))
    return k, timeline, reported


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(histories(51))
def test_property_a_year_report_shows_nothing_below_k_and_nothing_can_be_worked_out(history):
    k, timeline, reported = history
    windows = _windows("2025")
    assert len(windows) == 4 and all(w.in_period for w in windows)
    pubs = _digests(k, timeline, windows, reported)
    _check(_report(k, "2025", pubs, windows))
    for pub in pubs:  # and a "you said, we did" message carrying the newest digest's use figures
        line = figures_line(Translator("en"), pub) or ""
        requests, share = pub.figure("req|win:now"), pub.share("prom|win:now")
        numbers = [int(n) for n in re.findall(r"(?<![\d-])(\d+)(?= times)", line)]
        assert numbers == ([] if requests.hidden else [requests.value])
        assert all(n >= k for n in numbers)
        assert ("%" in line) == (not share.hidden)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(histories(25))
# found by CI: a reported signal puts its window's name in a table of numbers
@example((3, [Case(age=0, dep="Production", themes=("workload",), level="individual", outcome="listened")] * 3,
          [(dg.OTHER, "workload", "recent")]))
def test_property_a_quarterly_table_shows_nothing_below_k_and_nothing_can_be_worked_out(history):
    k, timeline, reported = history
    windows = _windows("2025-Q3")
    assert [w.in_period for w in windows] == [False, True]  # the quarter, and the one before to compare
    _check(_report(k, "2025-Q3", _digests(k, timeline, windows, reported), windows))


def test_a_total_over_a_hidden_part_would_be_caught_and_a_small_number_refused():
    """The checks bite: a total shown over a hidden window would pin it; a number below k is refused."""
    k = 5
    per_window = {39: 6, 26: 12, 13: 2, 0: 20}  # oldest window first: workload 6, 12, 2 (hidden), 20
    timeline = [Case(age=start + i % 13, dep="Production", themes=("workload",), outcome="listened", requester=i)
                for start, n in per_window.items() for i in range(n)]
    windows = _windows("2025")
    report = _report(k, "2025", _digests(k, timeline, windows, ()), windows)
    _check(report)
    assert [v.value for v in report.figures.counts["th|workload"]] == [6, 12, None, 20]
    assert report.figures.total("th|workload").hidden
    leaks = fig.audit(report.figures, {"th|workload": Num(40)})  # "40 over the year" would give the 2 away
    assert [(leak.label, leak.key) for leak in leaks] == [("2025-W40", "th|theme:workload")]
    report.figures.counts["req"][0] = Num(3)
    with pytest.raises((render.UnsafeReport, ValueError)):
        render.check(report)


def test_windows_of_a_period():
    """Whole digest windows, ending on the digest's weekday nearest the period's end: 2026 ends on
    a Friday, so its report runs to Sunday 3 January 2027; the third quarter ends on a Thursday, so
    its table runs to Sunday 27 September (and compares with the 13 weeks before)."""
    year = _windows("2026")
    assert [w.week for w in year] == ["2026-W15", "2026-W28", "2026-W41", "2027-W01"]
    assert year[0].first_day.isoformat() == "2026-01-05" and year[-1].last_day.isoformat() == "2027-01-03"
    assert all(a.last_day + timedelta(days=1) == b.first_day for a, b in zip(year, year[1:]))  # no overlap, no gap
    q3 = _windows("2026-Q3")
    assert [w.week for w in q3] == ["2026-W27", "2026-W40"]
    assert q3[1].first_day.isoformat() == "2026-06-29" and q3[1].last_day.isoformat() == "2026-09-27"
