"""The weekly digest as figures: counts in, one release of bot/steering/figures out. Pure.

Everything a digest, its chart, `/digest`, a preview or the network's review may show is one
release of the figures engine, over four separate sets of base cells:

- use (requests, by window x urgent x outcome x breach): requests per window (the trend),
  urgent ones, promises missed and outcomes, this window and the one before;
- themes (work-related only; by part of the trend x department group x theme x level): themes
  by department and by level in the window (shared 3-D cells, so the two tables are audited
  together), and by department over the whole trend (12 months), for the review;
- private life: requests with a private-life theme in the window, counted apart;
- referrals (by window x kind): requests sent to each kind of contact;
- concerns about a colleague, and requests with a collective character (by window): counted
  apart, this window and the one before;
- team signals ("something is wrong in my team", by department x theme x level, in the
  window): employees' signals without a conversation, a population of their own. Their
  departments are not merged by the requests' rule (that would hide a department with many
  signals and few requests); the engine's suppression covers them like any other cells;
- the open conversations right now.

Shares (contact within the promise) and medians (time to contact) follow the engine's rules.
One theme count (and a private-life, referral, concern or collective count) is never more than
the requests of its window: a reader knows that too, so `leaks` audits the release with those
links added. Should they ever pin a hidden figure (it
takes a window where nearly every request has the same theme), the themes, private life and
referrals are held back for that week rather than shown.
"""
from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.foundations.storage.figures import SignalCount
from bot.foundations.vocab import OUTCOMES
from bot.steering.figures import (
    Figure,
    Hidden,
    Leak,
    Median,
    Release,
    Share,
    Shown,
    cell_key,
    merge_small_departments,
    release,
)
from bot.steering.figures.auditor import Auditor, Problem, reader_problem

OTHER = "~other"          # small departments counted together
NOT_GIVEN = "~none"       # requests whose department was not given
UNSET = "unset"           # requests without a level
OUTCOME_KEYS = tuple(OUTCOMES)
OPEN = "open"             # open, or closed without an outcome
COMPARED = ("now", "prev")  # the windows the use figures compare
PARTS = ("recent", "older")  # the newest window, and the rest of the trend
MAX_CANDIDATES = 12
PUBLISHED_VERSION = 1


def dep_key(name: str | None) -> str:
    """A department name as a key of the figures ('|', ':' and '*' have meanings there)."""
    if name is None:
        return NOT_GIVEN
    key = "".join(c for c in name if c.isprintable()).replace("|", "¦").replace(":", "꞉").replace("*", "∗")
    key = key.strip() or "?"
    return "～" + key[1:] if key.startswith("~") else key


@dataclass(frozen=True)
class Departments:
    """Which group each stored department is counted in; `separate` goes to the next digest."""

    groups: dict[str | None, str]
    names: dict[str, str]         # group key -> the stored name, for departments standing alone
    separate: frozenset[str]
    order: tuple[str, ...]        # group keys: configured ones first, former ones, not given, other
    team_names: tuple[str, ...] = ()  # the departments team signals are counted by: configured, then former


def group_departments(requests: Mapping[str | None, int], configured: Sequence[str], *, k: int,
                      separate_before: Iterable[str] | None, team: Iterable[str] = ()) -> Departments:
    """Departments with fewer than k requests in the window are counted as "other departments",
    with the engine's stable rule (a merged one stands alone again only from 2k). Team signals
    are counted by every department they name (`team`), configured ones first."""
    counts: dict[str, int] = {dep_key(d): 0 for d in configured}
    names: dict[str, str | None] = {dep_key(d): d for d in configured}
    for department, n in requests.items():
        key = dep_key(department)
        counts[key] = counts.get(key, 0) + n
        names.setdefault(key, department)
    grouping = merge_small_departments(counts, k=k, separate_before=separate_before, other=OTHER)
    groups = {names[key]: group for key, group in grouping.groups.items()}
    configured_keys = [dep_key(d) for d in configured]
    standing = [g for g in configured_keys if g in grouping.separate]
    standing += sorted(g for g in grouping.separate if g not in configured_keys and g != NOT_GIVEN)
    standing += [NOT_GIVEN] if NOT_GIVEN in grouping.separate else []
    return Departments(groups, {g: names[g] for g in grouping.separate if names[g] is not None},
                       grouping.separate, (*standing, OTHER), _team_names(configured, team))


def _team_names(configured: Sequence[str], team: Iterable[str]) -> tuple[str, ...]:
    """Every configured department and any former one a signal names; none when the window has no
    team signal at all (no figures to audit: the digest reads the same either way)."""
    found = sorted(set(team))
    return tuple(dict.fromkeys([*configured, *found])) if found else ()


@dataclass(frozen=True)
class Dims:
    """The values of every dimension of one release: its figures follow from them."""

    windows: tuple[str, ...]   # newest first: 'now', 'prev', 'p2', ...
    deps: tuple[str, ...]      # department group keys
    themes: tuple[str, ...]    # work-related theme keys
    levels: tuple[str, ...]    # level keys, then UNSET
    kinds: tuple[str, ...]     # kinds of contact
    team_deps: tuple[str, ...] = ()  # department keys of the team signals (each stands alone)

    def to_json(self) -> dict:
        return {"windows": list(self.windows), "deps": list(self.deps), "themes": list(self.themes),
                "levels": list(self.levels), "kinds": list(self.kinds), "team_deps": list(self.team_deps)}

    @classmethod
    def from_json(cls, data: Mapping) -> Dims:
        return cls(*(tuple(data[name]) for name in ("windows", "deps", "themes", "levels", "kinds")),
                   tuple(data.get("team_deps", ())))


@dataclass(frozen=True)
class Counts:
    """What the database says, as counts only (see bot/steering/digest/signals.py)."""

    usage: Mapping[tuple[str, int, str, int], int]       # (window, urgent, outcome, breached)
    tags: Mapping[tuple[str, str, str, str], int]        # (part, department group, theme, level)
    private: int                                         # requests with a private-life theme, newest window
    referrals: Mapping[tuple[str, str], int]             # (window, kind)
    promise: Mapping[str, tuple[int, int]]               # window -> (kept, decided)
    waits: Mapping[str, tuple[int, ...]]                 # window -> minutes to contact
    signals: Mapping[tuple[str, str, str], SignalCount]  # (span, department group, theme)
    open_conversations: int
    concerns: Mapping[str, int] = field(default_factory=dict)     # window -> concerns about a colleague
    collective: Mapping[str, int] = field(default_factory=dict)   # window -> marked collective
    team: Mapping[tuple[str, str, str], int] = field(default_factory=dict)  # (department, theme, level): team signals


# Cells and figures ------------------------------------------------------------------------------

def _u(win: str, urgent: int, outcome: str, breached: int) -> str:
    return cell_key(sp="u", win=win, urg=str(urgent), out=outcome, br=str(breached))


def _t(part: str, dep: str, theme: str, level: str) -> str:
    return cell_key(sp="t", part=part, dep=dep, theme=theme, level=level)


PRIVATE_CELL = cell_key(sp="p", win="now")
OPEN_CELL = cell_key(sp="o", what="open")


def _k(win: str) -> str:
    return cell_key(sp="k", win=win)  # concerns about a colleague


def _c(win: str) -> str:
    return cell_key(sp="c", win=win)  # a collective character


def _s(dep: str, theme: str, level: str) -> str:
    return cell_key(sp="s", dep=dep, theme=theme, level=level)  # team signals, in the window


def _r(win: str, kind: str) -> str:
    return cell_key(sp="r", win=win, kind=kind)


def signal_key(span: str, dep: str, theme: str) -> str:
    """The figure that counts a signal: department group x theme, in the window or the trend."""
    return f"{'dt' if span == 'recent' else 'yt'}|dep:{dep}|theme:{theme}"


def figures_for(dims: Dims, reported: Iterable[tuple[str, str, str]] = ()) -> list[Figure]:
    """Every figure a digest may publish, over the base cells of `dims` (zeros included).

    The engine spares "must show" figures when it hides more to protect a small one: the
    requests per window, each theme's total, and the signals the network reported. A theme
    with a reported signal gives up its total's claim, so that the signal is the one kept.
    """
    reported = list(reported)  # (span, department group, theme)
    must = {signal_key(*r) for r in reported}
    signalled = {theme for _, _, theme in reported}
    outcomes = (*OUTCOME_KEYS, OPEN)
    figures: list[Figure] = []

    def add(key: str, cells: Iterable[str], show: bool = False) -> None:
        figures.append(Figure(key, frozenset(cells), must_show=show or key in must))

    use = {w: [_u(w, u, o, b) for u, o, b in itertools.product((0, 1), outcomes, (0, 1))] for w in dims.windows}
    for w in dims.windows:
        add(f"req|win:{w}", use[w], show=True)
    for w in COMPARED:
        add(f"urg|win:{w}", [_u(w, 1, o, b) for o, b in itertools.product(outcomes, (0, 1))])
        add(f"brc|win:{w}", [_u(w, u, o, 1) for u, o in itertools.product((0, 1), outcomes)])
        for o in OUTCOME_KEYS:
            add(f"out|win:{w}|out:{o}", [_u(w, u, o, b) for u, b in itertools.product((0, 1), (0, 1))])
    for t in dims.themes:
        add(f"th|theme:{t}", [_t("recent", d, t, lv) for d in dims.deps for lv in dims.levels],
            show=t not in signalled)
        for lv in dims.levels:
            add(f"tl|theme:{t}|level:{lv}", [_t("recent", d, t, lv) for d in dims.deps])
        for d in dims.deps:
            add(signal_key("recent", d, t), [_t("recent", d, t, lv) for lv in dims.levels])
            add(signal_key("year", d, t), [_t(p, d, t, lv) for p in PARTS for lv in dims.levels])
    add("prv|win:now", [PRIVATE_CELL])
    for w in COMPARED:
        for kind in dims.kinds:
            add(f"ref|win:{w}|kind:{kind}", [_r(w, kind)])
        add(f"con|win:{w}", [_k(w)])
        add(f"col|win:{w}", [_c(w)])
    # Per department and per level, no theme total: a total would make the engine hide a
    # department's number to protect a small one, and where is what the steering group needs.
    for t in dims.themes if dims.team_deps else ():
        for lv in dims.levels:
            add(f"ts|theme:{t}|level:{lv}", [_s(d, t, lv) for d in dims.team_deps])
        for d in dims.team_deps:
            add(f"ts|dep:{d}|theme:{t}", [_s(d, t, lv) for lv in dims.levels])
    add("open|now", [OPEN_CELL])
    return figures


def _section(key: str) -> str:
    """Which part of the digest a figure belongs to: 'use', 'open', 'team', or 'themes' (which
    takes private life, referrals, concerns and the collective character too: what a fallback may
    leave out together). Team signals are a population of their own: nothing links them to requests."""
    head = key.split("|", 1)[0]
    return {"req": "use", "urg": "use", "brc": "use", "out": "use", "open": "open", "ts": "team"}.get(head, "themes")


def base_counts(counts: Counts, dims: Dims) -> dict[str, int]:
    cells: dict[str, int] = {}
    for (w, u, o, b), n in counts.usage.items():
        if w in dims.windows and n:
            key = _u(w, int(bool(u)), o if o in OUTCOME_KEYS else OPEN, int(bool(b)))
            cells[key] = cells.get(key, 0) + n
    for (p, d, t, lv), n in counts.tags.items():
        if n and p in PARTS and d in dims.deps and t in dims.themes:
            key = _t(p, d, t, lv if lv in dims.levels else UNSET)
            cells[key] = cells.get(key, 0) + n
    if counts.private:
        cells[PRIVATE_CELL] = counts.private
    for (w, kind), n in counts.referrals.items():
        if n and w in COMPARED and kind in dims.kinds:
            cells[_r(w, kind)] = n
    for w, n in counts.concerns.items():
        if n and w in COMPARED:
            cells[_k(w)] = n
    for w, n in counts.collective.items():
        if n and w in COMPARED:
            cells[_c(w)] = n
    for (name, t, lv), n in counts.team.items():
        if n and (d := dep_key(name)) in dims.team_deps and t in dims.themes:
            key = _s(d, t, lv if lv in dims.levels else UNSET)
            cells[key] = cells.get(key, 0) + n
    if counts.open_conversations:
        cells[OPEN_CELL] = counts.open_conversations
    return cells


# The reader's extra knowledge: a theme count is at most the requests of its window -------------

def _cross_rows(problem: Problem, tag: str, label: str, dims: Dims, keys: Iterable[str]) -> None:
    present = {_section(k) for k in keys}
    if "themes" not in present or "use" not in present:
        return
    outcomes = (*OUTCOME_KEYS, OPEN)

    def use(windows: Iterable[str]) -> list[tuple]:
        return [((tag, _u(w, u, o, b)), -1) for w in windows
                for u, o, b in itertools.product((0, 1), outcomes, (0, 1))]

    for part, windows in (("recent", dims.windows[:1]), ("older", dims.windows[1:])):
        for t in dims.themes:
            terms = [((tag, _t(part, d, t, lv)), 1) for d in dims.deps for lv in dims.levels] + use(windows)
            problem.add((label, f"cross|{part}|{t}"), terms, None, 0)
    problem.add((label, "cross|private"), [((tag, PRIVATE_CELL), 1)] + use(["now"]), None, 0)
    for w in COMPARED:
        for kind in dims.kinds:
            problem.add((label, f"cross|ref|{w}|{kind}"), [((tag, _r(w, kind)), 1)] + use([w]), None, 0)
        problem.add((label, f"cross|con|{w}"), [((tag, _k(w)), 1)] + use([w]), None, 0)
        problem.add((label, f"cross|col|{w}"), [((tag, _c(w)), 1)] + use([w]), None, 0)


def leaks(previous: tuple[Release, Dims] | None, current: tuple[Release, Dims]) -> list[Leak]:
    """Hidden figures of either digest that a reader of both can work out, knowing also that a
    theme, private-life or referral count is at most the requests of its window. Uses only what
    the releases publish."""
    problem = reader_problem(previous[0] if previous else None, current[0])
    for tag, pair in (("previous", previous), ("current", current)):
        if pair is not None:
            _cross_rows(problem, tag, pair[0].label, pair[1], pair[0].definitions)
    return [finding.leak for finding in Auditor(problem).findings()]


# Building ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Previous:
    """What the digest before this one left: its ledger, its merge, and its release for the audit."""

    ledger: dict
    separate: list[str]
    release: Release
    dims: Dims


@dataclass(frozen=True)
class Reported:
    """A signal the network reported in its latest review, with the approved suggestions."""

    dep: str
    theme: str
    span: str
    suggestions: tuple[str, ...] = ()


@dataclass
class Built:
    release: Release
    dims: Dims
    published: dict
    candidates: list[tuple[str, str, str, str]] = field(default_factory=list)  # (dep, theme, span, basis)


def build(counts: Counts, *, label: str, k: int, dims: Dims, departments: Departments,
          previous: Previous | None, reported: Sequence[Reported] = (), signal_min: int = 3,
          extra: Mapping | None = None) -> Built:
    """The release of this week's digest, audited with the one before, and what it publishes."""
    cells = base_counts(counts, dims)
    shares = [Share(f"prom|win:{w}", *counts.promise.get(w, (0, 0))) for w in COMPARED]
    medians = [Median(f"wait|win:{w}", tuple(counts.waits.get(w, ())), unit=60) for w in COMPARED]
    everything = figures_for(dims, [(r.span, r.dep, r.theme) for r in reported])
    before = (previous.release, previous.dims) if previous else None
    withheld: list[str] = []
    for leave_out in ((), ("themes",), ("themes", "use")):
        figures = [f for f in everything if _section(f.key) not in leave_out]
        rel = release(cells, figures, k=k, label=label, ledger=previous.ledger if previous else None,
                      shares=shares if "use" not in leave_out else (),
                      medians=medians if "use" not in leave_out else ())
        if not leaks(before, (rel, dims)):
            withheld = list(leave_out)
            break
    else:  # without themes and use only the open conversations are left: nothing can be pinned
        raise RuntimeError("the digest's figures could not be made safe")
    published = {
        "v": PUBLISHED_VERSION, "week": label, "k": k, "dims": dims.to_json(), "withheld": withheld,
        "deps": {**{d: name for name in departments.team_names if (d := dep_key(name)) in dims.team_deps},
                 **{g: departments.names.get(g) for g in dims.deps}},
        "figures": {key: _outcome(o) for key, o in rel.figures.items()},
        "shares": {key: _outcome(o) for key, o in rel.shares.items()},
        "medians": {key: _outcome(o) for key, o in rel.medians.items()},
        "signal_min": signal_min,
        "signals": _signals(rel, counts, reported, signal_min),
        "team_signals": True,  # this digest has the section, whether or not it has figures
        **(extra or {}),
    }
    return Built(rel, dims, published, candidates(counts, dims, rel, signal_min))


def _outcome(outcome: Shown | Hidden) -> list:
    """[value or None, fresh, since, primary]: `primary` is kept for the next audit, never shown."""
    if isinstance(outcome, Shown):
        return [outcome.value, outcome.fresh, outcome.since, False]
    return [None, False, None, outcome.primary]


def release_of(published: Mapping) -> tuple[Release, Dims]:
    """The release a stored digest published, rebuilt for the joint audit with the next one."""
    dims = Dims.from_json(published["dims"])
    definitions = {f.key: f for f in figures_for(dims) if f.key in published["figures"]}

    def outcome(entry):
        value, fresh, since, primary = entry
        return Hidden(primary) if value is None else Shown(value, fresh, since)

    figures = {key: outcome(published["figures"][key]) for key in definitions}
    shares = {key: outcome([*entry, False][:4]) for key, entry in published.get("shares", {}).items()}
    medians = {key: outcome([*entry, False][:4]) for key, entry in published.get("medians", {}).items()}
    return Release(published["week"], published["k"], figures, definitions, shares, medians), dims


def qualifies(found: SignalCount | None, signal_min: int) -> str | None:
    """'colleagues' or 'requests' when the cell recurs across different requests, else None.

    Different colleagues are counted among the requests still linked to who asked: at least
    `signal_min` of them, and it is a signal "from at least that many different colleagues".
    When fewer are known but retention or erasure removed some links, who asked can no longer
    be told apart: requests are counted, and the digest says so. When every request is linked
    and they come from fewer people, it is no signal (one colleague asking again is not a
    pattern, and saying so could point at them)."""
    if found is None or found.requests < signal_min:
        return None
    if found.people >= signal_min:
        return "colleagues"
    return "requests" if found.unlinked else None


def _signals(rel: Release, counts: Counts, reported: Sequence[Reported], signal_min: int) -> list[dict]:
    """Reported signals the steering group may see: their count is shown in this release and
    they still recur across different requests now."""
    shown = []
    for r in reported:
        outcome = rel.figures.get(signal_key(r.span, r.dep, r.theme))
        basis = qualifies(counts.signals.get((r.span, r.dep, r.theme)), signal_min)
        if isinstance(outcome, Shown) and basis is not None:
            shown.append({"dep": r.dep, "theme": r.theme, "span": r.span, "basis": basis,
                          "suggestions": list(r.suggestions)})
    return sorted(shown, key=lambda s: (s["span"] != "recent", -_order(rel, s["span"], s["dep"], s["theme"]),
                                        s["dep"], s["theme"]))


def _order(rel: Release, span: str, dep: str, theme: str) -> int:
    """What a signal may be ordered by: its shown count in the window; a 12-month count is
    never shown (Published.signal_count), so it orders nothing either."""
    outcome = rel.figures.get(signal_key(span, dep, theme))
    return outcome.value if span == "recent" and isinstance(outcome, Shown) else -1


def candidates(counts: Counts, dims: Dims, rel: Release, signal_min: int) -> list[tuple[str, str, str, str]]:
    """Candidate signals for the network's review: department x theme cells that recur across
    different requests, in the window or over the trend (the trend only when not also in the
    window). Ordered by what is shown (hidden ones last, by name): never by a hidden count."""
    found = []
    recent = set()
    for span in ("recent", "year"):
        for d in dims.deps:
            for t in dims.themes:
                basis = qualifies(counts.signals.get((span, d, t)), signal_min)
                if basis is None or (span == "year" and (d, t) in recent):
                    continue
                if span == "recent":
                    recent.add((d, t))
                found.append(((span != "recent", -_order(rel, span, d, t), d, t), (d, t, span, basis)))
    return [c for _, c in sorted(found)][:MAX_CANDIDATES]
