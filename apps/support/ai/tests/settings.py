"""Settings for the AI support tests: the shared base, no database needed."""

from apps.core.settings.base import *  # noqa: F403

SECRET_KEY = "support-ai-tests"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
