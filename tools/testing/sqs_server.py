"""A real SQS-speaking server for tests: moto's server on 127.0.0.1 and an ephemeral port.

    from tools.testing.sqs_server import sqs_server  # noqa: F401 (in a conftest.py)

    def test_x(sqs_server):
        client = sqs_server.client()                 # boto3, through HTTP
        env = {**os.environ, **sqs_server.env()}     # for a worker subprocess

Code under test talks to it exactly as to AWS (boto3 over HTTP), nothing is patched in
process. The server lives for the test session; give each test its own queue names
(unique_name()) instead of resetting it.
"""

import uuid
from dataclasses import dataclass

import boto3
import pytest

REGION = "ap-northeast-2"


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
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }

    def client(self, endpoint_url: str | None = None):
        session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=self.region
        )
        return session.client("sqs", endpoint_url=endpoint_url or self.endpoint_url)


def unique_name(prefix: str = "test") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def start_sqs_server():
    """Starts moto's threaded server; returns (server, SQSServer). Call server.stop() after."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return server, SQSServer(endpoint_url=f"http://{host}:{port}")


@pytest.fixture(scope="session")
def sqs_server():
    server, info = start_sqs_server()
    try:
        yield info
    finally:
        server.stop()
