"""Settings for the video support tests: the shared base plus the lectures app, on an
in-memory SQLite database. Tests point STORAGES at their own temporary directory."""

from apps.core.settings.base import *  # noqa: F403
from apps.core.settings.base import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "apps.domains.lectures"]
SECRET_KEY = "support-video-tests"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
VIDEO_HLS_SEGMENT_SECONDS = 2
VIDEO_X264_PRESET = "ultrafast"
