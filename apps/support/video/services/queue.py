"""VideoSQSQueue: transcode requests, from the API to the video worker."""

from apps.core.queues import SQSQueue
from apps.shared.contracts import VideoTranscodeMessage


class VideoSQSQueue(SQSQueue):
    key = "video"
    message_type = VideoTranscodeMessage
