"""The command line every worker shares: --check, --once, --help, and liveness."""

import json
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from apps.worker.runtime.tests.harness import Database, wait_until
from tools.testing.sqs_server import unique_name


def _run(rt, db, queue_name, module, *args, **env):
    """`python -m module args` ("-c" as module runs code instead) with the test's environment."""
    environment = rt.env(db, None, TEST_QUEUE=queue_name, **env)
    command = [sys.executable, "-c", *args] if module == "-c" else [sys.executable, "-m", module, *args]
    return subprocess.run(command, env=environment, capture_output=True, text=True, timeout=60, check=False)


def test_check_passes_only_when_database_and_queues_are_ready(rt):
    unmigrated = Database(f"sqlite:///{rt.tmp_path / 'empty.sqlite3'}")
    result = _run(rt, unmigrated, unique_name("missing"), "apps.worker.runtime.tests.worker_main", "--check")
    assert result.returncode == 1
    assert "lacks the job claim table (run migrations)" in result.stderr
    assert "does not exist" in result.stderr and "create_queues" in result.stderr

    db = rt.database()
    queue = rt.queue()
    result = _run(rt, db, queue.name, "apps.worker.runtime.tests.worker_main", "--check")
    assert result.returncode == 0, result.stderr
    assert f"queue {queue.name!r} and {queue.name + '-dlq'!r} exist" in result.stdout


def test_check_reports_an_unreachable_sqs_endpoint(rt):
    db = rt.database()
    result = _run(rt, db, "any", "apps.worker.runtime.tests.worker_main", "--check",
                  AWS_ENDPOINT_URL="http://127.0.0.1:9")  # the discard port: nothing listens
    assert result.returncode == 1
    assert "SQS at http://127.0.0.1:9 cannot be used" in result.stderr


def test_gpu_worker_check_fails_clearly_without_cuda(rt):
    db = rt.database()
    queue = rt.queue()
    result = _run(rt, db, queue.name, "apps.worker.ai.sqs_main_gpu", "--check", SQS_AI_GPU_QUEUE=queue.name)
    assert result.returncode == 1
    assert "torch is not installed" in result.stderr or "CUDA is not available" in result.stderr
    # and it refuses to start, too
    result = _run(rt, db, queue.name, "apps.worker.ai.sqs_main_gpu", "--once", SQS_AI_GPU_QUEUE=queue.name)
    assert result.returncode == 1 and "cannot start" in result.stderr


def test_every_entry_point_has_help():
    for module in ("apps.worker.video.sqs_main", "apps.worker.ai.sqs_main_cpu", "apps.worker.ai.sqs_main_gpu",
                   "apps.worker.messaging.sqs_main"):
        result = subprocess.run([sys.executable, "-m", module, "--help"], capture_output=True, text=True,
                                env={"PYTHONPATH": ":".join(sys.path)}, timeout=60, check=False)
        assert result.returncode == 0, result.stderr
        assert "--check" in result.stdout and "--once" in result.stdout and "--concurrency" in result.stdout


def test_a_job_that_can_never_succeed_fails_once_and_is_not_retried(rt):
    db = rt.database()
    queue = rt.queue()
    job = queue.send("permanent")
    worker = rt.worker(db, queue, "--once")
    assert worker.wait(30) == 0
    claim = db.claim(job.job_id)
    assert claim["status"] == "failed" and claim["error"] == "this job can never succeed"
    assert queue.depth() == 0 and queue.dlq_depth() == 0
    assert worker.metrics()["failed"] == 1 and worker.metrics()["retried"] == 0


def test_a_handler_that_cannot_be_imported_fails_the_check(rt):
    db = rt.database()
    queue = rt.queue()
    result = _run(rt, db, queue.name, "-c",
                  "import os, sys; from apps.worker.runtime.entrypoint import lazy, run; "
                  "from apps.core.queues import SQSQueue\n"
                  "def load():\n    from apps.nowhere import handle\n    return handle\n"
                  "sys.exit(run('x', 'x', ['--check'], queue=lambda: SQSQueue(name=os.environ['TEST_QUEUE']), "
                  "handler=lazy(load)))")
    assert result.returncode == 1
    assert "cannot import the job handler: ModuleNotFoundError" in result.stderr


def test_liveness_file_http_endpoint_and_probe_command(rt):
    db = rt.database()
    queue = rt.queue()
    health_file = rt.tmp_path / "probe.alive"
    worker = rt.worker(db, queue, WORKER_HEALTH_FILE=health_file, WORKER_HEALTH_ADDRESS="127.0.0.1:0")
    port = worker.wait_for_log("worker started")["health_port"]

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
        assert response.status == 200
        assert json.load(response)["status"] == "ok"
    probe = [sys.executable, "-m", "apps.worker.runtime.health", str(health_file), "--max-age", "5"]
    env = {"PYTHONPATH": ":".join(sys.path)}
    assert subprocess.run(probe, env=env, check=False).returncode == 0
    before = health_file.stat().st_mtime
    wait_until(lambda: health_file.stat().st_mtime > before, 5, what="the loop to touch the file again")

    worker.signal(signal.SIGTERM)
    assert worker.wait(10) == 0
    assert not Path(health_file).exists()
    assert subprocess.run(probe, env=env, capture_output=True, check=False).returncode == 1
