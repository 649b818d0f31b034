import pytest

from apps.api.tests.callers import Caller
from apps.support.video.services.queue import VideoSQSQueue
from tools.testing.media_storage import media_root  # noqa: F401
from tools.testing.sqs_server import sqs_server, unique_name  # noqa: F401


@pytest.fixture
def video_queue(settings, sqs_server, monkeypatch):  # noqa: F811
    """A fresh video queue on the session's moto server, wired into settings."""
    for name, value in sqs_server.env().items():
        monkeypatch.setenv(name, value)
    settings.AWS_ENDPOINT_URL = sqs_server.endpoint_url
    settings.AWS_REGION = sqs_server.region
    name = unique_name("video")
    settings.SQS_QUEUES = {**settings.SQS_QUEUES, "video": name}
    queue = VideoSQSQueue(client=sqs_server.client())
    queue.ensure()
    return queue


@pytest.fixture
def alice(client):
    """An academy with an API key, calling through Django's test client."""
    return Caller(client, "alice")


@pytest.fixture
def bob(client):
    """Another academy, which must see none of alice's objects."""
    return Caller(client, "bob")
