"""A transcode job that gave up, as the worker records it and `manage dlq` reopens it."""

from apps.core.queues.dead_letters import JobKind, JobRecord, JobState
from apps.domains.lectures import selectors, services, status
from apps.shared.contracts import MessageKind, VideoTranscodeMessage


def give_up(message: VideoTranscodeMessage, reason: str) -> None:
    """The job's last delivery failed: the video says so instead of staying "processing"."""
    video = selectors.video_for_job(video_id=message.video_id, tenant_id=message.tenant_id)
    if video is not None and video.status in (status.QUEUED, status.PROCESSING):
        services.mark_failed(video=video, reason=reason)


def describe(message: VideoTranscodeMessage) -> JobRecord:
    video = selectors.video_for_job(video_id=message.video_id, tenant_id=message.tenant_id)
    if video is None:
        return JobRecord(JobState.UNKNOWN, f"video {message.video_id} no longer exists")
    summary = f"video {video.id} {video.original_filename!r}: {video.status}"
    if video.status == status.FAILED:
        return JobRecord(JobState.FAILED, f"{summary}: {video.failure_reason}")
    return JobRecord(JobState.FINISHED if video.status == status.READY else JobState.OPEN, summary)


def reopen(message: VideoTranscodeMessage) -> None:
    video = selectors.video_for_job(video_id=message.video_id, tenant_id=message.tenant_id)
    services.reopen(video=video)


KIND = JobKind(kind=MessageKind.VIDEO_TRANSCODE.value, describe=describe, reopen=reopen)
