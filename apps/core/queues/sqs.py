"""SQSQueue: one SQS queue, its dead-letter queue, and the calls the API and workers make.

Every role subclasses it and binds a settings key and a message type:

    class VideoSQSQueue(SQSQueue):
        key = "video"                          # settings.SQS_QUEUES["video"]
        message_type = VideoTranscodeMessage   # send() refuses anything else

    VideoSQSQueue().send(VideoTranscodeMessage(...))

The boto3 client follows Django settings: AWS_ENDPOINT_URL (unset: AWS itself; any
SQS-compatible server stands in locally), AWS_REGION, and boto3's usual credential chain.
Queue URLs are looked up once per instance. Each queue "<name>" has a dead-letter queue
"<name>-dlq"; ensure() creates both and the redrive policy that joins them, and is safe
to run again (it converges the attributes instead of failing).
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings

from apps.shared.contracts import JobMessage, encode

# SQS limits: 14 days of retention, 10 entries per batch call, 12 hours of visibility.
MAX_RETENTION_SECONDS = 14 * 24 * 3600
MAX_BATCH = 10
MAX_VISIBILITY_SECONDS = 12 * 3600
# Message system attributes the runtime reads.
RECEIVE_ATTRIBUTES = ["ApproximateReceiveCount", "SentTimestamp"]


class QueueError(Exception):
    pass


class QueueMissing(QueueError):
    """The queue (or its DLQ) does not exist: run `manage create_queues`."""


class QueueUnavailable(QueueError):
    """A job's record is written but its message could not be sent (SQS unreachable, the
    queue missing). `record` is the video, AI job or message batch; `cancelled` is True when
    the record was given up instead (nothing charged, nothing left to retry)."""

    def __init__(self, record, message: str, *, cancelled: bool = False):
        super().__init__(message)
        self.record, self.cancelled = record, cancelled


# What a failed SQS call raises that may pass if tried again: network trouble, throttling,
# a 5xx (botocore's errors), or a queue not created yet (QueueError).
TRANSIENT_ERRORS = (BotoCoreError, ClientError, QueueError)


@dataclass(frozen=True)
class QueueSetup:
    name: str
    url: str
    dlq_name: str
    dlq_url: str
    visibility_timeout: int
    # None when the queue has no redrive policy (a misconfiguration --check reports).
    max_receive_count: int | None


def sqs_client(*, max_pool_connections: int = 50):
    """A boto3 SQS client from settings. boto3 clients are thread-safe; sessions are not,
    so each client gets its own session. The read timeout outlasts a 20 s long poll; the
    connection pool covers a worker's job threads, poller, heartbeat and deleter."""
    config = Config(
        retries={"mode": "standard", "max_attempts": 3},
        connect_timeout=5,
        read_timeout=max(30, settings.SQS_WAIT_TIME_SECONDS + 10),
        max_pool_connections=max_pool_connections,
    )
    return boto3.session.Session().client(
        "sqs", endpoint_url=settings.AWS_ENDPOINT_URL, region_name=settings.AWS_REGION, config=config
    )


class SQSQueue:
    # The key into settings.SQS_QUEUES; a subclass sets it, or pass name= instead.
    key: ClassVar[str | None] = None
    # What send() accepts and what the worker's decode() expects.
    message_type: ClassVar[type[JobMessage]] = JobMessage

    def __init__(self, *, name: str | None = None, message_type: type[JobMessage] | None = None, client=None):
        if name is None:
            if self.key is None:
                raise TypeError(f"{type(self).__name__} needs a settings key or name=")
            name = settings.SQS_QUEUES[self.key]
        self.name = name
        self.dlq_name = f"{name}-dlq"
        if message_type is not None:
            self.message_type = message_type
        self._client = client
        self._urls: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"

    @property
    def client(self):
        if self._client is None:
            self._client = sqs_client()
        return self._client

    @property
    def url(self) -> str:
        return self._url_of(self.name)

    @property
    def dlq_url(self) -> str:
        return self._url_of(self.dlq_name)

    # --- setup -------------------------------------------------------------------------

    def exists(self) -> bool:
        """True when the queue and its dead-letter queue both exist."""
        try:
            self._url_of(self.name)
            self._url_of(self.dlq_name)
        except QueueMissing:
            return False
        return True

    def ensure(self, *, max_receive_count: int | None = None, visibility_timeout: int | None = None) -> QueueSetup:
        """Creates the DLQ, then the queue with a redrive policy pointing at it; when they
        exist, sets the same attributes again. Safe to run twice, or twice at once."""
        max_receive_count = max_receive_count or settings.SQS_MAX_RECEIVE_COUNT
        visibility_timeout = settings.SQS_VISIBILITY_TIMEOUT if visibility_timeout is None else visibility_timeout
        if not 1 <= max_receive_count <= 1000:
            raise ValueError("max_receive_count must be between 1 and 1000")
        if not 0 <= visibility_timeout <= MAX_VISIBILITY_SECONDS:
            raise ValueError(f"visibility_timeout must be between 0 and {MAX_VISIBILITY_SECONDS}")
        dlq_url = self._create(self.dlq_name, {"MessageRetentionPeriod": str(MAX_RETENTION_SECONDS)})
        dlq_arn = self.client.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        attributes = {
            "VisibilityTimeout": str(visibility_timeout),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receive_count)}),
        }
        url = self._create(self.name, attributes)
        self.client.set_queue_attributes(QueueUrl=url, Attributes=attributes)
        return self.setup()

    def setup(self) -> QueueSetup:
        """The queue's live settings, read from SQS."""
        attributes = self.client.get_queue_attributes(
            QueueUrl=self.url, AttributeNames=["VisibilityTimeout", "RedrivePolicy"]
        )["Attributes"]
        redrive = json.loads(attributes.get("RedrivePolicy") or "null")
        return QueueSetup(
            name=self.name,
            url=self.url,
            dlq_name=self.dlq_name,
            dlq_url=self.dlq_url,
            visibility_timeout=int(attributes.get("VisibilityTimeout", 30)),
            max_receive_count=int(redrive["maxReceiveCount"]) if redrive else None,
        )

    def problems(self) -> list[str]:
        """What keeps a worker from using this queue safely; empty when nothing does."""
        try:
            setup = self.setup()
        except QueueMissing as exc:
            return [str(exc)]
        if setup.max_receive_count is None:
            return [f"queue {self.name!r} has no redrive policy: failing messages would never reach {self.dlq_name!r}"]
        return []

    # --- producing ---------------------------------------------------------------------

    def send(self, message: JobMessage, *, delay_seconds: int = 0) -> str:
        """Enqueues a message; returns its SQS MessageId. Refuses a message of another type
        and one over MAX_MESSAGE_BYTES (64 KiB: put large data in storage, send its key)."""
        if not isinstance(message, self.message_type):
            raise TypeError(f"{self!r} takes {self.message_type.__name__}, not {type(message).__name__}")
        return self.send_body(encode(message), kind=str(message.kind.value), trace_id=message.trace_id,
                              delay_seconds=delay_seconds)

    def send_body(self, body: str, *, kind: str, trace_id: str, delay_seconds: int = 0) -> str:
        """Enqueues an encoded body (send()'s, or a redriven message's) with its attributes."""
        response = self.client.send_message(
            QueueUrl=self.url,
            MessageBody=body,
            DelaySeconds=delay_seconds,
            MessageAttributes={
                "kind": {"DataType": "String", "StringValue": kind},
                "trace_id": {"DataType": "String", "StringValue": trace_id},
            },
        )
        return response["MessageId"]

    # --- consuming (the worker runtime) ------------------------------------------------

    def receive(self, *, max_messages: int, wait_seconds: int) -> list[dict[str, Any]]:
        response = self.client.receive_message(
            QueueUrl=self.url,
            MaxNumberOfMessages=max(1, min(MAX_BATCH, max_messages)),
            WaitTimeSeconds=wait_seconds,
            MessageSystemAttributeNames=RECEIVE_ATTRIBUTES,
            MessageAttributeNames=["All"],
        )
        return response.get("Messages", [])

    def delete_batch(self, entries: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
        """Deletes (id, receipt handle) pairs, at most 10; returns SQS's Failed entries."""
        batch = [{"Id": entry_id, "ReceiptHandle": handle} for entry_id, handle in entries]
        if not batch:
            return []
        return self.client.delete_message_batch(QueueUrl=self.url, Entries=batch).get("Failed", [])

    def change_visibility(self, receipt_handle: str, seconds: int) -> None:
        self.client.change_message_visibility(
            QueueUrl=self.url, ReceiptHandle=receipt_handle, VisibilityTimeout=int(seconds)
        )

    def change_visibility_batch(self, entries: Iterable[tuple[str, str, int]]) -> list[dict[str, Any]]:
        """(id, receipt handle, seconds) triples, at most 10; returns SQS's Failed entries."""
        batch = [{"Id": i, "ReceiptHandle": h, "VisibilityTimeout": int(s)} for i, h, s in entries]
        if not batch:
            return []
        return self.client.change_message_visibility_batch(QueueUrl=self.url, Entries=batch).get("Failed", [])

    def dead_letter(self, body: str, *, reason: str, message_id: str = "") -> None:
        """Copies a message body to the DLQ with the reason as a message attribute. The
        caller deletes the original afterwards, so a crash in between duplicates, never loses."""
        self.client.send_message(
            QueueUrl=self.dlq_url,
            MessageBody=body or "<empty>",
            MessageAttributes={
                "reason": {"DataType": "String", "StringValue": reason[:1000] or "unknown"},
                "source_queue": {"DataType": "String", "StringValue": self.name},
                "source_message_id": {"DataType": "String", "StringValue": message_id or "unknown"},
            },
        )

    # --- the dead-letter queue (manage dlq) --------------------------------------------

    def receive_dead_letters(self, *, max_messages: int, visibility: int) -> list[dict[str, Any]]:
        """Up to 10 DLQ messages, hidden for `visibility` seconds. A 1 s long poll asks
        every SQS server, where a short poll samples some and can miss messages."""
        response = self.client.receive_message(
            QueueUrl=self.dlq_url,
            MaxNumberOfMessages=max(1, min(MAX_BATCH, max_messages)),
            WaitTimeSeconds=1,
            VisibilityTimeout=visibility,
            MessageSystemAttributeNames=RECEIVE_ATTRIBUTES,
            MessageAttributeNames=["All"],
        )
        return response.get("Messages", [])

    def delete_dead_letter(self, receipt_handle: str) -> None:
        self.client.delete_message(QueueUrl=self.dlq_url, ReceiptHandle=receipt_handle)

    def release_dead_letters(self, receipt_handles: Iterable[str]) -> None:
        """Makes received DLQ messages visible again at once."""
        handles = list(receipt_handles)
        for start in range(0, len(handles), MAX_BATCH):
            entries = [{"Id": str(i), "ReceiptHandle": h, "VisibilityTimeout": 0}
                       for i, h in enumerate(handles[start:start + MAX_BATCH])]
            self.client.change_message_visibility_batch(QueueUrl=self.dlq_url, Entries=entries)

    # --- internals ---------------------------------------------------------------------

    def _url_of(self, name: str) -> str:
        if name not in self._urls:
            try:
                self._urls[name] = self.client.get_queue_url(QueueName=name)["QueueUrl"]
            except self.client.exceptions.QueueDoesNotExist:
                raise QueueMissing(
                    f"queue {name!r} does not exist at {self.client.meta.endpoint_url} "
                    "(create it: tools/bazel run //apps/api:manage -- create_queues)"
                ) from None
        return self._urls[name]

    def _create(self, name: str, attributes: dict[str, str]) -> str:
        try:
            return self._url_of(name)
        except QueueMissing:
            pass
        try:
            url = self.client.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        except self.client.exceptions.QueueNameExists:
            # Created a moment ago by someone else with other attributes; the caller converges them.
            url = self.client.get_queue_url(QueueName=name)["QueueUrl"]
        self._urls[name] = url
        return url

