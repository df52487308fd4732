"""A release as the pages read it: statements by family, the promise and the median, the signals
and the network beside them. Pure. A page gets only this view, so it cannot print a number that no
release stated, and it orders nothing by a number it does not print."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from bot.foundations import clock
from bot.foundations.calendar import Period, parse_period
from bot.steering.figures import Median, Promise, Release, Statement

from . import cells as C

_RANK = {"exact": 0, "protected": 1, "step": 1, "flag": 2, "small": 3, "withheld": 4}


def order(items: Sequence[tuple[str, Statement]], first: Sequence[str] = ()) -> list[tuple[str, Statement]]:
    """Largest first by what is printed (exact values, then ranges by their low end), then the small
    ones in their given order: never by a number that is not shown."""
    position = {key: i for i, key in enumerate(first)}
    return sorted(items, key=lambda x: (_RANK[x[1].kind], -x[1].low if x[1].kind != "small" else 0,
                                        position.get(x[0], len(position)), x[0]))


class PeriodView:
    """One released period (a month, a quarter or a year)."""

    def __init__(self, body: Mapping, made_at: datetime | None = None) -> None:
        self.release = Release.from_json(body)
        self.label: str = self.release.label
        self.kind: str = body["kind"]
        self.year: int = self.release.year
        self.k: int = self.release.k
        self.extra: Mapping = self.release.extra
        self.made_at = made_at
        self.period: Period | None = parse_period(self.label) if self.kind == "period" else None

    @property
    def counted_on(self) -> date | None:
        return self.made_at.date() if self.made_at else None

    def key(self, family: str, *args: str) -> str:
        return "|".join([self.label, family, *args])

    def st(self, family: str, *args: str) -> Statement | None:
        return self.release.statements.get(self.key(family, *args))

    def has(self, family: str, *args: str) -> bool:
        return self.key(family, *args) in self.release.statements

    def family(self, family: str) -> list[tuple[tuple[str, ...], Statement]]:
        """Every statement of a family, as (its arguments, statement), in release order."""
        head = f"{self.label}|{family}|"
        return [(tuple(key[len(head):].split("|")), s) for key, s in self.release.statements.items()
                if key.startswith(head)]

    @property
    def promise(self) -> Promise | None:
        raw = self.extra.get("promise")
        return Promise.from_json(raw) if raw else None

    @property
    def median(self) -> Median | None:
        raw = self.extra.get("median")
        return Median.from_json(raw) if raw else None

    @property
    def average(self) -> float | None:
        """The ratings' average, given only from 2k ratings (one decimal)."""
        return self.extra.get("average")

    @property
    def about(self) -> bool:
        """A quarter or a year: it says what the conversations were about."""
        return self.has("conv")

    @property
    def about_withheld(self) -> bool:
        """What the conversations were about is not shown at all (the last fallback of a release
        that could not be made safe otherwise: the page says so in one line)."""
        found = self.st("conv")
        return found is not None and found.kind == "withheld"

    def themes(self, first: Sequence[str] = ()) -> list[tuple[str, Statement]]:
        return order([(args[0], s) for args, s in self.family("th")], first)

    def departments(self) -> tuple[list[tuple[str, Statement]], list[str], Statement | None]:
        """(departments standing alone with their statement, those counted under "other
        departments", and that group's statement)."""
        standing, merged = [], []
        for (dep,), s in self.family("dep"):
            if dep == C.OTHER:
                continue
            (merged if s.kind == "small" else standing).append((dep, s))
        return order(standing), [dep for dep, _ in merged], self.st("dep", C.OTHER)

    def name(self, dep: str) -> str | None:
        """A department key's stored name (None: not given)."""
        return self.extra.get("names", {}).get(dep, dep if not dep.startswith("~") else None)

    @property
    def network(self) -> Mapping:
        return self.extra.get("network", {})

    @property
    def signals(self) -> list[Mapping]:
        return list(self.extra.get("signals", []))

    def signal_count(self, dep: str, theme: str) -> Statement | None:
        return self.st("dt", dep, theme)

    def team(self) -> list[tuple[str, list[tuple[str, Statement]], list[tuple[str, Statement]]]]:
        """(theme, departments shown, levels shown) for the team signals, a theme with a number first."""
        by_theme: dict[str, tuple[list, list]] = {}
        for (dep, theme), s in self.family("tsd"):
            if s.kind != "small":
                by_theme.setdefault(theme, ([], []))[0].append((dep, s))
        for (theme, level), s in self.family("tsl"):
            if s.kind != "small":
                by_theme.setdefault(theme, ([], []))[1].append((level, s))
        found = [(theme, order(deps), levels) for theme, (deps, levels) in by_theme.items() if deps]
        return sorted(found, key=lambda x: (_RANK[x[1][0][1].kind], -x[1][0][1].low, x[0]))


class OpenView:
    """The month so far, as one digest stated it."""

    def __init__(self, body: Mapping) -> None:
        self.release = Release.from_json(body)
        self.month: str = body["extra"]["month"]
        self.first_day = date.fromisoformat(body["extra"]["first_day"])
        self.last_day = date.fromisoformat(body["extra"]["last_day"])
        self.requests: Statement = next(iter(self.release.statements.values()))


def parse_made(text: str | None) -> datetime | None:
    return clock.parse(text) if text else None


__all__ = ["PeriodView", "OpenView", "order"]
