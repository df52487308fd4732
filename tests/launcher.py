"""`python -m bot ...` and `python -c CODE ...` as processes of their own, without paying for
Python's start and the bot's imports at every command (about 0.7 s of CPU each, and the operator
tests run hundreds of commands).

One process per test process (the launcher) imports the bot once, then forks a new process for
each command: it gets its own pid, folder, environment, standard streams and exit status, and
runs `bot/__main__.py` (or the code) as `python -m bot` (or `python -c`) would, through to the
interpreter's own exit (atexit, logging's flush, finalizers). A SIGKILL kills that process and
nothing else. What a forked command does not repeat is Python's start: the imports, and the
variables Python reads then (the launcher's are the suite's; PYTHONUNBUFFERED is honoured). So
the tests that must prove the entry point and a start from nothing (the liveness test, the
first end-to-end walk, `scripts/start`, the figures engine's imports) still run a new `python`.

    launcher.run([sys.executable, "-m", "bot", "check"], env=..., cwd="/", capture_output=True, text=True)
    process = launcher.Popen([sys.executable, "-m", "bot", "restore", ...], env=...); process.kill()

Any other command goes to `subprocess` unchanged.
"""
from __future__ import annotations

import atexit
import gc
import io
import json
import os
import runpy
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import bot.cli  # noqa: F401  (what every command imports: once, in the launcher, before it forks)

ROOT = Path(__file__).resolve().parents[1]
_ENVIRON = dict(os.environ)  # the suite's environment (tests/hermetic.py ran), before any test changed it
_HEADER = struct.Struct("!I")


# ---------------------------------------------------------------------------------------
# The test's side


def _ours(args: Sequence[str]) -> bool:
    args = [str(a) for a in args]
    return len(args) >= 3 and args[0] == sys.executable and (args[1:3] == ["-m", "bot"] or args[1] == "-c")


class _Launcher:
    """The forking process of this test process, started at the first command."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="waakzaam-launcher-"))
        self.path = self.folder / "launcher.sock"
        environ = {**_ENVIRON, "PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT), _ENVIRON.get("PYTHONPATH"))))}
        self.process = subprocess.Popen([sys.executable, __file__, str(self.path), str(os.getpid())], cwd="/",
                                        env=environ, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=open(self.folder / "launcher.log", "wb"))
        deadline = time.monotonic() + 60
        while not self.path.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the launcher did not start: {(self.folder / 'launcher.log').read_text()}")
            time.sleep(0.01)

    def close(self) -> None:
        self.process.kill()
        self.process.wait()
        for path in self.folder.iterdir():
            path.unlink()
        self.folder.rmdir()


_launcher: _Launcher | None = None
_lock = threading.Lock()
_spent = [0.0]  # CPU seconds of the commands this test process ran (see `cpu_seconds`)


def cpu_seconds() -> float:
    """CPU time of every forked command that ended so far: they are not this process's children,
    so its own accounting (getrusage, `time`) misses them (for finding where a run's time goes)."""
    return _spent[0]


def _the_launcher() -> _Launcher:
    global _launcher
    with _lock:
        if _launcher is None:
            _launcher = _Launcher()
            atexit.register(_launcher.close)
        return _launcher


def _stream(target, *, reading: bool, text: bool, pipes: list):
    """The file descriptor a command gets for one of its standard streams, and what the caller
    keeps (a file to read, or None)."""
    if target == subprocess.DEVNULL:
        fd = os.open(os.devnull, os.O_RDWR)
        pipes.append(fd)
        return fd, None
    if target == subprocess.PIPE:
        read_end, write_end = os.pipe()
        inside, outside = (read_end, write_end) if reading else (write_end, read_end)
        pipes.append(inside)
        return inside, os.fdopen(outside, ("w" if reading else "r") + ("" if text else "b"))
    return target.fileno() if hasattr(target, "fileno") else int(target), None


class Popen:
    """A forked command, with the parts of `subprocess.Popen` the tests use."""

    def __init__(self, args: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: str | Path | None = None,
                 stdin=None, stdout=None, stderr=None, text: bool = False) -> None:
        self.args = [str(a) for a in args]
        self.returncode: int | None = None
        opened: list[int] = []  # the command's ends of pipes and /dev/null: closed here once it has them
        try:
            stdin_fd, self.stdin = _stream(subprocess.DEVNULL if stdin is None else stdin, reading=True, text=text,
                                           pipes=opened)
            stdout_fd, self.stdout = (1, None) if stdout is None else _stream(stdout, reading=False, text=text,
                                                                              pipes=opened)
            stderr_fd, self.stderr = (2, None) if stderr is None else (stdout_fd, None) \
                if stderr == subprocess.STDOUT else _stream(stderr, reading=False, text=text, pipes=opened)
            fds = [stdin_fd, stdout_fd, stderr_fd]
            request = json.dumps({"args": self.args[1:], "env": dict(os.environ if env is None else env),
                                  "cwd": str(cwd if cwd is not None else os.getcwd())}).encode()
            self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self._socket.connect(str(_the_launcher().path))
            socket.send_fds(self._socket, [_HEADER.pack(len(request))], fds)
            self._socket.sendall(request)
            self._heard = b""
            self.pid = int(self._line(None))
        finally:
            for fd in opened:
                os.close(fd)

    def poll(self) -> int | None:
        return self._status(0.0)

    def wait(self, timeout: float | None = None) -> int:
        if self._status(timeout) is None:
            raise subprocess.TimeoutExpired(self.args, timeout)
        return self.returncode

    def _status(self, timeout: float | None) -> int | None:
        """The exit status, waiting at most `timeout` seconds for it (None: as long as it takes)."""
        if self.returncode is None:
            line = self._line(timeout)
            if line is None:
                return None
            status, cpu = line.split()
            self.returncode = os.waitstatus_to_exitcode(int(status))
            self.cpu_seconds = float(cpu)
            _spent[0] += self.cpu_seconds
            self._socket.close()
        return self.returncode

    def _line(self, timeout: float | None) -> bytes | None:
        """The launcher's next line, or None when none came within `timeout` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self._heard:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([self._socket], [], [], left)[0]:
                return None
            more = self._socket.recv(4096)
            if not more:
                raise RuntimeError("the launcher went away")
            self._heard += more
        line, self._heard = self._heard.split(b"\n", 1)
        return line

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def popen(args: Sequence[str], **kwargs) -> Popen | subprocess.Popen:
    """`subprocess.Popen` for `python -m bot` and `python -c`: forked from the launcher. Anything
    else goes to `subprocess.Popen`."""
    return Popen(args, **kwargs) if _ours(args) else subprocess.Popen(args, **kwargs)


def run(args: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: str | Path | None = None,
        capture_output: bool = False, text: bool = False, timeout: float | None = None, input=None,
        check: bool = False, stdout=None, stderr=None, **more) -> subprocess.CompletedProcess:
    """`subprocess.run` for `python -m bot` and `python -c`: forked from the launcher. Anything
    else, or anything asked of the new process before it starts (`preexec_fn`, ...), goes to
    `subprocess.run`."""
    if more or not _ours(args):
        return subprocess.run(args, env=env, cwd=cwd, capture_output=capture_output, text=text, timeout=timeout,
                              input=input, check=check, stdout=stdout, stderr=stderr, **more)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as given:
        if input is not None:
            given.write(input.encode() if isinstance(input, str) else input)
            given.seek(0)
        process = Popen(args, env=env, cwd=cwd, stdin=given if input is not None else None,
                        stdout=out if capture_output else stdout, stderr=err if capture_output else stderr)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise
        said = []
        for file in (out, err):
            file.seek(0)
            raw = file.read()
            said.append(raw.decode() if text else raw)
    result = subprocess.CompletedProcess(process.args, process.returncode, *(said if capture_output else (None, None)))
    if check:
        result.check_returncode()
    return result


# ---------------------------------------------------------------------------------------
# The launcher's side


def _serve(path: str, parent: int) -> None:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path + ".new")
    server.listen(64)
    os.rename(path + ".new", path)  # the test waits for the name: it appears once connections are taken
    server.settimeout(1.0)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the forked handlers are reaped by the kernel
    while True:
        try:
            connection, _ = server.accept()
        except TimeoutError:
            if os.getppid() != parent:
                return
            continue
        if os.fork() == 0:
            server.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            connection.settimeout(None)
            _handle(connection)  # returns only in the command's process
            return
        connection.close()


def _handle(connection: socket.socket) -> None:
    """One command: read it, fork the process that runs it, say its pid, then its exit status.
    Returns in the command's process, which then runs the command and exits as Python does."""
    header, fds, _, _ = socket.recv_fds(connection, _HEADER.size, 3)
    (size,) = _HEADER.unpack(header)
    raw = b""
    while len(raw) < size:
        raw += connection.recv(size - len(raw))
    request = json.loads(raw)
    pid = os.fork()
    if pid == 0:
        connection.close()
        _become(request, fds)
        return
    for fd in fds:
        os.close(fd)
    connection.sendall(f"{pid}\n".encode())
    _, status, usage = os.wait4(pid, 0)
    connection.sendall(f"{status} {usage.ru_utime + usage.ru_stime}\n".encode())
    os._exit(0)


def _become(request: dict, fds: list[int]) -> None:
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
    for fd in set(fds):
        if fd > 2:
            os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    time.tzset()
    _standard_streams(unbuffered=bool(os.environ.get("PYTHONUNBUFFERED")))
    args = request["args"]
    if args[0] == "-m":
        sys.argv = [args[1], *args[2:]]  # run_module puts the file's path in argv[0], as `-m` does
        sys.path[0] = os.getcwd()
        runpy.run_module(args[1], run_name="__main__", alter_sys=True)
        sys.exit(0)
    sys.argv = ["-c", *args[2:]]
    sys.path[0] = ""
    exec(compile(args[1], "<string>", "exec"), {"__name__": "__main__", "__builtins__": __builtins__})
    sys.exit(0)


def _standard_streams(unbuffered: bool) -> None:
    """stdout and stderr as Python makes them at its start, which a fork does not repeat: with
    PYTHONUNBUFFERED written through at once; else stdout block-buffered (line-buffered on a
    terminal) and stderr line-buffered. (A SIGKILL then loses what a new python would lose.)"""
    for name, fd in (("stdout", 1), ("stderr", 2)):
        stream = getattr(sys, name)
        raw = io.FileIO(fd, "w", closefd=False)
        setattr(sys, name, io.TextIOWrapper(
            raw if unbuffered else io.BufferedWriter(raw), encoding=stream.encoding, errors=stream.errors,
            line_buffering=not unbuffered and (name == "stderr" or raw.isatty()), write_through=unbuffered))


if __name__ == "__main__":
    # Every object the launcher made so far (the bot's modules) to the permanent generation: the
    # collector no longer walks them in a command's process, least of all in the full collection
    # of Python's exit, which touched every page the fork shares, copying each (0.15 s of CPU a
    # command, 0.05 s now).
    gc.freeze()
    _serve(sys.argv[1], int(sys.argv[2]))
