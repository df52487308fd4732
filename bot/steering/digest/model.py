"""What a digest published, as the text and the chart read it.

The stored snapshot (JSON, sealed in `digests.published`) names the releases the digest shows (the
latest closed month and quarter, those released with it, the month so far) and holds what it says
beside them (the signals reported by the network, the follow-up of actions, the network itself).
The releases never change, so /digest shows a week exactly as it was sent. The renderers get only
this view and the releases' views, so they cannot print a number no release stated.

Digests made before schema 20 (`v` 1: 13-week windows, "≈" values) are not shown again; /digest
says so in one line.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from bot.foundations import clock
from bot.steering.releases.view import OpenView, PeriodView

VERSION = 2


@dataclass
class Published:
    data: Mapping
    views: dict[str, PeriodView | OpenView] = field(default_factory=dict)
    bodies: dict[str, tuple[Mapping, str | None]] = field(default_factory=dict)  # the views as plain data

    @property
    def current(self) -> bool:
        """Made by this method (closed periods), not with the earlier 13-week windows."""
        return self.data.get("v") == VERSION

    @property
    def week(self) -> str:
        return self.data["week"]

    @property
    def k(self) -> int:
        return self.data["k"]

    @property
    def year(self) -> int:
        return int(self.week[:4])

    @property
    def week_number(self) -> int:
        return int(self.week[-2:])

    @property
    def late(self) -> bool:
        return bool(self.data.get("late"))

    @property
    def due(self) -> datetime | None:
        return clock.parse(self.data["due"]) if self.data.get("due") else None

    @property
    def day(self) -> date | None:
        return date.fromisoformat(self.data["day"]) if self.data.get("day") else None

    @property
    def signal_min(self) -> int:
        return self.data.get("signal_min", 3)

    @property
    def health(self) -> Mapping:
        return self.data.get("health", {})

    @property
    def signals(self) -> list[Mapping]:
        return list(self.data.get("signals", []))

    @property
    def new(self) -> list[str]:
        """The periods released with this digest."""
        return list(self.data.get("new", []))

    def labels(self) -> list[str]:
        """Every release this digest shows (to load their views)."""
        found = [self.data.get(key) for key in ("month", "quarter", "before", "year", "open")]
        return list(dict.fromkeys([*(x for x in found if x), *self.new, *self.data.get("trend", [])]))

    def view(self, key: str) -> PeriodView | None:
        label = self.data.get(key)
        found = self.views.get(label) if label else None
        return found if isinstance(found, PeriodView) else None

    @property
    def month(self) -> PeriodView | None:
        return self.view("month")

    @property
    def quarter(self) -> PeriodView | None:
        return self.view("quarter")

    @property
    def before(self) -> PeriodView | None:
        return self.view("before")

    @property
    def open(self) -> OpenView | None:
        found = self.views.get(self.data.get("open") or "")
        return found if isinstance(found, OpenView) else None

    @property
    def trend(self) -> list[PeriodView]:
        """The released months of the chart, oldest first."""
        return [v for label in self.data.get("trend", []) if isinstance(v := self.views.get(label), PeriodView)]

    @property
    def review(self) -> Mapping | None:
        """The review round opened with this digest: its label, quarter and the days it looked at."""
        return self.data.get("review")

    @property
    def waiting(self) -> tuple[str, date] | None:
        """A quarter that has ended and is not counted yet, and the day it is due."""
        found = self.data.get("waiting")
        return (found["label"], date.fromisoformat(found["due"])) if found else None

    @property
    def open_conversations(self) -> tuple[int, int | None] | None:
        found = self.data.get("open_conversations")
        return (found[0], found[1]) if found else None

    def dep_name(self, key: str) -> str | None:
        return self.data.get("deps", {}).get(key)


def view_of(body: Mapping, made_at: str | None = None) -> PeriodView | OpenView:
    """A stored release's body as pages read it."""
    if body["kind"] == "open":
        return OpenView(body)
    return PeriodView(body, clock.parse(made_at) if made_at else None)


def published_with(data: Mapping, bodies: Mapping[str, tuple[Mapping, str | None]]) -> Published:
    """A digest with the releases it names (label -> (body, when it was made)): plain data in, so
    that a child process can rebuild it."""
    return Published(data, {label: view_of(body, made) for label, (body, made) in bodies.items()}, dict(bodies))


__all__ = ["Published", "VERSION", "published_with", "view_of"]
