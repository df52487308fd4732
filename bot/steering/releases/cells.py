"""The base cells of a counted period, the figures a release may state about them, and what a
reader knows beside them (identities, sentinels, coordinator knowledge). Pure.

Cells are named by their period, so that a month, its quarter and its year are sums of the same
cells and never overlap otherwise:

    month    2026-07|u|W28|0|kept        requests made in the part of ISO week 28 that lies in July,
                                          not urgent, that had contact within the promise (fates:
                                          kept, missed, unanswered, pending: see storage/figures.py)
    quarter  2026-Q3|e|2026-07|kept|referred   how July's requests ended, by their July fate
             2026-Q3|a|Production|team|self|0  conversations (a conversation took place), by
                                          department, level, kind (self or a concern), collective
             2026-Q3|t|Production|workload|team conversations with that theme
             2026-Q3|p                    conversations with a private-life theme
             2026-Q3|f|psychologist        conversations referred to that kind of contact
             2026-Q3|s|Production|workload|team team signals (one per account and quarter)
             2026-Q3|r|5|1                 ratings of 5 stars with a written comment

A year has no cells of its own: it is the sum of its months and quarters. A figure's key names
its period too ("2026-Q3|th|workload"), so that the figures of several periods released together
(December, the fourth quarter and the year) are one problem.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from bot.steering.figures import Figure, Row, at_most, equal, known_exactly, sentinel

FATES = ("kept", "missed", "unanswered", "pending")
ENDS = ("listened", "referred", "signposted", "unrecorded", "none")
CONVERSATION_ENDS = ("listened", "referred", "signposted", "unrecorded")
KINDS = ("self", "concern")
STARS = (1, 2, 3, 4, 5)
OTHER = "~other"     # departments with fewer than k conversations in the period, counted together
NOT_GIVEN = "~none"  # requests whose department was not given
UNSET = "unset"      # conversations without a level

# Complementary suppression holds back the cheapest families first.
COST = {"tl": 1, "ref": 2, "dep": 3, "lvl": 4, "con": 5, "col": 5, "prv": 5, "rat": 5, "com": 5, "end": 6,
        "urg": 6, "missed": 7, "late": 7, "th": 8, "dt": 8, "tsl": 7, "tsd": 8, "conv": 9, "req": 9}


def dep_key(name: str | None) -> str:
    """A department name as part of a cell key ('|' separates parts; '~' starts the groups)."""
    if name is None:
        return NOT_GIVEN
    key = "".join(c for c in name if c.isprintable()).replace("|", "¦").strip() or "?"
    return "～" + key[1:] if key.startswith("~") else key


def level_key(level: str | None, levels: Sequence[str]) -> str:
    return level if level in levels else UNSET


# Cells ---------------------------------------------------------------------------------------------

def u(month: str, part: str, urgent: int, fate: str) -> str:
    return f"{month}|u|{part}|{urgent}|{fate}"


def e(quarter: str, month: str, fate: str, end: str) -> str:
    return f"{quarter}|e|{month}|{fate}|{end}"


def a(quarter: str, dep: str, level: str, kind: str, collective: int) -> str:
    return f"{quarter}|a|{dep}|{level}|{kind}|{collective}"


def t(quarter: str, dep: str, theme: str, level: str) -> str:
    return f"{quarter}|t|{dep}|{theme}|{level}"


def p(quarter: str) -> str:
    return f"{quarter}|p"


def f(quarter: str, kind: str) -> str:
    return f"{quarter}|f|{kind}"


def s(quarter: str, dep: str, theme: str, level: str) -> str:
    return f"{quarter}|s|{dep}|{theme}|{level}"


def r(quarter: str, stars: int, comment: int) -> str:
    return f"{quarter}|r|{stars}|{comment}"


def block(cell: str) -> str:
    return cell.split("|")[1]


def month_use(month: str, parts: Sequence[str], counts: Mapping[tuple[str, int, str], int]) -> dict[str, int]:
    """A month's cells from storage's (week-part, urgent, fate) counts."""
    found = {}
    for (part, urgent, fate), n in counts.items():
        if n and part in parts:
            found[u(month, part, urgent, fate)] = n
    return found


def all_use(month: str, parts: Sequence[str]) -> list[str]:
    return [u(month, part, urg, fate) for part in parts for urg in (0, 1) for fate in FATES]


# Dimensions of a quarter ------------------------------------------------------------------------

def dims(*, departments: Sequence[str], found_departments: Iterable[str | None], themes: Sequence[str],
         found_themes: Iterable[str], levels: Sequence[str], kinds: Sequence[str], found_kinds: Iterable[str],
         team_departments: Iterable[str]) -> dict:
    """Every value of every dimension of a quarter's cells: configured ones first, then any stored
    value found (a department renamed since, a theme or a contact no longer in the charter)."""
    deps = [dep_key(d) for d in departments]
    names = {dep_key(d): d for d in departments}
    for name in found_departments:
        key = dep_key(name)
        if key not in names:
            deps.append(key)
            names[key] = name
    if NOT_GIVEN not in deps:
        deps.append(NOT_GIVEN)
        names[NOT_GIVEN] = None
    team = [dep_key(d) for d in departments]
    for name in sorted(set(team_departments)):
        key = dep_key(name)
        if key not in team:
            team.append(key)
            names.setdefault(key, name)
    return {"deps": deps, "names": names, "themes": list(dict.fromkeys([*themes, *sorted(set(found_themes))])),
            "levels": [*levels, UNSET], "kinds": list(dict.fromkeys([*kinds, *sorted(set(found_kinds))])),
            "team": team}


def merge_dims(many: Sequence[Mapping]) -> dict:
    """The dimensions of a year: every value any of its quarters had, in first-seen order."""
    out = {"deps": [], "names": {}, "themes": [], "levels": [], "kinds": [], "team": []}
    for d in many:
        for key in ("deps", "themes", "levels", "kinds", "team"):
            out[key] = list(dict.fromkeys([*out[key], *d[key]]))
        for k_, v in d["names"].items():
            out["names"].setdefault(k_, v)
    return out


# Figures ---------------------------------------------------------------------------------------------

def _fig(key: str, cells: Iterable[str], threshold: int, *, must: bool = False, known: bool = False) -> Figure:
    family = key.split("|")[1]
    return Figure(key, frozenset(cells), threshold, must_show=must, cost=COST.get(family, 5), known=known)


def use_figures(label: str, months: Sequence[tuple[str, Sequence[str]]], k: int) -> list[Figure]:
    """Requests, urgent ones, those without contact in time (missed, or withdrawn first) and the
    missed promises, over the months' cells. Urgent requests and missed promises are known to
    coordinators case by case."""
    cells = [c for month, parts in months for c in all_use(month, parts)]
    fate = [c.split("|")[4] for c in cells]
    urgent = [c.split("|")[3] for c in cells]
    return [
        _fig(f"{label}|req", cells, k, must=True),
        _fig(f"{label}|urg", [c for c, x in zip(cells, urgent) if x == "1"], k, known=True),
        _fig(f"{label}|late", [c for c, x in zip(cells, fate) if x != "kept"], k),
        _fig(f"{label}|missed", [c for c, x in zip(cells, fate) if x == "missed"], k, known=True),
    ]


def month_figures(month: str, parts: Sequence[str], k: int) -> list[Figure]:
    return use_figures(month, [(month, parts)], k)


def department_groups(counts: Mapping[str, int], deps: Sequence[str], k: int) -> dict[str, str]:
    """Departments with fewer than k conversations in the period are counted as "other departments"."""
    return {d: d if counts.get(d, 0) >= k else OTHER for d in deps}


def about_figures(label: str, quarters: Sequence[str], d: Mapping, counts: Mapping[str, int], k: int, *,
                  reported: Iterable[tuple[str, str]] = (), theme_levels: bool = False,
                  team: bool = True) -> list[Figure]:
    """What the conversations of the period were about, over its quarters' cells (zeros included)."""
    deps, themes, levels, kinds = d["deps"], d["themes"], d["levels"], d["kinds"]
    reported = sorted(set(reported))
    signalled = {theme for _, theme in reported}
    conv_cells = [a(q, dep, lv, kind, c) for q in quarters for dep in deps for lv in levels for kind in KINDS
                  for c in (0, 1)]
    tag_cells = {(dep, th, lv): [t(q, dep, th, lv) for q in quarters] for dep in deps for th in themes
                 for lv in levels}
    per_dep = {dep: sum(counts.get(c, 0) for c in conv_cells if c.split("|")[2] == dep) for dep in deps}
    groups = department_groups(per_dep, deps, k)
    found = [
        _fig(f"{label}|conv", conv_cells, k, must=True),
        _fig(f"{label}|con", [c for c in conv_cells if c.split("|")[4] == "concern"], k),
        _fig(f"{label}|col", [c for c in conv_cells if c.split("|")[5] == "1"], k),
        _fig(f"{label}|prv", [p(q) for q in quarters], k),
    ]
    for dep in deps:
        found.append(_fig(f"{label}|dep|{dep}", [c for c in conv_cells if c.split("|")[2] == dep], k))
    merged = [dep for dep in deps if groups[dep] == OTHER]
    if merged:
        found.append(_fig(f"{label}|dep|{OTHER}", [c for c in conv_cells if c.split("|")[2] in merged], k))
    for lv in levels[:-1]:
        found.append(_fig(f"{label}|lvl|{lv}", [c for c in conv_cells if c.split("|")[3] == lv], k))
    for th in themes:
        found.append(_fig(f"{label}|th|{th}", [c for (dep, x, lv), cs in tag_cells.items() if x == th for c in cs], k,
                          must=th not in signalled))
        if theme_levels:
            for lv in levels[:-1]:
                found.append(_fig(f"{label}|tl|{th}|{lv}", [c for (dep, x, y), cs in tag_cells.items()
                                                             if x == th and y == lv for c in cs], k))
    for dep, th in reported:
        if dep in deps and th in themes:
            found.append(_fig(f"{label}|dt|{dep}|{th}", [c for lv in levels for c in tag_cells[(dep, th, lv)]], k,
                              must=True))
    for kind in kinds:
        found.append(_fig(f"{label}|ref|{kind}", [f(q, kind) for q in quarters], k))
    if team:
        found += team_figures(label, quarters[0], d, k)
    found += rating_figures(label, quarters, k)
    return found


def team_figures(label: str, quarter: str, d: Mapping, k: int) -> list[Figure]:
    """Team signals per department and theme, and per theme and level; from k+1, so that what one
    account adds (at most 1 a quarter) is taken off before the k rule. No totals, no year."""
    found = []
    for th in d["themes"]:
        for lv in d["levels"][:-1]:
            found.append(_fig(f"{label}|tsl|{th}|{lv}", [s(quarter, dep, th, lv) for dep in d["team"]], k + 1))
        for dep in d["team"]:
            found.append(_fig(f"{label}|tsd|{dep}|{th}", [s(quarter, dep, th, lv) for lv in d["levels"]], k + 1))
    return found


def rating_figures(label: str, quarters: Sequence[str], k: int) -> list[Figure]:
    cells = [r(q, stars, c) for q in quarters for stars in STARS for c in (0, 1)]
    return [_fig(f"{label}|rat", cells, k), _fig(f"{label}|com", [c for c in cells if c.endswith("|1")], k)]


def ending_figures(label: str, quarters: Sequence[tuple[str, Sequence[str]]], k: int) -> list[Figure]:
    """How the requests ended: a conversation took place (listened, referred, signposted), or not."""
    cells = [e(q, m, fate, end) for q, months in quarters for m in months for fate in FATES for end in ENDS]
    ends = [c.split("|")[4] for c in cells]
    found = [_fig(f"{label}|end|{end}", [c for c, x in zip(cells, ends) if x == end], k)
             for end in ("listened", "referred", "signposted")]
    found.append(_fig(f"{label}|end|none", [c for c, x in zip(cells, ends) if x == "none"], k))
    return found


def quarter_figures(quarter: str, months: Sequence[tuple[str, Sequence[str]]], d: Mapping, counts: Mapping[str, int],
                    k: int, reported: Iterable[tuple[str, str]] = ()) -> list[Figure]:
    return [*use_figures(quarter, months, k), *ending_figures(quarter, [(quarter, [m for m, _ in months])], k),
            *about_figures(quarter, [quarter], d, counts, k, reported=reported)]


def year_figures(year: str, quarters: Sequence[tuple[str, Sequence[tuple[str, Sequence[str]]]]], d: Mapping,
                 counts: Mapping[str, int], k: int, reported: Iterable[tuple[str, str]] = ()) -> list[Figure]:
    months = [m for _, ms in quarters for m in ms]
    labels = [q for q, _ in quarters]
    return [*use_figures(year, months, k), *ending_figures(year, [(q, [m for m, _ in ms]) for q, ms in quarters], k),
            *about_figures(year, labels, d, counts, k, reported=reported, theme_levels=True, team=False)]


# What a reader knows beside the figures ---------------------------------------------------------

def identities(quarter: str, months: Sequence[tuple[str, Sequence[str]]], d: Mapping) -> list[Row]:
    """Facts of the data a reader knows: how a month's requests ended adds up to its requests (by
    fate); the conversations are the requests that ended in one; a theme count is at most the
    conversations of its department and level; private life and each referral at most all of them."""
    rows = []
    conv = [a(quarter, dep, lv, kind, c) for dep in d["deps"] for lv in d["levels"] for kind in KINDS for c in (0, 1)]
    for month, parts in months:
        for fate in FATES:
            rows.append(equal(f"{quarter}|use={month}|{fate}", [e(quarter, month, fate, end) for end in ENDS],
                              [u(month, part, urg, fate) for part in parts for urg in (0, 1)]))
    rows.append(equal(f"{quarter}|conv", conv, [e(quarter, m, fate, end) for m, _ in months for fate in FATES
                                                 for end in CONVERSATION_ENDS]))
    for dep in d["deps"]:
        for lv in d["levels"]:
            whole = [a(quarter, dep, lv, kind, c) for kind in KINDS for c in (0, 1)]
            for th in d["themes"]:
                rows.append(at_most(f"{quarter}|t<=a|{dep}|{th}|{lv}", [t(quarter, dep, th, lv)], whole))
    rows.append(at_most(f"{quarter}|p<=conv", [p(quarter)], conv))
    for kind in d["kinds"]:
        rows.append(at_most(f"{quarter}|f<=conv|{kind}", [f(quarter, kind)], conv))
    return rows


def part_sentinels(month: str, parts: Sequence[str], cells: Mapping[str, int], k: int) -> list[Row]:
    """Each week-part's requests, when 1 .. k-1: the steps of the month so far must never pin one."""
    rows = []
    for part in parts:
        these = [c for c in all_use(month, parts) if c.split("|")[2] == part]
        if 0 < sum(cells.get(c, 0) for c in these) < k:
            rows.append(sentinel(f"{month}|part|{part}", these))
    return rows


def month_sentinels(month: str, parts: Sequence[str], cells: Mapping[str, int], k: int) -> list[Row]:
    """Targets without a statement: each week-part's requests, the month's requests withdrawn before
    the promise was tested, and every base cell, when 1 .. k-1. Cells of urgent requests and missed
    promises are known to coordinators (a target for a steering member alone)."""
    rows = part_sentinels(month, parts, cells, k)
    unanswered = [c for c in all_use(month, parts) if c.endswith("|unanswered")]
    if 0 < sum(cells.get(c, 0) for c in unanswered) < k:
        rows.append(sentinel(f"{month}|unanswered", unanswered))
    for cell in all_use(month, parts):
        if 0 < cells.get(cell, 0) < k:
            _, _, _, urgent, fate = cell.split("|")
            rows.append(sentinel(cell, [cell], known=urgent == "1" or fate == "missed"))
    return rows


def quarter_sentinels(quarter: str, cells: Mapping[str, int], k: int) -> list[Row]:
    """Every base cell of the quarter whose true count is 1 .. t-1 (t: k, or k+1 for team signals)."""
    rows = []
    for cell, n in sorted(cells.items()):
        if not cell.startswith(quarter + "|") or block(cell) == "r":
            continue
        threshold = k + 1 if block(cell) == "s" else k
        if 0 < n < threshold:
            rows.append(sentinel(cell, [cell]))
    return rows


def coordinator_rows(month: str, parts: Sequence[str], cells: Mapping[str, int]) -> list[Row]:
    """What coordinators learn case by case: each urgent request and each missed promise."""
    return [known_exactly(cell, [cell], cells.get(cell, 0)) for cell in all_use(month, parts)
            if cell.split("|")[3] == "1" or cell.endswith("|missed")]


def step_cells(month: str, parts: Sequence[str]) -> list[str]:
    """The cells of the month so far (whole week-parts)."""
    return [c for c in all_use(month, parts)]


def flag_cells(quarter: str, dep: str, theme: str, levels: Sequence[str]) -> list[str]:
    """The conversations of one department on one theme in a quarter (what a review flag bounds)."""
    return [t(quarter, dep, theme, lv) for lv in levels]


def team_cells(quarter: str, counts: Mapping[tuple[str, str, str | None], int], d: Mapping) -> dict[str, int]:
    found: dict[str, int] = {}
    for (name, theme, level), n in counts.items():
        dep = dep_key(name)
        if n and dep in d["team"] and theme in d["themes"]:
            key = s(quarter, dep, theme, level_key(level, d["levels"][:-1]))
            found[key] = found.get(key, 0) + n
    return found

