"""The words of the figures engine: figures over base cells, and the statement a release makes
about each.

A *base cell* is a count the network knows exactly at a period's counting day (for example the
requests of one department on one theme at one level in a quarter). A *figure* is a number that
may leave the network: the sum of some base cells. A *release* makes one *statement* about each
of its figures, once, and it never changes afterwards:

- exact      the value                                    "23"
- small      fewer than the figure's threshold            "fewer than 5"
- protected  held back to protect a smaller number:       "5–12" (the range a reader could work
             the range a reader can work out anyway,       out from everything released, cut at
             from the threshold up                         the threshold: the truth lies in it)
- step       a fixed band of a count that only grows       "10–19"
- flag       at least a value                             "at least 3"
- withheld   nothing is said                              (the page says why in one line)

A statement is what a reader knows: low <= figure <= high (high None: no upper bound). Only keys
and integers come in; nothing here can carry the text of a case.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, Mapping

MIN_K, MAX_K = 2, 100
# Keys are labels from the taxonomy (departments, themes, levels), never free text.
_KEY = re.compile(r"[^\x00-\x1f\x7f]{1,300}")

Kind = Literal["exact", "small", "protected", "step", "flag", "withheld"]
KINDS: tuple[str, ...] = ("exact", "small", "protected", "step", "flag", "withheld")


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
    """A number that may be released: the sum of `cells` (base cell keys).

    threshold: below it the figure is small (k; k+1 for team signals, where one account's own
               signal is taken off first).
    must_show: the caller would rather see this one (a total, a reported signal): complementary
               suppression picks another figure when it can. It never overrides the threshold.
    cost:      complements hide the cheapest figures first (a theme by level before a theme).
    known:     coordinators know this figure case by case (urgent requests, missed promises): it
               is protected from a steering member, not from one person who is both.
    """

    key: str
    cells: frozenset[str]
    threshold: int
    must_show: bool = False
    cost: int = 0
    known: bool = False

    def __post_init__(self) -> None:
        check_key(self.key, "figure key")
        cells = frozenset(self.cells)
        if not cells:
            raise ValueError(f"figure {self.key!r} has no cells")  # its value would be known: 0
        for cell in cells:
            check_key(cell, "cell key")
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, int) or self.threshold < 1:
            raise ValueError(f"figure {self.key!r}: the threshold must be a positive integer")
        object.__setattr__(self, "cells", cells)


@dataclass(frozen=True)
class Statement:
    """What a release says about one figure: low <= value <= high (high None: no upper bound)."""

    kind: str
    low: int = 0
    high: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown statement kind {self.kind!r}")
        if self.high is not None and self.high < self.low:
            raise ValueError(f"statement {self.kind} {self.low}..{self.high} is empty")

    @classmethod
    def exact(cls, value: int) -> Statement:
        return cls("exact", value, value)

    @classmethod
    def small(cls, threshold: int) -> Statement:
        return cls("small", 0, threshold - 1)

    @classmethod
    def withheld(cls) -> Statement:
        return cls("withheld", 0, None)

    @property
    def value(self) -> int | None:
        """The value of an exact statement (None for every other kind)."""
        return self.low if self.kind == "exact" else None

    @property
    def is_exact(self) -> bool:
        return self.kind == "exact"

    def bounds(self) -> tuple[int | None, int | None]:
        """What a reader knows from it, as bounds on the figure's value (None: no bound)."""
        if self.kind == "withheld":
            return None, None
        return (self.low if self.low > 0 else None), self.high

    def holds(self, value: int) -> bool:
        """Does the statement contain this (true) value?"""
        if self.kind == "withheld":
            return True
        return self.low <= value and (self.high is None or value <= self.high)

    def to_json(self) -> list:
        return [self.kind, self.low, self.high]

    @classmethod
    def from_json(cls, data) -> Statement:
        kind, low, high = data
        return cls(kind, low, high)


@dataclass(frozen=True)
class Leak:
    """A target a reader can work out: its value lies in [low, high], which holds fewer than 2 integers."""

    label: str
    key: str
    low: float
    high: float


@dataclass(frozen=True)
class Release:
    """One release: its figures (definitions, kept so that every later audit rebuilds what a reader
    knows exactly as it was) and its statements, plus what pages say beside them (`extra`: the
    signals reported with their suggestions, a frozen network snapshot, derived figures...)."""

    label: str
    kind: str        # 'period', 'open' (steps of the month so far), 'review' (the network's flags)
    year: int        # the calendar year whose cells it is about (one audit per year)
    k: int
    figures: Mapping[str, Figure]
    statements: Mapping[str, Statement]
    extra: Mapping = field(default_factory=dict)

    def statement(self, key: str) -> Statement | None:
        return self.statements.get(key)

    def exact(self) -> dict[str, int]:
        """The figures released with their value, as {key: value}."""
        return {key: s.low for key, s in self.statements.items() if s.kind == "exact"}

    def to_json(self) -> dict:
        """Plain data: every figure's cells as indexes into one list of cell keys."""
        cells = sorted({c for f in self.figures.values() for c in f.cells})
        index = {c: i for i, c in enumerate(cells)}
        return {
            "label": self.label, "kind": self.kind, "year": self.year, "k": self.k, "cells": cells,
            "figures": [{"key": f.key, "cells": sorted(index[c] for c in f.cells), "t": f.threshold,
                         "must": int(f.must_show), "cost": f.cost, "known": int(f.known),
                         "st": self.statements[f.key].to_json()} for f in self.figures.values()],
            "extra": dict(self.extra),
        }

    @classmethod
    def from_json(cls, data: Mapping) -> Release:
        """A stored release (checked when it was made: read back without checking every key again)."""
        cells = data["cells"]
        figures, statements = {}, {}
        for item in data["figures"]:
            figure = object.__new__(Figure)
            for name, value in (("key", item["key"]), ("cells", frozenset(cells[i] for i in item["cells"])),
                                ("threshold", item["t"]), ("must_show", bool(item.get("must"))),
                                ("cost", item.get("cost", 0)), ("known", bool(item.get("known")))):
                object.__setattr__(figure, name, value)
            figures[item["key"]] = figure
            statements[item["key"]] = Statement.from_json(item["st"])
        return cls(data["label"], data["kind"], data["year"], data["k"], figures, statements,
                   dict(data.get("extra", {})))
