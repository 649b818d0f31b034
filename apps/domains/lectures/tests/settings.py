"""Settings for the lectures domain tests: the shared base plus the lectures app, on an
in-memory SQLite database."""

from apps.core.settings.base import *  # noqa: F403
from apps.core.settings.base import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "apps.domains.lectures"]
SECRET_KEY = "lectures-tests"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
