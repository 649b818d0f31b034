"""Children started through apps.core.subprocesses die with the process that started them, and
stop when cancelled; a plain subprocess.Popen child, the control, outlives its parent."""

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from apps.core import subprocesses

# A worker in miniature: a job thread starts `sleep 60` and waits for it; the pid goes to stdout.
PARENT = """
import subprocess, sys, threading
from apps.core import subprocesses

start = subprocesses.popen if sys.argv[1] == "wrapped" else subprocess.Popen

def job():
    child = start(["sleep", "60"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    print(child.pid, flush=True)
    child.wait()

threading.Thread(target=job, name="job-0").start()
"""

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux only")


def gone(pid: int) -> bool:
    """No such process, or one that has exited and waits to be reaped (a zombie)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            stat = handle.read()
    except (FileNotFoundError, ProcessLookupError):
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")  # the name in (...) may hold spaces


def wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not gone(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def start_parent_and_kill_it(how: str) -> int:
    """The child's pid, once its parent has been SIGKILLed and reaped."""
    parent = subprocess.Popen([sys.executable, "-c", PARENT, how], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    try:
        child = int(parent.stdout.readline())
        assert not gone(child)
    finally:
        parent.kill()
        parent.wait(10)
        parent.stdout.close()
    return child


def test_a_child_dies_when_its_parent_is_killed():
    child = start_parent_and_kill_it("wrapped")
    try:
        assert wait_gone(child, 5), f"sleep ({child}) outlived its SIGKILLed parent"
    finally:
        kill_quietly(child)


def test_control_a_plain_popen_child_outlives_its_parent():
    child = start_parent_and_kill_it("plain")
    try:
        time.sleep(1)
        assert not gone(child), "the control died with its parent: the test above proves nothing here"
    finally:
        kill_quietly(child)


def test_cancelled_stops_the_child():
    cancelled = threading.Event()
    proc = subprocesses.popen(["sleep", "60"], cancelled=cancelled)
    cancelled.set()
    assert proc.wait(5) == -signal.SIGTERM


def test_stop_kills_a_child_that_ignores_sigterm():
    # An ignored signal stays ignored across exec, so sleep ignores SIGTERM too.
    proc = subprocesses.popen(["sh", "-c", "trap '' TERM; exec sleep 60"])
    time.sleep(0.3)  # let the trap take effect
    started = time.monotonic()
    subprocesses.stop(proc, grace=0.5)
    assert proc.returncode == -signal.SIGKILL
    assert time.monotonic() - started < 3


def test_run_returns_like_subprocess_run():
    done = subprocesses.run(["sh", "-c", "echo out; echo err >&2; exit 3"], capture_output=True, text=True)
    assert (done.returncode, done.stdout, done.stderr) == (3, "out\n", "err\n")
    with pytest.raises(subprocess.CalledProcessError):
        subprocesses.run(["false"], check=True)
    with pytest.raises(subprocess.TimeoutExpired):
        subprocesses.run(["sleep", "60"], timeout=0.2)


def test_preexec_fn_is_not_overridden():
    with pytest.raises(TypeError):
        subprocesses.popen(["true"], preexec_fn=lambda: None)


def kill_quietly(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
