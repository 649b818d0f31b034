"""What the command shows on stderr: messages, and the progress of the upload and of the
checksumming as one line rewritten in place on a terminal, or a line per 10 % otherwise."""

import threading
import time
from typing import Callable, TextIO

from tools.dev.upload.parts import MiB
from tools.dev.upload.progress import Progress


def format_seconds(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class Console:
    """What the command shows on stderr: messages, and progress as one line rewritten in
    place on a terminal, or a line per 10 % otherwise. The checksumming runs alongside the
    upload: on a terminal it is the upload line's "hashing N%" once that line shows (its own
    line only before, or after the upload line has ended)."""

    BAR_WIDTH = 24

    def __init__(self, out: TextIO, quiet: bool):
        self.out, self.quiet = out, quiet
        self.tty = out.isatty()
        self.lock = threading.RLock()  # the part threads report the upload, this one the checksumming
        self.bar_shown = False
        self.drawn = 0  # the length of the line on screen, to blank what a shorter one leaves
        self.transient = False  # the line on screen is the checksumming's, to make way for the upload's
        self.upload_line: str | None = None  # the upload's line while it is on screen
        self.hashing, self.hashing_drawn = "", 0.0

    def message(self, text: str) -> None:
        if not self.quiet:
            with self.lock:
                self.end_bar()
                self.out.write(f"{text}\n")
                self.out.flush()

    def error(self, text: str) -> None:
        with self.lock:
            self.end_bar()
            self.out.write(f"{text}\n")
            self.out.flush()

    def end_bar(self) -> None:
        with self.lock:
            if self.bar_shown and self.transient:
                self.out.write("\r" + " " * self.drawn + "\r")  # the upload line takes its place
            elif self.bar_shown:
                self.out.write("\n")
            if self.bar_shown:
                self.out.flush()
            self.bar_shown, self.drawn, self.transient = False, 0, False

    def _draw(self, line: str, transient: bool = False) -> None:
        self.out.write(f"\r{line.ljust(self.drawn)}")
        self.bar_shown, self.drawn, self.transient = True, len(line), transient

    def progress(self, label: str, draw: Callable[[str, int, int], None] | None = None) -> Progress | None:
        """A progress callback for one phase, or None when nothing is to be shown; on a
        terminal, draw(line, done, total) puts the line on screen (by default: the phase's
        own line, ended when done)."""
        if self.quiet:
            return None
        started, first, shown = time.monotonic(), [None], [-1]

        def show(done: int, total: int) -> None:
            with self.lock:
                if first[0] is None:
                    first[0] = done  # bytes already stored before this run: not this run's speed
                elapsed = max(time.monotonic() - started, 1e-6)
                rate = (done - first[0]) / elapsed
                percent = 100 * done // total if total else 100
                eta = format_seconds((total - done) / rate) if rate > 0 else "?"
                figures = f"{percent:3d}%  {done / MiB:,.1f}/{total / MiB:,.1f} MiB  {rate / MiB:6.1f} MiB/s"
                if self.tty:
                    filled = self.BAR_WIDTH * percent // 100
                    bar = "#" * filled + "-" * (self.BAR_WIDTH - filled)
                    (draw or self._own_line)(f"{label:<12} [{bar}] {figures}  ETA {eta:<7}", done, total)
                elif percent // 10 > shown[0]:
                    shown[0] = percent // 10
                    self.out.write(f"{label:<12} {figures}\n")
                self.out.flush()

        return show

    def _own_line(self, line: str, done: int, total: int) -> None:
        self._draw(line)
        if done >= total:
            self.end_bar()

    def upload_progress(self) -> Progress | None:
        def draw(line: str, done: int, total: int) -> None:
            self.upload_line = line
            self._draw(line + self.hashing)
            if done >= total:
                self.upload_line = None
                self.end_bar()

        return self.progress("uploading", draw)

    def checksum_progress(self) -> Progress | None:
        def draw(line: str, done: int, total: int) -> None:
            self.hashing = f"  hashing {100 * done // total}%" if done < total else ""
            if self.upload_line is None:
                self._draw(line, transient=done < total)
                if done >= total:
                    self.end_bar()
            elif done >= total or time.monotonic() - self.hashing_drawn >= 0.1:
                self.hashing_drawn = time.monotonic()
                self._draw(self.upload_line + self.hashing)

        return self.progress("checksumming", draw)
