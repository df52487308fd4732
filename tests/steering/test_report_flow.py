"""The report from a real database: its numbers against the database counted directly, periods not
released refused in one line, a year in which departments changed, /report on the phone (never an
open quarter), and `waakzaam report` from the shell."""
from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

import hermetic
import launcher
import pytest
import time_machine
from report_demo import demo_report
from steering_flows import SLOT_W46, T0, steering
from steering_flows import history as _history
from steering_flows import sweep as _sweep

from bot.cli import main
from bot.foundations import calendar
from bot.foundations.settings import Settings
from bot.running.startup import open_core
from bot.steering.report import render
from bot.steering.report.service import NotReleased

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


async def _released(services, clock) -> list:
    """July to October 2026, released by the digest of 9 November."""
    found = await _history(services)
    await _sweep(services)
    clock.move_to(SLOT_W46)
    assert await _sweep(services) == "2026-W46"
    return found


async def test_the_numbers_in_the_report_equal_those_counted_straight_from_the_database(services, clock):
    await _released(services, clock)
    report = await services.reports.build(calendar.parse_period("2026-Q3"))
    db = services.core.db
    start, end = services.core.calendar.bounds(report.period)
    counted = report.view.counted_on
    assert counted.isoformat() == "2026-11-09"
    checks = {
        "req": "SELECT COUNT(*) FROM requests WHERE created_at >= ? AND created_at < ?",
        "th|workload": "SELECT COUNT(*) FROM requests r JOIN case_themes t ON t.request_id = r.id WHERE t.theme ="
                       " 'workload' AND r.conversed = 1 AND r.created_at >= ? AND r.created_at < ?",
        "th|stress": "SELECT COUNT(*) FROM requests r JOIN case_themes t ON t.request_id = r.id WHERE t.theme ="
                     " 'stress' AND r.conversed = 1 AND r.created_at >= ? AND r.created_at < ?",
        "ref|psychologist": "SELECT COUNT(DISTINCT r.id) FROM requests r JOIN case_referrals c ON c.request_id = r.id"
                            " WHERE c.kind = 'psychologist' AND r.conversed = 1 AND r.created_at >= ? AND"
                            " r.created_at < ?",
    }
    exact = 0
    for key, sql in checks.items():
        true = await db.fetchval(sql, (start, end))
        statement = report.view.st(*key.split("|"))
        assert statement.holds(true), (key, statement, true)
        exact += statement.is_exact
    assert exact >= 2
    doc = render.document(report, "en", services.charter, services.settings.departments)
    html, pdf = render.files(doc)
    rows = [line for line in doc.text().splitlines() if line.startswith("Requests | ")]
    assert rows[:2] == ["Requests | Q3 2026 1 Jul – 30 Sep 2026",  # no quarter released before it: one column
                        f"Requests | {report.view.st('req').low}"]
    assert html.count("<section>") == 11 and pdf.startswith(b"%PDF")


async def test_a_period_not_released_is_refused_with_when(services, clock):
    await _released(services, clock)
    reports = services.reports
    with pytest.raises(NotReleased) as caught:
        await reports.build(calendar.parse_period("2026-Q4"))  # still open on 9 November
    assert caught.value.due.isoformat() == "2027-01-08"
    with pytest.raises(NotReleased) as caught:
        await reports.build(calendar.parse_period("2026-Q2"))  # before the first request: never
    assert caught.value.due is None
    assert (await reports.build(calendar.parse_period("2026-Q3"))).view.label == "2026-Q3"


async def test_report_on_the_phone_gives_the_latest_released_quarter_never_an_open_one(services, people, clock):
    sofie = await steering(services, people)
    emma = people(301, "Emma")
    await emma.send("/report")
    assert "This is for the steering group." in emma.last().text
    await sofie.send("/report")
    assert "No quarter has been counted yet" in sofie.last().text
    await _released(services, clock)
    before = len(sofie.inbox())
    await sofie.send("/report")
    table, chart = sofie.inbox()[before:]
    assert table.text.startswith("📋 The vigilance network: report Q3 2026") and table.protect_content
    assert "Q4 2026" not in table.text  # the quarter under way is never offered
    report = await services.reports.build(calendar.parse_period("2026-Q3"))
    assert f"• Requests: {report.view.st('req').low}" in table.text
    assert chart.photo.startswith(b"\x89PNG") and chart.protect_content and "Q3 2026" in chart.text


async def test_a_report_made_just_after_midnight_is_dated_by_the_organisations_day(services, clock):
    """00:30 in Brussels on 11 November is still 10 November in UTC: the footer says 11 November."""
    await _released(services, clock)
    clock.move_to(datetime(2026, 11, 10, 23, 30, tzinfo=UTC))
    report = await services.reports.build(calendar.parse_period("2026-Q3"))
    doc = render.document(report, "en", services.core.charter, services.core.settings.departments)
    assert doc.footer.startswith("Waakzaam · made on 11 November 2026 · ")


async def test_report_on_the_phone_reads_the_released_quarter_once(services, people, clock, monkeypatch):
    """/report builds the quarter once: no second reading of its releases for one answer."""
    sofie = await steering(services, people)
    await _released(services, clock)
    built = []
    build = services.reports.build

    async def counted(period, *args, **kwargs):
        built.append(period.label)
        return await build(period, *args, **kwargs)

    monkeypatch.setattr(services.reports, "build", counted)
    before = len(sofie.inbox())
    await sofie.send("/report")
    assert sofie.inbox()[before].text.startswith("📋 The vigilance network: report Q3 2026")
    assert built == ["2026-Q3"]


def test_a_year_in_which_departments_changed_names_the_former_ones():
    """The year was counted with Maintenance; since then it was removed and Quality added."""
    now = demo_report("2025", "en", ("Production", "Logistics", "Office", "Sales", "Quality"))
    text = now.doc.text()
    assert "Maintenance (former) |" in text  # a department of the counted quarters
    assert "Quality" not in text.split("The network")[-1].split("Gaps")[0]


def test_the_report_command_from_the_shell(tmp_path, monkeypatch, capsys):
    env = hermetic.environ()
    env |= {"WAAKZAAM_DB": str(tmp_path / "data" / "w.db"), "WAAKZAAM_KEY_FILE": str(tmp_path / "keys" / "k.key"),
            "MPLCONFIGDIR": str(tmp_path / "mpl")}
    out = launcher.run([sys.executable, "-m", "bot", "report", "--demo", "--period", "2025-Q4", "--out",
                        str(tmp_path / "out" / "q4"), "--lang", "fr"], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    html = (tmp_path / "out" / "q4.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and '<html lang="fr">' in html and "T4 2025" in html
    assert (tmp_path / "out" / "q4.pdf").read_bytes().startswith(b"%PDF")
    assert not (tmp_path / "data").exists() and not (tmp_path / "keys").exists()  # never the real database

    hermetic.clear(monkeypatch)
    monkeypatch.setenv("WAAKZAAM_DB", str(tmp_path / "data" / "w.db"))
    monkeypatch.setenv("WAAKZAAM_KEY_FILE", str(tmp_path / "keys" / "k.key"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("bot.running.logs.configure", lambda *args: None)
    assert main(["report", "--period", "2026-Q5", "--out", "r.html"]) == 2
    assert "is not a year (2026) or a quarter (2026-Q3)" in capsys.readouterr().err
    assert main(["report", "--period", "2026-07", "--out", "r.html"]) == 2
    assert "is not a year (2026) or a quarter (2026-Q3)" in capsys.readouterr().err
    assert main(["report", "--period", "2025", "--out", "r.pdf"]) == 2
    assert "the PDF is written beside it" in capsys.readouterr().err
    assert main(["report", "--period", "2025", "--out", "r.html"]) == 2
    err = capsys.readouterr().err
    assert "no database" in err and "--demo" in err and err.count("\n") == 1
    asyncio.run(_make_database(tmp_path))
    # An early report (issue 21, attack 5): a quarter still open is refused in one line, exit code 2.
    with time_machine.travel(datetime(2026, 9, 28, 10, tzinfo=UTC)):
        assert main(["report", "--period", "2026-Q3", "--out", "r.html"]) == 2
    err = capsys.readouterr().err
    assert err == ("waakzaam: 2026-Q3 is not closed yet: its figures are counted on 2026-10-08 and released with the "
                   "first digest on or after that day.\n")
    with time_machine.travel(datetime(2026, 10, 5, 10, tzinfo=UTC)):
        assert main(["report", "--period", "2026-Q3", "--out", "r.html"]) == 2
    assert capsys.readouterr().err == ("waakzaam: 2026-Q3 is closed but not released yet: its figures come with "
                                       "the first digest on or after 2026-10-08.\n")
    assert not (tmp_path / "r.html").exists()


async def _make_database(tmp_path: Path) -> None:
    core = await open_core(Settings(token="", db_path=tmp_path / "data" / "w.db", key_file=tmp_path / "keys" / "k.key"))
    await core.figures.add_past_case(created_at="2026-07-02T08:00:00+00:00", deadline_at="2026-07-03T08:00:00+00:00",
                                     department=None, requester_id=None, member_id=None)
    await core.close()
