"""Running ffmpeg: progress as it goes, cancellation, and what its exit means.

    run_ffmpeg(argv, duration=info.duration, on_progress=report, cancelled=context.cancelled,
               log_path=work / "ffmpeg.log")

ffmpeg is started with `-progress pipe:1 -nostats`, so stdout carries key=value blocks
(out_time_us=..., progress=continue|end) about twice a second; on_progress gets the
fraction of the source done after each block. stderr (errors only) goes to log_path, so
a full pipe can never stall ffmpeg, and its last lines explain a failure.

  exit 0                                   -> returns
  exit != 0 (unreadable or corrupt input)  -> TranscodeFailed: retrying cannot help
  killed by a signal, disk full            -> TranscodeInterrupted: worth another try
  `cancelled` set (worker shutting down)   -> ffmpeg is stopped, TranscodeInterrupted

ffmpeg starts through apps.core.subprocesses: it dies with the worker, and `cancelled`
stops it (SIGTERM, SIGKILL a few seconds later if it has not exited).
"""

import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

from apps.core import subprocesses

_TRANSIENT_MARKERS = ("No space left on device", "Cannot allocate memory")


class TranscodeFailed(Exception):
    """ffmpeg could not transcode the source; the message carries its last error lines."""


class TranscodeInterrupted(Exception):
    """ffmpeg was stopped before it finished; the job can be run again."""


def run_ffmpeg(argv: list[str], *, duration: float, log_path: Path,
               on_progress: Callable[[float], None] | None = None,
               cancelled: threading.Event | None = None) -> None:
    with open(log_path, "wb") as log:
        proc = subprocesses.popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log,
                                  cancelled=cancelled)
    try:
        _read_progress(proc.stdout, duration, on_progress)
        returncode = proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    if cancelled is not None and cancelled.is_set():
        raise TranscodeInterrupted("the worker is shutting down; ffmpeg was stopped")
    if returncode == 0:
        return
    tail = _tail(log_path)
    if returncode < 0:
        raise TranscodeInterrupted(f"ffmpeg was killed by signal {-returncode}")
    if any(marker in tail for marker in _TRANSIENT_MARKERS):
        raise TranscodeInterrupted(f"ffmpeg ran out of resources: {tail}")
    raise TranscodeFailed(f"ffmpeg could not transcode the file (exit {returncode}): {tail or 'no error output'}")


def _read_progress(stream, duration: float, on_progress: Callable[[float], None] | None) -> None:
    out_time_us = 0
    for raw in stream:
        key, _, value = raw.decode(errors="replace").strip().partition("=")
        if key == "out_time_us":
            try:
                out_time_us = max(out_time_us, int(value))
            except ValueError:  # "N/A" before the first frame
                continue
        elif key == "progress" and on_progress is not None and duration > 0:
            on_progress(1.0 if value == "end" else min(1.0, out_time_us / 1e6 / duration))


def _tail(path: Path, lines: int = 5) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    kept = [line.strip() for line in text.splitlines() if line.strip()]
    return " | ".join(kept[-lines:])[:1500]
