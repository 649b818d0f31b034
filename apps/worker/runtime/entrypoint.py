"""The command line every worker entry point shares.

    def main(argv=None):
        return run("video", __doc__, argv, queue=VideoSQSQueue, handler=lazy(load_handler))

    def load_handler():
        from apps.support.video.services import jobs  # imports models: after django.setup()
        return jobs.handle

The video worker's options (its usage line names it video-worker), given as

    tools/bazel run //apps/worker/video:sqs_main -- OPTIONS
    docker run IMAGE OPTIONS        # the image runs /usr/bin/python3.11 -m apps.worker.video.sqs_main

    (no option)        run until SIGTERM/SIGINT (exit 0 after a graceful stop)
    --once             drain what is queued now, then exit 0
    --concurrency 4    run 4 jobs at once (default: WORKER_CONCURRENCY)
    --check            load settings, connect to the database, verify the queue and its
                       DLQ exist; exit 0, or 1 with the reason

`queue` is an SQSQueue, or a callable making one (a class, a functools.partial): it is
called after Django is set up, because queues read settings. `handler` is the job
handler or, in an entry module, lazy(a function returning it): handlers import models,
which need Django set up, and an entry module must import (and answer --help) before
that. The import is a plain one inside a function, so the forbidden-import check still
follows it. `checks` are callables returning None when all is well, else a reason; they
run for --check and before the worker starts (the GPU worker checks CUDA this way).

A worker that cannot reach its database, import its handler or pass its checks exits 1
at start (the orchestrator restarts it); one that cannot reach SQS waits it out. Nothing
here imports the runtime's database-facing modules before django.setup().
"""

import argparse
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from apps.worker.runtime.stopping import RunUntilDrained, RunUntilSignalled

CheckFn = Callable[[], str | None]


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apps.worker.settings")
    import django

    django.setup()


def check_database() -> str | None:
    """None when the database answers and has the job claim table, else the reason."""
    from django.db import DatabaseError, connection

    from apps.core.models import JobClaim

    try:
        connection.ensure_connection()
    except Exception as exc:  # any driver error means the check failed
        return f"database {connection.settings_dict.get('NAME')!r} is unreachable: {exc}"
    try:
        JobClaim.objects.exists()
    except DatabaseError as exc:
        return f"database {connection.settings_dict.get('NAME')!r} lacks the job claim table (run migrations): {exc}"
    return None


def check_queue(queue) -> list[str]:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return queue.problems()
    except (BotoCoreError, ClientError) as exc:
        return [f"SQS at {queue.client.meta.endpoint_url} cannot be used: {exc}"]


def build_parser(worker: str, description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"{worker}-worker", description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="load settings, connect, verify queues; exit 0 or 1")
    parser.add_argument("--once", dest="stop_policy", action="store_const", const=RunUntilDrained(),
                        default=RunUntilSignalled(), help="drain what is queued now, then exit")
    parser.add_argument("--concurrency", type=_positive, metavar="N",
                        help="jobs run at once (default: the WORKER_CONCURRENCY setting)")
    return parser


def run(worker: str, description: str, argv: list[str] | None = None, queue=None, handler=None,
        *, checks: Iterable[CheckFn] = ()) -> int:
    if queue is None or handler is None:
        raise TypeError("run() needs the worker's queue and handler")
    args = build_parser(worker, description).parse_args(argv)
    setup_django()
    queue = queue() if callable(queue) else queue
    handler, problem = _resolve(handler)
    problems = [p for p in [problem, check_database(), *(check() for check in checks)] if p]
    if args.check:
        problems += check_queue(queue)
        for problem in problems:
            print(f"{worker} worker: {problem}", file=sys.stderr)
        if problems:
            return 1
        print(f"{worker} worker: settings loaded, database reachable, queue {queue.name!r} "
              f"and {queue.dlq_name!r} exist")
        return 0
    if problems:
        for problem in problems:
            print(f"{worker} worker: cannot start: {problem}", file=sys.stderr)
        return 1

    from apps.worker.runtime import logging as runtime_logging
    from apps.worker.runtime.config import WorkerConfig
    from apps.worker.runtime.worker import Worker

    runtime_logging.configure(worker)
    config = WorkerConfig.from_settings(worker, concurrency=args.concurrency, stop_policy=args.stop_policy)
    return Worker(queue=queue, handler=handler, config=config).run()


@dataclass(frozen=True)
class LazyHandler:
    load: Callable[[], Callable]


def lazy(load: Callable[[], Callable]) -> LazyHandler:
    """A handler that run() loads after django.setup(): load() imports and returns it."""
    return LazyHandler(load)


def _resolve(handler) -> tuple[Callable | None, str | None]:
    if not isinstance(handler, LazyHandler):
        return handler, None
    try:
        return handler.load(), None
    except Exception as exc:  # an image missing a dependency of its handler, say
        return None, f"cannot import the job handler: {exc!r}"


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value
