"""The report from a real database: its numbers against the database counted directly, a period
with no data, a period not over yet, a year in which departments changed, /report on the phone,
and `waakzaam report` from the shell."""
from __future__ import annotations

import asyncio
import random
import subprocess
import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import hermetic
import pytest
import time_machine
from digest_cases import Case, insert
from report_demo import demo_report
from steering_flows import steering

from bot.cli import main
from bot.foundations import calendar, clock
from bot.foundations.settings import Settings
from bot.running.startup import open_core
from bot.steering.digest.schedule import local_moment
from bot.steering.report import render
from bot.steering.report.service import NotOver

ROOT = Path(__file__).resolve().parents[2]
AFTER_2025 = datetime(2026, 1, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock_2026():
    with time_machine.travel(AFTER_2025, tick=False) as traveller:
        yield traveller


async def _year_of_cases(services, seed=3, n=260) -> None:
    rng = random.Random(seed)
    core = services.core
    ids = {i: (await core.people.ensure(7_000_000 + i, 7_000_000 + i, "en")).id for i in range(80)}
    themes = ("workload", "stress", "conflict_colleague_mgr", "work_organisation", "bullying", "private_problems")
    cases = [Case(age=rng.randrange(52), dep=rng.choice(("Production", "Logistics", "Office", None)),
                  themes=tuple(rng.sample(themes, rng.choice((1, 1, 2)))),
                  level=rng.choice(("individual", "team", "organisation", None)), urgent=rng.random() < 0.05,
                  outcome=rng.choice(("listened", "listened", "referred", "signposted", "no_reply")),
                  breached=rng.random() < 0.15, wait=rng.randrange(10, 2000),
                  referrals=("psychologist",) if rng.random() < 0.2 else (), requester=rng.randrange(80))
             for _ in range(n)]
    windows = services.reports.windows(calendar.parse_period("2025"))
    end = local_moment(windows[-1].last_day + timedelta(days=1), time(0), services.settings.timezone)
    await insert(core, cases, end, ids)
    for window in windows:  # the digests of the year's windows, in order, as the sweep would make them
        await services.digests.make(window.slot, window.slot.at + timedelta(minutes=1))


def _bounds(services, window) -> tuple[str, str]:
    tz = services.settings.timezone
    return (clock.iso(local_moment(window.first_day, time(0), tz)),
            clock.iso(local_moment(window.last_day + timedelta(days=1), time(0), tz)))


async def test_the_numbers_in_the_report_equal_those_counted_straight_from_the_database(services, clock_2026):
    await _year_of_cases(services)
    report = await services.reports.build(calendar.parse_period("2025"))
    f, k, db = report.figures, report.k, services.core.db
    checks = {
        "req": "SELECT COUNT(*) FROM requests WHERE created_at >= ? AND created_at < ?",
        "urg": "SELECT COUNT(*) FROM requests WHERE urgent = 1 AND created_at >= ? AND created_at < ?",
        "brc": "SELECT COUNT(*) FROM requests WHERE breached_at IS NOT NULL AND created_at >= ? AND created_at < ?",
        "out|listened": "SELECT COUNT(*) FROM requests WHERE outcome = 'listened' AND created_at >= ? AND created_at < ?",
        "out|referred": "SELECT COUNT(*) FROM requests WHERE outcome = 'referred' AND created_at >= ? AND created_at < ?",
        "th|workload": "SELECT COUNT(DISTINCT r.id) FROM requests r JOIN case_themes t ON t.request_id = r.id"
                       " WHERE t.theme = 'workload' AND r.created_at >= ? AND r.created_at < ?",
        "th|stress": "SELECT COUNT(DISTINCT r.id) FROM requests r JOIN case_themes t ON t.request_id = r.id"
                     " WHERE t.theme = 'stress' AND r.created_at >= ? AND r.created_at < ?",
        "prv": "SELECT COUNT(DISTINCT r.id) FROM requests r JOIN case_themes t ON t.request_id = r.id"
               " WHERE t.theme = 'private_problems' AND r.created_at >= ? AND r.created_at < ?",
        "ref|psychologist": "SELECT COUNT(DISTINCT r.id) FROM requests r JOIN case_referrals c ON c.request_id = r.id"
                            " WHERE c.kind = 'psychologist' AND r.created_at >= ? AND r.created_at < ?",
    }
    exact = 0
    for key, sql in checks.items():
        truth = [await db.fetchval(sql, _bounds(services, w)) for w in f.windows]
        for value, true in zip(f.counts[key], truth):
            if value.hidden:
                continue
            if value.fresh:
                assert value.value == true, key
                exact += 1
            else:
                assert abs(value.value - true) <= k - 1, key  # "≈": repeated, within k-1
        if not f.total(key).hidden and f.total(key).fresh:
            assert f.total(key).value == sum(truth), key
    assert exact >= 12  # the comparison is not empty
    assert sum(truth for truth in [await db.fetchval(checks["req"], _bounds(services, w)) for w in f.windows]) == 260
    doc = render.document(report, "en", services.charter, services.settings.departments)
    html, pdf = render.files(doc, report)
    req = f.counts["req"]
    row = [line for line in doc.text().splitlines() if line.startswith("Requests | ")][1]  # [0]: the header
    assert row.split(" | ")[1:5] == [("≈" if v.stale else "") + str(v.value) if not v.hidden else "–" for v in req]
    assert html.count("<section>") == 8 and pdf.startswith(b"%PDF")


async def test_a_period_without_data_says_so_and_still_makes_both_files(services, clock_2026):
    report = await services.reports.build(calendar.parse_period("2025-Q4"))
    assert report.figures.empty and all(p is None for p in report.figures.pubs)
    doc = render.document(report, "nl", services.charter, services.settings.departments)
    text = doc.text()
    assert "Er zijn geen cijfers voor deze periode" in text
    html, pdf = render.files(doc, report)
    assert "<h1>" in html and pdf.startswith(b"%PDF") and "trend" not in doc.charts


async def test_a_period_not_over_yet_is_refused_with_when(services, clock_2026):
    with pytest.raises(NotOver) as caught:
        await services.reports.build(calendar.parse_period("2026"))
    assert caught.value.ready.date().isoformat() == "2027-01-04"
    with pytest.raises(NotOver):  # Q1 2026 ends on Tuesday 31 March; its digest is Monday 30 March
        await services.reports.build(calendar.parse_period("2026-Q1"))


async def test_a_steering_member_asks_for_the_latest_quarterly_table(services, people, clock_2026):
    await _year_of_cases(services)
    sofie = await steering(services, people)
    emma = people(301, "Emma")
    await emma.send("/report")
    assert "This is for the steering group." in emma.last().text
    before = len(sofie.inbox())
    await sofie.send("/report")
    table, chart = sofie.inbox()[before:]
    assert table.text.startswith("📋 The vigilance network: report Q4 2025") and table.protect_content
    assert "Each line: this quarter (the quarter before)." in table.text
    requests = [v for v in (await services.reports.build(calendar.parse_period("2025-Q4"))).figures.counts["req"]]
    shown = [("≈" if v.stale else "") + str(v.value) if not v.hidden else "–" for v in requests]
    assert f"• Requests: {shown[1]} ({shown[0]})" in table.text
    assert chart.photo.startswith(b"\x89PNG") and chart.protect_content and "Q4 2025" in chart.text


def test_a_year_in_which_departments_changed_names_the_former_ones():
    """The digests of 2025 were made with Maintenance; since then it was removed and Quality added."""
    now = demo_report("2025", "en", ("Production", "Logistics", "Office", "Sales", "Quality"))
    text = now.doc.text()
    assert "Maintenance (former) · Working conditions" in text  # a signal of a digest made with it
    assert "Maintenance (former) 0" in text and "Quality" not in text.split("The network")[-1].split("Gaps")[0]


def test_the_report_command_from_the_shell(tmp_path, monkeypatch, capsys):
    env = hermetic.environ()
    env |= {"WAAKZAAM_DB": str(tmp_path / "data" / "w.db"), "WAAKZAAM_KEY_FILE": str(tmp_path / "keys" / "k.key"),
            "MPLCONFIGDIR": str(tmp_path / "mpl")}
    out = subprocess.run([sys.executable, "-m", "bot", "report", "--demo", "--period", "2025-Q4", "--out",
                          str(tmp_path / "out" / "q4"), "--lang", "fr"], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=180)
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
    assert main(["report", "--period", "2025", "--out", "r.pdf"]) == 2
    assert "the PDF is written beside it" in capsys.readouterr().err
    assert main(["report", "--period", "2025", "--out", "r.html"]) == 2
    err = capsys.readouterr().err
    assert "no database" in err and "--demo" in err and err.count("\n") == 1
    asyncio.run(_make_database(tmp_path))
    with time_machine.travel(datetime(2026, 11, 27, tzinfo=UTC)):
        assert main(["report", "--period", "2026", "--out", "r.html"]) == 2
    err = capsys.readouterr().err
    assert err == ("waakzaam: the period 2026 is not over yet: its report can be made once the digest of "
                   "2027-01-04 08:30 is out.\n")


async def _make_database(tmp_path: Path) -> None:
    core = await open_core(Settings(token="", db_path=tmp_path / "data" / "w.db", key_file=tmp_path / "keys" / "k.key"))
    await core.close()
