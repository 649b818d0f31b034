"""Fixtures of the messaging API tests: tenants with keys and credits, a recording queue."""

import pytest

from apps.core.services.api_keys import create_api_key, create_tenant
from apps.support.messaging import credit_services
from apps.support.messaging.services import batches
from tools.testing.recording_queue import RecordingQueue


class Caller:
    """A tenant and an API client that sends its key."""

    def __init__(self, client, slug: str, *, credits: int = 0, staff: bool = False):
        self.tenant = create_tenant(name=slug.title(), slug=slug)
        self.key = create_api_key(tenant=self.tenant, name=f"{slug} desk", is_staff=staff).raw
        self.client = client
        if credits:
            credit_services.top_up(tenant_id=self.tenant.id, amount=credits, actor="test")

    def _headers(self, headers):
        extra = {"HTTP_AUTHORIZATION": f"Api-Key {self.key}"}
        for name, value in (headers or {}).items():
            extra["HTTP_" + name.upper().replace("-", "_")] = value
        return extra

    def get(self, path, **params):
        return self.client.get(path, params, **self._headers(None))

    def post(self, path, body, headers=None):
        return self.client.post(path, body, content_type="application/json", **self._headers(headers))

    def delete(self, path):
        return self.client.delete(path, **self._headers(None))

    def send(self, recipients, *, type="sms", text="내일 휴원합니다", headers=None, **fields):
        return self.post("/api/v1/messages/", {"type": type, "text": text, "recipients": recipients, **fields},
                         headers=headers)


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
