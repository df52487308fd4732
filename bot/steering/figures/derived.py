"""Numbers worked out from statements only: the steps of a count that only grows, the contact
promise as a share or a bound, and the median time to first contact.

The promise and the median are never left blank: exact when the statements allow it, otherwise a
bound that contains the truth ("at least 94 %"). A bound is a function of released statements
alone (and k), so it tells a reader nothing they could not work out themselves.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .model import Statement


def ladder(k: int) -> list[int]:
    """The fixed step edges for counts of the month so far: 0, k, 2k, 4k, 8k, ... (never chosen
    from the data). Every step is at least k wide."""
    edges, edge = [0, k], 2 * k
    while edge < 10_000:
        edges.append(edge)
        edge *= 2
    return edges


def step(value: int, k: int, *, wider: int = 0) -> Statement:
    """The step holding `value`: "fewer than k", "k–2k−1", "2k–4k−1", ... `wider` joins that many
    steps above it (a step that would pin a hidden count is widened)."""
    edges = ladder(k)
    for i, (low, high) in enumerate(zip(edges, edges[1:])):
        if value < high:
            top = edges[i + 1 + wider] - 1 if i + 1 + wider < len(edges) else None
            return Statement("step", low, top)
    return Statement("step", edges[-1], None)


@dataclass(frozen=True)
class Promise:
    """Contact within the promise, as a reader can work it out from the statements.

    kind: 'share'      exact: percent (rounded down) of `kept` out of `tested`
          'at_least'   a lower bound in whole percent (rounded down)
          'range'      low..high percent (floor, ceiling)
          'few'        fewer than k requests: no share, only that fewer than k had no contact in time
    """

    kind: str
    low: int = 0
    high: int = 100
    kept: int | None = None
    tested: int | None = None
    requests: int | None = None

    def to_json(self) -> list:
        return [self.kind, self.low, self.high, self.kept, self.tested, self.requests]

    @classmethod
    def from_json(cls, data) -> Promise:
        return cls(*data)


def _interval(statement: Statement | None) -> tuple[int, float]:
    if statement is None or statement.kind == "withheld":
        return 0, math.inf
    return statement.low, math.inf if statement.high is None else statement.high


def promise(requests: Statement, late: Statement, missed: Statement) -> Promise:
    """The share of requests put to the test (contacted, or the deadline passed without contact)
    that had contact within the promise, from three statements: the requests R, those without
    contact in time X (missed, or withdrawn before contact: `late`), and the missed ones M.

    Kept K = R - X, tested D = K + M, share = K / D. From X in [x_lo, x_hi] and M in [m_lo, m_hi]:
    K in [R - x_hi, R - x_lo], so the share is at least K_lo / (K_lo + m_hi) and at most
    K_hi / (K_hi + m_lo)."""
    if not requests.is_exact:
        return Promise("few")
    total = requests.low
    x_lo, x_hi = _interval(late)
    m_lo, m_hi = _interval(missed)
    k_lo, k_hi = max(0, total - x_hi), max(0, total - x_lo)
    if k_hi == 0:
        return Promise("few", requests=total)
    if late.is_exact and missed.is_exact:
        kept, tested = total - late.low, total - late.low + missed.low
        if tested == 0:
            return Promise("few", requests=total)
        return Promise("share", kept * 100 // tested, kept * 100 // tested, kept, tested, total)
    lowest = 0 if k_lo + m_hi == 0 or math.isinf(m_hi) else k_lo / (k_lo + m_hi)
    highest = 1.0 if m_lo == 0 else k_hi / (k_hi + m_lo)
    low, high = math.floor(100 * lowest + 1e-9), math.ceil(100 * highest - 1e-9)
    if high >= 100:
        return Promise("at_least", low, 100, requests=total)
    return Promise("range", low, high, requests=total)


@dataclass(frozen=True)
class Median:
    """The median time to first contact: 'minutes' (exact, from at least k values), 'at_most' (a
    bound from the promise: more than half had contact within it), or 'none' (too few contacts)."""

    kind: str
    minutes: int | None = None
    values: int = 0

    def to_json(self) -> list:
        return [self.kind, self.minutes, self.values]

    @classmethod
    def from_json(cls, data) -> Median:
        return cls(*data)


def median(waits: Sequence[int], k: int, promise_: Promise, requests: int | None, deadline_minutes: int) -> Median:
    """From at least k waits, their median (an order statistic, not a count: shown as it is). With
    fewer, a bound only when the released statements already say more than half were contacted
    within the promise."""
    if len(waits) >= k:
        ordered = sorted(waits)
        n = len(ordered)
        return Median("minutes", (ordered[(n - 1) // 2] + ordered[n // 2]) // 2, n)
    if promise_.kind in ("share", "at_least", "range") and requests and promise_.low > 50:
        return Median("at_most", deadline_minutes, 0)
    return Median("none")


def hours(minutes: int) -> int:
    """Whole hours, halves up (the median as it is printed)."""
    return (minutes + 30) // 60


__all__ = ["ladder", "step", "Promise", "promise", "Median", "median", "hours"]
