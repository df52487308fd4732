"""The annual report of a year with a digest every week (the demo year, made by the real service),
read as a works council would: mostly exact, every number true or a range holding the truth, no
contradiction on the page, and everything the digest had (issue 21)."""
from __future__ import annotations

import re

from report_demo import demo_report

from bot.foundations.charter import Charter
from bot.foundations.i18n import Translator
from bot.steering.figures import Problem, Statement, safe
from bot.steering.figures.auditor import Auditor
from bot.steering.report.document import Writer

EXACT_SHARE = 0.80  # the bar: at least 80 % of the cells whose true count is at least k are exact


def _printed(demo) -> tuple[Writer, list[tuple[str, Statement]]]:
    writer = Writer(demo.report, Translator("en"), Charter.load(), ("Production", "Maintenance", "Logistics",
                                                                     "Office", "Sales"))
    writer.document()
    return writer, writer.counted


def _figure(demo, key: str):
    label = key.split("|")[0]
    view = next(v for v in [*demo.report.columns, *demo.report.months] if v.label == label)
    return view.release.figures[key.rstrip("|")]


def _truth(demo, key: str) -> int:
    return sum(demo.cells.get(cell, 0) for cell in _figure(demo, key).cells)


def test_the_annual_report_of_a_year_with_a_digest_every_week_is_mostly_exact():
    demo = demo_report("2025", "en")
    _, printed = _printed(demo)
    columns = {v.label for v in demo.report.columns}
    big = exact = 0
    for key, statement in printed:
        figure = _figure(demo, key)
        true = _truth(demo, key)
        assert statement.holds(true), (key, statement, true)  # exact, or a range that contains the truth
        if key.split("|")[0] in columns and true >= figure.threshold:
            big += 1
            exact += statement.is_exact
    share = exact / big
    print(f"\nexact cells of the annual report (true count >= k): {exact}/{big} = {share:.1%}")
    assert big > 150 and share >= EXACT_SHARE
    # The counted cells agree with the database, counted with SQL of the test's own.
    checked = 0
    for key, true in demo.truth.items():
        view = next((v for v in demo.report.columns if key.startswith(v.label + "|")), None)
        statement = view.release.statements.get(key) if view else None
        if statement is not None:
            assert statement.holds(true), (key, statement, true)
            checked += statement.is_exact
    assert checked >= 50


def test_totals_are_counted_not_added_and_the_page_says_so_once():
    demo = demo_report("2025", "en")
    text = demo.doc.text()
    assert text.count("Totals are counted, not added up") == 1
    year = demo.report.view
    quarters = [v for v in demo.report.columns if v.period.kind == "quarter"]
    assert len(quarters) == 4
    requests = [v.st("req") for v in quarters]
    # The year's requests are its own release (the sum of the quarters' cells), never a sum printed parts.
    assert year.st("req").is_exact and year.release.figures[f"{year.label}|req"].cells == \
        frozenset().union(*(v.release.figures[f"{v.label}|req"].cells for v in quarters))
    assert year.st("req").low == sum(s.low for s in requests)  # all exact here: they add up


def test_nothing_on_the_page_contradicts_another_figure():
    """Every statement the report prints, as rows over the counted cells, is feasible together, and
    every range printed contains what the others let a reader work out."""
    demo = demo_report("2025", "en")
    _, printed = _printed(demo)
    problem = Problem()
    for key, statement in printed:
        lo, hi = statement.bounds()
        problem.add(("page", key), [(c, 1) for c in sorted(_figure(demo, key).cells)], lo, hi,
                    target=statement.kind in ("protected", "small"))
    found = Auditor(problem).ranges()  # raises if the page contradicts itself (infeasible)
    for (_, key), (low, high) in found.items():
        statement = dict(printed)[key]
        assert statement.low <= low + 1e-6 and (statement.high is None or high <= statement.high + 1e-6), key
        if statement.kind == "small":
            assert safe(low, high), key


def test_the_report_carries_what_the_digest_had():
    demo = demo_report("2025", "en")
    text = demo.doc.text()
    for title in ("About this report", "Volumes and trend", "The contact promise", "Themes", "Levels and departments",
                  "Concerns, collective character and referrals", "Signals without a conversation",
                  "Signals and actions", "Feedback from colleagues", "The network", "What is hidden and why"):
        assert f"\n{title}\n" in f"\n{text}\n", title
    assert "Suggestions from the network:" in text and "“Plan the peak weeks together" in text
    assert "Worried about a colleague |" in text and "With a collective character |" in text
    assert "Production · High workload |" in text  # a team signal, per quarter
    assert re.search(r"⚠ stalled \d+ days · ⏰ overdue", text)  # an action's flags at the period's end
    assert "counted on 12 January 2026" in demo.doc.subtitle
    assert "≈" not in text  # no old value is ever repeated as if it were current
    cells = [cell for table in demo.doc.tables() if table.columns for row in table.rows for cell in row[1:]]
    assert cells and "–" not in cells  # nothing blank: exact, "<5", or a range


def test_the_promise_and_the_median_are_never_blank():
    demo = demo_report("2025", "en")
    for view in [*demo.report.columns, *demo.report.months]:
        assert view.promise is not None and view.promise.kind in ("share", "at_least", "range"), view.label
        assert view.median is not None and view.median.kind in ("minutes", "at_most"), view.label
    row = next(line for line in demo.doc.text().splitlines() if line.startswith("Contact within 24 h |"))
    assert all(" %" in cell for cell in row.split(" | ")[1:]), row  # a share, a bound or a range
