"""The report's figures: the digests' releases, re-read on the digests' own windows. Pure.

A report never counts anything anew. Its period is cut into the digest's windows (13 weeks: a
quarter is one window, a year four), each ending on a digest's slot, and every figure of a window
is the one the digest of that slot released for its own newest window ("now"): the same value,
"≈" where the digest repeated an earlier one, "–" where it was hidden. A total over windows is
shown only when every part of it is shown (then it is their sum, which anyone could add up);
otherwise it is "–". So a window's figures come from exactly one release, the windows do not
overlap, and everything the report states was already stated by a digest or follows from it:
it cannot be differenced against the digests, nor against itself (docs/steering.md: "Why a
report cannot be differenced against the digests").

`audit` checks that claim the way the digests are checked: the engine's auditor over everything
the report shows (its figures as sums of each window's base cells, with what a reader knows from
each outcome) must find no hidden figure that can be worked out.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from bot.foundations.calendar import Period
from bot.steering.digest.digest import OUTCOME_KEYS, UNSET, release_of
from bot.steering.digest.model import HIDDEN, Num, Published
from bot.steering.digest.schedule import Slot, local_moment, slot_of_week, week_label
from bot.steering.figures import Hidden, Leak, Shown
from bot.steering.figures.auditor import Auditor, Problem, knowledge

SINGLE = "single"  # a report of one window shows the window before it too, for comparison


@dataclass(frozen=True)
class ReportWindow:
    """One digest window of the report: the 13 weeks before a digest's slot."""

    slot: Slot
    first_day: date
    last_day: date
    in_period: bool = True  # False: the window before a one-window report, for comparison

    @property
    def week(self) -> str:
        return self.slot.week


def nearest_slot_day(day: date, weekday: int) -> date:
    """The digest's weekday nearest to `day` (ties go to the later one)."""
    back = (day.weekday() - weekday) % 7
    return day - timedelta(days=back) if back < 4 else day + timedelta(days=7 - back)


def report_windows(period: Period, *, weekday: int, at: time, tz: ZoneInfo, weeks: int) -> list[ReportWindow]:
    """The digest windows that make up `period`, oldest first: as many whole windows as fit the
    period best, ending on the digest's slot nearest to the period's end. A period of one window
    also gets the window before it (not in the period), to compare with."""
    end = nearest_slot_day(period.end, weekday)
    count = max(1, round((period.end - period.start).days / (7 * weeks)))
    found = []
    for i in range(count + (1 if count == 1 else 0)):
        day = end - timedelta(weeks=weeks * i)
        slot = slot_of_week(week_label(day), weekday, at, tz)
        found.append(ReportWindow(slot, day - timedelta(weeks=weeks), day - timedelta(days=1), in_period=i < count))
    return found[::-1]


def ready_at(windows: Sequence[ReportWindow]) -> Slot:
    """The report can be made once the digest of its last window is due."""
    return windows[-1].slot


def span(windows: Sequence[ReportWindow], tz: ZoneInfo) -> tuple[str, str]:
    """The UTC moments the period's windows cover (for what is counted by moment, such as turnover)."""
    inside = [w for w in windows if w.in_period]
    return (local_moment(inside[0].first_day, time(0), tz).isoformat(timespec="seconds"),
            local_moment(inside[-1].last_day + timedelta(days=1), time(0), tz).isoformat(timespec="seconds"))


# What a report re-reads from each window's digest ---------------------------------------------------

def digest_key(key: str) -> str:
    """The report's key of a window figure ('th|workload') -> the digest's key of that figure for
    its newest window ('th|theme:workload')."""
    head, _, rest = key.partition("|")
    if head in ("req", "urg", "brc", "prv"):
        return f"{head}|win:now"
    if head == "out":
        return f"out|win:now|out:{rest}"
    if head == "ref":
        return f"ref|win:now|kind:{rest}"
    if head == "th":
        return f"th|theme:{rest}"
    if head == "tl":
        theme, _, level = rest.partition("|")
        return f"tl|theme:{theme}|level:{level}"
    if head == "open":
        return "open|now"
    if head == "dt":
        dep, _, theme = rest.rpartition("|")
        return f"dt|dep:{dep}|theme:{theme}"
    raise ValueError(key)


def matches(pub: Published | None, window: ReportWindow) -> bool:
    """Is this the digest whose newest window is exactly `window`? (Settings may have changed since.)"""
    if pub is None or not pub.windows or pub.week != window.week:
        return False
    now = pub.windows[0]
    return now.first_day == window.first_day and now.last_day == window.last_day


def total(values: Sequence[Num | None]) -> Num:
    """A sum over windows: shown only when every part is shown (so it says nothing new)."""
    if not values or any(v is None or v.hidden for v in values):
        return HIDDEN
    return Num(sum(v.value for v in values), all(v.fresh for v in values), None)


@dataclass(frozen=True)
class SignalSeen:
    """A signal the network reported, as the digest of a window published it."""

    window: int          # index into Report.windows
    dep: str
    dep_name: str | None
    theme: str
    span: str            # 'recent' (the window: its count is shown) or 'year' (12 months: listed only)
    basis: str
    count: Num


@dataclass
class Figures:
    """Every figure a report shows, per window (oldest first), with totals over the period."""

    k: int
    windows: list[ReportWindow]
    pubs: list[Published | None]
    themes: list[str]
    levels: list[str]
    kinds: list[str]
    counts: dict[str, list[Num | None]] = field(default_factory=dict)  # None: not in the report
    shares: dict[str, list[Num]] = field(default_factory=dict)
    medians: dict[str, list[Num]] = field(default_factory=dict)
    signals: list[SignalSeen] = field(default_factory=list)

    @property
    def inside(self) -> list[int]:
        """The indexes of the windows in the period."""
        return [i for i, w in enumerate(self.windows) if w.in_period]

    def total(self, key: str) -> Num:
        return total([self.counts[key][i] for i in self.inside])

    @property
    def empty(self) -> bool:
        """No window of the period has a digest with anything to say."""
        return all(self.pubs[i] is None or self.pubs[i].empty for i in self.inside)

    def shown(self) -> Iterable[tuple[int, str, Num]]:
        """(window, report key, value) of every count the report shows, hidden ones included."""
        for key, values in self.counts.items():
            for i, value in enumerate(values):
                if value is not None:
                    yield i, key, value


def collect(windows: Sequence[ReportWindow], pubs: Sequence[Published | None], *, k: int,
            themes: Sequence[str], levels: Sequence[str], kinds: Sequence[str]) -> Figures:
    """Each window's figures from its digest (None, or a digest of other windows: all hidden)."""
    pubs = [pub if matches(pub, window) else None for pub, window in zip(pubs, windows)]
    found_themes = list(themes) + sorted({t for p in pubs if p for t in p.dims.themes} - set(themes))
    found_kinds = list(kinds) + sorted({c for p in pubs if p for c in p.dims.kinds} - set(kinds))
    found_levels = [lv for lv in levels if lv != UNSET]
    figures = Figures(k, list(windows), pubs, found_themes, found_levels, found_kinds)
    keys = ["req", "urg", "brc", *(f"out|{o}" for o in OUTCOME_KEYS), "prv", "open",
            *(f"ref|{c}" for c in found_kinds), *(f"th|{t}" for t in found_themes),
            *(f"tl|{t}|{lv}" for t in found_themes for lv in found_levels)]
    for key in keys:
        figures.counts[key] = [pub.figure(digest_key(key)) if pub else HIDDEN for pub in pubs]
    figures.shares["prom"] = [pub.share("prom|win:now") if pub else HIDDEN for pub in pubs]
    figures.medians["wait"] = [pub.median("wait|win:now") if pub else HIDDEN for pub in pubs]
    for i, pub in enumerate(pubs):
        if pub is None or not windows[i].in_period:
            continue
        for signal in pub.signals:
            count = pub.signal_count(signal)
            figures.signals.append(SignalSeen(i, signal["dep"], pub.dep_name(signal["dep"]), signal["theme"],
                                              signal["span"], signal["basis"], count))
            if signal["span"] == "recent":
                figures.counts.setdefault(f"dt|{signal['dep']}|{signal['theme']}", [None] * len(pubs))[i] = count
    return figures


# The audit: the engine's auditor over what the report shows -----------------------------------------

def audit(figures: Figures, totals: Mapping[str, Num] | None = None) -> list[Leak]:
    """Hidden figures a reader of the report could work out (there must be none).

    Each window's figures are sums of that window's base cells (its digest's figure definitions);
    what the report shows of them is what a reader knows: a fresh value exactly, "≈" within k-1,
    "–" at most k-1 when the digest hid it for being small. A total is a sum over windows. The
    auditor then looks for a hidden figure with fewer than two possible values."""
    problem = Problem()
    k = figures.k
    cells: dict[tuple[int, str], list] = {}
    for i, pub in enumerate(figures.pubs):
        if pub is None:
            continue
        release, _ = release_of(pub.data)
        for key, values in figures.counts.items():
            digest = digest_key(key)
            definition = release.definitions.get(digest)
            if definition is None or values[i] is None:
                continue  # withheld in that digest ("–": the reader knows nothing), or not in the report
            outcome = release.figures[digest]
            lo, hi = knowledge(outcome, k)
            terms = [((i, cell), 1) for cell in sorted(definition.cells)]
            cells[(i, key)] = terms
            problem.add((pub.week, digest), terms, lo, hi, target=isinstance(outcome, Hidden))
            shown = values[i]
            if isinstance(outcome, Shown) == shown.hidden or (not shown.hidden and shown.value != outcome.value):
                raise ValueError(f"the report's {key} of {pub.week} is not what the digest released")
    for key in figures.counts:
        value = (totals or {}).get(key) or figures.total(key)
        parts = [cells.get((i, key)) for i in figures.inside]
        if value.hidden or any(p is None for p in parts):
            continue
        terms = [term for part in parts for term in part]
        slack = 0 if value.fresh else len(parts) * (k - 1)
        problem.add(("report", f"total|{key}"), terms, max(0, value.value - slack), value.value + slack)
    if not problem.targets:
        return []
    return [finding.leak for finding in Auditor(problem).findings()]


def small(figures: Figures, totals: Mapping[str, Num] | None = None) -> list[str]:
    """Every shown count below k (there must be none)."""
    found = [f"{figures.windows[i].week}:{key}" for i, key, value in figures.shown()
             if not value.hidden and value.value < figures.k]
    found += [f"total of {key}" for key, value in (totals or {}).items() if not value.hidden and value.value < figures.k]
    return found


__all__ = ["ReportWindow", "Figures", "SignalSeen", "report_windows", "nearest_slot_day", "collect", "audit", "small",
           "total", "digest_key", "matches", "ready_at", "span"]
