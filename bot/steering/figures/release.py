"""From true counts to one release: the threshold, then complementary suppression, sequential.

Releases are made once and never revised, so a new release may only hold back figures of its own:
everything released before is a fixed row of what the reader knows (`Knowledge`). For each
figure of the new release:

1. primary suppression: at least its threshold, the value ("exact"); below it, "small";
2. complementary suppression: while a reader of everything (this release, all earlier ones of the
   year, the identities of the data, and for one person who is also a coordinator what
   coordinators know case by case) can pin a target to fewer than two values, one more figure of
   this release is held back. A held-back figure keeps only "at least its threshold" (the page says
   it is not small), and is printed as the range the reader can work out anyway;
3. an independent audit without the true counts must then find nothing.

Should even holding back every figure not be enough (never seen; a test forces it), the caller's
fallback groups are withheld, one after the other: the page then says in one line what is not
shown and why.
"""
from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from .auditor import Auditor, Owner, Problem
from .knowledge import BOTH, READERS, STEERING, Knowledge, Row, statement_row
from .model import Figure, Statement, check_count, check_key


class Unprotectable(RuntimeError):
    """No figure of this release is left to hold back, and a target is still pinned."""


@dataclass(frozen=True)
class Decided:
    statements: dict[str, Statement]
    rounds: int                       # audits until nothing was pinned
    withheld: tuple[int, ...] = ()    # indexes of the fallback groups that had to be withheld


def _check(counts: Mapping[str, int], figures: Sequence[Figure]) -> dict[str, Figure]:
    for cell, n in counts.items():
        check_key(cell, "cell key")
        check_count(n, f"count of {cell!r}")
    definitions: dict[str, Figure] = {}
    for figure in figures:
        if figure.key in definitions:
            raise ValueError(f"figure key {figure.key!r} appears twice")
        definitions[figure.key] = figure
    return definitions


def release(counts: Mapping[str, int], figures: Sequence[Figure], *, label: str, known: Knowledge,
            rows: Sequence[Row] = (), fixed: Mapping[str, Statement] | None = None,
            fallback: Sequence[Collection[str]] = (), verify: bool = True) -> Decided:
    """Decide the statements of one release.

    counts:   true count per base cell (absent cells count 0), of this release and of everything
              the knowledge holds (the true counts are a free witness for the auditor).
    figures:  the figures of this release; every key unique.
    known:    everything released before in the same calendar year (never changed here).
    rows:     rows that become known with this release (the identities and sentinels of a newly
              counted period, coordinator knowledge about it).
    fixed:    statements decided by the caller (a step, a flag): released as they are.
    fallback: groups of figure keys to withhold, in order, should a target stay pinned.
    """
    check_key(label, "label")
    definitions = _check(counts, figures)
    fixed = dict(fixed or {})
    true = {key: sum(counts.get(c, 0) for c in f.cells) for key, f in definitions.items()}
    for key, statement in fixed.items():
        if not statement.holds(true[key]):
            raise ValueError(f"the fixed statement of {key!r} does not hold the true count")
    withheld: list[int] = []
    while True:
        out = {key: fixed.get(key) or (Statement.exact(true[key]) if true[key] >= f.threshold
                                         else Statement.small(f.threshold))
               for key, f in definitions.items()}
        for index in withheld:
            for key in fallback[index]:
                if key in out:
                    out[key] = Statement.withheld()
        try:
            rounds = _suppress(label, definitions, out, true, counts, known, rows, set(fixed))
        except Unprotectable:
            if len(withheld) == len(fallback):
                raise
            withheld.append(len(withheld))
            continue
        _ranges(label, definitions, out, known, rows, true)
        if verify:
            leaks = verify_release(label, definitions, out, known, rows, counts)
            if leaks:
                raise RuntimeError(f"release {label}: the audit without the true counts found {leaks[:3]}")
        return Decided(out, rounds, tuple(withheld))


def _true(definitions: Mapping[str, Figure], counts: Mapping[str, int] | None) -> dict[str, int] | None:
    if counts is None:
        return None
    return {key: sum(counts.get(c, 0) for c in f.cells) for key, f in definitions.items()}


def _rows(label: str, definitions: Mapping[str, Figure], out: Mapping[str, Statement],
          true: Mapping[str, int] | None) -> list[Row]:
    found = []
    for key, figure in definitions.items():
        row = statement_row(label, figure, out[key], None if true is None else true[key])
        if row is not None:
            found.append(row)
        else:  # withheld: still a row (with no bounds), so that the owner is known to the auditor
            found.append(Row((label, key), tuple((c, 1) for c in sorted(figure.cells)), None, None))
    return found


def _problems(label, definitions, out, known: Knowledge, rows, true) -> dict[str, Problem]:
    mine = _rows(label, definitions, out, true)
    return {reader: known.problem(reader, [*rows, *mine]) for reader in READERS}


def _suppress(label: str, definitions: Mapping[str, Figure], out: dict[str, Statement], true: Mapping[str, int],
              counts: Mapping[str, int], known: Knowledge, rows: Sequence[Row], fixed: set[str]) -> int:
    problems = _problems(label, definitions, out, known, rows, true)
    auditors = {reader: Auditor(problem, hint=counts) for reader, problem in problems.items()}
    mine = [(label, key) for key in definitions]
    near = _near(auditors, mine)
    cells_of = {row.owner: {c for c, coef in row.terms if coef > 0} for row in [*known.rows, *rows]}
    cells_of.update({(label, key): set(f.cells) for key, f in definitions.items()})
    by_cell: dict[str, set[str]] = {}
    twins: dict[frozenset[str], list[str]] = {}
    for key, figure in definitions.items():
        twins.setdefault(figure.cells, []).append(key)
        for cell in figure.cells:
            by_cell.setdefault(cell, set()).add(key)
    rounds = 0
    while True:
        rounds += 1
        findings = [f for reader in READERS for f in auditors[reader].findings(near[reader])]
        if not findings:
            return rounds
        chosen: set[str] = set()
        stuck: list[Owner] = []
        for finding in findings:
            if {key for lab, key in finding.binding if lab == label} & chosen:
                continue  # a figure held back this round loosened what pins it: audit again first
            owner = (finding.leak.label, finding.leak.key)
            found = _complement(owner, finding.binding, auditors, label, definitions, out, fixed, cells_of, by_cell)
            if found is None:
                stuck.append(owner)  # another choice of this round may free it: audit again first
                continue
            kind, key = found
            for twin in twins[definitions[key].cells]:
                if out[twin].kind != kind or twin in fixed:
                    continue
                if kind == "exact":  # held back: it still says "at least its threshold"
                    out[twin] = Statement("protected", definitions[twin].threshold, None)
                    bounds = (definitions[twin].threshold, None)
                else:  # even that, or its "fewer than k", would pin another number: nothing is said of it
                    out[twin] = Statement.withheld()
                    bounds = (None, None)
                for a in auditors.values():
                    a.loosen((label, twin), *bounds)
                chosen.add(twin)
        if not chosen:
            raise Unprotectable(f"{label}: {stuck[0]} stays pinned" if stuck else f"{label}: nothing left to hold back")


def _complement(leak: Owner, binding: Collection[Owner], auditors: Mapping[str, Auditor], label: str,
                definitions: Mapping[str, Figure], out: Mapping[str, Statement], fixed: set[str],
                cells_of: Mapping[Owner, set[str]], by_cell: Mapping[str, set[str]]) -> tuple[str, str] | None:
    """Which figure of this release to hold back next, and from what: ("exact", key) to print it as
    a range, or, when no exact figure is left to hold back, ("protected", key) or ("small", key) to
    say nothing of it (its "at least the threshold", or its "fewer than k", is what pins: a year's
    "fewer than 3" over two quarters each known to hold 1 or 2 pins both at 1). A withheld small
    figure stays a target. Sparing "must show" figures whenever another will do, then the cheapest
    family.

    First choice: a sibling, a figure beside the pinned target inside a total that contains it
    and pins it (the other cells of its row). Next: a figure of this release that pins it. Last:
    anything of this release linked to it."""
    leak_cells = cells_of.get(leak, set())
    ranks = []

    def consider(key: str, order: int, outside: int = 0) -> None:
        statement = out.get(key)
        if statement is not None and statement.kind in ("exact", "protected", "small") and key not in fixed:
            f = definitions[key]
            ranks.append((statement.kind != "exact", f.must_show, statement.kind == "small", order, outside, f.cost,
                          statement.low, len(f.cells), statement.kind, key))

    for owner in binding:
        total = cells_of.get(owner, set())
        if not leak_cells or not leak_cells < total:
            continue
        for key in {k for cell in total - leak_cells for k in by_cell.get(cell, ())}:
            if definitions[key].cells <= total and not definitions[key].cells & leak_cells:
                consider(key, 0, owner[0] != label)
    for owner in binding:
        if owner[0] == label:
            consider(owner[1], 1)
    if leak[0] == label:  # a "fewer than k" pinned by its own bound, beside what is known: withheld
        consider(leak[1], 1)
    if not ranks:
        neighbours = set()
        for a in auditors.values():
            neighbours |= a.neighbours(leak)
        for owner in neighbours:
            if owner[0] == label:
                consider(owner[1], 2)
    if not ranks:
        return None
    best = min(ranks)
    return best[-2], best[-1]


def _ranges(label: str, definitions: Mapping[str, Figure], out: dict[str, Statement], known: Knowledge,
            rows: Sequence[Row], true: Mapping[str, int]) -> None:
    """A held-back figure is printed as the range a steering member can work out from everything
    released, cut at its threshold (whole numbers inward); one pinned anyway reads as its value."""
    protected = [key for key, s in out.items() if s.kind == "protected"]
    if not protected:
        return
    mine = _rows(label, definitions, out, true)
    probe = [Row(("range", key), tuple((c, 1) for c in sorted(definitions[key].cells)), None, None, "all")
             for key in protected]
    problem = known.problem(STEERING, [*rows, *mine, *probe])
    found = Auditor(problem).ranges([("range", key) for key in protected])
    for key in protected:
        low, high = found[("range", key)]
        threshold = definitions[key].threshold
        lo = max(threshold, math.ceil(low - 1e-6))
        hi = None if math.isinf(high) else math.floor(high + 1e-6)
        out[key] = Statement.exact(lo) if hi == lo else Statement("protected", lo, hi)


def verify_release(label: str, definitions: Mapping[str, Figure], out: Mapping[str, Statement], known: Knowledge,
                   rows: Sequence[Row], counts: Mapping[str, int] | None = None) -> list:
    """The check after deciding: a fresh audit of everything a reader knows with this release's
    final statements pins no target near it. The true counts only serve as a witness once the
    auditor has checked them against every bound (any feasible point proves as much as another)."""
    problems = _problems(label, definitions, out, known, rows, _true(definitions, counts))
    auditors = {reader: Auditor(problem, hint=counts) for reader, problem in problems.items()}
    near = _near(auditors, [(label, key) for key in definitions])
    return [f.leak for reader, auditor in auditors.items() for f in auditor.findings(near[reader])]


def _near(auditors: Mapping[str, Auditor], mine: list[Owner]) -> dict[str, set[Owner]]:
    """The targets to audit for each reader: those near this release. One who is both a coordinator
    and a steering member knows everything a steering member knows and more, so a target protected
    from them is protected from a steering member too: the steering member's audit needs only the
    targets that are not theirs (what coordinators know case by case)."""
    both = auditors[BOTH].near(mine)
    return {BOTH: both, STEERING: auditors[STEERING].near(mine) - both}


__all__ = ["release", "Decided", "Unprotectable", "verify_release"]
