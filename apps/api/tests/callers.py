"""A tenant with an API key, and Django's test client sending that key: how the in-process
API tests call the API.

    alice = Caller(client, "alice")                       # credits=1000, staff=True as needed
    alice.get("/api/v1/credits/", limit=10)
    alice.json("post", "/api/v1/lectures/", {"title": "Calculus"}, headers={"Idempotency-Key": "k"})
    alice.post(url, {"file": handle})                     # multipart/form-data
    alice.send(["010-1234-5678"])                         # POST /api/v1/messages/
"""

import json

from apps.core.services.api_keys import create_api_key, create_tenant
from apps.support.messaging import credit_services


class Caller:
    def __init__(self, client, slug: str, *, credits: int = 0, staff: bool = False):
        self.tenant = create_tenant(name=slug.title(), slug=slug)
        self.issued = create_api_key(tenant=self.tenant, name=f"{slug} desk", is_staff=staff)
        self.key = self.issued.raw
        self.client = client
        if credits:
            credit_services.top_up(tenant_id=self.tenant.id, amount=credits, actor="test")

    def _headers(self, headers=None) -> dict:
        extra = {"HTTP_AUTHORIZATION": f"Api-Key {self.key}"}
        for name, value in (headers or {}).items():
            extra["HTTP_" + name.upper().replace("-", "_")] = value
        return extra

    def get(self, path, **params):
        return self.client.get(path, params, **self._headers())

    def post(self, path, data, **kwargs):
        return self.client.post(path, data, **self._headers(), **kwargs)

    def json(self, method, path, data, headers=None):
        return getattr(self.client, method)(path, json.dumps(data), content_type="application/json",
                                            **self._headers(headers))

    def delete(self, path):
        return self.client.delete(path, **self._headers())

    def send(self, recipients, *, type="sms", text="내일 휴원합니다", headers=None, **fields):
        return self.json("post", "/api/v1/messages/", {"type": type, "text": text, "recipients": recipients, **fields},
                         headers=headers)
