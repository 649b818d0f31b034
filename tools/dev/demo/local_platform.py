"""The whole platform on one machine, each piece its own process, as in production:

    moto's server     SQS (and S3) on 127.0.0.1, standing in for AWS
    the API           `python -m apps.api.server` (gunicorn), what the API image runs
    three workers     `python -m apps.worker.{video.sqs_main, ai.sqs_main_cpu, messaging.sqs_main}`,
                      the modules the worker images run

on embedded defaults: an SQLite file (or a given DATABASE_URL), files under the data
directory, the console SMS backend. Everything it writes is under `root`:

    root/data/       the database file and stored media (HLS renditions, posters, uploads)
    root/logs/       one log per process
    root/run/        the workers' liveness files

    platform = LocalPlatform(root, port=8000)
    platform.start(on_ready=print)    # raises PlatformError, naming the process and its log
    platform.operator_key             # a staff API key, made with `manage create_tenant --staff`
    platform.stop()                   # SIGTERM to each, SIGKILL after the grace period
"""

import os
import re
import secrets
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tools.testing.api_process import issued_key
from tools.testing.waiting import free_port, wait_until

WORKERS = {
    "video worker": "apps.worker.video.sqs_main",
    "AI worker (CPU)": "apps.worker.ai.sqs_main_cpu",
    "messaging worker": "apps.worker.messaging.sqs_main",
}
REGION = "ap-northeast-2"
STARTUP_SECONDS = 90  # the AI worker imports torch and opencv; a cold start takes a while
STOP_GRACE_SECONDS = 15


class PlatformError(Exception):
    pass


@dataclass
class Service:
    name: str
    process: subprocess.Popen
    log: Path

    def running(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = 20) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


class LocalPlatform:
    def __init__(self, root: Path, *, port: int = 0, database_url: str = "", debug: bool = False,
                 env: dict[str, str] | None = None):
        self.root = Path(root)
        self.data_dir = self.root / "data"
        self.logs = self.root / "logs"
        self.run_dir = self.root / "run"
        for directory in (self.data_dir, self.logs, self.run_dir):
            directory.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.sqs_port = free_port()
        self.api_url = f"http://127.0.0.1:{self.port}"
        self.sqs_url = f"http://127.0.0.1:{self.sqs_port}"
        self.services: list[Service] = []
        self.operator_key = ""
        # Tunables a caller may set in its own environment (VIDEO_X264_PRESET=..., MESSAGING_*)
        # reach every process; what makes this the local platform is set over them.
        self.env = {
            "LANG": "C.UTF-8",
            "SQS_WAIT_TIME_SECONDS": "1",  # short polls: stopping a worker takes a second
            "WORKER_SHUTDOWN_GRACE_SECONDS": "5",
            "VIDEO_WORK_DIR": str(self.root / "work"),
            "HF_HUB_OFFLINE": "1",
            **os.environ,
            # The children import exactly what this process can: Bazel's runfiles.
            "PYTHONPATH": ":".join(p for p in sys.path if p),
            "PYTHONUNBUFFERED": "1",
            "ACADEMY_DATA_DIR": str(self.data_dir),
            "DJANGO_DEBUG": "1" if debug else "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
            "AWS_ENDPOINT_URL": self.sqs_url,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            **env_for_database(database_url),
            **(env or {}),
        }
        for owned_elsewhere in ("MEDIA_STORAGE", "AWS_S3_ENDPOINT_URL", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
            self.env.pop(owned_elsewhere, None)

    @property
    def database(self) -> str:
        return self.env.get("DATABASE_URL") or f"SQLite file {self.data_dir / 'academy.sqlite3'}"

    def start(self, on_ready=lambda what: None) -> None:
        self._start_sqs()
        on_ready(f"SQS (moto's server) at {self.sqs_url}")
        self._run("create_queues", "apps.api.manage", "create_queues")
        on_ready("queues and their dead-letter queues created")
        self._run("migrate", "apps.api.manage", "migrate", "--verbosity", "0")
        on_ready(f"database migrated: {self.database}")
        self.operator_key = self.issue_key(name="Platform operator", slug="operator", staff=True)
        self._start_api()
        on_ready(f"API (gunicorn) at {self.api_url}")
        for name, module in WORKERS.items():
            self._start_worker(name, module)
            on_ready(f"{name} polling its queue")

    def issue_key(self, *, name: str, slug: str, staff: bool = False) -> str:
        """A new API key for the tenant `slug`, created first if it does not exist (so that a
        data directory can be used again)."""
        created = self._run("create-tenant", "apps.api.manage", "create_tenant", "--name", name, "--slug", slug,
                            "--key-name", "local platform", "--existing-ok", *(["--staff"] if staff else []))
        return issued_key(created)

    def stop(self) -> dict[str, int]:
        """Stops every process, newest first; returns each one's exit status."""
        for service in reversed(self.services):
            if service.running():
                _signal_group(service.process, signal.SIGTERM)
        statuses = {}
        for service in reversed(self.services):
            try:
                statuses[service.name] = service.process.wait(STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                _signal_group(service.process, signal.SIGKILL)
                statuses[service.name] = service.process.wait()
        return statuses

    def check_alive(self) -> None:
        for service in self.services:
            if not service.running():
                raise PlatformError(f"the {service.name} exited (status {service.process.returncode}); "
                                    f"its log, {service.log}, ends:\n{service.log_tail()}")

    def log_of(self, name: str) -> Path:
        return self.logs / f"{_file_name(name)}.log"

    def _spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> Service:
        log = self.log_of(name)
        with open(log, "ab") as handle:
            # Its own session: Ctrl-C reaches only this launcher, which stops the children in
            # order, and a signal to the group also reaches a worker's ffmpeg.
            process = subprocess.Popen(argv, env={**self.env, **(env or {})}, stdout=handle,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        service = Service(name, process, log)
        self.services.append(service)
        return service

    def _run(self, name: str, module: str, *args: str) -> str:
        result = subprocess.run([sys.executable, "-m", module, *args], env=self.env, capture_output=True,
                                text=True, stdin=subprocess.DEVNULL, check=False)
        self.log_of(name).write_text(result.stdout + result.stderr)
        if result.returncode != 0:
            raise PlatformError(f"{module} {' '.join(args)} failed (status {result.returncode}):\n"
                                f"{(result.stderr or result.stdout)[-3000:]}")
        return result.stdout

    def _start_sqs(self) -> None:
        service = self._spawn("sqs", [sys.executable, "-m", "moto.server", "-H", "127.0.0.1",
                                      "-p", str(self.sqs_port)])
        self._wait(service, lambda: _answers(self.sqs_url + "/moto-api/"), "SQS")

    def _start_api(self) -> None:
        service = self._spawn("api", [sys.executable, "-m", "apps.api.server", "--bind", f"127.0.0.1:{self.port}",
                                      "--workers", "2", "--threads", "4", "--timeout", "300"])
        self._wait(service, lambda: _answers(self.api_url + "/healthz"), "the API")

    def _start_worker(self, name: str, module: str) -> None:
        alive = self.run_dir / f"{_file_name(name)}.alive"
        service = self._spawn(name, [sys.executable, "-m", module], env={"WORKER_HEALTH_FILE": str(alive)})
        self._wait(service, alive.exists, f"the {name}")

    def _wait(self, service: Service, ready, what: str) -> None:
        def up():
            self.check_alive()
            return ready()

        try:
            wait_until(up, STARTUP_SECONDS, what, interval=0.2)
        except AssertionError as exc:
            raise PlatformError(f"{exc}; {service.log} ends:\n{service.log_tail()}") from None


def env_for_database(database_url: str) -> dict[str, str]:
    """DATABASE_URL when one is given; otherwise none at all, so that the settings' embedded
    default (an SQLite file in ACADEMY_DATA_DIR) applies even if the caller has one set."""
    return {"DATABASE_URL": database_url} if database_url else {"DATABASE_URL": ""}


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _file_name(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def output_dir(path: Path) -> Path:
    """`path`, created; relative to the caller's directory under `bazel run`, which starts
    programs in their runfiles."""
    base = Path(os.environ.get("BUILD_WORKING_DIRECTORY", "."))
    path = path if path.is_absolute() else base / path
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()


def stop_on_sigterm() -> None:
    """SIGTERM (a supervisor, `timeout`, `kill`) stops the platform the way Ctrl-C does."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
