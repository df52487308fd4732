"""tests/decisions.py: a remembered release decision is the one `decide` makes, found again only
for the same jobs, in any worker."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import hermetic
from decisions import SHARED, Remembering, _Key

from bot.steering.figures import Figure
from bot.steering.releases.decide import Job, Planned, decide

_CELLS = [f"2026-Q2|{d}|{t}" for d in ("Production", "Logistics", "Office") for t in ("workload", "conflict")]


def _job(cells: list[str], conv: int = 30) -> Job:
    q = "2026-Q2"
    figures = (Figure(f"{q}|req", frozenset(cells), 5, must_show=True), Figure(f"{q}|late", frozenset(cells[3:4]), 5),
               Figure(f"{q}|missed", frozenset(cells[4:5]), 5), Figure(f"{q}|conv", frozenset(cells[:3]), 5))
    counts = {c: 2 for c in cells} | {cells[0]: conv}
    return Job(2026, 5, figures, (Planned(q, "period", tuple(f.key for f in figures)),), counts)


def test_equal_jobs_have_one_key_and_others_another():
    assert _Key.of(_job(_CELLS)) == _Key.of(_job(list(_CELLS)))
    assert _Key.of(_job(_CELLS)) != _Key.of(_job(_CELLS, conv=31))


def test_the_key_is_the_same_in_a_process_that_hashes_strings_otherwise():
    """A set's order follows the process's string hashing (PYTHONHASHSEED): a plain pickle of the
    same job differs from worker to worker, its key must not. (A new python each: a fork keeps the
    hashing of the process it was forked from.)"""
    code = ("import sys; sys.path[:0] = ['tests', '.']; import test_decisions as t; "
            "print(t._Key.of(t._job(t._CELLS)))")
    keys = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           cwd=Path(__file__).resolve().parent.parent,
                           env=hermetic.environ({"PYTHONHASHSEED": seed})).stdout.strip()
            for seed in ("1", "2")}
    assert keys == {_Key.of(_job(_CELLS))}


def test_a_decision_is_made_once_and_then_read_back_as_made(tmp_path, monkeypatch):
    monkeypatch.setenv(SHARED, str(tmp_path))
    first, second = Remembering(), Remembering()  # two bots, or two workers of one run
    made = asyncio.run(first.run(decide, [_job(_CELLS)], {}))
    again = asyncio.run(second.run(decide, [_job(list(_CELLS))], {}))
    other = asyncio.run(second.run(decide, [_job(_CELLS, conv=31)], {}))
    assert (first.decided, second.remembered, second.decided) == (1, 1, 1)
    assert made == again == decide([_job(_CELLS)], {}) and other == decide([_job(_CELLS, conv=31)], {})
    assert again is not made and len(os.listdir(tmp_path / "decided")) == 2
