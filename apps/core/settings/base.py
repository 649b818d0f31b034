"""Django settings shared by the API and every worker. No API apps here.

Everything a deployment changes comes from the environment:
  DJANGO_SECRET_KEY  signing key; the API server refuses to start without it unless
                     DJANGO_DEBUG=1 (workers sign nothing, so they do not need one)
  DJANGO_DEBUG       "1" for development
  DATABASE_URL       postgres://... or sqlite:///...; default: an SQLite file in ACADEMY_DATA_DIR
  ACADEMY_DATA_DIR   where embedded defaults keep files (default: ./var)
  TIME_ZONE          default Asia/Seoul
"""

import os
from pathlib import Path

from apps.core.settings.database import database_from_url

DATA_DIR = Path(os.environ.get("ACADEMY_DATA_DIR", "var")).resolve()

DEBUG = os.environ.get("DJANGO_DEBUG", "0") == "1"
# The "django-insecure-" prefix makes `manage check --deploy` flag the fallback.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or "django-insecure-development-key"

ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "apps.core",
]

if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": database_from_url(os.environ["DATABASE_URL"])}
else:
    # The embedded default: one SQLite file that the API and local workers share.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {"default": database_from_url(f"sqlite:///{DATA_DIR / 'academy.sqlite3'}")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Seoul")
LANGUAGE_CODE = "ko-kr"
USE_I18N = True
