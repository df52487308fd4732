"""How long does a digest-sized release take? Prints JSON lines; asserts nothing.

    .venv/bin/python benchmarks/figures_release.py [repeats]

A 13-week window of cases over 12 departments x 30 themes x 3 levels, published as two
tables over the same base cells: department x theme and theme x level, each with row, column
and grand totals (527 figures over 1080 cells). Timed for a first release (no ledger) and
for the next week's release (one week dropped, one added, with the first release's ledger),
plus the independent joint audit of the two. "sparse" is a 250-person workplace (~150
requests in the window: nearly every cell below k), "dense" a large one (~3000).
"""
from __future__ import annotations

import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bot.steering.figures.auditor as audit_module  # noqa: E402
from bot.steering.figures import Hidden, all_cells, audit, cell_key, crosstab, release  # noqa: E402

DEPARTMENTS = [f"D{i:02}" for i in range(12)]
THEMES = [f"T{i:02}" for i in range(30)]
LEVELS = ["individual", "team", "organisation"]


def weeks_of_cases(rng: random.Random, per_week: int, weeks: int) -> list[list[tuple[str, str, str]]]:
    dep_w = [1 / (i + 1) for i in range(len(DEPARTMENTS))]   # a few large departments
    theme_w = [1 / (i + 1) ** 0.8 for i in range(len(THEMES))]
    return [[(rng.choices(DEPARTMENTS, dep_w)[0], rng.choices(THEMES, theme_w)[0], rng.choice(LEVELS))
             for _ in range(max(0, round(rng.gauss(per_week, per_week ** 0.5))))] for _ in range(weeks)]


def counts_of(weeks) -> dict[str, int]:
    out: dict[str, int] = {}
    for week in weeks:
        for dep, theme, level in week:
            key = cell_key(dep=dep, theme=theme, level=level)
            out[key] = out.get(key, 0) + 1
    return out


class LpCounter:
    def __init__(self) -> None:
        self.calls = 0
        self.real = audit_module.linprog

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.real(*args, **kwargs)


def timed(fn, repeats: int, counter: LpCounter):
    times, result = [], None
    for _ in range(repeats):
        counter.calls = 0
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    return result, statistics.median(times), counter.calls


def main(repeats: int) -> None:
    cells = all_cells(dep=DEPARTMENTS, theme=THEMES, level=LEVELS)
    figures = crosstab("dep_theme", cells, "dep", "theme", total_must_show=True) + \
        crosstab("theme_level", cells, "theme", "level", total_must_show=True)
    counter = LpCounter()
    audit_module.linprog = counter
    for scenario, per_week in (("sparse", 12), ("dense", 230)):
        rng = random.Random(7)
        weeks = weeks_of_cases(rng, per_week, 14)
        first, second = counts_of(weeks[:13]), counts_of(weeks[1:])
        r1, ms1, lp1 = timed(lambda: release(first, figures, k=5, label="W1"), repeats, counter)
        r2, ms2, lp2 = timed(lambda: release(second, figures, k=5, label="W2", ledger=r1.ledger), repeats, counter)
        leaks, ms_audit, lp3 = timed(lambda: audit(r1, r2), max(1, repeats // 3), counter)
        for name, rel, ms, lps in (("first", r1, ms1, lp1), ("with_previous", r2, ms2, lp2)):
            hidden = [o for o in rel.figures.values() if isinstance(o, Hidden)]
            print(json.dumps({
                "scenario": scenario, "release": name, "ms": round(ms, 1), "linprog_calls": lps,
                "cases": sum(first.values() if name == "first" else second.values()),
                "figures": len(rel.figures), "cells": len(cells),
                "hidden_small": sum(o.primary for o in hidden),
                "hidden_complementary": sum(not o.primary for o in hidden),
                "unchanged": sum(1 for o in rel.figures.values() if not isinstance(o, Hidden) and not o.fresh),
            }))
        print(json.dumps({"scenario": scenario, "release": "joint_audit_of_both", "ms": round(ms_audit, 1),
                          "linprog_calls": lp3, "leaks": len(leaks)}))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
