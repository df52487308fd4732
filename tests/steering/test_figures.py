"""The figures engine: small numbers, complementary suppression that only holds back figures of the
release being made, the hint's witness, statements, steps, the promise's bound and the median.

The property tests check the release algorithm against an independent audit that sees only the
statements (never the true counts).
"""
from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.steering.figures import (
    Auditor,
    Figure,
    Knowledge,
    Problem,
    Release,
    Row,
    Statement,
    Unprotectable,
    all_cells,
    audit,
    crosstab,
    known_exactly,
    ladder,
    median,
    promise,
    protected,
    ranges,
    release,
    safe,
    sentinel,
    step,
    table,
)
from bot.steering.figures.knowledge import release_rows


def reader(label: str, figures, statements) -> Problem:
    """What a reader of one release knows, built from its statements alone."""
    problem = Problem()
    for f in figures:
        s = statements[f.key]
        lo, hi = s.bounds()
        problem.add((label, f.key), [(c, 1) for c in sorted(f.cells)], lo, hi, target=s.kind == "small")
    return problem


def truth(figures, counts) -> dict[str, int]:
    return {f.key: sum(counts.get(c, 0) for c in f.cells) for f in figures}


# ---------------------------------------------------------------- the auditor's hint (design §6.6)


def test_a_merged_column_gets_the_average_of_its_cells_as_witness_not_their_sum():
    """The regression of the hint bug: cells a and b sit in exactly the same rows, so the auditor
    merges them into one column that stands for each of them. The true counts (1, 1, 10) used to
    become the point (2, 10), which is not feasible, and it "settled" the hidden A = a + b although
    C = 10 and T = 12 pin it at 2. The engine then released C and T, and its own audit flagged A."""
    figs = [Figure("A", {"a", "b"}, 5), Figure("C", {"c"}, 5), Figure("T", {"a", "b", "c"}, 5)]
    counts = {"a": 1, "b": 1, "c": 10}
    naive = {"A": Statement.small(5), "C": Statement.exact(10), "T": Statement.exact(12)}
    assert [(f.leak.key, f.leak.low, f.leak.high) for f in Auditor(reader("w1", figs, naive), hint=counts).findings()] \
        == [("A", 2.0, 2.0)]
    decided = release(counts, figs, label="w1", known=Knowledge()).statements
    assert decided["A"].kind == "small" and decided["T"] == Statement.exact(12)
    assert decided["C"] == Statement("protected", 8, 12)  # held back: what a reader can work out anyway
    assert audit(reader("w1", figs, decided)) == []


def test_a_hint_that_breaks_a_row_witnesses_nothing():
    """Counts that are not a feasible point (cells not counted yet, a statement about data that has
    changed since) must never settle a target: x + y = 7 and y = 5 pin x at 2, whatever the hint."""
    problem = Problem()
    problem.add(("r", "total"), [("x", 1), ("y", 1)], 7, 7)
    problem.add(("r", "y"), [("y", 1)], 5, 5)
    problem.add(("r", "x"), [("x", 1)], None, 4, target=True)
    found = Auditor(problem, hint={"x": 3, "y": 2}).findings()  # y = 2 breaks "y = 5"
    assert [(f.leak.key, f.leak.low, f.leak.high) for f in found] == [("x", 2.0, 2.0)]


# ---------------------------------------------------------------- classic attacks


def test_a_row_with_one_small_cell_and_a_released_total_cannot_be_subtracted():
    counts, figures = table("t", {("x", "a"): 3, ("y", "a"): 10, ("z", "a"): 12})
    naive = {f.key: Statement.exact(v) if v >= 5 else Statement.small(5) for f, v in
             zip(figures, truth(figures, counts).values())}
    assert ("t", "t|row:x|col:a") in {(lk.label, lk.key) for lk in audit(reader("t", figures, naive))}
    decided = release(counts, figures, label="t", known=Knowledge()).statements
    assert decided["t|row:x|col:a"].kind == "small"
    assert audit(reader("t", figures, decided)) == []
    held = [key for key, s in decided.items() if s.kind == "protected"]
    assert held and all(truth(figures, counts)[key] >= 5 for key in held)


def test_two_by_two_pattern_hides_a_full_rectangle():
    counts, figures = table("t", {("x", "a"): 2, ("x", "b"): 9, ("y", "a"): 8, ("y", "b"): 7})
    decided = release(counts, figures, label="t", known=Knowledge()).statements
    assert audit(reader("t", figures, decided)) == []
    assert decided["t|row:x|col:a"].kind == "small"
    assert sum(s.kind == "protected" for s in decided.values()) >= 2


def test_complements_spare_must_show_figures_when_they_can():
    base, figures = table("t", {("x", "a"): 2, ("y", "a"): 9, ("z", "a"): 30}, total_must_show=True)
    decided = release(base, figures, label="t", known=Knowledge()).statements
    assert decided["t|row:*|col:*"].is_exact  # the grand total stays
    assert audit(reader("t", figures, decided)) == []


def test_every_statement_contains_the_truth_and_a_protected_range_starts_at_the_threshold():
    counts, figures = table("t", {("x", "a"): 3, ("y", "a"): 6, ("x", "b"): 7, ("y", "b"): 8})
    true = truth(figures, counts)
    for key, s in release(counts, figures, label="t", known=Knowledge()).statements.items():
        assert s.holds(true[key]), key
        if s.kind == "protected":
            assert s.low >= 5


# ---------------------------------------------------------------- sequential releases


def test_a_later_release_holds_back_only_its_own_figures():
    """Q1 released "a 3 (small), b 9, total 12"? No: the first release protects a. A later year
    release over the same cells may not change what Q1 said: it holds back its own figures."""
    q1 = [Figure("q1|a", {"a"}, 5), Figure("q1|b", {"b"}, 5)]
    counts = {"a": 3, "b": 9, "c": 10}
    first = release(counts, q1, label="Q1", known=Knowledge()).statements
    assert first == {"q1|a": Statement.small(5), "q1|b": Statement.exact(9)}
    known = Knowledge()
    known.add_release(Release("Q1", "period", 2026, 5, {f.key: f for f in q1}, first))
    year = [Figure("y|ab", {"a", "b"}, 5, must_show=True), Figure("y|c", {"c"}, 5)]
    second = release(counts, year, label="Y", known=known).statements
    # a + b = 12 beside b = 9 would pin a at 3: the year's total is held back, Q1 stays as it was.
    assert second["y|ab"] == Statement("protected", 9, 13)
    assert second["y|c"] == Statement.exact(10)
    everything = Knowledge(list(known.rows))
    everything.add_release(Release("Y", "period", 2026, 5, {f.key: f for f in year}, second))
    assert audit(everything.problem("steering")) == []


def test_a_sentinel_is_protected_although_no_statement_names_it():
    """Two released figures whose difference is a base cell of 2: the cell is a sentinel."""
    figures = [Figure("ab", {"a", "b"}, 5), Figure("b", {"b"}, 5)]
    counts = {"a": 2, "b": 7}
    plain = release(counts, figures, label="r", known=Knowledge()).statements
    assert plain == {"ab": Statement.exact(9), "b": Statement.exact(7)}  # nothing names a
    guarded = release(counts, figures, label="r", known=Knowledge(), rows=[sentinel("a", ["a"])]).statements
    assert sum(s.kind == "protected" for s in guarded.values()) == 1


def test_what_a_coordinator_knows_case_by_case_is_audited_for_one_person_with_both_roles():
    """Urgent requests are known to coordinators; with the week's requests and the non-urgent ones
    released, one person with both roles would pin a week's small count."""
    figures = [Figure("req", {"u", "n", "w"}, 5, must_show=True), Figure("n", {"n"}, 5)]
    counts = {"u": 3, "n": 6, "w": 2}
    rows = [known_exactly("urgent", ["u"], 3), sentinel("week", ["w"])]
    decided = release(counts, figures, label="r", known=Knowledge(), rows=rows).statements
    # req 11 and n 6 with u = 3 known pin w at 2: one of them is held back (n: req must show).
    assert decided["req"] == Statement.exact(11) and decided["n"].kind == "protected"


def test_a_small_figure_whose_own_bound_pins_earlier_releases_is_withheld_and_stays_a_target():
    """Q1 and Q2 each say "3, of which a (or b) fewer than 3, the rest fewer than 3": a and b are 1
    or 2. The year's a + b is 2: "fewer than 3" would pin both at 1, and there is no figure of the
    year to hold back but that one. It is withheld (it once raised Unprotectable), and stays a
    target for whatever comes later in the year."""
    counts = {"a": 1, "a2": 2, "b": 1, "b2": 2}
    known = Knowledge()
    for q, (x, y) in (("Q1", ("a", "a2")), ("Q2", ("b", "b2"))):
        figures = [Figure(f"{q}|{x}", {x}, 3), Figure(f"{q}|{y}", {y}, 3), Figure(f"{q}|all", {x, y}, 3)]
        decided = release(counts, figures, label=q, known=known).statements
        assert decided[f"{q}|all"] == Statement.exact(3) and decided[f"{q}|{x}"] == Statement.small(3)
        known.add_release(Release(q, "period", 2026, 3, {f.key: f for f in figures}, decided), counts)
    naive = Knowledge(list(known.rows))
    naive.add([Row(("Y", "Y|ab"), (("a", 1), ("b", 1)), None, 2, "all")])
    assert {(lk.key, lk.low, lk.high) for lk in audit(naive.problem("steering"))} >= {("Q1|a", 1, 1), ("Q2|b", 1, 1)}
    year = Figure("Y|ab", {"a", "b"}, 3)
    decided = release(counts, [year], label="Y", known=known)
    assert decided.statements == {"Y|ab": Statement.withheld()} and decided.withheld == ()
    rel = Release("Y", "period", 2026, 3, {"Y|ab": year}, decided.statements)
    assert release_rows(rel) == []  # a reader learns nothing from it
    # With the true counts (as the year's knowledge has them), it is a target like a sentinel.
    assert release_rows(rel, counts) == [Row(("Y", "Y|ab"), (("a", 1), ("b", 1)), None, None, "all")]
    everything = Knowledge(list(known.rows))
    everything.add_release(rel, counts)
    assert audit(everything.problem("steering")) == []


def test_a_release_that_cannot_be_made_safe_withholds_its_fallback_groups():
    counts = {"a": 2, "b": 8}
    figures = [Figure("ab", {"a", "b"}, 5), Figure("b", {"b"}, 5)]
    fixed = {"ab": Statement.exact(10), "b": Statement.exact(8)}  # nothing left to hold back, and a is pinned
    with pytest.raises(Unprotectable):
        release(counts, figures, label="r", known=Knowledge(), rows=[sentinel("a", ["a"])], fixed=fixed)
    decided = release(counts, figures, label="r", known=Knowledge(), rows=[sentinel("a", ["a"])], fixed=fixed,
                      fallback=[("b",)])
    assert decided.statements["b"].kind == "withheld" and decided.withheld == (0,)


# ---------------------------------------------------------------- steps, the promise and the median


def test_steps_are_fixed_multiples_of_k_and_at_least_k_wide():
    assert ladder(5)[:6] == [0, 5, 10, 20, 40, 80]
    assert step(0, 5) == Statement("step", 0, 4) and step(4, 5) == Statement("step", 0, 4)
    assert step(5, 5) == Statement("step", 5, 9) and step(19, 5) == Statement("step", 10, 19)
    assert step(12, 5, wider=1) == Statement("step", 10, 39)
    for value in range(200):
        s = step(value, 5)
        assert s.holds(value) and (s.high is None or s.high - s.low + 1 >= 5)


def test_steps_every_monday_and_the_month_s_total_never_pin_a_week():
    """A week's requests are a sentinel; the month so far is released in steps every Monday, then
    the month exactly: from one step to the next a reader learns a range at least k wide."""
    known = Knowledge()
    weeks = {"w1": 3, "w2": 1, "w3": 4, "w4": 2}
    steps = []
    for n, upto in enumerate((["w1"], ["w1", "w2"], ["w1", "w2", "w3"])):
        figure = Figure(f"s{n}", frozenset(upto), 5)
        fixed = {figure.key: step(sum(weeks[w] for w in upto), 5)}
        rows = [sentinel(w, [w]) for w in upto]
        decided = release(weeks, [figure], label=f"o{n}", known=known, rows=rows, fixed=fixed).statements
        steps.append(decided[figure.key])
        known.add(rows)
        known.add_release(Release(f"o{n}", "open", 2026, 5, {figure.key: figure}, decided))
    assert steps == [Statement("step", 0, 4), Statement("step", 0, 4), Statement("step", 5, 9)]
    month = [Figure("m", frozenset(weeks), 5, must_show=True)]
    decided = release(weeks, month, label="m", known=known, rows=[sentinel("w4", ["w4"])]).statements
    assert decided["m"] == Statement.exact(10)
    known.add([sentinel("w4", ["w4"])])
    known.add_release(Release("m", "period", 2026, 5, {"m": month[0]}, decided))
    assert audit(known.problem("steering")) == []


@given(st.integers(5, 400), st.integers(0, 60), st.integers(0, 60))
@settings(max_examples=150, deadline=None, derandomize=True)
def test_property_the_promise_is_never_blank_and_always_contains_the_truth(requests, late, missed):
    late = min(late, requests)
    missed = min(missed, late)
    kept, tested = requests - late, requests - late + missed
    statements = [Statement.exact(v) if v >= 5 else Statement.small(5) for v in (requests, late, missed)]
    found = promise(*statements)
    assert found.kind in ("share", "at_least", "range", "few")
    if tested and kept:
        share = 100 * kept / tested
        assert found.kind != "few"
        if found.kind == "share":  # exact: "96 % (75 of 78)", the percentage rounded down
            assert (found.kept, found.tested, found.low) == (kept, tested, math.floor(share + 1e-9))
        else:
            assert found.low <= share + 1e-9 and share <= found.high + 1e-9
    if late < 5:  # fewer than k without contact in time: a lower bound from R and k alone
        assert found.kind == "at_least" and found.low == math.floor(100 * (requests - 4) / requests)


def test_the_promise_reads_as_the_design_says():
    assert promise(Statement.exact(25), Statement.small(5), Statement.small(5)).low == 84
    assert promise(Statement.exact(70), Statement.small(5), Statement.small(5)).low == 94
    share = promise(Statement.exact(348), Statement.exact(19), Statement.exact(5))
    assert (share.kind, share.low, share.kept, share.tested) == ("share", 98, 329, 334)


def test_the_median_is_exact_from_k_values_and_a_bound_below():
    assert median([10, 20, 30, 40, 50, 60], 5, promise(Statement.exact(6), Statement.small(5),
                                                        Statement.small(5)), 6, 1440).minutes == 35
    few = median([10, 20], 5, promise(Statement.exact(30), Statement.small(5), Statement.small(5)), 30, 1440)
    assert (few.kind, few.minutes) == ("at_most", 1440)
    assert median([10], 5, promise(Statement.small(5), Statement.small(5), Statement.small(5)), None, 1440).kind == \
        "none"


# ---------------------------------------------------------------- plumbing


def test_a_release_round_trips_as_json_and_keeps_every_row():
    counts, figures = table("t", {("x", "a"): 3, ("y", "a"): 10, ("z", "a"): 12})
    decided = release(counts, figures, label="t", known=Knowledge()).statements
    rel = Release("2026-Q3", "period", 2026, 5, {f.key: f for f in figures}, decided, {"signals": []})
    again = Release.from_json(json.loads(json.dumps(rel.to_json())))
    assert again.statements == rel.statements and again.figures == rel.figures
    assert release_rows(again) == release_rows(rel)


def test_a_release_is_deterministic():
    counts, figures = table("t", {("x", "a"): 2, ("x", "b"): 9, ("y", "a"): 8, ("y", "b"): 7, ("z", "a"): 1})
    first = release(counts, figures, label="t", known=Knowledge()).statements
    assert all(release(counts, figures, label="t", known=Knowledge()).statements == first for _ in range(3))


@pytest.mark.parametrize("bad", [
    {"x": -1}, {"x": 1.5}, {"x": True}, {"a\nb": 1},
])
def test_bad_counts_are_refused(bad):
    with pytest.raises(ValueError):
        release(bad, [Figure("f", {"x"}, 5)], label="t", known=Knowledge())


def test_a_figure_without_cells_and_a_key_twice_are_refused():
    with pytest.raises(ValueError):
        Figure("f", frozenset(), 5)
    with pytest.raises(ValueError):
        release({}, [Figure("f", {"x"}, 5), Figure("f", {"y"}, 5)], label="t", known=Knowledge())


def test_the_protection_criterion_is_two_integers_or_nobody():
    assert protected(3, 4) and protected(0, 4) and protected(2.9, 4.1)
    assert not protected(3, 3) and not protected(2.5, 3.4) and protected(0, math.inf)
    assert safe(0, 0) and safe(0, 0.5) and not safe(1, 1) and not safe(2, 2)


def test_the_engine_imports_neither_telegram_nor_storage():
    code = ("import sys, bot.steering.figures; bad = [m for m in sys.modules if m.split('.')[0] in "
            "('telegram', 'aiosqlite') or m.startswith('bot.') and m != 'bot.steering' "
            "and not m.startswith('bot.steering.figures')]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_bot_starts_without_the_engine_s_solver_and_the_chart_library():
    """numpy, scipy and highspy (the auditor's) and matplotlib (the chart's) load when first used."""
    code = ("import sys, bot.cli, bot.app; print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'numpy', 'scipy', 'highspy', 'matplotlib'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# ---------------------------------------------------------------- properties


@st.composite
def year_of_tables(draw):
    """Four quarters of department x theme tables (with totals), then the year over the same cells."""
    k = draw(st.integers(3, 7))
    deps = [f"D{i}" for i in range(draw(st.integers(1, 3)))]
    themes = [f"T{i}" for i in range(draw(st.integers(1, 3)))]
    size = st.one_of(st.just(0), st.integers(0, k), st.integers(0, 4 * k))
    quarters = [{cell: draw(size) for cell in all_cells(q=[f"Q{n}"], dep=deps, theme=themes)} for n in range(1, 5)]
    return k, deps, themes, quarters


# The year's "fewer than 3" over D0 x T1 (1 in Q1, 1 in Q2, each known to be 1 or 2) pinned both
# quarters, and no figure of the year was left to hold back but that one: it once raised Unprotectable.
YEAR_SMALL_PINS_TWO_QUARTERS = (3, ["D0", "D1"], ["T0", "T1"], [
    {"dep:D0|q:Q1|theme:T0": 2, "dep:D0|q:Q1|theme:T1": 1, "dep:D1|q:Q1|theme:T0": 0, "dep:D1|q:Q1|theme:T1": 0},
    {"dep:D0|q:Q2|theme:T0": 0, "dep:D0|q:Q2|theme:T1": 1, "dep:D1|q:Q2|theme:T0": 0, "dep:D1|q:Q2|theme:T1": 2},
    {"dep:D0|q:Q3|theme:T0": 0, "dep:D0|q:Q3|theme:T1": 0, "dep:D1|q:Q3|theme:T0": 0, "dep:D1|q:Q3|theme:T1": 0},
    {"dep:D0|q:Q4|theme:T0": 0, "dep:D0|q:Q4|theme:T1": 0, "dep:D1|q:Q4|theme:T0": 0, "dep:D1|q:Q4|theme:T1": 0}])


@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(year_of_tables())
@example(YEAR_SMALL_PINS_TWO_QUARTERS)
def test_property_a_reader_of_every_release_of_a_year_pins_no_small_figure(case):
    k, deps, themes, quarters = case
    counts = {cell: n for q in quarters for cell, n in q.items()}
    known = Knowledge()
    releases = []
    for n, cells in enumerate(quarters, 1):
        figures = crosstab(f"Q{n}", cells, "dep", "theme", threshold=k, total_must_show=True)
        decided = release(counts, figures, label=f"Q{n}", known=known).statements
        rel = Release(f"Q{n}", "period", 2026, k, {f.key: f for f in figures}, decided)
        known.add_release(rel, counts)
        releases.append(rel)
    figures = crosstab("Y", list(counts), "dep", "theme", threshold=k, total_must_show=True)  # sums the quarters
    decided = release(counts, figures, label="Y", known=known).statements
    releases.append(Release("Y", "period", 2026, k, {f.key: f for f in figures}, decided))
    # The independent check: every statement from the releases alone (no true counts), with every
    # figure that is small in truth as a target, said or not.
    problem = Problem()
    for rel in releases:
        for key, f in rel.figures.items():
            s = rel.statements[key]
            true = sum(counts.get(c, 0) for c in f.cells)
            assert s.holds(true), key
            lo, hi = s.bounds()
            problem.add((rel.label, key), [(c, 1) for c in sorted(f.cells)], lo, hi,
                        target=s.kind == "small" or (s.kind == "withheld" and true < k))
    assert audit(problem) == []
    for (label, key), (low, high) in ranges(problem).items():
        assert safe(low, high), (label, key, low, high)  # two values at least, or known to be 0


@st.composite
def known_sums_then_loosened(draw):
    """A reader's rows over a few cells (true counts, sums of them stated exactly or as a range
    around the truth), and which rows are then loosened, and how."""
    cells = [f"c{i}" for i in range(draw(st.integers(2, 7)))]
    counts = {c: draw(st.integers(0, 9)) for c in cells}
    rows = []
    for n in range(draw(st.integers(2, 9))):
        terms = sorted(draw(st.sets(st.sampled_from(cells), min_size=1)))
        true = sum(counts[c] for c in terms)
        below, above = draw(st.integers(0, 3)), draw(st.integers(0, 3))
        rows.append((f"r{n}", terms, max(true - below, 0), true + above))
    loosened = draw(st.lists(st.tuples(st.integers(0, len(rows) - 1), st.sampled_from(["none", "lower"])),
                             max_size=len(rows)))
    return rows, loosened


@settings(max_examples=40, deadline=None, derandomize=True)
@given(known_sums_then_loosened())
def test_property_a_program_loosened_in_place_answers_as_one_made_afresh(case):
    """The auditor keeps each component's program between solves and loosens its bounds in place
    (a hot start): it must find exactly the ranges a program built from the loosened rows finds."""
    rows, loosened = case
    problem = Problem()
    for owner, terms, lo, hi in rows:
        problem.add(("t", owner), [(c, 1) for c in terms], lo, hi, target=True)
    kept = Auditor(problem)
    before = kept.ranges()
    for index, how in loosened:
        owner, _, lo, _ = rows[index]
        row = next(r for r in problem.rows if r.owner == ("t", owner))
        if how == "none":
            kept.loosen(("t", owner))
        elif row.lo is not None:
            kept.loosen(("t", owner), lo=max(row.lo - 2, 0), hi=None)
    after, afresh = kept.ranges(), Auditor(problem).ranges()
    assert after.keys() == afresh.keys() == before.keys()
    for owner, (low, high) in afresh.items():
        assert after[owner][0] == pytest.approx(low, abs=1e-6)
        assert after[owner][1] == pytest.approx(high, abs=1e-6)
        assert low <= before[owner][0] + 1e-6 and high >= before[owner][1] - 1e-6  # loosened: only wider


@settings(max_examples=30, deadline=None, derandomize=True)
@given(st.integers(4, 10), st.lists(st.integers(0, 40), min_size=2, max_size=8))
def test_property_single_row_tables(k, row):
    counts, figures = table("t", {(f"r{i}", "c"): n for i, n in enumerate(row)}, threshold=k)
    decided = release(counts, figures, label="t", known=Knowledge()).statements
    true = truth(figures, counts)
    assert all(s.holds(true[key]) for key, s in decided.items())
    assert all(s.kind != "exact" or s.low >= k for s in decided.values())
    assert audit(reader("t", figures, decided)) == []


def test_rows_are_plain_data():
    row = Row(("a", "b"), (("x", 1),), 0, 4, "all")
    assert row == Row(("a", "b"), (("x", 1),), 0, 4, "all")


def test_what_a_coordinator_knows_is_no_secret_to_them_and_a_count_of_0_points_at_nobody():
    """A year's "without contact in time: fewer than 5" is 4 missed promises (each known to
    coordinators, case by case) and 0 withdrawals: one person with both roles learns that nobody
    withdrew early. That describes nobody, so the release goes out as it is (it once fell back to
    withholding everything)."""
    figures = [Figure("late", {"missed", "withdrew"}, 5), Figure("req", {"missed", "withdrew", "kept"}, 5,
                                                                   must_show=True)]
    counts = {"missed": 4, "withdrew": 0, "kept": 40}
    decided = release(counts, figures, label="y", known=Knowledge(), rows=[known_exactly("missed", ["missed"], 4)])
    assert decided.statements == {"late": Statement.small(5), "req": Statement.exact(44)} and decided.withheld == ()
    # One withdrawal more: "late" is 5, and shown exactly it would pin that one withdrawal for the
    # person who is both (a sentinel: 1 .. k-1): it is held back.
    counts["withdrew"] = 1
    rows = [known_exactly("missed", ["missed"], 4), sentinel("withdrew", ["withdrew"])]
    decided = release(counts, figures, label="y", known=Knowledge(), rows=rows)
    assert decided.statements["late"].kind == "protected" and decided.statements["req"] == Statement.exact(45)
