"""What a digest published, as the text and the chart read it.

The stored snapshot (JSON, sealed in `digests.published`) holds the release's outcomes and
nothing else about the counts: a value that was shown, or that it was hidden. The renderers
get only this view, so they cannot show a number the release did not: a hidden figure has no
value here, and it reads the same whether it was small or held back to protect another.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from bot.foundations import clock

from .digest import COMPARED, Dims, signal_key


@dataclass(frozen=True)
class Num:
    """A published number: `value` None when hidden; `fresh` False when repeated from `since`."""

    value: int | None
    fresh: bool = True
    since: str | None = None

    @property
    def hidden(self) -> bool:
        return self.value is None

    @property
    def stale(self) -> bool:
        return self.value is not None and not self.fresh


HIDDEN = Num(None)


@dataclass(frozen=True)
class WindowDates:
    name: str
    first_day: date
    last_day: date


class Published:
    def __init__(self, data: Mapping) -> None:
        self.data = data
        self.week: str = data["week"]
        self.k: int = data["k"]
        self.weeks: int = data.get("weeks", 13)
        self.late: bool = bool(data.get("late"))
        self.due: datetime | None = clock.parse(data["due"]) if data.get("due") else None
        self.dims = Dims.from_json(data["dims"])
        self.withheld: list[str] = list(data.get("withheld", []))
        self.signal_min: int = data.get("signal_min", 3)
        self.windows = [WindowDates(n, date.fromisoformat(a), date.fromisoformat(b))
                        for n, a, b in data.get("windows", [])]
        self.health: Mapping = data.get("health", {})
        self.signals: list[Mapping] = list(data.get("signals", []))

    @staticmethod
    def _num(entry) -> Num:
        if entry is None or entry[0] is None:
            return HIDDEN
        return Num(entry[0], bool(entry[1]), entry[2])

    def figure(self, key: str) -> Num:
        return self._num(self.data["figures"].get(key))

    def share(self, key: str) -> Num:
        return self._num(self.data.get("shares", {}).get(key))

    def median(self, key: str) -> Num:
        return self._num(self.data.get("medians", {}).get(key))

    def dep_name(self, key: str) -> str | None:
        return self.data.get("deps", {}).get(key)

    @property
    def year(self) -> int:
        return int(self.week[:4])

    @property
    def week_number(self) -> int:
        return int(self.week[-2:])

    @property
    def empty(self) -> bool:
        """Nothing about the window may be said: its requests are hidden (fewer than k, or held back)."""
        return "use" in self.withheld or self.figure("req|win:now").hidden

    def requests(self, window: str) -> Num:
        return self.figure(f"req|win:{window}")

    def trend(self) -> list[tuple[WindowDates, Num]]:
        """Requests per window, oldest first."""
        return [(w, self.requests(w.name)) for w in reversed(self.windows)]

    def themes(self) -> list[tuple[str, Num]]:
        """Work-related themes whose count is shown, largest first (ties by key)."""
        if "themes" in self.withheld:
            return []
        found = [(t, self.figure(f"th|theme:{t}")) for t in self.dims.themes]
        return sorted((x for x in found if not x[1].hidden), key=lambda x: (-x[1].value, x[0]))

    def themes_hidden(self) -> bool:
        return "themes" not in self.withheld and any(
            self.figure(f"th|theme:{t}").hidden for t in self.dims.themes)

    def team(self) -> list[tuple[str, list[tuple[str, Num]]]]:
        """Themes of the employees' team signals with the departments whose count is shown, the
        theme with the largest shown number first (never ordered by a hidden one)."""
        found = []
        for theme in self.dims.themes:
            deps = [(d, n) for d in self.dims.team_deps if not (n := self.figure(f"ts|dep:{d}|theme:{theme}")).hidden]
            if deps:
                deps.sort(key=lambda x: -x[1].value)
                found.append((theme, deps))
        return sorted(found, key=lambda x: (-x[1][0][1].value, x[0]))

    @property
    def counts_team_signals(self) -> bool:
        """Digests made before team signals existed have no such section."""
        return bool(self.data.get("team_signals"))

    def signal_count(self, signal: Mapping) -> Num:
        """A signal's count, for a signal of the window only. A 12-month count is never shown:
        it is the window plus the three windows before, which digests 13, 26 and 39 weeks
        earlier showed as their own windows; subtracted, it would give this window's count, the
        one the signal did not reach. Such a signal is said to recur over 12 months, no number."""
        if signal["span"] != "recent":
            return HIDDEN
        return self.figure(signal_key(signal["span"], signal["dep"], signal["theme"]))

    def compared(self, head: str, dimension: str | None = None, value: str | None = None) -> tuple[Num, Num]:
        """A use figure for this window and the one before (of one outcome, one kind...)."""
        tail = "" if dimension is None else "|" + dimension + ":" + value
        return tuple(self.figure(f"{head}|win:{w}{tail}") for w in COMPARED)
