"""Settings for the AI support tests: the shared base plus the ai domain, on an in-memory
SQLite database, with files in a temporary directory (tests override STORAGES)."""

from apps.core.settings.base import *  # noqa: F403
from apps.core.settings.base import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "apps.domains.ai"]
SECRET_KEY = "support-ai-tests"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
