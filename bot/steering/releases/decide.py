"""The releases a digest makes, decided in order: pure, and run in a child process when serving
(bot/foundations/offload.py), since the audits load numpy, scipy and HiGHS.

A *job* is one suppression problem: the figures of the periods released together (a month; a
quarter with its last month; the year with its fourth quarter and December), the steps of the
month so far, or the network's review flags. Each job is decided against everything released
before it in the same calendar year, then becomes part of what a reader knows for the next.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from bot.steering.figures import (
    Figure,
    Knowledge,
    Release,
    Row,
    Statement,
    Unprotectable,
    median,
    promise,
    release,
    step,
)


@dataclass(frozen=True)
class Planned:
    """One release a job makes: its label and kind, the keys of its figures, and what the pages
    say beside them (`extra`); `waits` (minutes to first contact) give its median."""

    label: str
    kind: str
    keys: tuple[str, ...]
    extra: dict = field(default_factory=dict)
    waits: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Job:
    year: int
    k: int
    figures: tuple[Figure, ...]
    releases: tuple[Planned, ...]
    counts: Mapping[str, int] = field(default_factory=dict)   # true counts: the new cells and the year's
    rows: tuple[Row, ...] = ()                                 # what becomes known with it
    fixed: Mapping[str, Statement] = field(default_factory=dict)
    fallback: tuple[tuple[str, ...], ...] = ()
    step: tuple[str, int] | None = None   # an open month's step: the figure and its true value
    deadline_minutes: int = 24 * 60


def decide(jobs: Sequence[Job], knowledge: Mapping[int, Sequence[Row]]) -> list[dict]:
    """The releases of the jobs, in order, as plain data (Release.to_json)."""
    known = {year: Knowledge(list(rows)) for year, rows in knowledge.items()}
    bodies = []
    for job in jobs:
        kn = known.setdefault(job.year, Knowledge())
        counts = dict(job.counts)
        label = "+".join(p.label for p in job.releases)
        if job.step is not None:
            statements = _step(job, kn, counts, label)
        else:
            statements = _period(job, kn, counts, label)
        kn.add(job.rows)
        by_key = {f.key: f for f in job.figures}
        for planned in job.releases:
            extra = dict(planned.extra)
            if planned.kind == "period":
                extra.update(_derived(planned, statements, job))
            rel = Release(planned.label, planned.kind, job.year, job.k, {key: by_key[key] for key in planned.keys},
                          {key: statements[key] for key in planned.keys}, extra)
            kn.add_release(rel, counts if planned.kind == "period" else None)
            bodies.append(rel.to_json())
    return bodies


def without_words(jobs: Sequence[Job]) -> tuple[list[Job], dict[str, dict]]:
    """The jobs as the child gets them: without what the pages say beside the figures (`extra`: the
    network's suggestions, department names, days), which no audit reads, kept here by release
    label for `with_words`. So the child is handed counts and figures only, and two digests whose
    figures are the same are decided from the same jobs, whatever the network wrote."""
    words = {planned.label: dict(planned.extra) for job in jobs for planned in job.releases}
    return [replace(job, releases=tuple(replace(p, extra={}) for p in job.releases)) for job in jobs], words


def with_words(bodies: Sequence[dict], words: Mapping[str, dict]) -> list[dict]:
    """The decided bodies with their words back, as `decide` makes them from the whole jobs."""
    return [{**body, "extra": {**words.get(body["label"], {}), **body["extra"]}} for body in bodies]


def _period(job: Job, kn: Knowledge, counts: dict, label: str) -> dict[str, Statement]:
    """The statements of a counted period's job. Should a hidden count stay pinned even with every
    fallback group withheld (what was known before, with this period's identities, pins it: no
    statement of this release can help), the whole release is withheld, so that the digest is
    still made: its figures print "–" with the page's one line on why ("not shown, so that nobody
    can be singled out"), and a release that says nothing tells a reader nothing new."""
    try:
        return release(counts, job.figures, label=label, known=kn, rows=job.rows, fixed=job.fixed,
                       fallback=job.fallback).statements
    except Unprotectable:
        return {f.key: Statement.withheld() for f in job.figures}


def _step(job: Job, kn: Knowledge, counts: dict, label: str) -> dict[str, Statement]:
    """The month so far, in a fixed step; widened by one step when it would pin a hidden count,
    else withheld. Its cells are those of a month not counted yet: only the month's earlier steps
    are about them."""
    key, value = job.step
    month = key.split("|")[0] + "|"
    kn = Knowledge([row for row in kn.rows if any(cell.startswith(month) for cell, _ in row.terms)])
    for wider in (0, 1):
        fixed = {key: step(value, job.k, wider=wider)}
        try:
            return release(counts, job.figures, label=label, known=kn, rows=job.rows, fixed=fixed).statements
        except Unprotectable:
            continue
    return {key: Statement.withheld()}


def _derived(planned: Planned, statements: Mapping[str, Statement], job: Job) -> dict:
    """The contact promise and the median of a period, from its statements alone."""
    label = planned.label
    found = {}
    if f"{label}|req" in statements:
        share = promise(statements[f"{label}|req"], statements[f"{label}|late"], statements[f"{label}|missed"])
        found["promise"] = share.to_json()
        if planned.waits is not None:
            requests = statements[f"{label}|req"].value
            found["median"] = median(planned.waits, job.k, share, requests, job.deadline_minutes).to_json()
    ratings = statements.get(f"{label}|rat")
    if ratings is not None and ratings.is_exact and ratings.low >= 2 * job.k:
        # The average of the ratings, from 2k of them only (one decimal): with fewer, an average of
        # 5.0 or 1.0 would tell every single rating.
        cells = next(f.cells for f in job.figures if f.key == f"{label}|rat")
        stars = sum(int(c.split("|")[2]) * job.counts.get(c, 0) for c in cells)
        found["average"] = round(stars / ratings.low, 1)
    return found


__all__ = ["Job", "Planned", "decide", "without_words", "with_words"]
