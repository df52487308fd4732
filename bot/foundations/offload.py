"""Work that needs numpy, scipy or matplotlib, done where those libraries do not stay.

The figures' auditor (scipy's linear programs) and the charts (matplotlib) add some 80 MB to
a process that imports them, and Python never gives an imported module back. The bot needs
them once a week (the digest) and when a steering member asks for a table or the digest's
chart. So, running as a service, it does that work in a child process started for the call
and gone after it: a fresh interpreter ("spawn"), not a copy of the bot, so the child holds no
key, no token and no database connection, only the arguments it is handed through a pipe
(counts and released figures, never a case's text). The command line, which runs once and
exits, and the tests run the same functions in a thread of their own process.

Only functions defined at a module's top level, with arguments that pickle, can be offloaded.
"""
from __future__ import annotations

import asyncio
import functools
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


class Offload:
    def __init__(self, *, child: bool = False) -> None:
        self.child = child
        self._one = asyncio.Lock()  # one child at a time: a 1-vCPU machine gains nothing from two
        self.children = 0           # how many were started (tests, benchmarks)

    async def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """`fn(*args, **kwargs)`, off the event loop; in a child process of its own when `child`.
        An exception in the child is raised here, as the same class."""
        call = functools.partial(fn, *args, **kwargs)
        if not self.child:
            return await asyncio.to_thread(call)
        async with self._one:
            pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
            self.children += 1
            try:
                return await asyncio.get_running_loop().run_in_executor(pool, call)
            finally:
                # The child exits here, and its memory with it; waited for off the loop.
                await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)


__all__ = ["Offload"]
