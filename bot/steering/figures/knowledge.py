"""What one reader knows: every row of every release of a calendar year, the identities of the
data, sentinels, and what coordinators learn case by case.

Two readers are audited, because the steering group and the coordinators see different things
and one person can hold both roles (a second Telegram account is enough):

- the steering group and the works council (`STEERING`): every release;
- one person who is both (`BOTH`): every release, plus coordinator knowledge (each urgent
  request and each missed promise, case by case). What that person knows exactly is no target
  for them; it stays one for a steering member alone.

A row is plain data (owner, terms, bounds, whether it is a target and for whom), so that tests
can build the same problem apart from the code that made the releases.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .auditor import Owner, Problem
from .model import Figure, Release, Statement

STEERING = "steering"
BOTH = "both"
READERS = (STEERING, BOTH)


@dataclass(frozen=True)
class Row:
    owner: Owner
    terms: tuple[tuple[str, int], ...]   # (cell, coefficient)
    lo: float | None
    hi: float | None
    target: str | None = None            # None, or the readers it must stay protected from: 'all', 'steering'
    coordinators: bool = False           # only a reader who is also a coordinator knows this row


def statement_row(label: str, figure: Figure, statement: Statement, true: int | None = None) -> Row | None:
    """The row a reader gets from one statement (None: it says nothing).

    A withheld figure says nothing, but when its true count (`true`, if the caller has it) is
    below its threshold it stays a target, as a sentinel: a "fewer than k" that had to be
    withheld because its bound pinned another count must not be worked out later either."""
    lo, hi = statement.bounds()
    target = None
    if statement.kind == "small" or (statement.kind == "withheld" and true is not None and true < figure.threshold):
        target = STEERING if figure.known else "all"
    if lo is None and hi is None and target is None:
        return None
    return Row((label, figure.key), tuple((c, 1) for c in sorted(figure.cells)), lo, hi, target)


def release_rows(rel: Release, counts: Mapping[str, int] | None = None) -> list[Row]:
    """The rows of a release; with the true counts of its cells (`counts`), its withheld figures
    whose count is small stay targets (`statement_row`)."""
    rows = []
    for key, figure in rel.figures.items():
        true = None if counts is None else sum(counts.get(c, 0) for c in figure.cells)
        row = statement_row(rel.label, figure, rel.statements[key], true)
        if row is not None:
            rows.append(row)
    return rows


@dataclass
class Knowledge:
    """Rows of one calendar year, in the order they became known."""

    rows: list[Row] = field(default_factory=list)

    def add(self, rows: Iterable[Row]) -> None:
        self.rows.extend(rows)

    def add_release(self, rel: Release, counts: Mapping[str, int] | None = None) -> None:
        self.add(release_rows(rel, counts))

    def problem(self, reader: str, extra: Iterable[Row] = ()) -> Problem:
        """The linear problem of what `reader` knows, with the targets that must stay protected
        from them."""
        rows = [*self.rows, *extra]
        # For one who is also a coordinator, a target is the part they do not know case by case:
        # cells they know exactly are taken out of it (a small count that is all missed promises
        # they were alerted to is no secret to them; what is left must stay protected).
        known = {row.terms[0][0] for row in rows if row.coordinators and len(row.terms) == 1
                 and row.lo is not None and row.lo == row.hi} if reader == BOTH else set()
        problem = Problem()
        for row in rows:
            if row.coordinators and reader != BOTH:
                continue
            is_target = row.target == "all" or (row.target == STEERING and reader == STEERING)
            if is_target and known and any(cell in known for cell, _ in row.terms):
                problem.add(row.owner, row.terms, row.lo, row.hi)
                unknown = [(cell, coef) for cell, coef in row.terms if cell not in known]
                if unknown:
                    problem.add(("unknown", "|".join(row.owner)), unknown, None, None, target=True)
                continue
            problem.add(row.owner, row.terms, row.lo, row.hi, target=is_target)
        return problem

    def cells(self) -> set[str]:
        return {c for row in self.rows for c, _ in row.terms}


def sentinel(name: str, cells: Iterable[str], *, known: bool = False) -> Row:
    """A target no statement names: a base cell, or a union of them, whose true count is 1 .. t-1.
    `known`: coordinators know it case by case (a target for a steering member only)."""
    return Row(("sentinel", name), tuple((c, 1) for c in sorted(cells)), None, None,
               STEERING if known else "all")


def at_most(name: str, part: Iterable[str], whole: Iterable[str]) -> Row:
    """An identity: the sum of `part` is at most the sum of `whole` (a theme count is at most the
    conversations it is about)."""
    whole = set(whole)
    terms = [(c, 1) for c in sorted(set(part) - whole)] + [(c, -1) for c in sorted(whole - set(part))]
    return Row(("identity", name), tuple(terms), None, 0)


def equal(name: str, left: Iterable[str], right: Iterable[str]) -> Row:
    """An identity: two sums of cells are equal."""
    left, right = set(left), set(right)
    terms = [(c, 1) for c in sorted(left - right)] + [(c, -1) for c in sorted(right - left)]
    return Row(("identity", name), tuple(terms), 0, 0)


def known_exactly(name: str, cells: Iterable[str], value: int) -> Row:
    """Coordinator knowledge: a sum they know case by case (only in the problem of a reader who is both)."""
    return Row(("coordinators", name), tuple((c, 1) for c in sorted(cells)), value, value, None, True)


def truth(rows: Iterable[Row], counts: Mapping[str, int]) -> list[Row]:
    """The rows that the true counts break (there must be none)."""
    broken = []
    for row in rows:
        value = sum(coef * counts.get(cell, 0) for cell, coef in row.terms)
        if (row.lo is not None and value < row.lo) or (row.hi is not None and value > row.hi):
            broken.append(row)
    return broken


__all__ = ["Row", "Knowledge", "STEERING", "BOTH", "READERS", "statement_row", "release_rows", "sentinel", "at_most",
           "equal", "known_exactly", "truth"]
