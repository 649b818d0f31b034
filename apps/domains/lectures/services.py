"""Writes to lectures and their videos: used by the API and by the video worker alike.

Every status change goes through _transition(), which checks it against status.py and
applies it as a conditional UPDATE (".. WHERE status = <the status we saw>"), so two
processes racing on one video cannot both move it: the loser gets InvalidTransition.
"""

import uuid

from django.utils import timezone

from apps.core.models import Tenant
from apps.domains.lectures import status, upload_status
from apps.domains.lectures.models import Lecture, LectureVideo, VideoUpload, VideoUploadPart
from apps.domains.lectures.status import InvalidTransition

FAILURE_REASON_MAX_CHARS = 2000


# --- lectures ------------------------------------------------------------------------------

def create_lecture(*, tenant: Tenant, title: str, description: str = "") -> Lecture:
    lecture = Lecture(tenant=tenant, title=title, description=description)
    lecture.full_clean()
    lecture.save()
    return lecture


def update_lecture(*, lecture: Lecture, title: str | None = None, description: str | None = None) -> Lecture:
    changed = []
    if title is not None:
        lecture.title = title
        changed.append("title")
    if description is not None:
        lecture.description = description
        changed.append("description")
    if changed:
        lecture.full_clean()
        lecture.save(update_fields=[*changed, "updated_at"])
    return lecture


def delete_lecture(*, lecture: Lecture) -> None:
    """Deletes the lecture and its videos' rows. Their stored files stay (see README)."""
    lecture.delete()


# --- videos --------------------------------------------------------------------------------

def create_video(*, lecture: Lecture, video_id: uuid.UUID, source_key: str, original_filename: str,
                 size_bytes: int, container: str) -> LectureVideo:
    """Records an upload whose file is already in storage at source_key; status "uploaded"."""
    video = LectureVideo(
        id=video_id, tenant_id=lecture.tenant_id, lecture=lecture, source_key=source_key,
        original_filename=original_filename[:255], size_bytes=size_bytes, container=container,
        job_id=uuid.uuid4(),
    )
    video.full_clean()
    video.save(force_insert=True)
    return video


def mark_queued(*, video: LectureVideo) -> LectureVideo:
    """uploaded -> queued, after the transcode message was sent. The worker may have taken
    the message (and moved the video on) before this runs: then there is nothing to do."""
    try:
        return _transition(video, status.QUEUED)
    except InvalidTransition:
        if video.status in (status.PROCESSING, *status.FINAL):
            return video
        raise


def start_processing(*, video: LectureVideo) -> LectureVideo:
    """-> processing, when a worker starts on the video. A video still "uploaded" (the API
    sent the message but had not recorded it yet) passes through "queued" on the way. A
    video already "processing" was started by an earlier delivery of the same job that did
    not finish; it stays as it is and the work is done again."""
    if video.status == status.PROCESSING:
        return video
    if video.status == status.UPLOADED:
        video = mark_queued(video=video)
        if video.status == status.PROCESSING:
            return video
    return _transition(video, status.PROCESSING, processing_started_at=timezone.now(), progress_percent=0,
                       failure_reason="")


def record_media_info(*, video: LectureVideo, duration_seconds: float, width: int, height: int) -> LectureVideo:
    """What ffprobe saw in the source (safe to repeat)."""
    fields = {"duration_seconds": duration_seconds, "width": width, "height": height}
    LectureVideo.objects.filter(pk=video.pk).update(**fields, updated_at=timezone.now())
    for name, value in fields.items():
        setattr(video, name, value)
    return video


def record_progress(*, video: LectureVideo, percent: int) -> bool:
    """Raises a processing video's progress to `percent` (never lowers it); True if it changed."""
    percent = max(0, min(100, int(percent)))
    changed = LectureVideo.objects.filter(
        pk=video.pk, status=status.PROCESSING, progress_percent__lt=percent
    ).update(progress_percent=percent, updated_at=timezone.now())
    if changed:
        video.progress_percent = percent
    return bool(changed)


def mark_ready(*, video: LectureVideo, renditions: list[dict], hls_master_key: str, thumbnail_key: str,
               content_key_sealed: bytes | None = None, content_key_iv: str = "") -> LectureVideo:
    """processing -> ready, once every file is published. Repeating it is a no-op. An
    encrypted ladder's sealed key and IV (content_keys.py) are stored in the same UPDATE, so
    a ready video never lacks the key its segments need."""
    if video.status == status.READY:
        return video
    return _transition(video, status.READY, renditions=renditions, hls_master_key=hls_master_key,
                       thumbnail_key=thumbnail_key, content_key_sealed=content_key_sealed,
                       content_key_iv=content_key_iv, progress_percent=100, finished_at=timezone.now())


def mark_failed(*, video: LectureVideo, reason: str) -> LectureVideo:
    """queued or processing -> failed, with a reason a person can act on. Repeating it is a no-op."""
    if video.status == status.FAILED:
        return video
    return _transition(video, status.FAILED, failure_reason=reason[:FAILURE_REASON_MAX_CHARS] or "failed",
                       finished_at=timezone.now())


def reopen(*, video: LectureVideo) -> LectureVideo:
    """failed -> queued, when an operator redrives the video's dead-lettered job."""
    return _transition(video, status.QUEUED, failure_reason="", progress_percent=0, finished_at=None)


def _transition(video: LectureVideo, new: str, **fields) -> LectureVideo:
    """The only writer of LectureVideo.status."""
    return status.MACHINE.move(video, new, **fields)


# --- direct uploads --------------------------------------------------------------------------

def create_upload(*, lecture: Lecture, video_id: uuid.UUID, filename: str, content_type: str, size_bytes: int,
                  part_size: int, part_count: int, storage: str, storage_key: str,
                  storage_upload_id: str = "") -> VideoUpload:
    """Records an upload the storage has just opened; status "uploading"."""
    upload = VideoUpload(
        tenant_id=lecture.tenant_id, lecture=lecture, video_id=video_id, filename=filename[:255],
        content_type=content_type[:255], size_bytes=size_bytes, part_size=part_size, part_count=part_count,
        storage=storage, storage_key=storage_key, storage_upload_id=storage_upload_id,
    )
    upload.full_clean()
    upload.save(force_insert=True)
    return upload


def declare_part_md5s(*, upload: VideoUpload, md5s: dict[int, str]) -> None:
    """Remembers the Content-MD5 the client declared for some parts (a later declaration of
    the same part replaces the earlier one: the client re-read its file)."""
    VideoUploadPart.objects.bulk_create(
        [VideoUploadPart(upload=upload, number=number, content_md5=md5) for number, md5 in md5s.items()],
        update_conflicts=True, unique_fields=["upload", "number"], update_fields=["content_md5"])


def start_completing(*, upload: VideoUpload) -> VideoUpload:
    """uploading -> completing: only one request completes an upload at a time."""
    return upload_status.MACHINE.move(upload, upload_status.COMPLETING)


def reopen_upload(*, upload: VideoUpload) -> VideoUpload:
    """completing -> uploading, when completion stopped for a reason the client can mend."""
    return upload_status.MACHINE.move(upload, upload_status.UPLOADING)


def mark_upload_completed(*, upload: VideoUpload) -> VideoUpload:
    return upload_status.MACHINE.move(upload, upload_status.COMPLETED, finished_at=timezone.now())


def mark_upload_aborted(*, upload: VideoUpload, reason: str) -> VideoUpload:
    """-> aborted, its parts freed by the caller. Repeating it is a no-op."""
    if upload.status == upload_status.ABORTED:
        return upload
    return upload_status.MACHINE.move(upload, upload_status.ABORTED, failure_reason=reason[:FAILURE_REASON_MAX_CHARS],
                                      finished_at=timezone.now())
