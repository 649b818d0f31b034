import pytest

from apps.support.messaging.backends import locmem
from apps.support.messaging.services import batches
from tools.testing.fake_solapi import fake_solapi  # noqa: F401
from tools.testing.recording_queue import RecordingQueue


@pytest.fixture(autouse=True)
def queue(monkeypatch):
    recording = RecordingQueue()
    monkeypatch.setattr(batches, "get_queue", lambda: recording)
    locmem.reset()
    yield recording
    locmem.reset()
