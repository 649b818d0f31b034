"""Settings for the runtime tests' own process: the worker settings, no database.

The workers under test are subprocesses with the real apps.worker.settings, configured
through the environment (DATABASE_URL, AWS_ENDPOINT_URL, SQS_*, WORKER_*).
"""

from apps.worker.settings import *  # noqa: F403

SECRET_KEY = "runtime-tests"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
