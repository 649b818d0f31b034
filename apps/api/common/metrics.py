"""Prometheus metrics of the API: requests by route and status, and their latency.

    academy_api_requests_total{method,route,status}
    academy_api_request_duration_seconds{method,route}     histogram

`route` is the URL pattern that answered (request.resolver_match.route, such as
"api/v1/lectures/(?P<pk>[0-9a-f-]{36})/$"), never the path, so ids do not make new series;
requests no pattern matched (404s, CORS preflights, static files) count as "<unmatched>".
Methods other than the standard ones count as "other".

With API_METRICS_ENABLED=1, GET /metrics answers in Prometheus's text format; otherwise
/metrics is a 404 and the middleware counts nothing. /metrics needs no API key: it is
meant for a scraper inside the cluster, so keep it off the public side of the load
balancer (or enable it only where the API is reachable on an internal network).

Several gunicorn worker processes each count their own requests. For one answer across
them, set PROMETHEUS_MULTIPROC_DIR to an empty directory writable by the server
(prometheus_client's multiprocess mode): each process then writes its values there, and
/metrics adds them up. apps/api/server.py empties the directory before gunicorn starts,
as prometheus_client asks. The process_* series (CPU, memory) are left out in that mode,
as prometheus_client cannot add them up across processes.
"""

import os
import time

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

UNMATCHED = "<unmatched>"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"})
MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"

# The API's own registry (not prometheus_client's global one): what /metrics serves outside
# multiprocess mode, with the process's CPU and memory (process_*) beside the requests.
REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)
REQUESTS = Counter("academy_api_requests", "HTTP requests answered, by method, URL pattern and status.",
                   ["method", "route", "status"], registry=REGISTRY)
LATENCY = Histogram("academy_api_request_duration_seconds", "Seconds to answer an HTTP request, by method "
                    "and URL pattern.", ["method", "route"], registry=REGISTRY,
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))


def route_of(request) -> str:
    match = getattr(request, "resolver_match", None)
    return (match.route or "/") if match is not None else UNMATCHED


class RequestMetricsMiddleware:
    """Counts and times every response, whichever middleware or view made it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not settings.API_METRICS_ENABLED:
            return self.get_response(request)
        started = time.perf_counter()
        response = self.get_response(request)
        method = request.method if request.method in METHODS else "other"
        route = route_of(request)
        REQUESTS.labels(method=method, route=route, status=str(response.status_code)).inc()
        LATENCY.labels(method=method, route=route).observe(time.perf_counter() - started)
        return response


def metrics(request):
    if not settings.API_METRICS_ENABLED:
        raise Http404("metrics are off (API_METRICS_ENABLED)")
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    if os.environ.get(MULTIPROC_DIR):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
