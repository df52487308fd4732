"""Tables as figures.

A base cell key names its parts, sorted: "dep:Production|level:team|theme:workload".
A table over some of those parts is a set of figures: one per (row, column), a total per row,
a total per column and a grand total, each a sum over base cells. Two tables built over the
same base cells (department x theme, theme x level) are audited together, as a reader would
read them together.
"""
from __future__ import annotations

import itertools
from typing import Iterable, Mapping

from .model import Figure, check_count, check_key

TOTAL = "*"


def _check_part(name: str, value: str) -> None:
    check_key(name, "dimension")
    check_key(value, "dimension value")
    if ":" in name or "|" in name or "|" in value or value == TOTAL:
        raise ValueError(f"{name!r}={value!r}: dimensions may not contain ':' or '|', nor be {TOTAL!r}")


def cell_key(**parts: str) -> str:
    """The base cell key for these parts, e.g. cell_key(dep="Production", theme="workload")."""
    for name, value in parts.items():
        _check_part(name, value)
    return "|".join(f"{name}:{value}" for name, value in sorted(parts.items()))


def cell_parts(cell: str) -> dict[str, str]:
    return dict(part.split(":", 1) for part in cell.split("|"))


def all_cells(**dimensions: Iterable[str]) -> list[str]:
    """Every combination of the dimensions' values. Build tables over all of them, zeros included:
    a cell missing from a table would tell the reader it is empty."""
    names = sorted(dimensions)
    values = [list(dict.fromkeys(dimensions[n])) for n in names]
    return [cell_key(**dict(zip(names, combo))) for combo in itertools.product(*values)]


def crosstab(name: str, cells: Iterable[str], rows: str, cols: str | None = None, *, threshold: int = 5,
             total_must_show: bool = False) -> list[Figure]:
    """Figures of a table over base cells: one per (row, col), row totals, column totals, grand total.

    With cols=None: one figure per row and a total. Keys look like "name|dep:Production|theme:*".
    """
    check_key(name, "table name")
    groups: dict[tuple[str, str], set[str]] = {}
    for cell in cells:
        parts = cell_parts(cell)
        r = parts[rows]
        groups.setdefault((r, TOTAL), set()).add(cell)
        groups.setdefault((TOTAL, TOTAL), set()).add(cell)
        if cols is not None:
            c = parts[cols]
            groups.setdefault((r, c), set()).add(cell)
            groups.setdefault((TOTAL, c), set()).add(cell)
    figures = []
    for (r, c), members in sorted(groups.items()):
        key = f"{name}|{rows}:{r}" + (f"|{cols}:{c}" if cols is not None else "")
        grand = r == TOTAL and (cols is None or c == TOTAL)
        figures.append(Figure(key, frozenset(members), threshold, must_show=grand and total_must_show))
    return figures


def table(name: str, counts: Mapping[tuple[str, str], int], *, rows: Iterable[str] | None = None,
          cols: Iterable[str] | None = None, threshold: int = 5,
          total_must_show: bool = False) -> tuple[dict[str, int], list[Figure]]:
    """A stand-alone 2-D table from {(row, col): count}: (base cell counts, figures).

    `rows` and `cols` list every label (default: those in `counts`), so that zero cells exist too.
    Base cells are "row:R|col:C|table:NAME": separate from other tables' cells.
    """
    row_labels = list(dict.fromkeys(rows if rows is not None else (r for r, _ in counts)))
    col_labels = list(dict.fromkeys(cols if cols is not None else (c for _, c in counts)))
    base: dict[str, int] = {}
    for r, c in itertools.product(row_labels, col_labels):
        base[cell_key(table=name, row=r, col=c)] = check_count(counts.get((r, c), 0))
    extra = set(counts) - set(itertools.product(row_labels, col_labels))
    if extra:
        raise ValueError(f"counts outside the given rows and columns: {sorted(extra)[:3]}")
    return base, crosstab(name, base, "row", "col", threshold=threshold, total_must_show=total_must_show)
