"""Accepting an uploaded lecture video: check it, store it, ask the video worker for HLS.

    video = accept_upload(lecture=lecture, upload=request.FILES["file"])

Refused uploads raise UploadRejected (UploadTooLarge, NotAVideo) before anything is
stored. The file goes to STORAGES["default"] under keys.source_key(); the row is created
"uploaded"; the transcode message is sent; the row becomes "queued". When SQS cannot be
reached the row stays "uploaded" and QueueUnavailable says so: request_transcode() sends
it again.
"""

import uuid

from django.conf import settings
from django.core.files.storage import storages
from django.core.files.uploadedfile import UploadedFile

from apps.core.queues import TRANSIENT_ERRORS, QueueUnavailable
from apps.domains.lectures import keys, services, status
from apps.domains.lectures.models import Lecture, LectureVideo
from apps.shared.contracts import VideoTranscodeMessage
from apps.support.video.services.queue import VideoSQSQueue
from apps.support.video.services.sniffing import SNIFF_BYTES, sniff


class UploadRejected(Exception):
    pass


class UploadTooLarge(UploadRejected):
    def __init__(self, size: int, limit: int):
        super().__init__(f"the upload is {size} bytes; the limit is {limit} bytes")
        self.limit = limit


class NotAVideo(UploadRejected):
    pass



def check_upload_size(size: int) -> None:
    if size > settings.VIDEO_UPLOAD_MAX_BYTES:
        raise UploadTooLarge(size, settings.VIDEO_UPLOAD_MAX_BYTES)


def check_container(head: bytes):
    """The container the file's first bytes show; NotAVideo when they show none we read."""
    container = sniff(head)
    if container is None:
        raise NotAVideo("the file is not a video container this service reads (MP4, MOV, MKV, WebM, AVI, "
                        "MPEG-TS/PS, FLV, WMV)")
    return container


def accept_upload(*, lecture: Lecture, upload: UploadedFile) -> LectureVideo:
    check_upload_size(upload.size)
    upload.seek(0)
    container = check_container(upload.read(SNIFF_BYTES))
    upload.seek(0)
    video_id = uuid.uuid4()
    key = keys.source_key(tenant_id=lecture.tenant_id, lecture_id=lecture.id, video_id=video_id,
                          extension=container.extension)
    stored_key = storages["default"].save(key, upload)
    video = services.create_video(lecture=lecture, video_id=video_id, source_key=stored_key,
                                  original_filename=upload.name or "", size_bytes=upload.size,
                                  container=container.name)
    return request_transcode(video=video)


def request_transcode(*, video: LectureVideo) -> LectureVideo:
    """Sends the video's transcode message (its job_id makes a second send harmless) and
    marks it queued."""
    if video.status != status.UPLOADED:
        return video
    message = VideoTranscodeMessage(job_id=video.job_id, tenant_id=video.tenant_id, video_id=video.id,
                                    source_key=video.source_key)
    try:
        VideoSQSQueue().send(message)
    except TRANSIENT_ERRORS as exc:
        raise QueueUnavailable(video, f"the transcode request for video {video.id} could not be queued: {exc}") \
            from exc
    return services.mark_queued(video=video)
