"""Settings for the ai domain tests: the shared base plus the ai app, on an in-memory
SQLite database."""

from apps.core.settings.base import *  # noqa: F403
from apps.core.settings.base import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "apps.domains.ai"]
SECRET_KEY = "ai-domain-tests"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
