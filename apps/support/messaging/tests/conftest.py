import pytest

from apps.support.messaging.backends import locmem
from apps.support.messaging.services import batches
from tools.testing.fake_solapi import fake_solapi  # noqa: F401


class RecordingQueue:
    """Stands in for the SQS queue: keeps what the API would have queued."""

    def __init__(self):
        self.sent = []
        self.fail_with: Exception | None = None

    def send(self, message, **kwargs):
        if self.fail_with is not None:
            raise self.fail_with
        self.sent.append(message)
        return f"m-{len(self.sent)}"


@pytest.fixture(autouse=True)
def queue(monkeypatch):
    recording = RecordingQueue()
    monkeypatch.setattr(batches, "get_queue", lambda: recording)
    locmem.reset()
    yield recording
    locmem.reset()
