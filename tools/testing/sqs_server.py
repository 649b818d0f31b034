"""moto's server on 127.0.0.1 and an ephemeral port: the SQS (and S3) every test, the demo and
the benchmarks talk to. It always runs the one way the platform's own processes would meet
AWS: its own process (`python -m moto.server`), reached over HTTP by boto3; nothing is
patched in the process under test.

    from tools.testing.sqs_server import sqs_server  # noqa: F401 (in a conftest.py)

    def test_x(sqs_server):
        client = sqs_server.client()                 # boto3 SQS, through HTTP
        env = {**os.environ, **sqs_server.env()}     # for a worker subprocess

    moto = MotoServer(log_path).start()              # outside pytest; moto.stop() after
    moto.info.client("s3")

The server lives for the test session; give each test its own queue names (unique_name())
instead of resetting it.
"""

import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest

from tools.testing.waiting import answers, free_port, wait_until

REGION = "ap-northeast-2"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
STARTUP_SECONDS = 30
PORT_ATTEMPTS = 3  # free_port() can race with another process binding the same port


@dataclass(frozen=True)
class SQSServer:
    endpoint_url: str
    region: str = REGION

    def env(self) -> dict[str, str]:
        """Environment variables pointing the settings and boto3 at this server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
        }

    def client(self, endpoint_url: str | None = None, *, service: str = "sqs"):
        session = boto3.session.Session(region_name=self.region, **CREDENTIALS)
        return session.client(service, endpoint_url=endpoint_url or self.endpoint_url)


class MotoServer:
    """`python -m moto.server` as a child process; its output goes to `log_path` (or nowhere)."""

    def __init__(self, log_path: Path | None = None):
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self.info: SQSServer | None = None

    def start(self) -> "MotoServer":
        for attempt in range(1, PORT_ATTEMPTS + 1):
            port = free_port()
            self.process = self._spawn(port)
            self.info = SQSServer(endpoint_url=f"http://127.0.0.1:{port}")
            try:
                wait_until(self._ready, STARTUP_SECONDS, "moto's server", interval=0.1)
                return self
            except AssertionError:
                self.stop()
                if attempt == PORT_ATTEMPTS:
                    raise AssertionError(f"moto's server did not start on 127.0.0.1:{port}:\n{self._log_tail()}")
        raise AssertionError("unreachable")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def _spawn(self, port: int) -> subprocess.Popen:
        output = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        try:
            # The child imports what this process can (under Bazel: its runfiles).
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
            return subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                    env=env, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        finally:
            if output is not subprocess.DEVNULL:
                output.close()

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"moto's server exited (status {self.process.returncode})")
        return answers(self.info.endpoint_url + "/moto-api/")

    def _log_tail(self) -> str:
        if not self.log_path or not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-20:])


def unique_name(prefix: str = "test") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def start_sqs_server(log_path: Path | None = None) -> tuple[MotoServer, SQSServer]:
    """Starts moto's server; returns (server, SQSServer). Call server.stop() after."""
    server = MotoServer(log_path).start()
    return server, server.info


@pytest.fixture(scope="session")
def sqs_server():
    server, info = start_sqs_server()
    try:
        yield info
    finally:
        server.stop()
