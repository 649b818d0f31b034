"""WorkerConfig: the runtime's knobs, read from Django settings (and the command line).

Each setting is documented where it is defined, in apps/core/settings/base.py.
"""

from dataclasses import dataclass, field
from pathlib import Path

from apps.worker.runtime.backoff import ConnectionBackoff, RetryBackoff
from apps.worker.runtime.stopping import RunUntilSignalled, StopPolicy


@dataclass(frozen=True)
class WorkerConfig:
    name: str
    concurrency: int = 1
    # Received messages that may wait for a free job thread (see pool.py).
    prefetch: int = 0
    wait_seconds: int = 20
    grace_seconds: float = 25.0
    stop_policy: StopPolicy = field(default_factory=RunUntilSignalled)
    retry_backoff: RetryBackoff = field(default_factory=RetryBackoff)
    connection_backoff: ConnectionBackoff = field(default_factory=ConnectionBackoff)
    health_file: Path | None = None  # None: health.default_health_file(name)
    health_address: str = ""
    health_max_age: float = 60.0
    metrics_interval: float = 60.0
    metrics_address: str = ""
    # Used when the queue has none of its own (an SQS queue always has one).
    default_visibility_timeout: int = 60

    @classmethod
    def from_settings(cls, name: str, *, concurrency: int | None = None,
                      stop_policy: StopPolicy | None = None) -> "WorkerConfig":
        from django.conf import settings

        stop_policy = stop_policy if stop_policy is not None else RunUntilSignalled()
        wait = max(0, min(20, settings.SQS_WAIT_TIME_SECONDS))
        return cls(
            name=name,
            concurrency=concurrency or settings.WORKER_CONCURRENCY,
            prefetch=settings.WORKER_PREFETCH,
            wait_seconds=stop_policy.poll_wait(wait),
            grace_seconds=settings.WORKER_SHUTDOWN_GRACE_SECONDS,
            stop_policy=stop_policy,
            retry_backoff=RetryBackoff(settings.SQS_RETRY_BACKOFF_BASE_SECONDS, settings.SQS_RETRY_BACKOFF_MAX_SECONDS),
            connection_backoff=ConnectionBackoff(max_seconds=settings.SQS_UNREACHABLE_BACKOFF_MAX_SECONDS),
            health_file=Path(settings.WORKER_HEALTH_FILE) if settings.WORKER_HEALTH_FILE else None,
            health_address=settings.WORKER_HEALTH_ADDRESS,
            health_max_age=settings.WORKER_HEALTH_MAX_AGE_SECONDS,
            metrics_address=settings.WORKER_METRICS_ADDRESS,
            default_visibility_timeout=settings.SQS_VISIBILITY_TIMEOUT,
        )
