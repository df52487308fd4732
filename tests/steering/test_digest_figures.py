"""The digest's figures against a curious reader: property tests over random case sets, going
through the real digest builder (bot/steering/digest/digest.py), its stored form and its renderers.

For every digest and every pair of consecutive digests: nothing below k is published (in the
release, the text or the chart), and no hidden figure can be worked out, by the engine's own
auditor (`bot.steering.figures.audit`, which sees only what was published) nor with the reader's extra
knowledge that a theme count is at most the requests of its window (`digest.leaks`).
"""
from __future__ import annotations

import re
from dataclasses import replace
from types import SimpleNamespace

from digest_cases import (
    WINDOWS,
    Case,
    TeamSignal,
    counts_of,
    department_requests,
    team_departments,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.foundations.charter import Charter
from bot.foundations.i18n import Translator
from bot.steering.digest import digest as dg
from bot.steering.digest.chart import chart_numbers
from bot.steering.digest.model import Published
from bot.steering.digest.render import Words, render_digest, review_text
from bot.steering.figures import Hidden, Shown, audit

DEPARTMENTS = ("Production", "Logistics", "Office")
WORK = ("workload", "conflict_colleague_mgr", "stress")
PRIVATE = ("private_problems",)
LEVELS = ("individual", "team", "organisation")
KINDS = ("company_doctor", "psychologist")
CHARTER = Charter.load()


def cases(max_age: int):
    return st.builds(
        Case,
        age=st.integers(0, max_age),
        dep=st.sampled_from(DEPARTMENTS + (None, "Maintenance")),
        themes=st.lists(st.sampled_from(WORK + PRIVATE), max_size=2).map(tuple),
        level=st.sampled_from(LEVELS + (None,)),
        urgent=st.booleans(),
        outcome=st.sampled_from(dg.OUTCOME_KEYS + (None,)),
        withdrawn=st.just(False),
        breached=st.booleans(),
        wait=st.one_of(st.none(), st.integers(0, 3000)),
        referrals=st.lists(st.sampled_from(KINDS), max_size=2).map(tuple),
        requester=st.one_of(st.none(), st.integers(0, 12)),
        concern=st.booleans(),
        collective=st.booleans(),
    )


def team_signals(max_age: int):
    return st.builds(TeamSignal, age=st.integers(0, max_age), dep=st.sampled_from(DEPARTMENTS + ("Maintenance",)),
                     themes=st.lists(st.sampled_from(WORK), min_size=1, max_size=2).map(tuple),
                     level=st.sampled_from(LEVELS))


@st.composite
def histories(draw):
    """A case set, and what the next week adds: every case ages by one week, a few new ones
    arrive (the two digests' windows overlap in all but one week)."""
    k = draw(st.sampled_from((3, 5)))
    start = draw(st.lists(cases(56), max_size=draw(st.integers(0, 70))))
    new = draw(st.lists(cases(0), max_size=draw(st.sampled_from((1, 3, 8)))))
    reported = draw(st.lists(st.tuples(st.sampled_from(DEPARTMENTS + (dg.OTHER,)), st.sampled_from(WORK),
                                       st.sampled_from(("recent", "year"))), max_size=3))
    team = draw(st.lists(team_signals(14), max_size=draw(st.sampled_from((0, 6, 30)))))
    team_new = draw(st.lists(team_signals(0), max_size=3))
    return k, start, new, reported, team, team_new


def _build(k, cases_now, label, previous, reported, team=()):
    departments = dg.group_departments(department_requests(cases_now), DEPARTMENTS, k=k,
                                       separate_before=previous.separate if previous else None,
                                       team=team_departments(team))
    counts = counts_of(cases_now, departments, WORK, PRIVATE, LEVELS, team)
    dims = dg.Dims(WINDOWS, departments.order, WORK, (*LEVELS, dg.UNSET), KINDS,
                   tuple(dg.dep_key(d) for d in departments.team_names))
    built = dg.build(counts, label=label, k=k, dims=dims, departments=departments, previous=previous,
                     reported=[dg.Reported(*r, suggestions=("Plan the peaks.",)) for r in reported], signal_min=2,
                     extra={"windows": [[w, "2026-01-05", "2026-04-05"] for w in WINDOWS], "weeks": 13,
                            "separate": sorted(departments.separate),
                            "health": {"listeners": 3, "paused": 0, "makeup": {}, "gaps": {}}})
    return built, counts


def _numbers_in_text(text: str, pub: Published) -> list[int]:
    """Every number the digest's text states about requests (dates, windows, percentages, hours
    and thresholds taken out)."""
    body = text.split("\n\n", 1)[1]  # the title and the window's dates
    body = body.split("\nThe network\n")[0]  # the make-up is about listeners (and "open" is checked below)
    body = re.sub(r"\d+%|\d+ h\b|\d+ weeks|12 months|at least \d+ different|within \d+ h|fewer than \d+|by \d+ or more", "", body)
    return [int(n) for n in re.findall(r"\d+", body)]


def _check(built: dg.Built, counts: dg.Counts, k: int) -> None:
    rel = built.release
    for key, outcome in rel.figures.items():
        assert not isinstance(outcome, Shown) or outcome.value >= k, key
    for key, outcome in rel.shares.items():
        if isinstance(outcome, Shown) and outcome.fresh:
            kept, decided = counts.promise.get(key.rsplit(":", 1)[1], (0, 0))
            assert kept >= k and decided - kept >= k
    for key, outcome in rel.medians.items():
        if isinstance(outcome, Shown) and outcome.fresh:
            assert len(counts.waits.get(key.rsplit(":", 1)[1], ())) >= k
    pub = Published(built.published)
    text = render_digest(pub, Words(Translator("en"), CHARTER, DEPARTMENTS), CHARTER_TZ)
    assert all(n >= k for n in _numbers_in_text(text, pub)), text
    assert all(n >= k for n in chart_numbers(pub))
    if not pub.figure("open|now").hidden:
        assert pub.figure("open|now").value >= k


CHARTER_TZ = __import__("zoneinfo").ZoneInfo("Europe/Brussels")


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(histories())
def test_property_digests_show_nothing_below_k_and_nothing_can_be_worked_out(history):
    """Two consecutive digests over random cases. `leaks` checks all the engine's auditor checks
    and more (its problem has extra rows), so `audit(None, first)` is implied by it."""
    k, start, new, reported, team, team_new = history
    previous = None
    weeks = ((start, team), ([replace(c, age=c.age + 1) for c in start] + new,
                             [replace(s, age=s.age + 1) for s in team] + team_new))
    for number, (cases_now, team_now) in enumerate(weeks):
        built, counts = _build(k, cases_now, f"2026-W{10 + number}", previous, reported, team_now)
        _check(built, counts, k)
        stored = dg.release_of(built.published)  # what the next digest reads back
        assert stored[0].figures == built.release.figures
        if previous is not None:
            # the engine's own auditor, on what both digests published, and nothing else
            assert audit(previous.release, stored[0]) == []
            for key, now in stored[0].figures.items():
                before = previous.release.figures.get(key)
                if isinstance(now, Shown) and isinstance(before, Shown) and now.value != before.value:
                    assert abs(now.value - before.value) >= k, key  # one request never shows
        # and with what a reader also knows: a theme count is at most the requests of its window
        assert dg.leaks((previous.release, previous.dims) if previous else None, stored) == []
        previous = dg.Previous(built.release.ledger, built.published["separate"], stored[0], stored[1])


def test_three_digests_in_a_row_pass_the_engines_audit_alone_and_in_pairs():
    k, weeks = 5, []
    base = [Case(age=(3 * a) % 40, dep=(DEPARTMENTS + (None,))[a % 4], themes=(WORK[a % 3], WORK[(a // 3) % 3]),
                 level=(LEVELS + (None,))[a % 4], requester=a % 17, outcome=dg.OUTCOME_KEYS[a % 5],
                 urgent=a % 9 == 0, breached=a % 7 == 0, wait=(a * 37) % 900, referrals=KINDS[: a % 3])
            for a in range(80)]
    previous = None
    for number in range(3):
        cases_now = [replace(c, age=c.age + number) for c in base] + [
            Case(age=0, dep="Production", themes=("stress",), requester=90 + i) for i in range(2 * number)]
        built, counts = _build(k, cases_now, f"2026-W{20 + number}", previous, [("Production", "workload", "recent")])
        _check(built, counts, k)
        assert audit(None, built.release) == []
        if previous is not None:
            assert audit(previous.release, built.release) == []
        previous = dg.Previous(built.release.ledger, built.published["separate"], built.release, built.dims)
        weeks.append(built)
    assert any(isinstance(o, Shown) and not o.fresh for o in weeks[-1].release.figures.values())


def test_one_new_request_between_two_digests_changes_nothing_visible():
    k = 5
    base = [Case(age=a % 12, dep=DEPARTMENTS[a % 3], themes=(WORK[a % 3],), level=LEVELS[a % 2], requester=a,
                 outcome="listened", wait=60 + a) for a in range(40)]
    first, _ = _build(k, base, "2026-W10", None, [])
    previous = dg.Previous(first.release.ledger, first.published["separate"], *dg.release_of(first.published))
    for dep in DEPARTMENTS + (None,):
        extra = Case(age=0, dep=dep, themes=(WORK[0], PRIVATE[0]), level="team", urgent=True, breached=True,
                     referrals=(KINDS[0],), requester=99, outcome="referred", wait=2000)
        second, _ = _build(k, base + [extra], "2026-W11", previous, [])
        for key, outcome in second.release.figures.items():
            was = first.release.figures[key]
            if isinstance(was, Shown):
                assert outcome == Shown(was.value, False, "2026-W10"), key
            elif isinstance(outcome, Shown):
                assert outcome.value >= k
        assert dg.leaks((previous.release, previous.dims), (second.release, second.dims)) == []


def test_reported_signals_show_only_with_a_shown_count_and_different_colleagues():
    k = 5
    many = [Case(age=a % 10, dep="Production", themes=("workload",), level="team", requester=a, wait=30)
            for a in range(12)]
    one_person = [Case(age=a, dep="Logistics", themes=("conflict_colleague_mgr",), requester=7, wait=30)
                  for a in range(6)]
    few = [Case(age=1, dep="Office", themes=("stress",), requester=50 + a) for a in range(3)]
    reported = [("Production", "workload", "recent"), ("Logistics", "conflict_colleague_mgr", "recent"),
                (dg.OTHER, "stress", "recent")]
    built, counts = _build(k, many + one_person + few, "2026-W10", None, reported)
    shown = [(s["dep"], s["theme"], s["basis"]) for s in built.published["signals"]]
    # Logistics: six requests from one colleague is no signal; Office (merged): fewer than k
    assert shown == [("Production", "workload", "colleagues")]
    candidates = {(c[0], c[1]) for c in built.candidates}
    assert ("Production", "workload") in candidates and ("Logistics", "conflict_colleague_mgr") not in candidates


def test_private_life_is_counted_apart_and_never_in_the_themes():
    k = 5
    cases_ = [Case(age=a, dep="Production", themes=("private_problems",), requester=a) for a in range(7)]
    built, _ = _build(k, cases_, "2026-W10", None, [])
    pub = Published(built.published)
    assert pub.figure("prv|win:now").value == 7
    assert all(not key.endswith("theme:private_problems") for key in built.release.figures)


def test_an_empty_window_says_so_in_one_line_and_has_no_chart():
    built, _ = _build(5, [Case(age=0, dep="Production", themes=("workload",), requester=1)], "2026-W10", None, [])
    pub = Published(built.published)
    assert pub.empty and chart_numbers(pub) == []
    text = render_digest(pub, Words(Translator("en"), CHARTER, DEPARTMENTS), CHARTER_TZ)
    assert "Fewer than 5 requests in these 13 weeks" in text and "Use\n" not in text


def test_a_hidden_number_reads_the_same_whether_small_or_held_back():
    # Production x workload is held back to protect Office x workload (2): both read "–".
    cases_ = ([Case(age=1, dep="Production", themes=("workload",), requester=a) for a in range(9)]
              + [Case(age=1, dep="Office", themes=("workload",), requester=20 + a) for a in range(6)]
              + [Case(age=1, dep="Logistics", themes=("stress",), requester=40 + a) for a in range(6)]
              + [Case(age=2, dep="Office", themes=("stress",), requester=60 + a) for a in range(2)])
    built, _ = _build(5, cases_, "2026-W10", None, [])
    hidden = {key: o for key, o in built.release.figures.items() if isinstance(o, Hidden)}
    assert any(o.primary for o in hidden.values()) and any(not o.primary for o in hidden.values())
    assert all(built.published["figures"][key][:3] == [None, False, None] for key in hidden)


def test_a_department_removed_from_the_settings_stays_countable_as_a_former_one():
    k = 5
    cases_ = [Case(age=a % 10, dep="Maintenance", themes=("workload",), requester=a) for a in range(12)]
    cases_ += [Case(age=1, dep="Production", themes=("stress",), requester=40 + a) for a in range(6)]
    built, _ = _build(k, cases_, "2026-W10", None, [("Maintenance", "workload", "recent")])
    pub = Published(built.published)
    assert "Maintenance" in pub.dims.deps  # counted by the name stored on each request
    words = Words(Translator("en"), CHARTER, DEPARTMENTS)  # the settings no longer list it
    assert words.dep("Maintenance", pub) == "Maintenance (former)"
    text = render_digest(pub, words, CHARTER_TZ)
    assert "Maintenance (former) · High workload: 12 requests in 13 weeks" in text
    assert dg.dep_key("R&D: lab|2") == "R&D꞉ lab¦2" and dg.dep_key("~x") == "～x"  # never breaks a key


def test_team_signals_are_a_section_of_their_own_under_the_same_rule():
    k = 5
    cases_ = [Case(age=a % 10, dep=DEPARTMENTS[a % 3], themes=("stress",), requester=a, wait=30) for a in range(15)]
    team = ([TeamSignal(age=a % 12, dep="Logistics", themes=("workload",), level="team") for a in range(7)]
            + [TeamSignal(age=1, dep="Office", themes=("workload", "stress"), level="organisation") for _ in range(2)]
            + [TeamSignal(age=20, dep="Production", themes=("stress",)) for _ in range(9)])  # before the window
    built, counts = _build(k, cases_, "2026-W10", None, [], team)
    _check(built, counts, k)
    pub = Published(built.published)
    assert pub.figure("ts|dep:Logistics|theme:workload").value == 7
    assert pub.figure("ts|dep:Office|theme:workload").hidden and pub.figure("ts|dep:Office|theme:stress").hidden
    assert pub.figure("req|win:now").value == 15  # never added to the requests
    text = render_digest(pub, Words(Translator("en"), CHARTER, DEPARTMENTS), CHARTER_TZ)
    section = text.split("Signals without a conversation (from employees, last 13 weeks)\n")[1].split("\n\n")[0]
    assert section.startswith("• High workload: Logistics 7 (team 7)")
    assert "Stress" not in section and "Office" not in section


def test_concerns_and_the_collective_character_are_counted_apart_within_the_requests():
    k = 5
    cases_ = [Case(age=a % 12, dep=DEPARTMENTS[a % 3], themes=("workload",), requester=a, wait=30,
                   concern=a < 6, collective=a % 2 == 0) for a in range(20)]
    cases_ += [Case(age=14, dep="Production", requester=40 + a, concern=True) for a in range(2)]
    built, counts = _build(k, cases_, "2026-W10", None, [])
    _check(built, counts, k)
    pub = Published(built.published)
    assert (pub.figure("con|win:now").value, pub.figure("col|win:now").value) == (6, 10)
    assert pub.figure("con|win:prev").hidden  # two, in the window before
    text = render_digest(pub, Words(Translator("en"), CHARTER, DEPARTMENTS), CHARTER_TZ)
    assert "• Worried about a colleague: 6 (before: –)" in text
    assert "• With a collective character: 10 (before: –)" in text
    # A reader who knows a concern count is at most its window's requests learns nothing more.
    assert dg.leaks(None, (built.release, built.dims)) == []


def test_one_team_signal_reads_the_same_as_none():
    cases_ = [Case(age=a % 10, dep=DEPARTMENTS[a % 3], themes=("stress",), requester=a, wait=30) for a in range(15)]
    words = Words(Translator("en"), CHARTER, DEPARTMENTS)
    texts = []
    for team in ([], [TeamSignal(age=1, dep="Office", themes=("workload",))]):
        built, _ = _build(5, cases_, "2026-W10", None, [], team)
        texts.append(render_digest(Published(built.published), words, CHARTER_TZ))
    assert texts[0] == texts[1]
    assert "• None can be shown yet: fewer than 5 for each theme." in texts[0]


def test_a_signal_over_12_months_never_states_its_count():
    """The 12-month count is this window plus the three before, which the digests 13, 26 and 39
    weeks earlier showed as their own windows: with it, a reader would subtract their way to this
    window's 1, below k. So it is said to recur, with no number, in the digest and the review."""
    k = 5
    cases_ = ([Case(age=a, dep="Production", themes=("workload",), requester=a) for a in (1,)]
              + [Case(age=13 * w + a, dep="Production", themes=("workload",), requester=10 * w + a)
                 for w in (1, 2, 3) for a in range(5)]
              + [Case(age=a, dep=dep, themes=("stress",), requester=100 + 10 * i + a)
                 for i, dep in enumerate(("Production", "Office")) for a in range(6)])
    built, _ = _build(k, cases_, "2026-W10", None, [("Production", "workload", "year")])
    pub = Published(built.published)
    assert pub.figure(dg.signal_key("year", "Production", "workload")).value == 16  # released, for the auditor
    assert [(s["dep"], s["span"]) for s in pub.signals] == [("Production", "year")]
    assert pub.signal_count(pub.signals[0]).hidden
    words = Words(Translator("en"), CHARTER, DEPARTMENTS)
    text = render_digest(pub, words, CHARTER_TZ)
    assert "Production · High workload: recurring over 12 months, from at least 2 different colleagues." in text
    assert 16 not in _numbers_in_text(text, pub)
    year = [c for c in built.candidates if c[2] == "year"]
    assert year == [("Production", "workload", "year", "colleagues")]
    candidate = SimpleNamespace(id=1, position=1, dep="Production", theme="workload", span="year", basis="colleagues")
    review = review_text(words, pub, "May 2026", [candidate], {1: pub.signal_count(pub.signals[0])}, {})
    assert "1. Production · High workload (12 months): recurs, no number · to report 0, not 0" in review
    assert "16" not in review
