"""Graceful shutdown on SIGTERM and SIGINT.

What happens, in order:
  1. The signal stops polling at once: a long poll in progress is abandoned (it runs in
     its own thread), so an idle worker exits in well under a second. Messages that
     arrive after the signal are handed back with visibility 0 before they start.
  2. Running jobs get a grace period (WORKER_SHUTDOWN_GRACE_SECONDS, default 25 s, inside
     the 30 s Kubernetes and ECS wait before SIGKILL). A second signal ends it early.
  3. Jobs still running then are handed back: their claim's lease ends now and their
     message becomes visible at once, so another worker takes them over; their
     cancellation event is set. The process exits 0; the job threads are daemons, so
     they die with it, and an open database transaction of theirs rolls back.

A signal handler only starts a thread that calls request(): taking a lock inside a
signal handler can deadlock against the interrupted main thread.
"""

import contextlib
import signal
import threading
from collections.abc import Callable

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Shutdown:
    def __init__(self, grace_seconds: float):
        self.grace_seconds = grace_seconds
        self.reason: str | None = None
        self._requested = threading.Event()
        self._hurry = threading.Event()
        self._wakers: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    @property
    def requested(self) -> bool:
        return self._requested.is_set()

    @property
    def hurried(self) -> bool:
        return self._hurry.is_set()

    def add_waker(self, wake: Callable[[], None]) -> None:
        """wake() is called once, from the requesting thread, when shutdown is requested."""
        self._wakers.append(wake)

    def request(self, reason: str) -> None:
        with self._lock:
            if self._requested.is_set():
                self._hurry.set()
                return
            self.reason = reason
            self._requested.set()
        for wake in self._wakers:
            wake()

    def wait(self, timeout: float) -> bool:
        """Sleeps up to timeout; True (at once) when shutdown is requested."""
        return self._requested.wait(timeout)

    @contextlib.contextmanager
    def signals_installed(self):
        def on_signal(signum, frame):
            name = signal.Signals(signum).name
            threading.Thread(target=self.request, args=(name,), name="shutdown", daemon=True).start()

        if threading.current_thread() is not threading.main_thread():
            yield  # signals can only be handled on the main thread; tests drive request() directly
            return
        previous = {sig: signal.signal(sig, on_signal) for sig in SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def drain(*, shutdown: Shutdown, wait_idle: Callable[[float, Callable[[], bool]], bool],
          take_running: Callable[[], list], hand_back: Callable[[list], None]) -> int:
    """Gives running jobs the grace period, then hands back the rest; returns how many."""
    if wait_idle(shutdown.grace_seconds, lambda: shutdown.hurried):
        return 0
    running = take_running()
    for entry in running:
        entry.cancelled.set()
    hand_back(running)
    return len(running)
