"""Child processes (ffmpeg, ffprobe, tesseract) that never outlive the worker that started them.

    proc = popen(argv, stdout=subprocess.PIPE, cancelled=context.cancelled)   # like subprocess.Popen
    done = run(argv, capture_output=True)                                   # like subprocess.run
    stop(proc)                                                              # SIGTERM, SIGKILL after a grace

Every program a worker runs starts through here, for two guarantees (which is why probe.py
and ocr.py build ffprobe's and tesseract's command lines themselves: ffmpeg-python and
pytesseract call subprocess.Popen directly):

  * the kernel kills the child when the worker dies, however it dies (SIGKILL, the OOM
    killer, a crash): the child asks for prctl(PR_SET_PDEATHSIG, SIGKILL) before exec, so
    no orphaned ffmpeg keeps burning CPU or writing into a scratch directory nobody cleans.
  * with `cancelled` (a job's context.cancelled, set when the worker hands the job back or
    loses its claim), the child is stopped: SIGTERM, then SIGKILL if it has not exited
    within STOP_GRACE_SECONDS.

PR_SET_PDEATHSIG fires when the *thread* that forked the child exits, not the process.
The workers run jobs on long-lived pool threads, and the job thread that starts a child
waits for it, so the signal comes when the process dies, as intended. Do not start a
child from a short-lived thread that returns before the child is done.

The setting is made in preexec_fn, in the forked child before exec. preexec_fn is unsafe
with threads when it takes a lock another thread held at fork time (an import, logging,
a malloc arena on some libcs); this one calls a libc function resolved here beforehand and
os.getppid(), nothing else. It also makes subprocess fork instead of vfork, a cost that is
small next to the programs started. Re-checking getppid() after the prctl catches a parent
that died between fork and prctl, which the kernel would not signal for.

On platforms other than Linux there is no such call: children start as plain subprocesses.
"""

import ctypes
import os
import signal
import subprocess
import sys
import threading

STOP_GRACE_SECONDS = 3.0
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_SIGKILL = int(getattr(signal, "SIGKILL", 9))  # Windows has no SIGKILL


def _load_prctl():
    if sys.platform != "linux":
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    return prctl


_prctl = _load_prctl()


def popen(argv: list[str], *, cancelled: threading.Event | None = None, **kwargs) -> subprocess.Popen:
    """subprocess.Popen(argv, **kwargs) for a child that dies with this process and, with
    `cancelled`, is stopped once it is set."""
    proc = subprocess.Popen(argv, **_options(kwargs))
    if cancelled is not None:
        threading.Thread(target=_stop_when_cancelled, args=(proc, cancelled), name=f"stop-{proc.pid}",
                         daemon=True).start()
    return proc


def run(argv: list[str], *, cancelled: threading.Event | None = None, timeout: float | None = None,
        check: bool = False, **kwargs) -> subprocess.CompletedProcess:
    """subprocess.run() for a child started as popen() starts it."""
    if kwargs.pop("capture_output", False):
        kwargs["stdout"] = kwargs["stderr"] = subprocess.PIPE
    with popen(argv, cancelled=cancelled, **kwargs) as proc:
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except BaseException:  # a timeout or an interrupt: the child must not stay behind
            proc.kill()
            proc.wait()
            raise
    done = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    if check:
        done.check_returncode()
    return done


def stop(proc: subprocess.Popen, grace: float = STOP_GRACE_SECONDS) -> None:
    """SIGTERM, then SIGKILL if the child is still running after `grace` seconds; returns once
    it has exited. Safe while another thread waits for the same child."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _options(kwargs: dict) -> dict:
    if "preexec_fn" in kwargs:
        raise TypeError("popen() sets preexec_fn itself")
    if _prctl is not None:
        kwargs["preexec_fn"] = _die_with_parent(os.getpid())
    return kwargs


def _die_with_parent(parent: int):
    def preexec() -> None:  # runs in the child, between fork and exec: keep it to these calls
        if _prctl(_PR_SET_PDEATHSIG, _SIGKILL, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
        if os.getppid() != parent:  # the parent died before the prctl took effect
            os.kill(os.getpid(), _SIGKILL)

    return preexec


def _stop_when_cancelled(proc: subprocess.Popen, cancelled: threading.Event) -> None:
    while proc.poll() is None:  # ends soon after the child exits, however it exits
        if cancelled.wait(0.5):
            stop(proc)
            return
