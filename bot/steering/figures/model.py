"""The words of the figures engine: figures over base cells, and what a release says about each.

A *base cell* is a count the network knows exactly (for example the requests of one
department on one theme at one level in the window). A *figure* is a number that may leave
the network: the sum of some base cells. A *release* says, for every figure, either its value
(`Shown`) or that it is held back (`Hidden`). Only keys and integers come in; nothing here
can carry the text of a case.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping, Union

MIN_K, MAX_K = 2, 100
# Keys are labels from the taxonomy (departments, themes, levels), never free text.
_KEY = re.compile(r"[^\x00-\x1f\x7f]{1,200}")


def check_key(key: object, what: str = "key") -> str:
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise ValueError(f"{what} must be a short printable string, got {key!r}")
    return key


def check_count(value: object, what: str = "count") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{what} must be a non-negative integer, got {value!r}")
    return value


def check_k(k: object) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or not MIN_K <= k <= MAX_K:
        raise ValueError(f"k must be an integer from {MIN_K} to {MAX_K}, got {k!r}")
    return k


@dataclass(frozen=True)
class Figure:
    """A number that may be published: the sum of `cells` (base cell keys)."""

    key: str
    cells: frozenset[str]
    # The caller would rather see this one (a grand total, say): complementary suppression
    # picks another figure when it can. It never overrides the k threshold.
    must_show: bool = False

    def __post_init__(self) -> None:
        check_key(self.key, "figure key")
        cells = frozenset(self.cells)
        if not cells:
            raise ValueError(f"figure {self.key!r} has no cells")  # its value would be known: 0
        for cell in cells:
            check_key(cell, "cell key")
        object.__setattr__(self, "cells", cells)


@dataclass(frozen=True)
class Share:
    """A percentage numerator/denominator to publish under `key` (counts only)."""

    key: str
    numerator: int
    denominator: int

    def __post_init__(self) -> None:
        check_key(self.key, "share key")
        check_count(self.numerator, "numerator")
        check_count(self.denominator, "denominator")
        if self.numerator > self.denominator:
            raise ValueError(f"share {self.key!r}: numerator exceeds denominator")


@dataclass(frozen=True)
class Median:
    """A median of integer `values` (say minutes), published in multiples of `unit` (60: hours)."""

    key: str
    values: tuple[int, ...]
    unit: int = 60

    def __post_init__(self) -> None:
        check_key(self.key, "median key")
        values = tuple(self.values)
        for value in values:
            check_count(value, "median value")
        if isinstance(self.unit, bool) or not isinstance(self.unit, int) or self.unit < 1:
            raise ValueError("unit must be a positive integer")
        object.__setattr__(self, "values", values)


@dataclass(frozen=True)
class Shown:
    """Publish `value`. `fresh` is False when it repeats an earlier release, the one labelled `since`."""

    value: int
    fresh: bool
    since: str


@dataclass(frozen=True)
class Hidden:
    """Publish nothing. `primary`: hidden by its own rule (fewer than k); else to protect another figure.

    Render both kinds alike (see the package docstring): the flag is for tests and logs.
    """

    primary: bool


Outcome = Union[Shown, Hidden]


@dataclass(frozen=True)
class Leak:
    """A hidden figure that a reader can work out: its value lies in [low, high] with fewer than 2 integers."""

    label: str
    key: str
    low: float
    high: float


@dataclass(frozen=True)
class Release:
    """What one release publishes, plus what the next release needs (`ledger`).

    `definitions` are kept so that `audit` can rebuild what a reader knows; they are keys only.
    """

    label: str
    k: int
    figures: Mapping[str, Outcome]
    definitions: Mapping[str, Figure]
    shares: Mapping[str, Outcome] = field(default_factory=dict)
    medians: Mapping[str, Outcome] = field(default_factory=dict)
    ledger: dict = field(default_factory=dict)

    def shown(self) -> dict[str, int]:
        """The figures with a value, as {key: value}."""
        return {key: o.value for key, o in self.figures.items() if isinstance(o, Shown)}
