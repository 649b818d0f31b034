"""Every route answers every method with something other than a 5xx (OPTIONS above all,
which browsers send before a cross-origin call), and CORS works for the configured
origins only."""

import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from apps.api.tests.callers import Caller
from apps.domains.lectures import services

pytestmark = pytest.mark.django_db

METHODS = ["OPTIONS", "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "TRACE", "PROPFIND"]


def concrete_paths(lecture_id) -> list[str]:
    """Every URL pattern of the API with its parameters filled in."""
    values = {"pk": str(uuid.uuid4()), "lecture_pk": str(lecture_id), "video_id": str(uuid.uuid4()),
              "token": "not-a-token", "format": ".json", "video_pk": str(uuid.uuid4()), "viewer": "s-1",
              "rendition": "720p", "name": "player.js"}
    found = []

    def walk(patterns, prefix):
        for entry in patterns:
            segment = str(entry.pattern).lstrip("^").rstrip("$")
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + segment)
            elif isinstance(entry, URLPattern):
                found.append(prefix + segment)

    walk(get_resolver().url_patterns, "")
    paths = set()
    for pattern in found:
        path = pattern
        for name, value in values.items():
            path = path.replace(f"(?P<{name}>[0-9a-f-]{{36}})", value).replace(f"(?P<{name}>[^/.]+)", value)
            path = path.replace(f"<str:{name}>", value).replace(f"(?P<{name}>\\.json|\\.yaml)", value)
            path = path.replace(f"<uuid:{name}>", value).replace(f"(?P<{name}>[^/]+)", value)
        path = path.replace("\\.(?P<format>[a-z0-9]+)/?", "").replace("/?", "/")
        if "(?P<" in path or "<" in path:
            continue  # static and media file patterns
        paths.add("/" + path)
    return sorted(paths)


def test_no_route_answers_any_method_with_a_5xx(client):
    alice = Caller(client, "alice", staff=True)
    lecture = services.create_lecture(tenant=alice.tenant, title="Calculus")
    paths = concrete_paths(lecture.id)
    assert f"/api/v1/lectures/{lecture.id}/uploads/" in paths and len(paths) > 20, paths
    failures = []
    for path in paths:
        for method in METHODS:
            response = client.generic(method, path, **{"HTTP_AUTHORIZATION": f"Api-Key {alice.key}"})
            if response.status_code >= 500:
                failures.append(f"{method} {path}: {response.status_code}")
    assert failures == []


def test_options_on_a_lecture_answers_with_its_methods(client):
    alice = Caller(client, "alice")
    lecture = services.create_lecture(tenant=alice.tenant, title="Calculus")
    response = client.options(f"/api/v1/lectures/{lecture.id}/", HTTP_AUTHORIZATION=f"Api-Key {alice.key}")
    assert response.status_code == 200, response.content
    assert "PATCH" in response["Allow"]


def test_cors_preflight_for_a_configured_origin_only(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://academy.example"]
    preflight = {"HTTP_ORIGIN": "https://academy.example", "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "PUT",
                 "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "authorization, content-md5, content-type"}
    allowed = client.options("/api/v1/uploads/parts/anything", **preflight)
    assert allowed.status_code == 200
    assert allowed["Access-Control-Allow-Origin"] == "https://academy.example"
    assert "content-md5" in allowed["Access-Control-Allow-Headers"]
    assert "PUT" in allowed["Access-Control-Allow-Methods"]
    other = client.options("/api/v1/lectures/", **{**preflight, "HTTP_ORIGIN": "https://elsewhere.example"})
    assert "Access-Control-Allow-Origin" not in other
    # A page reads each part's ETag: it must be exposed.
    answered = client.get("/healthz", HTTP_ORIGIN="https://academy.example")
    assert answered["Access-Control-Expose-Headers"] == "ETag"
