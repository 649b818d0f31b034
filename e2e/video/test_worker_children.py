"""The worker's ffmpeg never outlives the worker: not when the worker is SIGKILLed on its own
(no process group kill, as when the OOM killer picks it), not when SIGTERM hands the job back."""

import contextlib
import json
import os
import signal
import time
from pathlib import Path

from tools.testing import media
from tools.testing.local_platform import VIDEO_WORKER
from tools.testing.waiting import wait_until


def test_a_sigkilled_worker_takes_its_ffmpeg_with_it(make_stack, tmp_path):
    _, worker, ffmpegs = transcoding(make_stack, tmp_path)
    try:
        os.kill(worker.pid, signal.SIGKILL)  # the worker alone, not its process group
        worker.wait(10)
        assert wait_gone(ffmpegs, 5), f"ffmpeg {ffmpegs} outlived the SIGKILLed worker"
    finally:
        kill(ffmpegs)


def test_sigterm_stops_ffmpeg_when_the_job_is_handed_back(make_stack, tmp_path):
    stack, worker, ffmpegs = transcoding(make_stack, tmp_path)
    try:
        os.kill(worker.pid, signal.SIGTERM)
        assert worker.wait(30) == 0, stack.log("worker")
        assert wait_gone(ffmpegs, 5), f"ffmpeg {ffmpegs} outlived the worker's shutdown"
    finally:
        kill(ffmpegs)
    # ffmpeg was still running when the grace period ended: the cancellation stopped it.
    stopped = [line for line in log_lines(stack.log("worker")) if line.get("msg") == "worker stopped"]
    assert stopped and stopped[0]["jobs_handed_back"] == 1, stack.log("worker")


def transcoding(make_stack, tmp_path: Path):
    """A stack whose worker is mid-transcode: (stack, worker, the pids of the worker's ffmpeg)."""
    # Long enough that ffmpeg outlasts the stack's 2 s shutdown grace by several seconds.
    stack = make_stack(VIDEO_X264_PRESET="medium")
    stack.start_api()
    http = stack.client(stack.api_key("daechi"))
    http.upload_video(media.make_video(tmp_path / "long.mp4", width=1280, height=720, seconds=20, rate=25))
    worker = stack.start_worker(VIDEO_WORKER)
    ffmpegs = wait_until(lambda: ffmpeg_children(worker.pid, tmp_path), 60, "the worker's ffmpeg", 0.1)
    return stack, worker, ffmpegs


def ffmpeg_children(parent: int, work_dir: Path) -> list[int]:
    """Running ffmpeg processes whose parent is `parent` and whose arguments name work_dir."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            stat = (entry / "stat").read_text()
        except OSError:  # exited while we looked
            continue
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if (Path(os.fsdecode(argv[0])).name == "ffmpeg" and int(ppid) == parent and state not in ("Z", "X")
                and any(os.fsencode(work_dir) in arg for arg in argv)):
            found.append(int(entry.name))
    return found


def wait_gone(pids: list[int], timeout: float) -> bool:
    """True once none of pids is running (a zombie waiting to be reaped counts as gone)."""
    deadline = time.monotonic() + timeout
    while any(running(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def kill(pids: list[int]) -> None:
    """Leaves no stray ffmpeg behind when an assertion failed."""
    for pid in pids:
        if running(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def log_lines(text: str) -> list[dict]:
    lines = []
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:  # not every line is JSON (a traceback, say)
            continue
        if isinstance(entry, dict):
            lines.append(entry)
    return lines
