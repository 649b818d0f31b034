"""API settings: the core base plus DRF, drf-yasg and the API's own apps."""

import os

from corsheaders.defaults import default_headers as default_cors_headers

from apps.core.settings.base import *  # noqa: F403
from apps.core.settings.base import INSTALLED_APPS

INSTALLED_APPS = [
    *INSTALLED_APPS,
    "apps.domains.lectures",
    "apps.domains.playback",
    "apps.domains.ai",
    "apps.support.messaging",
    "apps.support.video",  # manage uploads_cleanup
    "apps.support.ai",  # manage reembed_questions
    "corsheaders",
    "django.contrib.staticfiles",  # drf-yasg's Swagger UI and ReDoc assets
    "rest_framework",
    "drf_yasg",
]

MIDDLEWARE = [
    # Outermost, so that it counts and times every response, preflights and static files
    # included; it makes no response of its own (apps/api/common/metrics.py).
    "apps.api.common.metrics.RequestMetricsMiddleware",
    # Next, as django-cors-headers asks (before any middleware that makes a response):
    # preflight requests are answered before anything else can answer them, and every
    # response gets its CORS headers.
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Right after SecurityMiddleware, as whitenoise asks: static files skip the rest.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.common.CommonMiddleware",
]

# CORS, for web pages that call the API (and upload parts to it) from their own origin:
# CORS_ALLOWED_ORIGINS is a comma-separated list such as "https://academy.example"; empty
# (the default) allows no other origin. The API authenticates with a header, never a
# cookie, so credentials stay off. ETag is exposed so a page can read each part's.
CORS_ALLOWED_ORIGINS = [o.strip() for o in os.environ.get("CORS_ALLOWED_ORIGINS", "").split(",") if o.strip()]
CORS_ALLOW_HEADERS = (*default_cors_headers, "content-md5", "idempotency-key")
CORS_EXPOSE_HEADERS = ["ETag"]
CORS_PREFLIGHT_MAX_AGE = 86400

# Prometheus metrics: requests by method, URL pattern and status, and their latency, served
# at GET /metrics (no API key: keep it on an internal network) when "1"; "0" (the default)
# makes /metrics a 404. Under gunicorn with several workers, also set
# PROMETHEUS_MULTIPROC_DIR to an empty directory (see apps/api/common/metrics.py).
API_METRICS_ENABLED = os.environ.get("API_METRICS_ENABLED", "0") == "1"

ROOT_URLCONF = "apps.api.config.urls"
WSGI_APPLICATION = "apps.api.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    },
]

STATIC_URL = "static/"
# gunicorn serves no static files, so whitenoise serves the Swagger UI's and DRF's assets,
# straight from the installed packages (Django's finders) rather than a collectstatic copy
# in STATIC_ROOT: the source tree, Bazel's runfiles and the image all hold those package
# files, and none of them has a build or start step that runs collectstatic. With DEBUG off,
# whitenoise indexes the files once at startup, so serving costs what it would from STATIC_ROOT.
WHITENOISE_USE_FINDERS = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["apps.api.common.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["apps.api.common.authentication.IsTenant"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    # The domain's refusals (queue down, credits short, ...) become HTTP answers in one place.
    "EXCEPTION_HANDLER": "apps.api.common.errors.exception_handler",
}

SWAGGER_SETTINGS = {
    "USE_SESSION_AUTH": False,
    # Swagger UI would otherwise send the schema's URL to an online validator.
    "VALIDATOR_URL": None,
    "SECURITY_DEFINITIONS": {
        "Api-Key": {"type": "apiKey", "in": "header", "name": "Authorization",
                    "description": "`Api-Key <key>`"},
    },
}
