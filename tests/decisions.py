"""Release decisions remembered for the run: an offload (bot/foundations/offload.py) for the bots
the tests start in this process, and for the demo year.

`decide` (bot/steering/releases/decide.py) is a pure function of the jobs it is handed, and the
audits in it are most of a digest's time. Many tests make the same digest of the same history
(tests/steering_flows.py); the demo year is made in three languages whose figures are the same.
So each decision is kept in the run's shared folder (tests/conftest.py) under the hash of its
jobs, and a test that hands `decide` the same jobs again gets what it returned the first time.
The engine is also tested where nothing is remembered: tests/steering/test_figures.py, and in
test_releases.py its direct calls and its year of digests (a core of its own); and a digest made
in a child process is held to one made here (test_offload.py). Every other offloaded call (the
charts) runs each time."""
from __future__ import annotations

import hashlib
import io
import os
import pickle
from pathlib import Path

from bot.foundations.offload import Offload
from bot.steering.releases.decide import decide

SHARED = "TESTS_SHARED_FOLDER"  # a folder for this run, shared by its workers (tests/conftest.py)


class _Key(pickle.Pickler):
    """The bytes of a value, the same for equal values in every worker: a set's order changes with
    each process's string hashing, so a set is written as its sorted items."""

    def persistent_id(self, value):
        if type(value) is frozenset or type(value) is set:
            return "set", tuple(sorted(value, key=repr))
        return None

    @classmethod
    def of(cls, value) -> str:
        out = io.BytesIO()
        cls(out, protocol=5).dump(value)
        return hashlib.sha256(out.getvalue()).hexdigest()


class Remembering(Offload):
    """Runs in a thread, as the command line does; a decision it was handed the same jobs for,
    in this run, is read back (a copy of its own) instead of made again. Outside a test run (no
    shared folder) it remembers nothing."""

    def __init__(self) -> None:
        super().__init__()
        shared = os.environ.get(SHARED)
        self.folder = Path(shared) / "decided" if shared else None
        self.decided = self.remembered = 0

    async def run(self, fn, /, *args, **kwargs):
        if fn is not decide or self.folder is None:
            return await super().run(fn, *args, **kwargs)
        file = self.folder / f"{_Key.of((args, kwargs))}.pickle"
        if file.exists():
            self.remembered += 1
            return pickle.loads(file.read_bytes())
        self.decided += 1
        bodies = await super().run(fn, *args, **kwargs)
        self.folder.mkdir(exist_ok=True)
        new = file.with_suffix(f".{os.getpid()}")
        new.write_bytes(pickle.dumps(bodies))
        new.rename(file)  # whole or not at all, for a worker reading it at the same moment
        return bodies
