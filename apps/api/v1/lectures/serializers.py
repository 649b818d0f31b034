"""Lecture and video representations: shapes only, no logic."""

from rest_framework import serializers


class LectureInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(allow_blank=True, required=False, default="")


class LectureUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(allow_blank=True, required=False)


class LectureOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    title = serializers.CharField()
    description = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class VideoUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="the video file (multipart/form-data)")


class RenditionSerializer(serializers.Serializer):
    name = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    bandwidth = serializers.IntegerField()
    average_bandwidth = serializers.IntegerField()
    codecs = serializers.CharField()


class VideoOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    lecture_id = serializers.UUIDField()
    status = serializers.CharField(help_text="uploaded, queued, processing, ready or failed")
    progress_percent = serializers.IntegerField()
    failure_reason = serializers.CharField()
    original_filename = serializers.CharField()
    size_bytes = serializers.IntegerField()
    container = serializers.CharField(help_text="what the file's bytes show it is")
    duration_seconds = serializers.FloatField(allow_null=True)
    width = serializers.IntegerField(allow_null=True)
    height = serializers.IntegerField(allow_null=True)
    renditions = RenditionSerializer(many=True)
    playback_url = serializers.CharField(allow_null=True, help_text="the HLS master playlist, once ready")
    thumbnail_url = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
