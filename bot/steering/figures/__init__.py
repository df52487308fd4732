"""The figures engine: which numbers may leave the network. Pure: keys and integers in, statements out.

Rules, in plain words (k is WAAKZAAM_SMALL_CELL, default 5, allowed 2..100):

- Closed periods, released once. Figures are counted over closed calendar periods (months,
  quarters, the year), once, and each period's figures are released once and never changed. A
  figure is any sum of base cells (a theme in a quarter, a department, the requests of a month).
- Small numbers. A count below its threshold (k; k+1 for team signals, where one account's own
  signal is taken off first) reads "fewer than k". A reader can tell it from a number held back to
  protect another, which reads as the range a reader can work out anyway ("5–12"): both are true.
- No working it out. The auditor (auditor.py) writes down everything one reader knows: every
  statement of every release of the calendar year, the identities of the data (a theme count is at
  most the conversations it is about), and, for one person who is both a coordinator and a
  steering member, what coordinators learn case by case (knowledge.py). With linear programming it
  finds the lowest and highest value of every target: each "fewer than k", and every base cell or
  natural union whose true count is 1..k-1 even when nothing prints it (sentinels). A target with
  fewer than two possible whole values makes the release hold back one more of its own figures
  (release.py): earlier releases are fixed. Years never share a sum, so each year is audited
  apart, and a closed year once and for all.
- The month so far is told only in fixed steps of a count that only grows (derived.step).
- The contact promise and the median are worked out from statements alone: exact, or a bound that
  contains the truth (derived.promise, derived.median). They are never blank.
- No text. Only keys from the taxonomy and counts come in; nothing from a case's text can.
"""
from .auditor import Auditor, Problem, audit, protected, ranges, safe
from .derived import Median, Promise, hours, ladder, median, promise, step
from .knowledge import BOTH, READERS, STEERING, Knowledge, Row, at_most, equal, known_exactly, sentinel
from .model import Figure, Leak, Release, Statement
from .release import Decided, Unprotectable, release, verify_release
from .tables import all_cells, cell_key, cell_parts, crosstab, table

__all__ = [
    "Figure", "Statement", "Release", "Leak", "Problem", "Auditor", "audit", "ranges", "protected", "safe",
    "Knowledge", "Row", "READERS", "STEERING", "BOTH", "sentinel", "at_most", "equal", "known_exactly",
    "release", "verify_release", "Decided", "Unprotectable",
    "ladder", "step", "Promise", "promise", "Median", "median", "hours",
    "all_cells", "cell_key", "cell_parts", "crosstab", "table",
]
