"""A pipeline as separate processes, for end-to-end tests: moto (SQS and S3) on 127.0.0.1,
an SQLite file, the API under gunicorn on an ephemeral port, and the pipeline's worker
started as `python -m <worker>`.

    stack = Stack(tmp_path, sqs_server, worker="apps.worker.video.sqs_main",
                  queue_setting="SQS_VIDEO_QUEUE", VIDEO_X264_PRESET="ultrafast")
    key = stack.api_key("daechi"); api = stack.start_api()
    stack.start_worker("--once").wait(90)

queue_setting is the environment variable the API and the worker both read the queue's
name from; the stack creates that queue (and its DLQ) under a fresh name. Keyword
arguments become the processes' environment, over the defaults here.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

import boto3
import requests

from apps.core.queues import SQSQueue
from tools.testing.api_process import create_tenant_key, manage, start_api
from tools.testing.sqs_server import unique_name


class Stack:
    def __init__(self, tmp_path: Path, sqs_server, *, worker: str, queue_setting: str, visibility_timeout: int = 30,
                 max_receive_count: int = 5, **env):
        self.tmp_path = tmp_path
        self.sqs_server = sqs_server
        self.worker = worker
        self.bucket = unique_name("media")
        session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                        region_name=sqs_server.region)
        self.s3 = session.client("s3", endpoint_url=sqs_server.endpoint_url)
        self.s3.create_bucket(Bucket=self.bucket,
                              CreateBucketConfiguration={"LocationConstraint": sqs_server.region})
        self.queue = SQSQueue(name=unique_name("jobs"), client=sqs_server.client())
        self.queue.ensure(visibility_timeout=visibility_timeout, max_receive_count=max_receive_count)
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "PYTHONPATH": ":".join(sys.path),
            "DJANGO_DEBUG": "1",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'academy.sqlite3'}",
            "ACADEMY_DATA_DIR": str(tmp_path / "data"),
            "MEDIA_STORAGE": "s3",
            "AWS_STORAGE_BUCKET_NAME": self.bucket,
            queue_setting: self.queue.name,
            "SQS_WAIT_TIME_SECONDS": "1",
            "WORKER_HEALTH_FILE": str(tmp_path / "worker.alive"),
            "WORKER_SHUTDOWN_GRACE_SECONDS": "2",
            **sqs_server.env(),
            **{k: str(v) for k, v in env.items()},
        }
        self.processes: list[subprocess.Popen] = []
        self.api_url = ""
        manage(self.env, "migrate", "--verbosity", "0")

    def api_key(self, slug: str) -> str:
        return create_tenant_key(self.env, slug)

    def start_api(self, *, timeout: int = 120) -> str:
        """gunicorn with `timeout` as its worker timeout."""
        proc, self.api_url = start_api(self.env, self.tmp_path / "api.log", "--timeout", str(timeout))
        self.processes.append(proc)
        return self.api_url

    def log(self, name: str) -> str:
        path = self.tmp_path / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start_worker(self, *args: str, name: str = "worker") -> subprocess.Popen:
        log = open(self.tmp_path / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        # Its own process group: killing the group kills its children (ffmpeg) too, as a container stop does.
        proc = subprocess.Popen([sys.executable, "-m", self.worker, *args], env=self.env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append(proc)
        return proc

    def http(self, key: str) -> requests.Session:
        session = requests.Session()
        session.headers["Authorization"] = f"Api-Key {key}"
        return session

    def upload_video(self, http: requests.Session, source: Path, *, title: str = "Calculus") -> str:
        """A new lecture with `source` uploaded to it through the API; the video's URL."""
        lecture = http.post(f"{self.api_url}/api/v1/lectures/", json={"title": title}).json()
        with open(source, "rb") as handle:
            uploaded = http.post(f"{self.api_url}/api/v1/lectures/{lecture['id']}/videos/", files={"file": handle})
        assert uploaded.status_code == 201, uploaded.text
        return f"{self.api_url}/api/v1/lectures/{lecture['id']}/videos/{uploaded.json()['id']}/"

    def keys(self, prefix: str) -> list[str]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]

    def visible_messages(self, *, dlq: bool = False) -> int:
        attributes = self.queue.client.get_queue_attributes(
            QueueUrl=self.queue.dlq_url if dlq else self.queue.url,
            AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"])

    def close(self) -> None:
        for proc in self.processes:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    proc.kill()
                proc.wait(10)
