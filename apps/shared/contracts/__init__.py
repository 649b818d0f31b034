"""Queue message contracts: what the API enqueues and the workers accept."""

from apps.shared.contracts.messages import (
    MAX_MESSAGE_BYTES,
    AIJobMessage,
    AIJobType,
    JobMessage,
    MessageKind,
    PoisonMessage,
    SendMessagesMessage,
    VideoTranscodeMessage,
    decode,
    encode,
)

__all__ = [
    "MAX_MESSAGE_BYTES",
    "AIJobMessage",
    "AIJobType",
    "JobMessage",
    "MessageKind",
    "PoisonMessage",
    "SendMessagesMessage",
    "VideoTranscodeMessage",
    "decode",
    "encode",
]
