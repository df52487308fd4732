"""What a reader of every release can work out, tried from the attacker's side (issue 21).

The property test generates a year of requests, team signals and ratings, with an insider who files
and withdraws concerns and sends team signals from several accounts, and makes a digest every week
with the real service. An oracle written here, from the stored releases and counted periods only
(it builds its own rows: statements, identities, coordinator knowledge, the insider's own rows,
and its own targets), then checks that no hidden count can be pinned, and that every statement
holds the truth. The attacks of the issue follow, each as a regression test.
"""
from __future__ import annotations

import asyncio
import pickle
import random
import tempfile
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from digest_cases import Case, TeamSignal, insert, insert_team_signals, people_for
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from report_demo import demo_report
from steering_flows import SLOT_W46, T0, steering
from steering_flows import history as _history
from steering_flows import sweep as _sweep

from bot.foundations.calendar import parse_period
from bot.foundations.charter import Charter
from bot.foundations.settings import Settings
from bot.foundations.vocab import AUDIT_CLASS_OF, AUDIT_CLASSES, FIGURE_DIMENSIONS
from bot.running.startup import open_core
from bot.services import Services
from bot.steering.digest.schedule import slot_of_week, week_label
from bot.foundations.i18n import Translator
from bot.steering.digest.render import Printer, Words, quarter_lines
from bot.steering.figures import Figure, Knowledge, Problem, Row, Statement, Unprotectable, release, sentinel
from bot.steering.figures.auditor import Auditor
from bot.steering.releases.decide import Job, Planned, decide, with_words, without_words
from bot.steering.releases.view import PeriodView
from bot.steering.report.service import NotReleased

K = 5
DEPARTMENTS = ("Production", "Logistics", "Office")
THEMES = ("workload", "stress", "conflict_colleague_mgr", "bullying", "reorganisation")


# The oracle ------------------------------------------------------------------------------------------

def oracle(bodies: list[dict], periods: dict[str, dict], own: dict[str, int], *, coordinator: bool
           ) -> tuple[Problem, dict[str, int]]:
    """What one reader knows, built from the stored releases and counted periods alone: every
    statement; the identities of each counted quarter (how a month's requests ended adds up to
    them, by fate; the conversations are those that ended in one; a theme count is at most the
    conversations of its department and level); for a reader who is also a coordinator, each
    urgent request and missed promise. The insider's own contributions (`own`) are known constants:
    each cell is own + others, and the others' part is the variable.

    Targets: every "fewer than k" (for a coordinator, the part they do not know case by case),
    every counted cell whose others' part is 1 .. t-1, each week-part's requests of a counted month
    when 1 .. k-1 (the same: for a coordinator, those not known case by case). A target that cannot be above 0 says "nobody" and is no leak."""
    cells = {c: n for data in periods.values() for c, n in data.get("cells", {}).items()}
    others = {c: n - own.get(c, 0) for c, n in cells.items()}
    problem = Problem()

    def add(owner, names, lo, hi, target=False):
        shift = sum(own.get(c, 0) for c in names)
        problem.add(owner, [(c, 1) for c in names], None if lo is None else lo - shift,
                    None if hi is None else hi - shift, target=target)

    for body in bodies:
        names = body["cells"]
        for f in body["figures"]:
            kind, low, high = f["st"]
            if kind == "withheld":
                continue
            members = [names[i] for i in f["cells"]]
            unknown = [c for c in members if not (coordinator and _coordinator_knows(c))]
            add((body["label"], f["key"]), members, low if low > 0 else None, high,
                target=kind == "small" and len(unknown) == len(members))
            if kind == "small" and unknown and len(unknown) < len(members):
                # what a coordinator does not know of it must stay protected
                problem.add(("unknown", f"{body['label']}|{f['key']}"), [(c, 1) for c in unknown], None, None,
                            target=True)
    for label, data in periods.items():
        if "dims" not in data:
            continue
        d = data["dims"]
        conv = [f"{label}|a|{dep}|{lv}|{kind}|{c}" for dep in d["deps"] for lv in d["levels"]
                for kind in ("self", "concern") for c in (0, 1)]
        for month, parts in data["months"]:
            for fate in ("kept", "missed", "unanswered", "pending"):
                ends = [f"{label}|e|{month}|{fate}|{end}" for end in ("listened", "referred", "signposted",
                                                                      "unrecorded", "none")]
                uses = [f"{month}|u|{part}|{urg}|{fate}" for part in parts for urg in (0, 1)]
                problem.add(("id", f"{month}{fate}"), [*((c, 1) for c in ends), *((c, -1) for c in uses)], 0, 0)
        counted = [f"{label}|e|{month}|{fate}|{end}" for month, _ in data["months"]
                   for fate in ("kept", "missed", "unanswered", "pending")
                   for end in ("listened", "referred", "signposted", "unrecorded")]
        problem.add(("id", f"{label}conv"), [*((c, 1) for c in conv), *((c, -1) for c in counted)], 0, 0)
        for dep in d["deps"]:
            for lv in d["levels"]:
                whole = [f"{label}|a|{dep}|{lv}|{kind}|{c}" for kind in ("self", "concern") for c in (0, 1)]
                for theme in d["themes"]:
                    problem.add(("id", f"{label}{dep}{theme}{lv}"),
                                [(f"{label}|t|{dep}|{theme}|{lv}", 1), *((c, -1) for c in whole)], None, 0)
    for cell, n in others.items():
        block = cell.split("|")[1]
        threshold = K + 1 if block == "s" else K
        if block != "r" and 0 < n < threshold and not (coordinator and _coordinator_knows(cell)):
            add(("cell", cell), [cell], None, None, target=True)
        if coordinator and _coordinator_knows(cell):
            problem.add(("coordinator", cell), [(cell, 1)], n, n)
    for label, data in periods.items():
        for part in data.get("parts", []):
            # for a coordinator, the part of the week they do not know case by case (as for a cell)
            these = [c for c in cells if c.startswith(f"{label}|u|{part}|")
                     and not (coordinator and _coordinator_knows(c))]
            if 0 < sum(others[c] for c in these) < K:
                problem.add(("part", f"{label}{part}"), [(c, 1) for c in these], None, None, target=True)
    return problem, others


def _coordinator_knows(cell: str) -> bool:
    parts = cell.split("|")
    return parts[1] == "u" and (parts[3] == "1" or parts[4] == "missed")


# A generated year ----------------------------------------------------------------------------------

async def _year(seed: int, insider: dict, folder: Path) -> dict:
    """A year of requests (2026) with a digest every Monday until the one that releases the year;
    returns the stored releases, counted periods, the insider's own cells, and the truth."""
    rng = random.Random(seed)
    settings = Settings(token="", db_path=folder / "data" / "y.db", key_file=folder / "key" / "y.key",
                        departments=DEPARTMENTS)
    charter = Charter.load()  # with the themes the year uses: smaller programs, the same rules
    charter.themes = tuple(t for t in charter.themes if t.key in THEMES or not t.work_related)
    core = await open_core(settings, charter)
    services = Services(core)
    try:
        ids = await people_for(core, 40)
        start = datetime(2026, 1, 1, 7, tzinfo=UTC)
        cases = []
        for day in range(365):
            for _ in range(rng.choice((0, 0, 0, 1, 1, 2))):
                created = start + timedelta(days=day, hours=rng.randrange(10))
                outcome = rng.choice(("listened", "listened", "referred", "signposted", "no_reply"))
                cases.append(Case(created, rng.choice((*DEPARTMENTS, None)),
                                  tuple(rng.sample(THEMES, rng.choice((1, 1, 2)))),
                                  rng.choice(("individual", "team", "organisation")), urgent=rng.random() < 0.05,
                                  outcome=outcome, breached=rng.random() < 0.05, wait=rng.randrange(20, 1300),
                                  referrals=("psychologist",) if outcome == "referred" else (),
                                  requester=rng.randrange(30), concern=rng.random() < 0.15,
                                  collective=rng.random() < 0.1))
        # The insider files concerns from a private account and withdraws each before anyone takes it.
        mine = [Case(start + timedelta(days=rng.randrange(360), hours=3), "Logistics", ("bullying",), "team",
                     outcome=None, withdrawn=True, wait=None, requester=39, concern=True)
                for _ in range(insider["withdrawn"])]
        await insert(core, [*cases, *mine], ids)
        signals = [TeamSignal(f"2026-{3 * q + rng.randrange(1, 4):02d}-{rng.randrange(1, 28):02d}",
                              rng.choice(DEPARTMENTS), (rng.choice(THEMES),), rng.choice(("team", "individual")),
                              account=n) for q in range(4) for n in range(rng.randrange(3, 12))]
        own_signals = [TeamSignal(f"2026-{3 * q + 1:02d}-15", "Office", ("stress",), "team", account=100 + a)
                       for q in range(4) for a in range(insider["accounts"])]
        await insert_team_signals(core, [*signals, *own_signals])
        s = settings
        slot = slot_of_week("2026-W02", s.digest_weekday, s.digest_time, s.timezone)
        await services.digests.sweep(slot.at - timedelta(days=1))  # the bot's first sweep
        while slot.day <= date(2027, 1, 11):
            with time_machine.travel(slot.at + timedelta(minutes=1), tick=False):
                await services.digests.sweep()
            slot = slot_of_week(week_label(slot.day + timedelta(weeks=1)), s.digest_weekday, s.digest_time,
                                s.timezone)
        bodies = [(await core.releases.get(label)).body for label in await core.releases.labels()]
        periods = {p.label: p.data for p in await core.releases.periods()}
        own = Counter()
        for signal in own_signals:
            q = f"2026-Q{(int(signal.day[5:7]) - 1) // 3 + 1}"
            own[f"{q}|s|Office|stress|team"] += 1
        return {"bodies": bodies, "periods": periods, "own": dict(own)}
    finally:
        await core.close()


@settings(max_examples=1, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), st.integers(0, 4), st.integers(1, 3))
@example(seed=1, withdrawn=0, accounts=1)  # a week's urgent request and missed promise: known case by case
def test_a_reader_of_every_release_of_a_year_with_an_insider_pins_no_hidden_count(seed, withdrawn, accounts):
    with tempfile.TemporaryDirectory() as folder:
        year = asyncio.run(_year(seed, {"withdrawn": withdrawn, "accounts": accounts}, Path(folder)))
    labels = [b["label"] for b in year["bodies"]]
    assert {"2026-03", "2026-Q1", "2026-Q4", "2026"} <= set(labels)
    assert any(label.startswith("open/") for label in labels)
    cells = {c: n for data in year["periods"].values() for c, n in data.get("cells", {}).items()}
    for body in year["bodies"]:  # every statement holds the truth of a counted period
        if body["kind"] == "period":
            for f in body["figures"]:
                true = sum(cells.get(body["cells"][i], 0) for i in f["cells"])
                assert Statement(*f["st"]).holds(true), (body["label"], f["key"], f["st"], true)
    for coordinator in (False, True):
        bodies = [b for b in year["bodies"] if b["year"] == 2026]
        problem, others = oracle(bodies, year["periods"], year["own"], coordinator=coordinator)
        auditor = Auditor(problem, hint=others)
        pinned = [f.leak for f in auditor.findings()]
        assert pinned == [], pinned[:5]


def test_the_oracle_is_not_blind_a_figure_held_back_shown_exactly_pins_a_hidden_count():
    """The demo year with a digest every week: every release holds, and printing the figures that
    were held back with their true value would let a reader pin hidden counts (the oracle sees it)."""
    demo = demo_report("2025", "en")
    bodies = [body for body in demo.releases.values() if body["year"] == 2025]
    problem, others = oracle(bodies, demo.periods, {}, coordinator=True)
    assert [f.leak for f in Auditor(problem, hint=others).findings()] == []
    held = 0
    naive = []
    for body in bodies:
        figures = []
        for f in body["figures"]:
            if f["st"][0] == "protected":
                true = sum(demo.cells.get(body["cells"][i], 0) for i in f["cells"])
                f = {**f, "st": ["exact", true, true]}
                held += 1
            figures.append(f)
        naive.append({**body, "figures": figures})
    problem, others = oracle(naive, demo.periods, {}, coordinator=True)
    assert held and Auditor(problem, hint=others).findings()


# Attack 1: any two digests, not only consecutive ones ------------------------------------------------

def test_two_digests_a_quarter_apart_print_one_statement_per_period_never_two_windows():
    """In week s and week s+13 the same months are never "now" and "before" of two different
    windows: every figure is a closed period's one statement, and reprinted the same."""
    releases = demo_report("2025", "en").releases
    periods = [label for label, body in releases.items() if body["kind"] == "period"]
    assert len(periods) == len(set(periods))
    spans = {}
    for label in periods:
        found = parse_period(label)
        spans[label] = (found.start, found.end)
    for a in periods:  # nested or apart: never two overlapping windows that could be subtracted
        for b in periods:
            (s1, e1), (s2, e2) = spans[a], spans[b]
            assert e1 <= s2 or e2 <= s1 or (s1 <= s2 and e2 <= e1) or (s2 <= s1 and e1 <= e2), (a, b)


# Attack 2: withdrawn concerns ----------------------------------------------------------------------

@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


async def test_concerns_filed_and_withdrawn_move_no_figure_of_what_requests_are_about(services, clock):
    await _history(services)
    insider = await people_for(services.core, 4, 7_700_000)
    filed = [Case(datetime(2026, 8, 3 + i, 9, tzinfo=UTC), "Logistics", ("bullying",), "team", outcome=None,
                  withdrawn=True, wait=None, requester=i, concern=True) for i in range(4)]
    await insert(services.core, filed, insider)
    await _sweep(services)
    clock.move_to(SLOT_W46)
    await _sweep(services)
    q3 = (await services.core.releases.get("2026-Q3")).body
    counted = (await services.core.releases.period("2026-Q3")).data
    figures = {f["key"]: f for f in q3["figures"]}
    names = q3["cells"]
    # The insider's requests are in the requests, and in "no conversation"; in nothing about them.
    about = [key for key in figures if key.split("|")[1] in ("con", "col", "th", "dep", "lvl", "ref", "prv", "conv")]
    for key in about:
        true = sum(counted["cells"].get(names[i], 0) for i in figures[key]["cells"])
        assert Statement(*figures[key]["st"]).holds(true)
    assert not any(cell.split("|")[1] in ("a", "t") and "Logistics|team" in cell and n
                   for cell, n in counted["cells"].items() if "concern" in cell and "bullying" in cell)
    concerns = sum(n for cell, n in counted["cells"].items() if cell.split("|")[1] == "a" and "|concern|" in cell)
    assert concerns == 0  # the history has no concern; the four withdrawn ones are not counted
    nothing = sum(n for cell, n in counted["cells"].items() if cell.endswith("|none"))
    assert nothing >= 4


# Attack 3: one more team signal ----------------------------------------------------------------------

async def test_one_account_moves_a_team_signal_figure_by_one_a_quarter_and_never_shows_k_minus_one_others(
        services, people, clock):
    """Four others signalled Production x stress in Q3; an attacker's signals (sent again and again)
    count once, so the figure is 5 at most, below its threshold k + 1: "fewer than 6"."""
    await _history(services)
    team = services.team_signals
    signals = [TeamSignal(f"2026-08-{10 + n:02d}", "Production", ("stress",), "team", account=n) for n in range(4)]
    await insert_team_signals(services.core, signals)
    attacker = people(610, "Eve")
    await attacker.send("/start")
    person = await services.core.people.find(610)
    with time_machine.travel(datetime(2026, 9, 10, 9, tzinfo=UTC), tick=False):
        for _ in range(3):  # a burst: the same account again and again in the same quarter
            result, _ = await team.record(person, 0, ["stress"], "team")
            assert result.value == "ok"
    assert await services.core.db.fetchval("SELECT COUNT(*) FROM team_signals WHERE department = 'Production'") == 5
    await _sweep(services)
    clock.move_to(SLOT_W46)
    await _sweep(services)
    q3 = (await services.core.releases.get("2026-Q3")).body
    statement = next(f["st"] for f in q3["figures"] if f["key"] == "2026-Q3|tsd|Production|stress")
    assert statement == ["small", 0, 5]  # fewer than 6: 4 others (k - 1) never show, nor that one more would


# Attack 4: two roles in one account ------------------------------------------------------------------

def test_audit_s_classes_name_no_dimension_of_the_figures():
    assert set(AUDIT_CLASS_OF.values()) <= set(AUDIT_CLASSES)
    for action, coarse in AUDIT_CLASS_OF.items():
        assert not FIGURE_DIMENSIONS & set(coarse.split("_")), (action, coarse)
    assert AUDIT_CLASS_OF["collective_set"] == AUDIT_CLASS_OF["theme_added"] == AUDIT_CLASS_OF["level_set"]
    assert AUDIT_CLASS_OF["referral_sent"] == AUDIT_CLASS_OF["routes_sent"]
    assert AUDIT_CLASS_OF["outcome_recorded"] == AUDIT_CLASS_OF["closed"]


# Attack 6: /quality around midnight, and after /forget ---------------------------------------------

async def test_quality_reads_a_released_quarter_that_forget_and_retention_do_not_change(services, people, clock):
    await _history(services)
    core = services.core
    closed = await core.cases.closed_cases("2026-07-01", "2026-10-01")
    for n, (request_id, day) in enumerate(closed):
        await core.cases.add_rating(request_id, 4 + n % 2, day)
        if n < 6:
            await core.cases.add_comment(request_id, "Thank you")
    boss = people(900, "Boss")
    await core.people.ensure(900, 900, "en")
    await core.people.add_role((await core.people.find(900)).id, "coordinator")
    # 00:30 on 1 October (local): Q3 has ended, it is not counted yet, and no half quarter is shown.
    clock.move_to(datetime(2026, 9, 30, 22, 30, tzinfo=UTC))
    await boss.send("/quality")
    assert boss.last().text == ("Q3 2026 is counted on Mon 12 Oct 2026.\nNo quarter has been counted yet. The ratings of a "
                                "quarter are counted once, a week after it ends, and do not change afterwards.")
    await core.cases.add_rating((await core.figures.add_past_case(
        created_at="2026-09-30T22:10:00+00:00", deadline_at="2026-10-01T22:10:00+00:00", department=None,
        requester_id=None, member_id=None)), 1)  # rated just after local midnight: a Q4 rating
    await _sweep(services)
    clock.move_to(SLOT_W46)
    await _sweep(services)
    await boss.send("/quality")
    first = boss.last().text
    assert first.startswith("Ratings in Q3 2026 (1 Jul – 30 Sep 2026, counted on Mon 9 Nov 2026; it does not "
                            "change): ")
    assert "Written comments: 6" in first
    # /forget of every requester and the retention job take comments and cases: /quality is the same.
    for request_id, _ in closed:
        await core.cases.erase_case_content(request_id)
    await services.retention.run(SLOT_W46 + timedelta(days=400))
    await boss.send("/quality")
    assert boss.last().text == first
    assert await core.db.fetchval("SELECT COUNT(*) FROM feedback WHERE comment_enc IS NOT NULL") == 0


async def test_a_closed_period_s_release_is_the_same_before_and_after_forget_and_retention(services, people, clock):
    await _history(services)
    await _sweep(services)
    clock.move_to(SLOT_W46)
    await _sweep(services)
    sofie = await steering(services, people)
    before = {label: (await services.core.releases.get(label)).body for label in await services.core.releases.labels()}
    await sofie.send("/report")
    table = sofie.inbox()[-2].text
    for request_id, _ in await services.core.cases.closed_cases("2026-01-01", "2026-12-31"):
        await services.core.cases.erase_case_content(request_id)
    await services.retention.run(SLOT_W46 + timedelta(days=400))
    after = {label: (await services.core.releases.get(label)).body for label in await services.core.releases.labels()}
    assert after == before
    await sofie.send("/report")
    assert sofie.inbox()[-2].text == table


# The transition from the digests of 13-week windows ------------------------------------------------

async def test_after_an_upgrade_nothing_is_released_that_overlaps_the_old_windows(services, people, clock):
    """The last old digest was made on 17 August: figures start on 1 September; the third quarter
    (July and August were in the old windows) is never released, the fourth one is. An old digest
    is not shown again: one line says so."""
    sofie = await steering(services, people)
    await _history(services)
    core = services.core
    await core.meta.put("figures_epoch", b"2026-09-01")
    await core.digests.add("2026-W34", slot_at=datetime(2026, 8, 17, 6, 30, tzinfo=UTC),
                           made_at=datetime(2026, 8, 17, 6, 31, tzinfo=UTC), late=False, ledger={}, separate=[],
                           published={"v": 1, "week": "2026-W34", "k": 5, "signals": []}, recipients=1)
    await _sweep(services)
    clock.move_to(SLOT_W46)
    assert await _sweep(services) == "2026-W46"
    assert await core.releases.labels("period") == ["2026-09", "2026-10"]
    with pytest.raises(NotReleased) as refused:
        await services.reports.build(parse_period("2026-Q3"))
    assert refused.value.due is None  # never: it began before the figures' start
    result, old, newer = await services.digests.latest(await core.people.find(800), "2026-W34")
    assert newer == "2026-W46"
    text = services.digests.text(old, "en")
    assert "made with the earlier method (13-week windows); its figures are not shown again" in text
    digest = sofie.inbox()[-2].text
    assert digest.startswith("📊 Digest for the steering group, week 46 of 2026")
    assert "October 2026 (final)" in digest and "Q3 2026" not in digest  # never "Q3 is counted on ..."


# What the child is handed ---------------------------------------------------------------------------

def test_the_child_decides_from_figures_alone_and_the_words_come_back_as_they_were():
    """The network's suggestions and the department names stay in the bot's process: the jobs the
    child decides carry none of them, and the bodies with their words put back are the bodies
    decided from the whole jobs, byte for byte."""
    q = "2026-Q2"
    figures = (Figure(f"{q}|req", {"a", "c"}, K, must_show=True), Figure(f"{q}|late", {"a"}, K),
               Figure(f"{q}|missed", {"b"}, K), Figure(f"{q}|conv", {"c"}, K))
    words = {"signals": [{"dep": "Production", "theme": "workload", "suggestions": ["Plan the peak weeks together"]}],
             "names": {"Production": "Productie Gent"}}
    job = Job(2026, K, figures, (Planned(q, "period", tuple(f.key for f in figures), words, (20, 45, 60, 90, 130)),),
              {"a": 2, "b": 1, "c": 30})
    bare, kept = without_words([job])
    handed = pickle.dumps((bare, {}))
    assert b"peak weeks" not in handed and b"Productie Gent" not in handed
    assert kept == {q: words}
    [whole] = decide([job], {})
    assert pickle.dumps(with_words(decide(bare, {}), kept)) == pickle.dumps([whole])
    assert whole["extra"]["signals"] == words["signals"] and "promise" in whole["extra"]


# The last resort: a release that cannot be made safe is withheld whole, and the digest is made -------

def test_a_period_that_stays_pinned_with_everything_withheld_is_released_as_not_shown():
    """Earlier in the year a reader learnt a + b = 10 and b = 8: the new quarter's sentinel a (2) is
    pinned whatever the quarter says. No fallback group helps, and the engine raises; the digest's
    job withholds the whole quarter instead of failing, and the page says in one line why."""
    q = "2026-Q2"
    known = [Row(("2026-Q1", "ab"), (("a", 1), ("b", 1)), 10, 10), Row(("2026-Q1", "b"), (("b", 1),), 8, 8)]
    figures = (Figure(f"{q}|req", {"a", "c"}, K, must_show=True), Figure(f"{q}|late", {"a"}, K),
               Figure(f"{q}|missed", {"a"}, K), Figure(f"{q}|conv", {"c"}, K))
    counts = {"a": 2, "b": 8, "c": 30}
    rows = (sentinel("a", ["a"]),)
    fallback = ((f"{q}|conv",), tuple(f.key for f in figures))
    with pytest.raises(Unprotectable):
        release(counts, figures, label=q, known=Knowledge(list(known)), rows=rows, fallback=fallback)
    job = Job(2026, K, figures, (Planned(q, "period", tuple(f.key for f in figures)),), counts, rows, {}, fallback)
    [body] = decide([job], {2026: known})
    view = PeriodView(body)
    assert {key: s.kind for key, s in view.release.statements.items()} == dict.fromkeys((f.key for f in figures),
                                                                                         "withheld")
    assert view.about_withheld and view.promise.kind == "few"
    words = Words(Translator("en"), Charter.load(), DEPARTMENTS)
    show = Printer(words)
    lines = quarter_lines(view, None, words, show, 24)
    assert "What the conversations were about is not shown this quarter, so that nobody can be singled out." \
        in "\n".join(lines)
    assert "• Requests: –, of which urgent: –" in lines
    assert show.legend(K) == ["“–”: not shown, so that nobody can be singled out."]
