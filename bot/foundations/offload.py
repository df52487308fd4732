"""Work that needs numpy, scipy, HiGHS or matplotlib, done where those libraries do not stay.

The figures' auditor (linear programs: numpy, scipy, HiGHS) and the charts (matplotlib) add some 80 MB to
a process that imports them, and Python never gives an imported module back. The bot needs
them once a week (the digest) and when a steering member asks for a table or the digest's
chart. So, running as a service, it does that work in a child process started for the call
and gone after it: a fresh interpreter ("spawn"), not a copy of the bot, so the child holds no
key, no token and no database connection, only the arguments it is handed through a pipe
(counts and released figures, never a case's text). The command line, which runs once and
exits, and the tests run the same functions in a thread of their own process.

A child never outlives the bot, however the bot ends (issue 24.5). Two guards, each enough:
on Linux the kernel kills the child when its parent dies (PR_SET_PDEATHSIG, set by the child
first thing, then checked against a parent that died before it was set); everywhere, a thread
in the child waits on the parent's end of the pipe `spawn` gave it, which only the parent
holds open, and ends the child when it closes. A call that is cancelled (the bot stopping)
kills its child. So a new start never finds one still running; under systemd the unit's
control group is a third guard.

Only functions defined at a module's top level, with arguments that pickle, can be offloaded.
"""
from __future__ import annotations

import asyncio
import ctypes
import functools
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from .storage.database import StepSuspended, on_its_thread

T = TypeVar("T")
_SPAWN = multiprocessing.get_context("spawn")
_PR_SET_PDEATHSIG = 1
GUARDS = ("pdeathsig", "watcher")  # both, always; a test switches one off to prove the other


def _bound_to_parent(parent_pid: int, guards: tuple[str, ...]) -> None:
    """In the child, before anything else: end with the parent."""
    if "pdeathsig" in guards and sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent_pid:  # the parent died before the guard was set
        os._exit(1)
    parent = multiprocessing.parent_process()  # spawn: its sentinel is a pipe only the parent holds
    if "watcher" in guards and parent is not None:
        threading.Thread(target=_end_with, args=(parent,), name="parent-watcher", daemon=True).start()


def _end_with(parent) -> None:
    parent.join()  # returns when the parent's end of the pipe closes: the parent is gone
    os._exit(1)


def _child(call: Callable[[], Any], out: Connection, parent_pid: int, guards: tuple[str, ...]) -> None:
    """The child's whole life: guard, call, send the result (or the exception) back."""
    _bound_to_parent(parent_pid, guards)
    try:
        answer = ("ok", call())
    except BaseException as exc:  # noqa: BLE001 - every failure goes back to the caller
        answer = ("err", exc)
    try:
        out.send(answer)
    except Exception as exc:  # noqa: BLE001 - an answer that does not pickle
        out.send(("err", RuntimeError(f"the child's answer cannot be sent back ({exc.__class__.__name__})")))
    out.close()


async def _answer(reader: Connection) -> tuple[str, Any]:
    """Wait (off the loop's back) until the child writes or ends, then read its answer."""
    loop = asyncio.get_running_loop()
    ready = loop.create_future()
    loop.add_reader(reader.fileno(), lambda: ready.done() or ready.set_result(None))
    try:
        await ready
    finally:
        loop.remove_reader(reader.fileno())
    return reader.recv()


class Offload:
    def __init__(self, *, child: bool = False, guards: tuple[str, ...] = GUARDS) -> None:
        self.child = child
        self.guards = guards
        self._one = asyncio.Lock()  # one child at a time: a 1-vCPU machine gains nothing from two
        self.children = 0           # how many were started (tests, benchmarks)

    async def leave_step(self) -> None:
        """For work that will be offloaded after costly reading: leave a database step now, so the
        reading is not done once on the database's thread and again on the event loop."""
        if on_its_thread():
            raise StepSuspended("offloaded work follows")

    async def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """`fn(*args, **kwargs)`, off the event loop; in a child process of its own when `child`.
        An exception in the child is raised here, as the same class."""
        if on_its_thread():  # a child's answer is the event loop's to wait for, not the database's thread
            raise StepSuspended("offloaded work cannot run inside a database step")
        call = functools.partial(fn, *args, **kwargs)
        if not self.child:
            return await asyncio.to_thread(call)
        async with self._one:
            reader, writer = _SPAWN.Pipe(duplex=False)
            process = _SPAWN.Process(target=_child, args=(call, writer, os.getpid(), self.guards),
                                     name="waakzaam-offload", daemon=True)
            try:
                process.start()
            finally:
                writer.close()  # the child's copy is the only writer left
            self.children += 1
            try:
                kind, value = await _answer(reader)
            except EOFError:
                await asyncio.to_thread(process.join, 5)
                raise RuntimeError(f"the child process ended without an answer (exit code {process.exitcode})") \
                    from None
            except BaseException:
                process.kill()  # cancelled (the bot stops): the child goes with the call
                raise
            finally:
                reader.close()
                await asyncio.to_thread(process.join, 5)
                if process.is_alive():
                    process.kill()
                    await asyncio.to_thread(process.join)
                process.close()
        if kind == "err":
            raise value
        return value


__all__ = ["Offload"]
