"""Playback sessions, the viewers they belong to, each tenant's playback policy and what
each viewer watched. Write through services.py, read through selectors.py.

The platform has no student accounts: a viewer is an opaque id (and a display label) that
the academy's own backend chooses when it asks for a session.
"""

from django.db import models

from apps.core.models import BaseModel, Tenant, TimestampModel
from apps.domains.lectures.models import LectureVideo
from apps.domains.playback import status


class Viewer(BaseModel):
    """One of an academy's viewers. Its row is what session creation locks, so two sessions
    started at once for one viewer are counted against the limit one after the other."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="viewers")
    external_id = models.CharField(max_length=128)
    label = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "external_id"], name="viewer_tenant_external_id")]

    def __str__(self) -> str:
        return self.label or self.external_id


class PlaybackPolicy(TimestampModel):
    """A tenant's own playback rules; a null field takes the settings' default."""

    class OnLimit(models.TextChoices):
        REFUSE = "refuse", "refuse the new session"
        EVICT_OLDEST = "evict_oldest", "evict the oldest live session"

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, primary_key=True,
                                  related_name="playback_policy")
    max_sessions_per_viewer = models.PositiveSmallIntegerField(null=True, blank=True)
    on_limit = models.CharField(max_length=16, choices=OnLimit.choices, blank=True)
    completion_percent = models.PositiveSmallIntegerField(null=True, blank=True)


class PlaybackSession(BaseModel):
    class Status(models.TextChoices):
        ACTIVE = status.ACTIVE, "active"
        REVOKED = status.REVOKED, "revoked"
        EVICTED = status.EVICTED, "evicted"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="playback_sessions")
    video = models.ForeignKey(LectureVideo, on_delete=models.CASCADE, related_name="playback_sessions")
    viewer = models.ForeignKey(Viewer, on_delete=models.CASCADE, related_name="sessions")
    # The label the academy gave for this session (shown in its watermark).
    viewer_label = models.CharField(max_length=100, blank=True)
    # Changed only through status.MACHINE (services.py).
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    expires_at = models.DateTimeField()
    # The last sign of its player: creation, then each accepted heartbeat.
    last_seen_at = models.DateTimeField()
    last_heartbeat_at = models.DateTimeField(null=True, blank=True)
    # The highest heartbeat sequence accepted; a heartbeat must carry a higher one.
    last_sequence = models.PositiveIntegerField(default=0)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["viewer", "status", "created_at"], name="playbacksession_viewer_status"),
            models.Index(fields=["tenant", "video", "-created_at"], name="playbacksession_tenant_video"),
        ]

    def __str__(self) -> str:
        return f"{self.viewer_id} on {self.video_id} ({self.status})"


class WatchProgress(TimestampModel):
    """What one viewer has watched of one video, over all their sessions (진도율)."""

    id = models.BigAutoField(primary_key=True)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="watch_progress")
    video = models.ForeignKey(LectureVideo, on_delete=models.CASCADE, related_name="watch_progress")
    viewer = models.ForeignKey(Viewer, on_delete=models.CASCADE, related_name="progress")
    # The union of every played range, merged: [[start, end], ...] in media seconds.
    ranges = models.JSONField(default=list)
    covered_seconds = models.FloatField(default=0)
    position_seconds = models.FloatField(default=0)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["viewer__external_id"]
        constraints = [models.UniqueConstraint(fields=["video", "viewer"], name="watchprogress_video_viewer")]
        indexes = [models.Index(fields=["tenant", "viewer"], name="watchprogress_tenant_viewer")]
