"""Settings for core's own tests: the shared base on an in-memory SQLite database."""

from apps.core.settings.base import *  # noqa: F403

SECRET_KEY = "core-tests"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
