"""The figures engine: which numbers may leave the network. Pure: keys and integers in, decisions out.

Rules, in plain words (k is WAAKZAAM_SMALL_CELL, default 5, allowed 2..100):

- Small cells. A count is published only when it is at least k; otherwise it is hidden
  ("fewer than k"). A figure is any sum of base cells: a table cell, a row or column total,
  a grand total, a count for the previous window to compare against.
- Small departments. A department with fewer than k requests in the window is counted under
  "other departments". To stop it flapping in and out, a merged department stands alone again
  only from 2k (see `merge_small_departments`). If "other departments" is below k, it is hidden.
- No working it out. Hiding a cell is not enough when a total and its other cells are shown.
  The auditor writes down everything a reader knows (shown values, and that a cell hidden for
  being small is 0..k-1) and computes, with linear programming, the lowest and highest value
  each hidden figure can take. If that range holds fewer than two whole numbers, the release
  hides one more figure (preferably the smallest one beside it in the tightest total that pins
  it, sparing "must show" figures) and audits again, until every hidden figure has at least
  two possible values.
- No differencing. Consecutive weekly digests share most of their 13-week window, so the
  change between them must not reveal one request. Each figure has an anchor: its true count
  when its published value last changed. The value changes only when the count has moved at
  least k from the anchor; otherwise the old value is repeated, marked unchanged since the
  release that set it (even if the count has since dipped below k: it is the old count).
  Hidden is the starting state (anchor 0), so a figure appears once it reaches k and
  disappears only after falling by k and below k. The ledger holding anchors is plain JSON
  kept by the caller. The auditor also reads two consecutive releases together.
- Shares. A percentage is shown only when both the part and the rest are at least k, rounded
  to a multiple of 5 points (between 5 and 95), and re-published only when the numerator or the
  denominator has moved k since its anchor.
- Medians (say hours to first contact) need at least k values, are rounded to whole hours and
  re-published only when the number of values has moved k since its anchor.
- Rendering. Show every hidden figure the same way, e.g. "fewer than 5 or withheld": the audit
  assumes a reader cannot tell a small cell from one held back to protect it.
- No text. Only keys from the taxonomy and counts come in; nothing from a case's text can.

Shares and medians are not part of the linear audit: publish them over groups whose counts are
not also broken down into hidden cells.
"""
from .auditor import audit, hidden_ranges
from .model import Figure, Hidden, Leak, Median, Release, Share, Shown
from .release import empty_ledger, median_rounded, release, share_percent
from .tables import (
    Grouping,
    all_cells,
    cell_key,
    cell_parts,
    crosstab,
    merge_small_departments,
    regroup,
    table,
)

__all__ = [
    "Figure", "Hidden", "Leak", "Median", "Release", "Share", "Shown", "Grouping",
    "release", "audit", "hidden_ranges", "empty_ledger", "share_percent", "median_rounded",
    "cell_key", "cell_parts", "all_cells", "crosstab", "table", "merge_small_departments", "regroup",
]
