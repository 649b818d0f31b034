"""The job threads: a fixed number of them, each running one job at a time, and an
optional prefetch of received messages waiting for a thread.

The loop receives only as many messages as there is room for (free threads plus free
prefetch places), so no message waits invisible without a bound. Prefetch (default 0,
WORKER_PREFETCH) lets one ReceiveMessage call fetch up to 10 while jobs still run: it
pays for short jobs, where receive round trips dominate, and costs fairness for long
ones (a prefetched message waits here instead of going to an idle worker), so leave it
at 0 for workers whose jobs take minutes. Messages waiting here are in flight: the
heartbeat renews them, and shutdown hands them back at once (take_waiting()).

The threads are daemons: when shutdown's grace period ends with a job still running,
that job has been handed back and must not keep the process alive.
"""

import logging
import queue as queue_module
import threading
import time
from collections.abc import Callable


class JobPool:
    def __init__(self, size: int, run: Callable[[object], None], *, prefetch: int = 0):
        if size < 1 or prefetch < 0:
            raise ValueError("a pool needs at least one thread and a prefetch of zero or more")
        self.size = size
        self.capacity = size + prefetch
        self._run = run
        self._taken = 0  # submitted and not finished: waiting or running
        self._woken = False
        self._cond = threading.Condition()
        self._jobs: queue_module.SimpleQueue = queue_module.SimpleQueue()
        for n in range(size):
            threading.Thread(target=self._thread, name=f"job-{n}", daemon=True).start()

    @property
    def busy(self) -> int:
        """Jobs waiting or running."""
        with self._cond:
            return self._taken

    def wait_for_room(self, timeout: float) -> int:
        """Messages there is room for, waiting up to timeout (or until wake()) for some."""
        with self._cond:
            self._cond.wait_for(lambda: self._taken < self.capacity or self._woken, timeout)
            return self.capacity - self._taken

    def submit(self, item: object) -> None:
        with self._cond:
            self._taken += 1
        self._jobs.put(item)

    def take_waiting(self) -> list:
        """Takes back the items no thread has started."""
        taken = []
        while True:
            try:
                taken.append(self._jobs.get_nowait())
            except queue_module.Empty:
                break
        if taken:
            with self._cond:
                self._taken -= len(taken)
                self._cond.notify_all()
        return taken

    def wait_idle(self, timeout: float, give_up: Callable[[], bool] = lambda: False) -> bool:
        """True once no job runs; False after timeout or once give_up() says so."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._taken and not give_up():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.1))
            return self._taken == 0

    def wake(self) -> None:
        with self._cond:
            self._woken = True
            self._cond.notify_all()

    def _thread(self) -> None:
        while True:
            item = self._jobs.get()
            try:
                self._run(item)
            except Exception:  # run() settles its own errors; this keeps the thread whatever happens
                logging.getLogger("academy.worker").exception("job thread error")
            finally:
                with self._cond:
                    self._taken -= 1
                    self._cond.notify_all()
