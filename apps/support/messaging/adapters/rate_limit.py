"""A per-tenant send rate limit that holds across worker replicas.

    waited = acquire(tenant_id, 500)   # blocks until 500 more messages fit in this second

Fixed one-second windows counted in Django's cache (apps/core/settings/cache.py): Redis
when REDIS_URL is set, so every replica counts in the same place; in-process otherwise,
which limits each process on its own. A window's counter is created with add() and raised
with incr(), both atomic in Redis and in the local-memory cache. A caller that would
overshoot gives its count back and waits for the next window.

A cache that cannot be reached does not stop sending: the limit is skipped, with a warning.
"""

import logging
import threading
import time

from django.conf import settings
from django.core.cache import cache

log = logging.getLogger("academy.messaging")

WINDOW_SECONDS = 1


class RateLimitInterrupted(Exception):
    """The worker is shutting down while waiting for room."""


def limit_per_second() -> int:
    return max(0, int(settings.MESSAGING_RATE_LIMIT_PER_SECOND))


def acquire(tenant_id, count: int, *, limit: int | None = None, cancelled: threading.Event | None = None,
            clock=time.time) -> float:
    """Takes `count` sends from the tenant's current window, waiting for windows with room;
    returns the seconds waited. `count` may not exceed the limit (split batches by it)."""
    limit = limit_per_second() if limit is None else limit
    if limit <= 0 or count <= 0:
        return 0.0
    if count > limit:
        raise ValueError(f"{count} messages at once exceed the limit of {limit} per second")
    waited = 0.0
    while True:
        now = clock()
        window = int(now // WINDOW_SECONDS)
        key = f"messaging:rate:{tenant_id}:{window}"
        try:
            cache.add(key, 0, timeout=WINDOW_SECONDS * 5)
            used = cache.incr(key, count)
        except ValueError:  # the key expired between add() and incr(): a new window
            continue
        except Exception as exc:  # the cache is down: do not stop sending over it
            log.warning("rate limit cache unavailable; sending without the limit: %s", exc)
            return waited
        if used <= limit:
            return waited
        try:
            cache.decr(key, count)
        except Exception:  # the window is over anyway
            pass
        pause = max(0.001, (window + 1) * WINDOW_SECONDS - clock())
        if cancelled is not None:
            if cancelled.wait(pause):
                raise RateLimitInterrupted("stopped while waiting for the send rate limit")
        else:
            time.sleep(pause)
        waited += pause
