"""Fixtures of the messaging API tests: tenants with keys and credits, a recording queue."""

import pytest

from apps.api.tests.callers import Caller
from apps.support.messaging.services import batches
from tools.testing.recording_queue import RecordingQueue


@pytest.fixture
def messaging_queue(monkeypatch):
    queue = RecordingQueue()
    monkeypatch.setattr(batches, "get_queue", lambda: queue)
    return queue


@pytest.fixture
def academy(db, client, messaging_queue):
    return Caller(client, "daechi", credits=1000)


@pytest.fixture
def rival(db, client, messaging_queue):
    return Caller(client, "mokdong", credits=1000)


@pytest.fixture
def operator(db, client):
    return Caller(client, "platform", staff=True)
