"""From true counts to a release: the k threshold, hysteresis, complementary suppression.

One call per release (a weekly digest, a quarterly report). The ledger from the previous
release of the same series goes in, the new one comes out; the caller stores it as JSON.

Ledger layout (version 1), plain data:

    {"version": 1, "label": "2025-W23", "k": 5,
     "figures": {key: {"value": 23, "anchor": 23, "since": "2025-W20"}},
     "shares":  {key: {"value": 45, "anchor": [9, 20], "since": "2025-W18"}},
     "medians": {key: {"value": 7, "anchor": 13, "since": "2025-W22"}}}

Only items that are shown are listed: an absent key is hidden with anchor 0, the state every
figure starts in. The anchor is the true count (for a share: numerator and denominator; for a
median: the number of values) when the published value last changed; `since` is that release.
"""
from __future__ import annotations

from typing import Mapping, Sequence

from .auditor import Auditor, Problem, knowledge
from .model import (
    Figure,
    Hidden,
    Median,
    Outcome,
    Release,
    Share,
    Shown,
    check_count,
    check_k,
    check_key,
)

LEDGER_VERSION = 1


def share_percent(numerator: int, denominator: int, *, k: int) -> int | None:
    """The share in whole percent, rounded to a multiple of 5 (halves up), or None when too small.

    Shown only when both the numerator and the rest (denominator - numerator) are at least k,
    so neither "how many did" nor "how many did not" is a small group. Kept within 5..95: with
    at least k on each side, 0 % or 100 % would be false.
    """
    if numerator < k or denominator - numerator < k:
        return None
    fives = (40 * numerator + denominator) // (2 * denominator)  # round(20 * n / d), halves up
    return 5 * min(19, max(1, fives))


def median_rounded(values: Sequence[int], *, k: int, unit: int = 60) -> int | None:
    """The median of `values` in whole `unit`s (halves up), or None with fewer than k values."""
    if len(values) < k:
        return None
    ordered = sorted(values)
    n = len(ordered)
    twice = ordered[(n - 1) // 2] + ordered[n // 2]  # two medians, in integers
    return (twice + unit) // (2 * unit)


def _step(true: int, entry: Mapping | None, k: int, label: str) -> Outcome:
    """Hysteresis for one count figure: publish a new value only after a move of k from the anchor."""
    if entry is not None and entry["value"] >= k and abs(true - entry["anchor"]) < k:
        return Shown(entry["value"], False, entry["since"])
    # Hidden (anchor 0) to shown needs true >= k, which is a move of k; shown to hidden lands here
    # only after a move of k. A stale value below a raised k is re-decided.
    return Shown(true, True, label) if true >= k else Hidden(True)


def _share_step(item: Share, entry: Mapping | None, k: int, label: str) -> Outcome:
    if entry is not None:
        num, den = entry["anchor"]
        still_valid = num >= k and den - num >= k
        if still_valid and abs(item.numerator - num) < k and abs(item.denominator - den) < k:
            return Shown(entry["value"], False, entry["since"])
    value = share_percent(item.numerator, item.denominator, k=k)
    return Hidden(True) if value is None else Shown(value, True, label)


def _median_step(item: Median, entry: Mapping | None, k: int, label: str) -> Outcome:
    if entry is not None and entry["anchor"] >= k and abs(len(item.values) - entry["anchor"]) < k:
        return Shown(entry["value"], False, entry["since"])
    value = median_rounded(item.values, k=k, unit=item.unit)
    return Hidden(True) if value is None else Shown(value, True, label)


def empty_ledger() -> dict:
    return {"version": LEDGER_VERSION, "label": None, "k": None, "figures": {}, "shares": {}, "medians": {}}


def _load(ledger: Mapping | None) -> dict:
    if ledger is None:
        return empty_ledger()
    if ledger.get("version") != LEDGER_VERSION:
        raise ValueError(f"unknown ledger version {ledger.get('version')!r}")
    out = empty_ledger()
    out["label"], out["k"] = ledger.get("label"), ledger.get("k")
    for part in ("figures", "shares", "medians"):
        for key, entry in (ledger.get(part) or {}).items():
            check_key(key, "ledger key")
            check_key(entry["since"], "ledger label")
            check_count(entry["value"], "ledger value")
            anchor = entry["anchor"]
            for a in (anchor if part == "shares" else [anchor]):
                check_count(a, "ledger anchor")
            out[part][key] = {"value": entry["value"], "anchor": list(anchor) if part == "shares" else anchor,
                              "since": entry["since"]}
    return out


def _remember(entries: dict, key: str, outcome: Outcome, anchor) -> None:
    """Ledger update: fresh sets the anchor, stale keeps it, hidden by its own rule resets to the start."""
    if isinstance(outcome, Shown):
        if outcome.fresh:
            entries[key] = {"value": outcome.value, "anchor": anchor, "since": outcome.since}
    elif outcome.primary:
        entries.pop(key, None)
    # hidden to protect another figure: the ledger keeps what it had, so nothing moves silently


def release(counts: Mapping[str, int], figures: Sequence[Figure], *, k: int, label: str,
            ledger: Mapping | None = None, shares: Sequence[Share] = (),
            medians: Sequence[Median] = ()) -> Release:
    """Decide what a release publishes.

    counts:  true count per base cell (absent cells count 0).
    figures: the sums that may be published; every key unique.
    ledger:  what the previous release of this series returned as `.ledger` (None: the first).
    label:   this release's name (say "2025-W23"); unchanged values point back to it later.
    """
    k = check_k(k)
    check_key(label, "label")
    state = _load(ledger)
    if state["label"] == label:
        raise ValueError(f"the ledger already holds release {label!r}: pass the ledger from before it")
    for cell, n in counts.items():
        check_key(cell, "cell key")
        check_count(n, f"count of {cell!r}")
    definitions: dict[str, Figure] = {}
    for figure in figures:
        if figure.key in definitions:
            raise ValueError(f"figure key {figure.key!r} appears twice")
        definitions[figure.key] = figure

    true = {key: sum(counts.get(c, 0) for c in f.cells) for key, f in definitions.items()}
    outcome: dict[str, Outcome] = {key: _step(true[key], state["figures"].get(key), k, label)
                                   for key in definitions}
    _suppress(definitions, outcome, counts, k, label)

    new = empty_ledger()
    new["label"], new["k"] = label, k
    new["figures"] = {key: dict(e) for key, e in state["figures"].items()}
    for key, o in outcome.items():
        _remember(new["figures"], key, o, true[key])

    share_out, median_out = {}, {}
    new["shares"] = {key: dict(e) for key, e in state["shares"].items()}
    for item in shares:
        if item.key in share_out:
            raise ValueError(f"share key {item.key!r} appears twice")
        share_out[item.key] = o = _share_step(item, state["shares"].get(item.key), k, label)
        _remember(new["shares"], item.key, o, [item.numerator, item.denominator])
    new["medians"] = {key: dict(e) for key, e in state["medians"].items()}
    for item in medians:
        if item.key in median_out:
            raise ValueError(f"median key {item.key!r} appears twice")
        median_out[item.key] = o = _median_step(item, state["medians"].get(item.key), k, label)
        _remember(new["medians"], item.key, o, len(item.values))

    return Release(label=label, k=k, figures=outcome, definitions=definitions,
                   shares=share_out, medians=median_out, ledger=new)


def _suppress(definitions: Mapping[str, Figure], outcome: dict[str, Outcome], counts: Mapping[str, int],
              k: int, label: str) -> None:
    """Complementary suppression: hide more until the audit finds no determined hidden figure.

    The joint audit with the previous release reduces to this one: every figure repeated as
    unchanged since the previous release was published there exactly (`since` moves only on
    a fresh value, and a figure hidden to protect another keeps its old ledger entry), so its
    link |now - then| <= k-1 is the stale bound below, and no bound ties the two releases'
    cells together. `audit(previous, current)` checks that claim independently.
    """
    problem = Problem()
    for key, figure in definitions.items():
        lo, hi = knowledge(outcome[key], k)
        problem.add((label, key), ((("current", c), 1) for c in sorted(figure.cells)), lo, hi, target=True)
    auditor = Auditor(problem, hint={("current", c): n for c, n in counts.items()})
    # Figures over the same cells are one number under two keys: hide them together.
    twins: dict[frozenset[str], list[str]] = {}
    by_cell: dict[str, list[str]] = {}
    for key, figure in definitions.items():
        twins.setdefault(figure.cells, []).append(key)
        for cell in figure.cells:
            by_cell.setdefault(cell, []).append(key)
    pending = {(label, key) for key, o in outcome.items() if isinstance(o, Hidden)}
    while pending:
        findings = auditor.findings(pending)
        pending = set()
        chosen: set[tuple[str, str]] = set()
        for finding in findings:
            owner = (finding.leak.label, finding.leak.key)
            pending.add(owner)
            if finding.binding & chosen:
                continue  # a figure hidden this round already loosened what pins it: re-check first
            key = _complement(finding.leak.key, {key for _, key in finding.binding},
                              [key for _, key in auditor.neighbours(owner)], definitions, outcome, twins, by_cell)
            for twin in twins[definitions[key].cells]:
                if isinstance(outcome[twin], Shown):
                    outcome[twin] = Hidden(False)
                    auditor.loosen((label, twin))
                    chosen.add((label, twin))
                    pending.add((label, twin))


def _complement(leak: str, binding: set[str], neighbours: list[str], definitions, outcome, twins, by_cell) -> str:
    """Which shown figure to hide next, sparing must-show figures whenever another will do.

    First choice: a sibling, i.e. a figure beside the leak inside a shown total that contains
    it (the other cells of its row), preferring totals that pin it (binding in the audit),
    then the tightest total, then the smallest value. Next: a pinning figure itself. Last:
    anything linked to it.
    """
    cells = definitions[leak].cells
    ranks = []

    def consider(key: str, *order) -> None:
        o = outcome.get(key)
        if isinstance(o, Shown):
            f_cells = definitions[key].cells
            must_show = any(definitions[t].must_show for t in twins[f_cells])
            ranks.append((must_show, *order, o.value, len(f_cells), key))

    totals = {key for cell in cells for key in by_cell[cell]}
    for total in totals:
        inside = definitions[total].cells
        if total == leak or not cells < inside or not isinstance(outcome[total], Shown):
            continue
        for key in {key for cell in inside - cells for key in by_cell[cell]}:
            if definitions[key].cells <= inside and not definitions[key].cells & cells:
                consider(key, 0, total not in binding, len(inside))
    for key in binding:
        consider(key, 1, 0, 0)
    for key in neighbours:
        consider(key, 2, 0, 0)
    if not ranks:
        # Cannot happen: with every figure of a component hidden, all cells at 0 and any one at 1
        # are both feasible, so no hidden figure is determined.
        raise RuntimeError("a hidden figure is determined but no shown figure can be hidden")
    return min(ranks)[-1]
