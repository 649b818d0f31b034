"""Lectures and their videos. Write through services.py, read through selectors.py."""

from django.core.validators import MaxValueValidator
from django.db import models

from apps.core.models import BaseModel, Tenant
from apps.domains.lectures import status, upload_status


class Lecture(BaseModel):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="lectures")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="lecture_tenant_created")]

    def __str__(self) -> str:
        return self.title


class LectureVideo(BaseModel):
    """One uploaded video of a lecture and what the video worker made of it."""

    class Status(models.TextChoices):
        UPLOADED = status.UPLOADED, "uploaded"
        QUEUED = status.QUEUED, "queued"
        PROCESSING = status.PROCESSING, "processing"
        READY = status.READY, "ready"
        FAILED = status.FAILED, "failed"

    # Denormalised from the lecture, so every tenant check is one column away.
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="lecture_videos")
    lecture = models.ForeignKey(Lecture, on_delete=models.CASCADE, related_name="videos")
    # Changed only by services._transition() (see status.py).
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.UPLOADED)
    progress_percent = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(100)])
    failure_reason = models.TextField(blank=True)

    # The upload: its storage key, the client's file name (for display only), its size and
    # the container its first bytes show (never the name's extension).
    source_key = models.CharField(max_length=1024)
    original_filename = models.CharField(max_length=255, blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)
    container = models.CharField(max_length=32, blank=True)
    # The transcode job's id: the queue message's idempotency key.
    job_id = models.UUIDField(null=True, blank=True, unique=True)

    # Filled in by the worker: what ffprobe saw, then what was published.
    duration_seconds = models.FloatField(null=True, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    # [{"name": "720p", "width": 1280, "height": 720, "bandwidth": ..., "average_bandwidth": ...,
    #   "codecs": "...", "playlist_key": ".../720p/index.m3u8"}, ...], highest first.
    renditions = models.JSONField(default=list, blank=True)
    thumbnail_key = models.CharField(max_length=1024, blank=True)
    hls_master_key = models.CharField(max_length=1024, blank=True)
    # HLS AES-128: the segments' key sealed with a key-encryption key (content_keys.py; never
    # the key itself) and the IV the playlists name, 32 hex digits. Empty for videos made
    # ready before encryption: those play unencrypted.
    content_key_sealed = models.BinaryField(null=True, blank=True, editable=False)
    content_key_iv = models.CharField(max_length=32, blank=True)
    processing_started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "lecture", "-created_at"], name="lecturevideo_tenant_lecture")]

    def __str__(self) -> str:
        return f"{self.original_filename or self.id} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in status.FINAL

    @property
    def is_protected(self) -> bool:
        """Its segments are encrypted: a player needs the key from a playback session."""
        return bool(self.content_key_sealed)


class VideoUpload(BaseModel):
    """A direct upload in parts (S3 multipart, or parts on the API's disk) that becomes a
    LectureVideo when it is completed. The bytes never pass through this row: it records
    what the client declared, where the parts go and what came of them."""

    class Status(models.TextChoices):
        UPLOADING = upload_status.UPLOADING, "uploading"
        COMPLETING = upload_status.COMPLETING, "completing"
        COMPLETED = upload_status.COMPLETED, "completed"
        ABORTED = upload_status.ABORTED, "aborted"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="video_uploads")
    lecture = models.ForeignKey(Lecture, on_delete=models.CASCADE, related_name="uploads")
    # Changed only through upload_status.MACHINE (services.py).
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.UPLOADING)
    # What the client declared; the stored object is checked against size on completion.
    filename = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=255, blank=True)
    size_bytes = models.PositiveBigIntegerField()
    part_size = models.PositiveBigIntegerField()
    part_count = models.PositiveIntegerField()
    # Where the parts go: "s3" (storage_upload_id is S3's UploadId) or "filesystem".
    storage = models.CharField(max_length=16)
    storage_key = models.CharField(max_length=1024)
    storage_upload_id = models.CharField(max_length=1024, blank=True)
    # The video this upload became; decided at creation, so the storage key can name it.
    video_id = models.UUIDField()
    failure_reason = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["tenant", "status"], name="videoupload_tenant_status"),
            models.Index(fields=["status", "created_at"], name="videoupload_status_created"),
        ]

    def __str__(self) -> str:
        return f"{self.filename or self.id} ({self.status})"


class VideoUploadPart(models.Model):
    """The Content-MD5 (base64) a client declared for one part of an upload: its part URL is
    signed for it and completion compares it with what the storage holds. A row per part,
    written with an upsert, so concurrent requests for URLs of other parts lose nothing."""

    upload = models.ForeignKey(VideoUpload, on_delete=models.CASCADE, related_name="declared_parts")
    number = models.PositiveIntegerField()
    content_md5 = models.CharField(max_length=32)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["upload", "number"], name="videouploadpart_upload_number")]
