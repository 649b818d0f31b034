"""WorkerConfig: the runtime's knobs, read from Django settings (and the command line).

Each setting is documented where it is defined, in apps/core/settings/base.py.
"""

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from apps.worker.runtime.backoff import ConnectionBackoff, RetryBackoff


@dataclass(frozen=True)
class WorkerConfig:
    name: str
    concurrency: int = 1
    # Received messages that may wait for a free job thread (see pool.py).
    prefetch: int = 0
    wait_seconds: int = 20
    grace_seconds: float = 25.0
    once: bool = False
    retry_backoff: RetryBackoff = field(default_factory=RetryBackoff)
    connection_backoff: ConnectionBackoff = field(default_factory=ConnectionBackoff)
    health_file: Path | None = None  # None: <temp dir>/academy-<name>.alive
    health_address: str = ""
    health_max_age: float = 60.0
    metrics_interval: float = 60.0
    metrics_address: str = ""
    # Used when the queue has none of its own (an SQS queue always has one).
    default_visibility_timeout: int = 60

    @classmethod
    def from_settings(cls, name: str, *, concurrency: int | None = None, once: bool = False) -> "WorkerConfig":
        from django.conf import settings

        wait = max(0, min(20, settings.SQS_WAIT_TIME_SECONDS))
        return cls(
            name=name,
            concurrency=concurrency or settings.WORKER_CONCURRENCY,
            prefetch=settings.WORKER_PREFETCH,
            # --once drains what is queued now: a short poll that ends once the queue is empty.
            wait_seconds=min(wait, 1) if once else wait,
            grace_seconds=settings.WORKER_SHUTDOWN_GRACE_SECONDS,
            once=once,
            retry_backoff=RetryBackoff(settings.SQS_RETRY_BACKOFF_BASE_SECONDS, settings.SQS_RETRY_BACKOFF_MAX_SECONDS),
            connection_backoff=ConnectionBackoff(max_seconds=settings.SQS_UNREACHABLE_BACKOFF_MAX_SECONDS),
            health_file=Path(settings.WORKER_HEALTH_FILE or Path(tempfile.gettempdir()) / f"academy-{name}.alive"),
            health_address=settings.WORKER_HEALTH_ADDRESS,
            health_max_age=settings.WORKER_HEALTH_MAX_AGE_SECONDS,
            metrics_address=settings.WORKER_METRICS_ADDRESS,
            default_visibility_timeout=settings.SQS_VISIBILITY_TIMEOUT,
        )
