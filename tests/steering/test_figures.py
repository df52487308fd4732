"""The figures engine: small cells, complementary suppression, hysteresis, shares, medians.

The property tests check the release algorithm against the independent auditor (`audit`),
which sees only what a release publishes.
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.steering.figures import (
    Figure,
    Hidden,
    Median,
    Release,
    Share,
    Shown,
    all_cells,
    audit,
    cell_key,
    crosstab,
    hidden_ranges,
    median_rounded,
    merge_small_departments,
    regroup,
    release,
    share_percent,
    table,
)

# ---------------------------------------------------------------- helpers


def true_values(rel: Release, counts) -> dict[str, int]:
    return {key: sum(counts.get(c, 0) for c in f.cells) for key, f in rel.definitions.items()}


def naive(counts, figures, k, label="naive") -> Release:
    """What a release would be with the k rule alone: the thing complementary suppression fixes."""
    outcome = {}
    for f in figures:
        value = sum(counts.get(c, 0) for c in f.cells)
        outcome[f.key] = Shown(value, True, label) if value >= k else Hidden(True)
    return Release(label, k, outcome, {f.key: f for f in figures})


def assert_hysteresis(previous: Release | None, current: Release, counts, k: int) -> None:
    """Every value is repeated (marked unchanged) or its true count moved >= k from its anchor."""
    ledger = previous.ledger["figures"] if previous else {}
    true = true_values(current, counts)
    for key, outcome in current.figures.items():
        entry = ledger.get(key)
        anchor = entry["anchor"] if entry else 0
        if isinstance(outcome, Shown) and outcome.fresh:
            assert outcome.value == true[key] >= k
            assert abs(true[key] - anchor) >= k, (key, true[key], anchor)
            assert outcome.since == current.label
        elif isinstance(outcome, Shown):
            assert entry is not None and outcome.value == entry["value"] and outcome.since == entry["since"]
            assert abs(true[key] - anchor) <= k - 1
        elif outcome.primary:
            assert true[key] < k
            if entry is not None:  # shown before: it may only disappear after moving k
                assert abs(true[key] - anchor) >= k


# ---------------------------------------------------------------- the auditor's hint


def test_a_merged_column_gets_the_average_of_its_cells_as_witness_not_their_sum():
    """Cells a and b sit in exactly the same rows, so the auditor merges them into one column that
    stands for each of them. The true counts (1, 1, 10) used to become the point (2, 10), which is
    not feasible, and it "settled" the hidden A = a + b although C = 10 and T = 12 pin it at 2:
    release() then showed C and T, and its own audit flagged A."""
    figs = [Figure("A", {"a", "b"}), Figure("C", {"c"}), Figure("T", {"a", "b", "c"})]
    counts = {"a": 1, "b": 1, "c": 10}
    rel = release(counts, figs, k=5, label="w1")
    assert isinstance(rel.figures["A"], Hidden) and isinstance(rel.figures["T"], Shown)
    assert isinstance(rel.figures["C"], Hidden)  # the complement the hint used to miss
    assert audit(None, rel) == []


# ---------------------------------------------------------------- classic attacks


def test_row_with_one_small_cell_and_a_published_total_cannot_be_subtracted():
    counts, figures = table("t", {("x", "a"): 3, ("y", "a"): 10, ("z", "a"): 12})
    # With the k rule alone, total - y - z gives the hidden 3 back: the auditor sees it.
    leaks = audit(None, naive(counts, figures, 5))
    assert [(leak.key, leak.low, leak.high) for leak in leaks if leak.key == "t|row:x|col:a"] == [
        ("t|row:x|col:a", 3.0, 3.0)]

    rel = release(counts, figures, k=5, label="W1")
    assert rel.figures["t|row:x|col:a"] == Hidden(primary=True)
    assert rel.figures["t|row:y|col:a"] == Hidden(primary=False)  # the smallest shown figure that pinned it
    assert audit(None, rel) == []
    low, high = hidden_ranges(rel)[("W1", "t|row:x|col:a")]
    assert (low, high) == (0, 4)


def test_two_by_two_pattern_hides_a_full_rectangle():
    counts, figures = table("t", {("a", "x"): 3, ("a", "y"): 10, ("b", "x"): 10, ("b", "y"): 12})
    assert any(leak.key == "t|row:a|col:x" for leak in audit(None, naive(counts, figures, 5)))
    rel = release(counts, figures, k=5, label="W1")
    hidden = {key for key, o in rel.figures.items() if isinstance(o, Hidden)}
    # every total stays; all four inner cells go, the least that protects one cell of a 2x2
    assert hidden == {"t|row:a|col:x", "t|row:a|col:y", "t|row:b|col:x", "t|row:b|col:y"}
    assert audit(None, rel) == []
    assert hidden_ranges(rel)[("W1", "t|row:a|col:x")] == (0, 4)


def test_complements_spare_must_show_figures_when_they_can():
    counts, base = table("t", {("x", "a"): 3, ("y", "a"): 10, ("z", "a"): 30})
    figures = [Figure(f.key, f.cells, must_show=f.key == "t|row:y|col:a") for f in base]
    rel = release(counts, figures, k=5, label="W1")
    assert isinstance(rel.figures["t|row:y|col:a"], Shown)
    assert audit(None, rel) == []


def test_a_department_dropping_below_k_stays_stale_then_disappears():
    cell = cell_key(dep="Logistics", theme="workload")
    other = cell_key(dep="Production", theme="workload")
    figures = crosstab("dt", [cell, other], "dep", "theme")
    key = "dt|dep:Logistics|theme:*"
    w1 = release({cell: 7, other: 20}, figures, k=5, label="W1")
    assert w1.figures[key] == Shown(7, True, "W1")
    w2 = release({cell: 4, other: 20}, figures, k=5, label="W2", ledger=w1.ledger)
    assert w2.figures[key] == Shown(7, False, "W1")  # moved 3 < k: the old value, marked unchanged
    w3 = release({cell: 1, other: 20}, figures, k=5, label="W3", ledger=w2.ledger)
    assert w3.figures[key] == Hidden(primary=True)  # moved 6 >= k and below k: now hidden
    for prev, cur, counts in ((None, w1, {cell: 7, other: 20}), (w1, w2, {cell: 4, other: 20}),
                              (w2, w3, {cell: 1, other: 20})):
        assert audit(prev, cur) == []
        assert_hysteresis(prev, cur, counts, 5)


def test_a_department_dropping_below_k_is_merged_and_does_not_flap_back():
    k = 5
    g1 = merge_small_departments({"Production": 30, "Logistics": 6, "Office": 2}, k=k)
    assert g1.groups == {"Production": "Production", "Logistics": "Logistics", "Office": "other departments"}
    g2 = merge_small_departments({"Production": 30, "Logistics": 4, "Office": 2}, k=k, separate_before=g1.separate)
    assert g2.groups["Logistics"] == "other departments"
    for n in (5, 6, 9, 4, 7):  # hovering around k: stays merged
        g2 = merge_small_departments({"Production": 30, "Logistics": n, "Office": 2}, k=k,
                                     separate_before=g2.separate)
        assert g2.groups["Logistics"] == "other departments"
    g3 = merge_small_departments({"Production": 30, "Logistics": 10, "Office": 2}, k=k, separate_before=g2.separate)
    assert g3.groups["Logistics"] == "Logistics"  # back once it reached 2k
    g4 = merge_small_departments({"Production": 30, "Logistics": 5, "Office": 2}, k=k, separate_before=g3.separate)
    assert g4.groups["Logistics"] == "Logistics"  # and stays while at least k


def test_one_new_request_between_two_digests_changes_nothing_visible():
    cells = all_cells(dep=["Production", "Logistics", "Office"], theme=["workload", "conflict"])
    before = dict(zip(cells, [12, 2, 9, 3, 6, 1]))
    figures = crosstab("dt", cells, "dep", "theme", total_must_show=True)
    w1 = release(before, figures, k=5, label="W1")
    for cell in cells:  # wherever the new request lands
        after = dict(before)
        after[cell] += 1
        w2 = release(after, figures, k=5, label="W2", ledger=w1.ledger)
        for key, outcome in w2.figures.items():
            was = w1.figures[key]
            if isinstance(was, Shown):
                assert outcome == Shown(was.value, False, "W1"), (cell, key)
            elif isinstance(outcome, Shown):  # a hidden figure appears only on reaching k
                assert outcome.value >= 5
        assert audit(w1, w2) == []


def test_flapping_around_k_does_not_show_each_step():
    figures = [Figure("n", frozenset({"c"}))]
    ledger, seen = None, []
    for week, n in enumerate([5, 4, 5, 4, 6, 9, 10, 1]):
        rel = release({"c": n}, figures, k=5, label=f"W{week}", ledger=ledger)
        ledger = rel.ledger
        seen.append(rel.figures["n"])
    assert seen == [Shown(5, True, "W0"), Shown(5, False, "W0"), Shown(5, False, "W0"), Shown(5, False, "W0"),
                    Shown(5, False, "W0"), Shown(5, False, "W0"), Shown(10, True, "W6"), Hidden(True)]


def test_the_joint_audit_catches_a_link_through_an_unpublished_anchor():
    # Hand-made releases (the engine never makes these): "b" repeated as unchanged since P
    # although P hid it, so its anchor is P's unpublished true value. k=2: |b now - b then| <= 1.
    a, b = Figure("a", frozenset({"ca"})), Figure("b", frozenset({"cb"}))
    total, b_copy = Figure("total", frozenset({"ca", "cb"})), Figure("b_copy", frozenset({"cb"}))
    prev = Release("P", 2, {"a": Hidden(True), "b": Hidden(False), "total": Shown(12, True, "P")},
                   {f.key: f for f in (a, b, total)})
    cur = Release("R", 2, {"b": Shown(11, False, "P"), "b_copy": Shown(10, True, "R")},
                  {f.key: f for f in (b, b_copy)})
    assert audit(None, prev) == [] and audit(None, cur) == []
    leaks = {(leak.label, leak.key): (leak.low, leak.high) for leak in audit(prev, cur)}
    assert leaks[("P", "a")] == (1, 1)  # b then <= 11, a + b = 12, a <= 1


def test_comparison_with_the_previous_window_follows_the_same_rules():
    counts = {cell_key(window="now", dep="Production"): 23, cell_key(window="now", dep="Office"): 3,
              cell_key(window="previous", dep="Production"): 18, cell_key(window="previous", dep="Office"): 4}
    figures = crosstab("cmp", counts, "window", "dep")
    rel = release(counts, figures, k=5, label="W1")
    assert rel.figures["cmp|window:now|dep:*"] == Shown(26, True, "W1")
    assert rel.figures["cmp|window:previous|dep:*"] == Shown(22, True, "W1")
    assert rel.figures["cmp|window:previous|dep:Office"] == Hidden(True)
    assert audit(None, rel) == []


# ---------------------------------------------------------------- shares and medians


@pytest.mark.parametrize("num,den,expected", [
    (5, 10, 50), (4, 10, None), (6, 10, None), (5, 9, None), (5, 200, 5), (5, 300, 5), (295, 300, 95),
    (9, 20, 45), (37, 80, 45), (38, 80, 50), (7, 15, 45),
])
def test_share_needs_k_on_both_sides_and_is_rounded_to_five_points(num, den, expected):
    assert share_percent(num, den, k=5) == expected


def test_median_needs_k_values_and_is_rounded_to_whole_hours():
    assert median_rounded([60, 120, 180, 240], k=5) is None
    assert median_rounded([60, 120, 150, 240, 300], k=5) == 3  # 150 min = 2.5 h, halves up
    assert median_rounded([60, 120, 140, 240, 300, 400], k=5) == 3  # (140 + 240) / 2 = 190 min
    assert median_rounded([10, 20, 30, 40, 50], k=5) == 1


def test_shares_and_medians_repeat_until_their_counts_move_k():
    figures = [Figure("n", frozenset({"c"}))]
    minutes = [30, 60, 90, 600, 700, 800, 900]
    r1 = release({"c": 1}, figures, k=5, label="W1", shares=[Share("fast", 9, 20)],
                 medians=[Median("contact", tuple(minutes))])
    assert r1.shares["fast"] == Shown(45, True, "W1")
    assert r1.medians["contact"] == Shown(10, True, "W1")
    r2 = release({"c": 1}, figures, k=5, label="W2", ledger=r1.ledger, shares=[Share("fast", 12, 21)],
                 medians=[Median("contact", tuple(minutes[:5] + [10] * 4))])
    assert r2.shares["fast"] == Shown(45, False, "W1")  # 57 % now, but neither count moved 5
    assert r2.medians["contact"] == Shown(10, False, "W1")  # 9 values: moved 2
    r3 = release({"c": 1}, figures, k=5, label="W3", ledger=r2.ledger, shares=[Share("fast", 14, 25)],
                 medians=[Median("contact", tuple(minutes + [10] * 5))])
    assert r3.shares["fast"] == Shown(55, True, "W3")
    assert r3.medians["contact"] == Shown(1, True, "W3")  # 12 values: (30 + 60) / 2 min
    r4 = release({"c": 1}, figures, k=5, label="W4", ledger=r3.ledger, shares=[Share("fast", 3, 8)],
                 medians=[Median("contact", (1, 2))])
    assert r4.shares["fast"] == Hidden(True) and r4.medians["contact"] == Hidden(True)


# ---------------------------------------------------------------- the ledger and the interface


def test_the_ledger_is_json_and_round_trips():
    counts, figures = table("t", {("a", "x"): 3, ("a", "y"): 10, ("b", "x"): 10, ("b", "y"): 12})
    r1 = release(counts, figures, k=5, label="W1", shares=[Share("s", 5, 12)], medians=[Median("m", (1,) * 5)])
    stored = json.loads(json.dumps(r1.ledger))
    counts2 = dict(counts, **{next(iter(counts)): 4})
    direct = release(counts2, figures, k=5, label="W2", ledger=r1.ledger)
    restored = release(counts2, figures, k=5, label="W2", ledger=stored)
    assert direct.figures == restored.figures and direct.ledger == restored.ledger


def test_release_is_deterministic():
    cells = all_cells(dep=["A", "B", "C"], theme=["t1", "t2", "t3"], level=["i", "o"])
    counts = {c: (i * 7) % 9 for i, c in enumerate(cells)}
    figures = crosstab("dt", cells, "dep", "theme") + crosstab("tl", cells, "theme", "level")
    assert release(counts, figures, k=5, label="W1") == release(counts, figures, k=5, label="W1")


@pytest.mark.parametrize("bad", [
    dict(k=1), dict(k=101), dict(k=True), dict(counts={"c": -1}), dict(counts={"c": 1.5}),
    dict(counts={"line\nbreak": 1}), dict(label=""), dict(figures=[Figure("n", frozenset({"c"}))] * 2),
])
def test_bad_input_is_refused(bad):
    args = dict(counts={"c": 1}, figures=[Figure("n", frozenset({"c"}))], k=5, label="W1") | bad
    with pytest.raises(ValueError):
        release(args.pop("counts"), args.pop("figures"), **args)


def test_a_figure_without_cells_and_a_reused_label_are_refused():
    with pytest.raises(ValueError):
        Figure("empty", frozenset())
    r1 = release({"c": 1}, [Figure("n", frozenset({"c"}))], k=5, label="W1")
    with pytest.raises(ValueError):
        release({"c": 1}, [Figure("n", frozenset({"c"}))], k=5, label="W1", ledger=r1.ledger)


def test_the_engine_imports_neither_telegram_nor_storage():
    code = ("import sys, bot.steering.figures; bad = [m for m in sys.modules if m.split('.')[0] in "
            "('telegram', 'aiosqlite') or m.startswith('bot.') and m != 'bot.steering' "
            "and not m.startswith('bot.steering.figures')]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_bot_starts_without_the_engine_s_solver_and_the_chart_library():
    """numpy and scipy (the auditor's) and matplotlib (the chart's) load when first used."""
    code = ("import sys, bot.cli, bot.app; print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'numpy', 'scipy', 'matplotlib'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# ---------------------------------------------------------------- properties


@st.composite
def rolling_windows(draw):
    """Three consecutive windows over random departments, themes and levels: cases dropped and added."""
    k = draw(st.integers(2, 10))
    deps = [f"D{i}" for i in range(draw(st.integers(1, 4)))]
    themes = [f"T{i}" for i in range(draw(st.integers(1, 5)))]
    levels = ["individual", "team", "organisation"][: draw(st.integers(1, 3))]
    cells = all_cells(dep=deps, theme=themes, level=levels)
    size = st.one_of(st.just(0), st.integers(0, k), st.integers(0, 4 * k))
    windows = [{c: draw(size) for c in cells}]
    for _ in range(2):
        last = windows[-1]
        windows.append({c: max(0, n - draw(st.integers(0, n))) + draw(st.one_of(st.just(0), st.integers(0, k)))
                        for c, n in last.items()})
    return k, deps, themes, levels, windows, draw(st.booleans()), draw(st.booleans())


def _figures_for(counts, themes, levels, must_show_totals):
    deps = sorted({c.split("|")[0].split(":", 1)[1] for c in counts})
    cells = all_cells(dep=deps, theme=themes, level=levels)
    return crosstab("dt", cells, "dep", "theme", total_must_show=must_show_totals) + \
        crosstab("tl", cells, "theme", "level", total_must_show=must_show_totals)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rolling_windows())
def test_property_releases_are_safe_and_only_move_by_k(case):
    k, deps, themes, levels, windows, merge, must_show_totals = case
    previous, separate = None, None
    for week, counts in enumerate(windows):
        if merge:  # small departments go to "other departments", with the stable rule
            per_dep = {d: sum(n for c, n in counts.items() if c.startswith(f"dep:{d}|")) for d in deps}
            grouping = merge_small_departments(per_dep, k=k, separate_before=separate)
            separate = grouping.separate
            counts = regroup(counts, "dep", grouping.groups)
        figures = _figures_for(counts, themes, levels, must_show_totals)
        current = release(counts, figures, k=k, label=f"W{week}", ledger=previous.ledger if previous else None)
        # (1) nothing below k leaves
        for outcome in current.figures.values():
            assert not isinstance(outcome, Shown) or outcome.value >= k
        # (2) the independent auditor, on this release and jointly with the one before
        assert audit(None, current) == []
        if previous is not None:
            assert audit(previous, current) == []
        # (3) hysteresis
        assert_hysteresis(previous, current, counts, k)
        previous = current


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 10), st.lists(st.integers(0, 40), min_size=2, max_size=8),
       st.lists(st.integers(0, 40), min_size=2, max_size=8))
def test_property_single_row_tables(k, first, second):
    n = min(len(first), len(second))
    figures = crosstab("r", [cell_key(x=str(i)) for i in range(n)], "x")
    r1 = release({cell_key(x=str(i)): first[i] for i in range(n)}, figures, k=k, label="A")
    counts2 = {cell_key(x=str(i)): second[i] for i in range(n)}
    r2 = release(counts2, figures, k=k, label="B", ledger=r1.ledger)
    assert audit(None, r1) == [] and audit(r1, r2) == []
    assert_hysteresis(r1, r2, counts2, k)
    assert all(o.value >= k for o in r2.figures.values() if isinstance(o, Shown))


# ---------------------------------------------------------------- edges


def test_must_show_figures_are_hidden_when_nothing_else_will_do():
    counts, base = table("t", {("a", "x"): 3, ("a", "y"): 10, ("b", "x"): 10, ("b", "y"): 12})
    figures = [Figure(f.key, f.cells, must_show=True) for f in base]
    rel = release(counts, figures, k=5, label="W1")
    assert audit(None, rel) == []
    assert rel.figures["t|row:*|col:*"] == Shown(35, True, "W1")  # the totals still stay


def test_merging_first_release_splits_at_k_and_other_cannot_be_a_department():
    grouping = merge_small_departments({"A": 5, "B": 4, "C": 0}, k=5)
    assert grouping.groups == {"A": "A", "B": "other departments", "C": "other departments"}
    assert grouping.separate == frozenset({"A"})
    with pytest.raises(ValueError):
        merge_small_departments({"other departments": 9}, k=5)
    counts = {cell_key(dep="A", theme="t"): 5, cell_key(dep="B", theme="t"): 4, cell_key(dep="C", theme="t"): 1}
    assert regroup(counts, "dep", grouping.groups) == {
        cell_key(dep="A", theme="t"): 5, cell_key(dep="other departments", theme="t"): 5}


def test_a_figure_left_out_keeps_its_ledger_entry_for_when_it_returns():
    a, b = Figure("a", frozenset({"ca"})), Figure("b", frozenset({"cb"}))
    r1 = release({"ca": 8, "cb": 9}, [a, b], k=5, label="W1")
    r2 = release({"ca": 8}, [a], k=5, label="W2", ledger=r1.ledger)
    assert "b" not in r2.figures and r2.ledger["figures"]["b"]["since"] == "W1"
    r3 = release({"ca": 8, "cb": 10}, [a, b], k=5, label="W3", ledger=r2.ledger)
    assert r3.figures["b"] == Shown(9, False, "W1")


def test_raising_k_re_decides_values_below_the_new_k():
    figures = [Figure("n", frozenset({"c"}))]
    r1 = release({"c": 7}, figures, k=5, label="W1")
    r2 = release({"c": 8}, figures, k=10, label="W2", ledger=r1.ledger)
    assert r2.figures["n"] == Hidden(True)  # 7 would be a number below 10
