"""GET /metrics: requests counted by method, URL pattern and status, scraped without an
API key, and a 404 while API_METRICS_ENABLED is off."""

import uuid

import pytest
from prometheus_client.parser import text_string_to_metric_families

from apps.api.tests.callers import Caller
from apps.domains.lectures import services

pytestmark = pytest.mark.django_db

LECTURE = "api/v1/lectures/(?P<pk>[0-9a-f-]{36})/$"


def scrape(client) -> dict[tuple, float]:
    """{(sample name, (label, value), ...): value} of GET /metrics."""
    response = client.get("/metrics")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, *sorted(sample.labels.items()))] = sample.value
    return samples


def requests(samples: dict, method: str, route: str, status: int) -> float:
    key = ("academy_api_requests_total", *sorted({"method": method, "route": route, "status": str(status)}.items()))
    return samples.get(key, 0)


def latency_count(samples: dict, method: str, route: str) -> float:
    key = ("academy_api_request_duration_seconds_count", *sorted({"method": method, "route": route}.items()))
    return samples.get(key, 0)


@pytest.fixture
def metrics_on(settings):
    settings.API_METRICS_ENABLED = True


def test_metrics_are_a_404_while_off(client, settings):
    settings.API_METRICS_ENABLED = False
    for method in ("GET", "HEAD", "POST", "OPTIONS"):
        assert client.generic(method, "/metrics").status_code == 404


def test_requests_are_counted_by_route_and_status(client, metrics_on):
    alice = Caller(client, "alice")
    lecture = services.create_lecture(tenant=alice.tenant, title="Calculus")
    before = scrape(client)

    assert alice.get(f"/api/v1/lectures/{lecture.id}/").status_code == 200
    assert alice.get(f"/api/v1/lectures/{lecture.id}/").status_code == 200
    assert alice.get(f"/api/v1/lectures/{uuid.uuid4()}/").status_code == 404
    assert client.get(f"/api/v1/lectures/{lecture.id}/").status_code == 401  # no API key
    assert client.put("/api/v1/tenant/", HTTP_AUTHORIZATION=f"Api-Key {alice.key}").status_code == 405
    assert client.options(f"/api/v1/lectures/{lecture.id}/",
                          HTTP_AUTHORIZATION=f"Api-Key {alice.key}").status_code == 200
    assert client.get(f"/nowhere/{uuid.uuid4()}").status_code == 404
    assert client.generic("PROPFIND", "/healthz").status_code == 200
    assert client.post("/metrics").status_code == 405

    after = scrape(client)
    expected = [
        ("GET", LECTURE, 200, 2),
        ("GET", LECTURE, 404, 1),
        ("GET", LECTURE, 401, 1),
        ("PUT", "api/v1/tenant/", 405, 1),
        ("OPTIONS", LECTURE, 200, 1),
        ("GET", "<unmatched>", 404, 1),
        ("other", "healthz", 200, 1),  # odd methods share one label value
        ("POST", "metrics", 405, 1),
        ("GET", "metrics", 200, 1),  # the first scrape
    ]
    for method, route, status, count in expected:
        assert requests(after, method, route, status) - requests(before, method, route, status) == count, (
            method, route, status)
    assert latency_count(after, "GET", LECTURE) - latency_count(before, "GET", LECTURE) == 4
    # Routes are URL patterns: no id ever becomes a label value.
    routes = {dict(key[1:]).get("route") for key in after if key[0] == "academy_api_requests_total"}
    assert str(lecture.id) not in "".join(routes)


def test_metrics_and_odd_methods_never_answer_with_a_5xx(client, metrics_on):
    for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND"):
        for path in ("/metrics", "/nowhere", "/healthz"):
            assert client.generic(method, path).status_code < 500, (method, path)


def test_multiprocess_mode_adds_up_what_each_process_wrote(client, metrics_on, monkeypatch, tmp_path):
    from prometheus_client import CollectorRegistry, Counter, values

    # A counter as another gunicorn process would have written it into the shared directory.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    monkeypatch.setattr(values, "ValueClass", values.MultiProcessValue(process_identifier=lambda: 4242))
    other = Counter("academy_api_requests", "", ["method", "route", "status"], registry=CollectorRegistry())
    other.labels(method="GET", route="healthz", status="200").inc(5)
    samples = scrape(client)
    assert requests(samples, "GET", "healthz", 200) == 5
