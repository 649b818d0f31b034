"""Serves the API with gunicorn (the Django dev server is for development only).

    tools/bazel run //apps/api:server -- --bind 127.0.0.1:8000 --workers 2

Any gunicorn option works; GUNICORN_CMD_ARGS is honoured as usual.

Workers are threaded (gthread, 4 threads each) unless a worker class or a thread count is
given: a sync worker reports to gunicorn's arbiter only between requests, so a request that
takes longer than --timeout (a 16 MiB upload part over a weak uplink) gets its worker
killed half way; a threaded worker reports every second, whatever its requests do.

With PROMETHEUS_MULTIPROC_DIR set (API_METRICS_ENABLED's multiprocess mode, see
apps/api/common/metrics.py), the directory is created if missing and emptied of the last
run's metric files before gunicorn starts, as prometheus_client asks.
"""

import os
import shlex
import sys
from pathlib import Path

from gunicorn.app.wsgiapp import WSGIApplication

DEFAULT_THREADS = 4


def main() -> None:
    if not os.environ.get("DJANGO_SECRET_KEY") and os.environ.get("DJANGO_DEBUG") != "1":
        sys.exit("api server: set DJANGO_SECRET_KEY (or DJANGO_DEBUG=1 for development)")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apps.api.config.settings")
    reset_metrics_dir(os.environ.get("PROMETHEUS_MULTIPROC_DIR", ""))
    args = sys.argv[1:]
    # gunicorn's control socket defaults to one path per home directory, and each server
    # replaces the socket it finds there: replicas and test servers would take each
    # other's. It stays off unless asked for.
    if not any(a.startswith("--control-socket") for a in args):
        args = ["--no-control-socket", *args]
    if not _chooses_workers([*args, *shlex.split(os.environ.get("GUNICORN_CMD_ARGS", ""))]):
        args = ["--worker-class", "gthread", "--threads", str(DEFAULT_THREADS), *args]
    sys.argv = [sys.argv[0], *args, "apps.api.config.wsgi:application"]
    WSGIApplication("%(prog)s [OPTIONS]").run()


def reset_metrics_dir(path: str) -> None:
    """Creates the multiprocess metrics directory, or removes the files a previous run left."""
    if not path:
        return
    directory = Path(path)
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink(missing_ok=True)


def _chooses_workers(options: list[str]) -> bool:
    """Whether gunicorn's options name a worker class or a thread count."""
    return any(o == "-k" or (o.startswith("-k") and not o.startswith("--")) or o.startswith("--worker-class")
               or o.startswith("--threads") for o in options)


if __name__ == "__main__":
    main()
