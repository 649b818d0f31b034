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
    protected = serializers.BooleanField(
        help_text="encrypted (AES-128): played only through a playback session; false for a video made "
                  "before encryption, which keeps its playback_url")
    playback_url = serializers.CharField(
        allow_null=True, help_text="the stored HLS master playlist once ready; null for a protected video")
    thumbnail_url = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class PartChecksumSerializer(serializers.Serializer):
    part_number = serializers.IntegerField(min_value=1, max_value=10_000)
    content_md5 = serializers.CharField(max_length=32, help_text="base64 of the part's MD5 digest (Content-MD5)")


class UploadStartSerializer(serializers.Serializer):
    filename = serializers.CharField(max_length=255, help_text="the file's name, for display only")
    size = serializers.IntegerField(min_value=0, help_text="the file's size in bytes")
    content_type = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    part_size = serializers.IntegerField(required=False, min_value=1,
                                         help_text="bytes per part (5 MiB to 5 GiB); default VIDEO_UPLOAD_PART_BYTES")
    parts = PartChecksumSerializer(many=True, required=False, default=list,
                                   help_text="parts to answer URLs for, with their Content-MD5 for part_size")


class PartURLRequestSerializer(serializers.Serializer):
    parts = PartChecksumSerializer(many=True, allow_empty=False)


class PartEtagSerializer(serializers.Serializer):
    part_number = serializers.IntegerField(min_value=1, max_value=10_000)
    etag = serializers.CharField(max_length=80)


class UploadCompleteSerializer(serializers.Serializer):
    parts = PartEtagSerializer(many=True, allow_empty=False, help_text="every part, 1..N in order, with its ETag")


class PartURLSerializer(serializers.Serializer):
    part_number = serializers.IntegerField()
    method = serializers.CharField()
    url = serializers.CharField()
    headers = serializers.DictField(child=serializers.CharField(), help_text="send exactly these with the PUT")
    expires_at = serializers.DateTimeField()


class StoredPartSerializer(serializers.Serializer):
    part_number = serializers.IntegerField()
    size = serializers.IntegerField()
    etag = serializers.CharField()


class UploadOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    lecture_id = serializers.UUIDField()
    status = serializers.CharField(help_text="uploading, completing, completed or aborted")
    filename = serializers.CharField()
    size = serializers.IntegerField(source="size_bytes")
    content_type = serializers.CharField()
    part_size = serializers.IntegerField()
    part_count = serializers.IntegerField()
    storage = serializers.CharField(help_text="s3 or filesystem")
    video_id = serializers.SerializerMethodField()
    failure_reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_video_id(self, upload) -> str | None:
        return str(upload.video_id) if upload.status == "completed" else None


class UploadCompletedSerializer(serializers.Serializer):
    upload = UploadOutputSerializer()
    video = VideoOutputSerializer()
