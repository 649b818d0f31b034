"""The platform on one machine, each piece its own process as in production: the one way the
demo, `//:dev`, the end-to-end and browser tests and the benchmarks start it.

    moto's server     SQS (and S3) on 127.0.0.1 (tools/testing/sqs_server.py), or one given
    the database      an SQLite file under the data directory, or a given DATABASE_URL
    the API           `python -m apps.api.server` (gunicorn), what the API image runs
    workers           `python -m apps.worker.<...>.sqs_main`, the modules the worker images run
    operations        `python -m apps.api.manage migrate | create_tenant | create_queues`

Everything it writes is under `root`: data/ (the database file and stored media), logs/
(one log per process, `platform.log(name)`), run/ (the workers' liveness files).

    platform = LocalPlatform(root, sqs=sqs_server)   # no sqs: start_sqs() starts its own
    platform.migrate()
    queue = platform.create_queue("video", visibility_timeout=30)   # a fresh name, with its DLQ
    api = platform.client(platform.api_key("daechi"))              # an ApiClient
    platform.start_api()
    worker = platform.start_worker("apps.worker.video.sqs_main", "--once")   # a Popen
    platform.stop()                  # SIGTERM to each, newest first; SIGKILL after the grace

    platform.start_all(on_ready=print)   # moto, queues, migrate, operator key, API, every worker

Processes get a small environment of their own (the platform's settings over PATH and LANG)
unless inherit_environment is set, as the demo does so that a caller's tunables
(VIDEO_X264_PRESET=...) reach every process. Failures raise PlatformError, naming the
process and the end of its log.
"""

import os
import re
import secrets
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from apps.core.queues import SQSQueue
from tools.testing.api_client import ApiClient
from tools.testing.sqs_server import MotoServer, SQSServer, unique_name
from tools.testing.waiting import answers, wait_until

# The modules the worker images run, and the names the demo and `//:dev` show them by.
VIDEO_WORKER = "apps.worker.video.sqs_main"
AI_CPU_WORKER = "apps.worker.ai.sqs_main_cpu"
MESSAGING_WORKER = "apps.worker.messaging.sqs_main"
WORKERS = {
    "video worker": VIDEO_WORKER,
    "AI worker (CPU)": AI_CPU_WORKER,
    "messaging worker": MESSAGING_WORKER,
}
# settings.SQS_QUEUES' roles and the environment variable that names each queue.
QUEUE_SETTINGS = {
    "video": "SQS_VIDEO_QUEUE",
    "ai-cpu": "SQS_AI_CPU_QUEUE",
    "ai-gpu": "SQS_AI_GPU_QUEUE",
    "messaging": "SQS_MESSAGING_QUEUE",
}
STARTUP_SECONDS = 90  # the AI worker imports torch and opencv; a cold start takes a while
STOP_GRACE_SECONDS = 15
API_TIMEOUT_SECONDS = 120  # gunicorn's worker timeout: an upload in one request may take a while
# The line `manage create_tenant` prints with the key, which it shows only once.
ISSUED_KEY = re.compile(r"API key \(shown once\): (\S+)")
LISTENING = re.compile(r"Listening at: (http://127\.0\.0\.1:\d+)")


class PlatformError(Exception):
    pass


@dataclass
class Service:
    name: str
    process: subprocess.Popen
    log: Path
    log_start: int = 0  # where this run's output begins: a data directory's logs are appended to

    def output(self) -> str:
        """What this run of the process has written so far."""
        with open(self.log, "rb") as handle:
            handle.seek(self.log_start)
            return handle.read().decode(errors="replace")

    def running(self) -> bool:
        return self.process.poll() is None

    def exited(self) -> "PlatformError":
        return PlatformError(f"the {self.name} exited (status {self.process.returncode}); "
                             f"its log, {self.log}, ends:\n{self.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


class LocalPlatform:
    def __init__(self, root: Path, *, sqs: SQSServer | None = None, database_url: str = "", debug: bool = False,
                 inherit_environment: bool = False, env: dict[str, str] | None = None):
        self.root = Path(root)
        self.data_dir = self.root / "data"
        self.logs = self.root / "logs"
        self.run_dir = self.root / "run"
        for directory in (self.data_dir, self.logs, self.run_dir):
            directory.mkdir(parents=True, exist_ok=True)
        self.sqs = sqs
        self.services: list[Service] = []
        self.api_url = ""
        self.operator_key = ""
        self.bucket = ""
        self.queues: dict[str, SQSQueue] = {}
        self._moto: MotoServer | None = None
        base = dict(os.environ) if inherit_environment else {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        for owned_here in ("MEDIA_STORAGE", "AWS_STORAGE_BUCKET_NAME", "AWS_S3_ENDPOINT_URL", "AWS_SESSION_TOKEN",
                           "AWS_PROFILE"):
            base.pop(owned_here, None)
        self.env = {
            "LANG": "C.UTF-8",
            "SQS_WAIT_TIME_SECONDS": "1",  # short polls: stopping a worker takes a second
            "WORKER_SHUTDOWN_GRACE_SECONDS": "5",
            "VIDEO_WORK_DIR": str(self.root / "work"),
            "HF_HUB_OFFLINE": "1",
            # gunicorn keeps its control socket under $HOME: the platform's, not the user's.
            "HOME": str(self.root),
            **base,
            # The children import exactly what this process can (under Bazel: its runfiles).
            "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
            "PYTHONUNBUFFERED": "1",
            "ACADEMY_DATA_DIR": str(self.data_dir),
            "DJANGO_DEBUG": "1" if debug else "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
            # Empty: the settings' embedded default (an SQLite file in ACADEMY_DATA_DIR), even
            # when the caller's environment has one.
            "DATABASE_URL": database_url,
            **(sqs.env() if sqs else {}),
            **{key: str(value) for key, value in (env or {}).items()},
        }

    # -- what it stands on ------------------------------------------------------------------

    @property
    def database(self) -> str:
        return self.env["DATABASE_URL"] or f"SQLite file {self.data_dir / 'academy.sqlite3'}"

    def start_sqs(self) -> SQSServer:
        """moto's server of its own, logging to logs/sqs.log; stopped with the platform."""
        try:
            self._moto = MotoServer(self.log_of("sqs")).start()
        except AssertionError as exc:
            raise PlatformError(str(exc)) from None
        self.sqs = self._moto.info
        self.env.update(self.sqs.env())
        return self.sqs

    def create_bucket(self, name: str = "") -> str:
        """A new S3 bucket on moto's server that the API and workers store media in."""
        self.bucket = name or unique_name("media")
        self.s3().create_bucket(Bucket=self.bucket, CreateBucketConfiguration={"LocationConstraint": self.sqs.region})
        self.env.update({"MEDIA_STORAGE": "s3", "AWS_STORAGE_BUCKET_NAME": self.bucket})
        return self.bucket

    def s3(self):
        return self.sqs.client(service="s3")

    def keys(self, prefix: str) -> list[str]:
        """The bucket's object keys under `prefix`."""
        pages = self.s3().get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]

    def create_queue(self, role: str, *, visibility_timeout: int | None = None, max_receive_count: int | None = None,
                     message_type=None) -> SQSQueue:
        """The queue for `role` (a key of settings.SQS_QUEUES) under a fresh name, with its DLQ,
        made by `manage create_queues`; every process started afterwards uses it."""
        self.env[QUEUE_SETTINGS[role]] = unique_name(role)
        self.create_queues(role, visibility_timeout=visibility_timeout, max_receive_count=max_receive_count)
        self.queues[role] = SQSQueue(name=self.env[QUEUE_SETTINGS[role]], client=self.sqs.client(),
                                     message_type=message_type)
        return self.queues[role]

    def visible_messages(self, role: str, *, dlq: bool = False) -> int:
        """SQS's approximate count of visible messages on the queue made for `role`, or its DLQ."""
        queue = self.queues[role]
        attributes = queue.client.get_queue_attributes(QueueUrl=queue.dlq_url if dlq else queue.url,
                                                       AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"])

    def create_queues(self, *roles: str, visibility_timeout: int | None = None,
                      max_receive_count: int | None = None) -> str:
        """`manage create_queues` for `roles` (default: all) under the names in the environment."""
        args = [arg for role in roles for arg in ("--queue", role)]
        if visibility_timeout is not None:
            args += ["--visibility-timeout", str(visibility_timeout)]
        if max_receive_count is not None:
            args += ["--max-receive-count", str(max_receive_count)]
        return self.manage("create_queues", *args)

    # -- operations -------------------------------------------------------------------------

    def manage(self, *args: str, env: dict[str, str] | None = None) -> str:
        """`python -m apps.api.manage ARGS`; its output, kept in logs/manage-<command>.log."""
        result = self.run("apps.api.manage", *args, env=env)
        self.log_of(f"manage {args[0]}").write_text(result.stdout + result.stderr)
        if result.returncode != 0:
            raise PlatformError(f"manage {' '.join(args)} failed (status {result.returncode}):\n"
                                f"{(result.stdout + result.stderr)[-3000:]}")
        return result.stdout

    def run(self, module: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        """`python -m MODULE ARGS` to its end, with the platform's environment and `env` over it."""
        return subprocess.run([sys.executable, "-m", module, *args], env={**self.env, **(env or {})},
                              capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)

    def migrate(self) -> None:
        self.manage("migrate", "--verbosity", "0")

    def api_key(self, slug: str, *, name: str = "", staff: bool = False) -> str:
        """A new API key for the tenant `slug`, created first if it does not exist (so that a
        data directory can be used again)."""
        created = self.manage("create_tenant", "--name", name or slug.title(), "--slug", slug,
                              "--key-name", "local platform", "--existing-ok", *(["--staff"] if staff else []))
        found = ISSUED_KEY.search(created)
        if not found:
            raise PlatformError(f"no API key in create_tenant's output:\n{created}")
        return found.group(1)

    def client(self, key: str = "") -> ApiClient:
        return ApiClient(self.api_url, key)

    # -- processes --------------------------------------------------------------------------

    def start_api(self, *, workers: int = 1, threads: int | None = None, timeout: int = API_TIMEOUT_SECONDS,
                  port: int = 0, env: dict[str, str] | None = None, extra_args: tuple[str, ...] = ()) -> str:
        """gunicorn on 127.0.0.1 (`port`, or one the kernel picks) with `workers` processes, a
        worker `timeout`, and `threads` when given (else apps.api.server's default); its base
        URL once it answers /healthz."""
        options = ["--workers", str(workers), "--timeout", str(timeout)]
        options += ["--threads", str(threads)] if threads else []
        service = self._spawn("api", [sys.executable, "-m", "apps.api.server", "--bind", f"127.0.0.1:{port}",
                                      *options, *extra_args], env)

        def listening() -> str | None:
            found = LISTENING.search(service.output())
            return found and found.group(1)

        self.api_url = self._wait(service, listening, "the API to listen")
        self._wait(service, lambda: answers(self.api_url + "/healthz"), "the API to answer /healthz")
        return self.api_url

    def start_worker(self, module: str, *args: str, name: str = "worker", wait_ready: bool = False,
                     env: dict[str, str] | None = None) -> subprocess.Popen:
        """`python -m MODULE ARGS` in a process group of its own, as a container runs it: a signal
        to the group reaches its children (ffmpeg) too. wait_ready: until its liveness file is
        written, which the worker does once it polls its queue."""
        alive = self.run_dir / f"{_file_name(name)}.alive"
        service = self._spawn(name, [sys.executable, "-m", module, *args],
                              {"WORKER_HEALTH_FILE": str(alive), **(env or {})})
        if wait_ready:
            self._wait(service, alive.exists, f"the {name}")
        return service.process

    def start_all(self, *, port: int = 0, on_ready=lambda what: None) -> None:
        """The whole platform as the demo and `//:dev` run it: moto, every queue, the database,
        an operator key (self.operator_key), the API and every worker, each waited for."""
        self.start_sqs()
        on_ready(f"SQS (moto's server) at {self.sqs.endpoint_url}")
        self.create_queues()
        on_ready("queues and their dead-letter queues created")
        self.migrate()
        on_ready(f"database migrated: {self.database}")
        self.operator_key = self.api_key("operator", name="Platform operator", staff=True)
        self.start_api(port=port, workers=2, threads=4, timeout=300)
        on_ready(f"API (gunicorn) at {self.api_url}")
        for name, module in WORKERS.items():
            self.start_worker(module, name=name, wait_ready=True)
            on_ready(f"{name} polling its queue")

    def check_alive(self) -> None:
        """PlatformError when a process it started (and did not expect to end) has exited."""
        for service in self.services:
            if not service.running():
                raise service.exited()

    def stop(self, grace_seconds: float = STOP_GRACE_SECONDS) -> dict[str, int]:
        """Stops every process, newest first: SIGTERM to its group, SIGKILL after the grace
        (at once when it is 0). Returns each one's exit status."""
        for service in reversed(self.services):
            if service.running() and grace_seconds > 0:
                _signal_group(service.process, signal.SIGTERM)
        statuses = {}
        for service in reversed(self.services):
            try:
                statuses[service.name] = service.process.wait(grace_seconds)
            except subprocess.TimeoutExpired:
                _signal_group(service.process, signal.SIGKILL)
                statuses[service.name] = service.process.wait()
        if self._moto is not None:
            self._moto.stop()
        return statuses

    def log_of(self, name: str) -> Path:
        return self.logs / f"{_file_name(name)}.log"

    def log(self, name: str) -> str:
        """What the process `name` has written so far ("" when it has not started)."""
        path = self.log_of(name)
        return path.read_text(errors="replace") if path.exists() else ""

    def _spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> Service:
        log = self.log_of(name)
        log_start = log.stat().st_size if log.exists() else 0
        with open(log, "ab") as handle:
            # Its own session: Ctrl-C reaches only the launcher, which stops the children in order.
            process = subprocess.Popen(argv, env={**self.env, **(env or {})}, stdout=handle,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        service = Service(name, process, log, log_start)
        self.services.append(service)
        return service

    def _wait(self, service: Service, ready, what: str):
        def up():
            if not service.running():
                raise service.exited()
            return ready()

        try:
            return wait_until(up, STARTUP_SECONDS, what, interval=0.1)
        except AssertionError as exc:
            raise PlatformError(f"{exc}; {service.log} ends:\n{service.log_tail()}") from None


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _file_name(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
