"""Reads of lectures and their videos, always within one tenant (or one job's tenant)."""

import uuid
from datetime import datetime

from django.core.files.storage import storages
from django.db.models import QuerySet

from apps.core.models import Tenant
from apps.domains.lectures import status, upload_status
from apps.domains.lectures.models import Lecture, LectureVideo, VideoUpload


def lecture_list(*, tenant: Tenant) -> QuerySet[Lecture]:
    return Lecture.objects.filter(tenant=tenant)


def lecture_get(*, tenant: Tenant, lecture_id: uuid.UUID) -> Lecture | None:
    return Lecture.objects.filter(tenant=tenant, pk=lecture_id).first()


def video_list(*, lecture: Lecture) -> QuerySet[LectureVideo]:
    return LectureVideo.objects.filter(tenant_id=lecture.tenant_id, lecture=lecture)


def video_get(*, lecture: Lecture, video_id: uuid.UUID) -> LectureVideo | None:
    return video_list(lecture=lecture).filter(pk=video_id).first()


def video_of_tenant(*, tenant: Tenant, video_id: uuid.UUID) -> LectureVideo | None:
    return LectureVideo.objects.filter(tenant=tenant, pk=video_id).first()


def video_of_lecture(*, tenant: Tenant, lecture_id: uuid.UUID, video_id: uuid.UUID) -> LectureVideo | None:
    """A video of the tenant's lecture in one query (the lecture itself is not loaded)."""
    return LectureVideo.objects.filter(tenant=tenant, lecture_id=lecture_id, pk=video_id).first()


def video_for_job(*, video_id: uuid.UUID, tenant_id: uuid.UUID) -> LectureVideo | None:
    """The video a transcode message names, provided it belongs to the message's tenant."""
    return LectureVideo.objects.filter(pk=video_id, tenant_id=tenant_id).first()


def playback_url(*, video: LectureVideo) -> str | None:
    """The stored HLS master playlist's URL once the video is ready, else None; None too for
    an encrypted video, whose stored playlists play nothing: it plays through a playback
    session (apps.domains.playback). Videos made before encryption keep their URL."""
    if video.status != status.READY or not video.hls_master_key or video.is_protected:
        return None
    return storages["default"].url(video.hls_master_key)


def thumbnail_url(*, video: LectureVideo) -> str | None:
    if video.status != status.READY or not video.thumbnail_key:
        return None
    return storages["default"].url(video.thumbnail_key)


def upload_get(*, lecture: Lecture, upload_id: uuid.UUID) -> VideoUpload | None:
    return VideoUpload.objects.filter(tenant_id=lecture.tenant_id, lecture=lecture, pk=upload_id).first()


def uploads_in_progress(*, tenant_id: uuid.UUID) -> int:
    return VideoUpload.objects.filter(tenant_id=tenant_id, status__in=upload_status.IN_PROGRESS).count()


def stale_uploads(*, started_before: datetime) -> QuerySet[VideoUpload]:
    """Uploads still open that were started before `started_before`, oldest first."""
    return VideoUpload.objects.filter(status__in=upload_status.IN_PROGRESS,
                                      created_at__lt=started_before).order_by("created_at")


def open_storage_upload_ids() -> set[str]:
    """The S3 UploadIds of every upload still open: anything else under our prefix is an orphan."""
    return set(VideoUpload.objects.filter(status__in=upload_status.IN_PROGRESS)
               .exclude(storage_upload_id="").values_list("storage_upload_id", flat=True))


def open_upload_ids() -> set[str]:
    """The ids of every upload still open (the names of their part directories on disk)."""
    return {str(pk) for pk in VideoUpload.objects.filter(status__in=upload_status.IN_PROGRESS)
            .values_list("id", flat=True)}


def upload_for_part(*, upload_id: uuid.UUID, tenant_id: uuid.UUID) -> VideoUpload | None:
    """The upload a part token names, provided it belongs to the token's tenant."""
    return VideoUpload.objects.filter(pk=upload_id, tenant_id=tenant_id).first()


def declared_md5s(*, upload: VideoUpload) -> dict[int, str]:
    """The Content-MD5 declared for each part of the upload, by part number."""
    return dict(upload.declared_parts.values_list("number", "content_md5"))
