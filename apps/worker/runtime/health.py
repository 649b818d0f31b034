"""Liveness: is this worker's loop still turning?

The worker touches a file on every turn of its loop, at least once a second while it
runs, even while a long poll waits or every job thread is busy. A worker that stops
touching it is stuck and should be restarted. The file is WORKER_HEALTH_FILE or, where
that is unset, default_health_file(): <temp dir>/academy-<worker>.alive, which is
/tmp/academy-video.alive in the video worker's image. It is removed when the worker
exits cleanly.

A probe runs this module with the image's own interpreter: the images have no shell and
no `python`, only /usr/bin/python3.11, which their entrypoint runs (/app on PYTHONPATH).

Kubernetes (an exec probe):

    livenessProbe:
      exec:
        command: ["/usr/bin/python3.11", "-m", "apps.worker.runtime.health", "/tmp/academy-video.alive",
                  "--max-age", "60"]
      periodSeconds: 30

ECS (a container health check):

    "healthCheck": {"command": ["CMD", "/usr/bin/python3.11", "-m", "apps.worker.runtime.health",
                                "/tmp/academy-video.alive", "--max-age", "60"], "interval": 30}

Both run this module's command line: exit 0 when the file was touched within --max-age
seconds, 1 otherwise. Where an HTTP probe suits better (httpGet, or a load balancer's
target health), set WORKER_HEALTH_ADDRESS=0.0.0.0:8080 and probe GET /healthz: 200 with
the worker's counters while the file is fresh, 503 when it is not. Liveness says nothing
about SQS being reachable: a worker waiting out an outage is alive and recovers by itself.
"""

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def default_health_file(worker: str) -> Path:
    """The liveness file of a worker whose WORKER_HEALTH_FILE is unset."""
    return Path(tempfile.gettempdir()) / f"academy-{worker}.alive"


def is_fresh(path: Path, max_age: float) -> bool:
    try:
        return time.time() - path.stat().st_mtime <= max_age
    except OSError:
        return False


class Health:
    def __init__(self, *, path: Path, max_age: float, address: str = "", status=dict):
        self.path = Path(path)
        self.max_age = max_age
        self.address = address
        self.port: int | None = None
        self._status = status
        self._last = 0.0
        self._server: ThreadingHTTPServer | None = None

    def beat(self) -> None:
        now = time.monotonic()
        if now - self._last < 0.5:
            return
        self._last = now
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.touch()

    def start(self) -> None:
        self._last = 0.0
        self.beat()
        if self.address:
            host, _, port = self.address.rpartition(":")
            self._server = ThreadingHTTPServer((host or "0.0.0.0", int(port)), self._handler())
            self._server.daemon_threads = True
            self.port = self._server.server_address[1]
            threading.Thread(target=self._server.serve_forever, name="health", daemon=True).start()

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
        try:
            self.path.unlink()
        except OSError:
            pass

    def _handler(self):
        health = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path.split("?")[0] != "/healthz":
                    self.send_error(404)
                    return
                fresh = is_fresh(health.path, health.max_age)
                body = json.dumps({"status": "ok" if fresh else "stale", **health._status()}).encode()
                self.send_response(200 if fresh else 503)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # probes every few seconds would drown the log
                pass

        return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python3.11 -m apps.worker.runtime.health",
        description="Exit 0 when the worker's liveness file was touched recently, else 1.",
    )
    parser.add_argument("path", type=Path, help="the worker's WORKER_HEALTH_FILE")
    parser.add_argument("--max-age", type=float, default=float(os.environ.get("WORKER_HEALTH_MAX_AGE_SECONDS", "60")),
                        help="seconds (default: WORKER_HEALTH_MAX_AGE_SECONDS or 60)")
    args = parser.parse_args(argv)
    if is_fresh(args.path, args.max_age):
        return 0
    print(f"{args.path} is missing or older than {args.max_age:g} s: the worker's loop is stuck", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
