"""A transcode job that gave up, as the worker records it and `manage dlq` reopens it."""

from apps.core.queues.dead_letters import RecordKind
from apps.domains.lectures import selectors, services, status
from apps.shared.contracts import MessageKind

KIND = RecordKind(
    kind=MessageKind.VIDEO_TRANSCODE.value,
    find=lambda message: selectors.video_for_job(video_id=message.video_id, tenant_id=message.tenant_id),
    label=lambda video: f"video {video.id} {video.original_filename!r}",
    open=(status.QUEUED, status.PROCESSING), finished=(status.READY,), failed=status.FAILED,
    reason=lambda video: video.failure_reason,
    mark_failed=lambda video, reason: services.mark_failed(video=video, reason=reason),
    reopen_record=lambda video: services.reopen(video=video),
)
give_up = KIND.give_up
