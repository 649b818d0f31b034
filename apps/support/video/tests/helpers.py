"""Shared by the video support tests: a tenant's lecture, a stored upload, a job for it."""

import threading
import uuid
from pathlib import Path

from django.core.files import File
from django.core.files.storage import storages

from apps.core.queues import JobContext
from apps.core.services.api_keys import create_tenant
from apps.domains.lectures import keys, services
from apps.domains.lectures.models import Lecture, LectureVideo
from apps.shared.contracts import VideoTranscodeMessage


def lecture(slug: str = "daechi") -> Lecture:
    tenant = create_tenant(name=slug.title(), slug=slug)
    return services.create_lecture(tenant=tenant, title="Calculus I")


def stored_video(lecture: Lecture, path: Path, extension: str = "mp4") -> LectureVideo:
    """A video as the API leaves it: the file in storage, the row "queued"."""
    video_id = uuid.uuid4()
    key = keys.source_key(tenant_id=lecture.tenant_id, lecture_id=lecture.id, video_id=video_id,
                          extension=extension)
    with open(path, "rb") as handle:
        stored = storages["default"].save(key, File(handle, name=path.name))
    video = services.create_video(lecture=lecture, video_id=video_id, source_key=stored,
                                  original_filename=path.name, size_bytes=path.stat().st_size, container="mp4")
    return services.mark_queued(video=video)


def message_for(video: LectureVideo) -> VideoTranscodeMessage:
    return VideoTranscodeMessage(job_id=video.job_id, tenant_id=video.tenant_id, video_id=video.id,
                                 source_key=video.source_key)


def context_for(message: VideoTranscodeMessage, cancelled: threading.Event | None = None) -> JobContext:
    return JobContext(job_id=message.job_id, tenant_id=message.tenant_id, trace_id=message.trace_id,
                      kind=message.kind.value, worker_id="test", receive_count=1, attempt=1, taken_over=False,
                      cancelled=cancelled or threading.Event())
