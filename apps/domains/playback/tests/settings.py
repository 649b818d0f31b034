"""Settings for the playback domain tests: the shared base plus lectures and playback, on an
in-memory SQLite database."""

from apps.core.settings.base import *  # noqa: F403
from apps.core.settings.base import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "apps.domains.lectures", "apps.domains.playback"]
SECRET_KEY = "playback-tests"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
