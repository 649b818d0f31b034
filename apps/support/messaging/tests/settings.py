"""Settings for the messaging support tests: the shared base, the messaging app, an
in-memory SQLite database, and the locmem provider unless a test picks another."""

import os

from apps.core.settings.base import *  # noqa: F403
from apps.core.settings.base import INSTALLED_APPS
from apps.core.settings.cache import caches_from_url

SECRET_KEY = "support-messaging-tests"
INSTALLED_APPS = [*INSTALLED_APPS, "apps.support.messaging"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
# In process unless a test (or its subprocess) sets REDIS_URL.
CACHES = caches_from_url(os.environ.get("REDIS_URL"), key_prefix="messaging-tests")
MESSAGING_BACKEND = "apps.support.messaging.backends.locmem.LocmemBackend"
MESSAGING_RATE_LIMIT_PER_SECOND = 0
MESSAGING_RECONCILE_GRACE_SECONDS = 60
MESSAGING_WEBHOOK_SECRET = "webhook-secret"
