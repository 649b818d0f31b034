"""Pydantic v2 models for every queue message.

A message carries ids and storage keys, never file bodies. `job_id` is the idempotency
key: the worker looks the job up in the database and skips work that is already done.
A message that does not validate, or names a version this code does not know, is a
poison message (PoisonMessage): the runtime dead-letters it at once.
"""

import enum
import json
import uuid
from datetime import datetime, timezone
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

# SQS allows 256 KiB; a message near that size means someone put a body where a key belongs.
MAX_MESSAGE_BYTES = 64 * 1024
SCHEMA_VERSION = 1


class PoisonMessage(ValueError):
    """A message that can never be processed: retrying it cannot help."""


class MessageKind(str, enum.Enum):
    VIDEO_TRANSCODE = "video.transcode"
    AI_JOB = "ai.job"
    SEND_MESSAGES = "messaging.send"


class AIJobType(str, enum.Enum):
    OCR = "ocr"
    OMR_GRADE = "omr_grade"
    EMBED = "embed"


def _now() -> datetime:
    return datetime.now(timezone.utc)


class JobMessage(BaseModel):
    """Fields every job message has."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = SCHEMA_VERSION
    job_id: uuid.UUID
    tenant_id: uuid.UUID
    created_at: datetime = Field(default_factory=_now)
    trace_id: str = Field(default_factory=lambda: uuid.uuid4().hex, min_length=1, max_length=64)


class VideoTranscodeMessage(JobMessage):
    kind: Literal[MessageKind.VIDEO_TRANSCODE] = MessageKind.VIDEO_TRANSCODE
    video_id: uuid.UUID
    source_key: str = Field(min_length=1, max_length=1024)


class AIJobMessage(JobMessage):
    kind: Literal[MessageKind.AI_JOB] = MessageKind.AI_JOB
    job_type: AIJobType
    input_key: str | None = Field(default=None, max_length=1024)
    question_ids: list[uuid.UUID] = Field(default_factory=list, max_length=1000)


class SendMessagesMessage(JobMessage):
    kind: Literal[MessageKind.SEND_MESSAGES] = MessageKind.SEND_MESSAGES
    batch_id: uuid.UUID


AnyJobMessage = Annotated[
    Union[VideoTranscodeMessage, AIJobMessage, SendMessagesMessage],
    Field(discriminator="kind"),
]
_any_message = TypeAdapter(AnyJobMessage)

ALL_MESSAGE_TYPES = (VideoTranscodeMessage, AIJobMessage, SendMessagesMessage)


def encode(message: JobMessage) -> str:
    """The SQS body of a message; refuses one over MAX_MESSAGE_BYTES."""
    body = message.model_dump_json()
    size = len(body.encode())
    if size > MAX_MESSAGE_BYTES:
        raise ValueError(
            f"{type(message).__name__} is {size} bytes, over the {MAX_MESSAGE_BYTES}-byte limit: "
            "put large data in storage and send its key"
        )
    return body


def decode(body: str | bytes, expected: type[JobMessage] | None = None) -> JobMessage:
    """Parses an SQS body; raises PoisonMessage with a reason a log reader can act on."""
    if len(body if isinstance(body, bytes) else body.encode()) > MAX_MESSAGE_BYTES:
        raise PoisonMessage(f"message is over {MAX_MESSAGE_BYTES} bytes")
    try:
        raw = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PoisonMessage(f"body is not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise PoisonMessage("body is not a JSON object")
    version = raw.get("schema_version")
    if version != SCHEMA_VERSION:
        raise PoisonMessage(f"unknown schema_version {version!r}; this worker reads {SCHEMA_VERSION}")
    try:
        message = _any_message.validate_python(raw)
    except ValidationError as exc:
        raise PoisonMessage(f"message does not match its contract: {_short(exc)}") from None
    if expected is not None and not isinstance(message, expected):
        raise PoisonMessage(f"{message.kind.value} message on a queue for {expected.__name__}")
    return message


def _short(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}" for err in exc.errors()[:5]
    )
