"""How a run reports what it does: the progress(done, total) and log(message) callbacks a
caller passes, and Meter, the count of bytes sent that calls progress from every part thread."""

import threading
import time
from typing import Callable

Progress = Callable[[int, int], None]
Log = Callable[[str], None]


class Meter:
    """Bytes sent so far, from every thread, reported 10 times a second and at every whole
    percent (so a line per 10 % shows each one, however fast the link)."""

    def __init__(self, total: int, done: int, progress: Progress | None):
        self.total, self.done, self.progress = total, done, progress
        self.lock = threading.Lock()
        self.reported, self.percent = 0.0, -1
        self.add(0)

    def add(self, count: int) -> None:
        with self.lock:
            self.done += count
            now, percent = time.monotonic(), 100 * self.done // self.total
            if self.progress and (now - self.reported >= 0.1 or percent != self.percent):
                self.reported, self.percent = now, percent
                self.progress(self.done, self.total)
