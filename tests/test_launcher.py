"""The launcher (tests/launcher.py) stands in for a new `python` in the operator, restore, rotation
and kill tests: what a command shows of itself must be what a new process shows."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import hermetic
import launcher
import pytest
from operator_cli import ROOT, install

_SHOW = """
import os, sys
print(sys.argv, os.getcwd(), sorted(k for k in os.environ if k.startswith("SHOWN_")), sys.path[0] == "")
sys.stdout.flush()
sys.stderr.write("to stderr\\n")
sys.exit(int(sys.argv[1]))
"""


def _both(args, **kwargs):
    return (subprocess.run(args, capture_output=True, text=True, timeout=60, **kwargs),
            launcher.run(args, capture_output=True, text=True, timeout=60, **kwargs))


def test_a_command_gets_its_own_arguments_folder_environment_streams_and_exit_code(tmp_path, monkeypatch):
    env = hermetic.environ({"SHOWN_GIVEN": "yes"})
    monkeypatch.setenv("SHOWN_IN_THE_TEST", "1")  # the test's own, not given to the command: it has none
    real, forked = _both([sys.executable, "-c", _SHOW, "3", "two words"], cwd=tmp_path, env=env)
    assert (forked.returncode, forked.stdout, forked.stderr) == (real.returncode, real.stdout, real.stderr)
    assert forked.returncode == 3 and forked.stdout.strip() == f"['-c', '3', 'two words'] {tmp_path} ['SHOWN_GIVEN'] True"


@pytest.mark.parametrize("args", [["--help"], ["check", "--offline"], ["digest", "--preview", "--week", "week 48"]])
def test_the_waakzaam_command_says_what_a_new_python_says(tmp_path, args):
    env = hermetic.environ({"PYTHONPATH": str(ROOT), "WAAKZAAM_ENV_FILE": str(install(tmp_path))})
    real, forked = _both([sys.executable, "-m", "bot", *args], cwd="/", env=env)
    assert (forked.returncode, forked.stdout, forked.stderr) == (real.returncode, real.stdout, real.stderr)
    assert forked.stdout or forked.stderr


@pytest.mark.parametrize("unbuffered", ["", "1"])
def test_a_killed_command_loses_what_a_new_python_would_lose(unbuffered):
    """Python reads PYTHONUNBUFFERED at its start, which a fork does not repeat: the launcher
    honours it, so a SIGKILL loses the same unwritten output in both."""
    code = "import os, signal; print('said before the kill'); os.kill(os.getpid(), signal.SIGKILL)"
    real, forked = _both([sys.executable, "-c", code], env=hermetic.environ({"PYTHONUNBUFFERED": unbuffered}))
    assert forked.returncode == real.returncode == -signal.SIGKILL
    assert forked.stdout == real.stdout == ("said before the kill\n" if unbuffered else "")


def test_a_started_command_can_be_waited_for_signalled_and_killed():
    process = launcher.Popen([sys.executable, "-c", "import time; print('up', flush=True); time.sleep(60)"],
                             env=hermetic.environ(), stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline() == "up\n" and process.poll() is None
    with pytest.raises(subprocess.TimeoutExpired):
        process.wait(0.1)
    assert process.pid != os.getpid()
    process.kill()
    assert process.wait(10) == -signal.SIGKILL and process.poll() == -signal.SIGKILL
    process.stdout.close()
