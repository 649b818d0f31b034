"""Playback sessions, heartbeats, progress and the playback policy on the wire."""

from django.conf import settings
from rest_framework import serializers

from apps.domains.playback.models import PlaybackPolicy
from apps.domains.playback.services import MAX_RANGES_PER_HEARTBEAT, VIEWER_ID_PATTERN, VIEWER_ID_RULE

# A heartbeat is a few hundred bytes; anything far larger is refused before it is parsed.
MAX_HEARTBEAT_BYTES = 16 * 1024


class SessionInputSerializer(serializers.Serializer):
    viewer = serializers.RegexField(VIEWER_ID_PATTERN, max_length=128,
                                    help_text=f"the academy's own id: {VIEWER_ID_RULE}",
                                    error_messages={"invalid": f"viewer must be {VIEWER_ID_RULE}"})
    viewer_label = serializers.CharField(max_length=100, required=False, allow_blank=True, default="",
                                         help_text="shown in the player's watermark, e.g. the student's name")
    ttl_seconds = serializers.IntegerField(required=False, min_value=60,
                                           help_text="the session's life (default PLAYBACK_SESSION_TTL_SECONDS)")

    def validate_ttl_seconds(self, value):
        limit = settings.PLAYBACK_SESSION_MAX_TTL_SECONDS
        if value > limit:
            raise serializers.ValidationError(f"at most {limit} seconds (PLAYBACK_SESSION_MAX_TTL_SECONDS)")
        return value

    def validate_viewer_label(self, value):
        if any(ord(c) < 32 for c in value):
            raise serializers.ValidationError("control characters are not allowed")
        return value.strip()


class SessionOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    video_id = serializers.UUIDField()
    lecture_id = serializers.UUIDField()
    viewer = serializers.CharField()
    viewer_label = serializers.CharField()
    status = serializers.CharField(help_text="active, revoked or evicted")
    state = serializers.CharField(help_text="live, expired, lapsed (no heartbeat lately), revoked or evicted")
    protected = serializers.BooleanField(help_text="false for a video made before encryption: played unencrypted")
    token = serializers.CharField(required=False, help_text="only in the answer that creates the session")
    player_url = serializers.URLField(required=False)
    master_playlist_url = serializers.URLField(required=False)
    expires_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
    last_heartbeat_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)


class HeartbeatSerializer(serializers.Serializer):
    sequence = serializers.IntegerField(min_value=1, max_value=2**31 - 1,
                                        help_text="1, 2, 3, ... : a heartbeat whose number was accepted is refused")
    ranges = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(), min_length=2, max_length=2),
        max_length=MAX_RANGES_PER_HEARTBEAT, allow_empty=True,
        help_text="[[start, end], ...]: media seconds played since the previous heartbeat")
    position = serializers.FloatField(help_text="the player's current time, where it resumes")
    rate = serializers.FloatField(required=False, default=1.0)
    playing = serializers.BooleanField(required=False, default=True)


class HeartbeatAnswerSerializer(serializers.Serializer):
    covered_seconds = serializers.FloatField()
    duration_seconds = serializers.FloatField()
    percent = serializers.FloatField()
    completed = serializers.BooleanField()
    position_seconds = serializers.FloatField()


class ProgressSerializer(serializers.Serializer):
    viewer = serializers.CharField()
    viewer_label = serializers.CharField()
    lecture_id = serializers.UUIDField()
    video_id = serializers.UUIDField()
    duration_seconds = serializers.FloatField()
    covered_seconds = serializers.FloatField()
    percent = serializers.FloatField()
    completed = serializers.BooleanField()
    completed_at = serializers.DateTimeField(allow_null=True)
    position_seconds = serializers.FloatField()
    last_watched_at = serializers.DateTimeField()


class PolicySerializer(serializers.Serializer):
    max_sessions_per_viewer = serializers.IntegerField(min_value=1, max_value=100, allow_null=True, required=False)
    on_limit = serializers.ChoiceField(choices=PlaybackPolicy.OnLimit.choices, allow_null=True, required=False)
    completion_percent = serializers.IntegerField(min_value=1, max_value=100, allow_null=True, required=False)
    overridden = serializers.ListField(child=serializers.CharField(), read_only=True,
                                       help_text="the fields this academy set; the rest are the platform's defaults")
