"""API settings: the core base plus DRF, drf-yasg and the API's own apps."""

from apps.core.settings.base import *  # noqa: F403
from apps.core.settings.base import INSTALLED_APPS

INSTALLED_APPS = [
    *INSTALLED_APPS,
    "apps.domains.lectures",
    "apps.domains.ai",
    "apps.support.messaging",
    "django.contrib.staticfiles",  # drf-yasg's Swagger UI and ReDoc assets
    "rest_framework",
    "drf_yasg",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Right after SecurityMiddleware, as whitenoise asks: static files skip the rest.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.common.CommonMiddleware",
]

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
