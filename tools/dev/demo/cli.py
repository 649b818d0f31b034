"""What the demo and `//:dev` do alike as programs a person runs: where their output goes,
and SIGTERM treated as Ctrl-C."""

import os
import signal
from pathlib import Path


def output_dir(path: Path) -> Path:
    """`path`, created; relative to the caller's directory under `bazel run`, which starts
    programs in their runfiles."""
    base = Path(os.environ.get("BUILD_WORKING_DIRECTORY", "."))
    path = path if path.is_absolute() else base / path
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()


def stop_on_sigterm() -> None:
    """SIGTERM (a supervisor, `timeout`, `kill`) stops the platform the way Ctrl-C does."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
