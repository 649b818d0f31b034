"""Dead-lettered jobs: what each DLQ holds, which job each message names, and redrive.

    manage dlq list [--queue video]      every message in the DLQs, with its job's state
    manage dlq show <job id | message id>
    manage dlq redrive [--queue Q] [--job ID]
    manage dlq purge [--queue Q] [--job ID]

A message reaches a DLQ two ways: the worker sends a poison body there at once (with a
`reason` attribute), or the queue's redrive policy moves it after maxReceiveCount failed
deliveries, by which time the worker has recorded its job failed with "gave up after N
attempts: ...". Redrive re-opens each named job (its record failed -> queued through the
domain's status machine, its claim claimable again), sends the body back to its queue as
a new message, and only then deletes it from the DLQ: a crash in between leaves a
duplicate, which the job's claim turns into one run, never a lost job. Poison bodies and
messages naming no job (or a finished one) are never redriven; `purge` deletes them.

Each job kind says how to read and re-open its record (a JobKind, registered by the
package that owns the record, in its AppConfig.ready()). SQS has no "peek": listing
receives the DLQ's messages with a short visibility timeout and gives them back at once
(visibility 0), so a listing never hides a message for long. Works the same against AWS
and any SQS-compatible server.
"""

import enum
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from django.conf import settings

from apps.core.queues.sqs import SQSQueue
from apps.core.selectors.job_claims import get_job_claim
from apps.core.services import job_claims
from apps.shared.contracts import JobMessage, PoisonMessage, decode

# Seconds a listed message stays hidden before it is given back (or redriven).
LIST_VISIBILITY_SECONDS = 60
# Messages one command looks at per DLQ.
MAX_MESSAGES = 10_000


class JobState(str, enum.Enum):
    UNKNOWN = "unknown"     # no job of that id (or the body is not a job at all)
    FAILED = "failed"       # gave up (or failed): redrive re-opens it
    OPEN = "open"           # queued or processing: redrive sends the message again as it is
    FINISHED = "finished"   # done: there is nothing to send again


@dataclass(frozen=True)
class JobRecord:
    state: JobState
    # One line for a person: "video 5f0c... 'lecture-1.mp4': failed: gave up after 5 attempts: ..."
    summary: str


@dataclass(frozen=True)
class JobKind:
    """How `manage dlq` reads and re-opens the record a kind of job message names."""

    kind: str
    describe: Callable[[JobMessage], JobRecord]
    reopen: Callable[[JobMessage], None]  # failed -> queued; called only for a FAILED record


@dataclass(frozen=True)
class RecordKind:
    """A job whose record has a status (a video, an AI job, a message batch): the worker's
    give-up hook, and what `manage dlq` needs (a JobKind's kind, describe and reopen), from
    how to find the record and move it."""

    kind: str
    find: Callable[[JobMessage], Any]           # the record, or None
    label: Callable[[Any], str]                 # "video 5f0c... 'lecture.mp4'"
    open: tuple[str, ...]                       # statuses a give-up moves to failed
    finished: tuple[str, ...]                   # statuses where the work is over
    failed: str
    reason: Callable[[Any], str]                # why a failed record failed
    mark_failed: Callable[[Any, str], None]
    reopen_record: Callable[[Any], None]        # failed -> queued

    def give_up(self, message: JobMessage, reason: str) -> None:
        """The job's last delivery failed: its record says so instead of staying open."""
        record = self.find(message)
        if record is not None and record.status in self.open:
            self.mark_failed(record, reason)

    def describe(self, message: JobMessage) -> JobRecord:
        record = self.find(message)
        if record is None:
            return JobRecord(JobState.UNKNOWN, f"the {message.kind.value} job's record no longer exists")
        summary = f"{self.label(record)}: {record.status}"
        if record.status == self.failed:
            return JobRecord(JobState.FAILED, f"{summary}: {self.reason(record)}")
        return JobRecord(JobState.FINISHED if record.status in self.finished else JobState.OPEN, summary)

    def reopen(self, message: JobMessage) -> None:
        self.reopen_record(self.find(message))


_KINDS: dict[str, JobKind | RecordKind] = {}


def register(kind: JobKind | RecordKind) -> None:
    _KINDS[kind.kind] = kind


@dataclass
class DeadLetter:
    queue: SQSQueue
    message_id: str
    receipt_handle: str
    body: str
    sent_at: datetime | None
    receive_count: int
    # The worker's reason for a poison message (an attribute), or the job claim's last error.
    reason: str
    message: JobMessage | None
    record: JobRecord

    @property
    def job_id(self) -> str:
        return str(self.message.job_id) if self.message is not None else ""

    @property
    def redrivable(self) -> bool:
        return self.message is not None and self.record.state in (JobState.FAILED, JobState.OPEN)

    def as_dict(self) -> dict:
        return {
            "queue": self.queue.name, "dlq": self.queue.dlq_name, "message_id": self.message_id,
            "job_id": self.job_id, "kind": self.message.kind.value if self.message else "",
            "tenant_id": str(self.message.tenant_id) if self.message else "",
            "state": self.record.state.value, "job": self.record.summary, "reason": self.reason,
            "receive_count": self.receive_count,
            "sent_at": self.sent_at.isoformat() if self.sent_at else "", "body": self.body,
        }


def queues(selected: str | None = None) -> list[SQSQueue]:
    """The platform's queues (settings.SQS_QUEUES), or the one named by key or name."""
    names = dict(settings.SQS_QUEUES)
    if selected is None:
        return [SQSQueue(name=name) for name in dict.fromkeys(names.values())]
    if selected in names:
        return [SQSQueue(name=names[selected])]
    if selected in names.values():
        return [SQSQueue(name=selected)]
    known = ", ".join(f"{key} ({name})" for key, name in names.items())
    raise ValueError(f"no queue {selected!r}; the platform's queues are {known}")


class DeadLetterBox:
    """The messages of one DLQ received for a command; close() gives back what was not
    redriven or purged. Use as a context manager."""

    def __init__(self, queue: SQSQueue, *, limit: int = MAX_MESSAGES, visibility: int = LIST_VISIBILITY_SECONDS):
        self.queue = queue
        self.letters: list[DeadLetter] = []
        self._taken: set[str] = set()
        self._receive(limit, visibility)

    def __enter__(self) -> "DeadLetterBox":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _receive(self, limit: int, visibility: int) -> None:
        seen: set[str] = set()
        while len(self.letters) < limit:
            batch = self.queue.receive_dead_letters(max_messages=min(10, limit - len(self.letters)),
                                                    visibility=visibility)
            fresh = [m for m in batch if m["MessageId"] not in seen]
            if not fresh:
                break
            for raw in fresh:
                seen.add(raw["MessageId"])
                self.letters.append(_read(self.queue, raw))

    def redrive(self, letter: DeadLetter) -> None:
        """Re-opens the letter's job, sends it back to its queue, then deletes it here."""
        if not letter.redrivable:
            raise ValueError(f"message {letter.message_id} is not redrivable ({letter.record.state.value})")
        if letter.record.state == JobState.FAILED:
            _KINDS[letter.message.kind.value].reopen(letter.message)
        job_claims.reopen(job_id=letter.message.job_id)
        self.queue.send_body(letter.body, kind=letter.message.kind.value, trace_id=letter.message.trace_id)
        self.queue.delete_dead_letter(letter.receipt_handle)
        self._taken.add(letter.message_id)

    def purge(self, letter: DeadLetter) -> None:
        if letter.redrivable:
            raise ValueError(f"message {letter.message_id} names a job that can still run; redrive it instead")
        self.queue.delete_dead_letter(letter.receipt_handle)
        self._taken.add(letter.message_id)

    def close(self) -> None:
        rest = [letter.receipt_handle for letter in self.letters if letter.message_id not in self._taken]
        self.queue.release_dead_letters(rest)
        self.letters = []


def matches(letter: DeadLetter, wanted: str | None) -> bool:
    """True when no id is wanted, or the letter's job id or SQS message id is it."""
    return wanted is None or wanted in (letter.job_id, letter.message_id)


def _read(queue: SQSQueue, raw: dict) -> DeadLetter:
    body = raw.get("Body", "")
    system = raw.get("Attributes", {})
    sent = system.get("SentTimestamp")
    reason = raw.get("MessageAttributes", {}).get("reason", {}).get("StringValue", "")
    message = None
    try:
        message = decode(body)
    except PoisonMessage as exc:
        record = JobRecord(JobState.UNKNOWN, f"poison: {exc}")
        reason = reason or str(exc)
    else:
        kind = _KINDS.get(message.kind.value)
        record = (kind.describe(message) if kind is not None
                  else JobRecord(JobState.UNKNOWN, f"no job kind {message.kind.value!r} is registered here"))
        if not reason:
            claim = get_job_claim(job_id=message.job_id)
            reason = claim.error if claim is not None else ""
    return DeadLetter(
        queue=queue, message_id=raw["MessageId"], receipt_handle=raw["ReceiptHandle"], body=body,
        receive_count=int(system.get("ApproximateReceiveCount", 0)),
        sent_at=datetime.fromtimestamp(int(sent) / 1000, timezone.utc) if sent else None,
        reason=reason, message=message, record=record,
    )


def to_json(letters: Iterable[DeadLetter]) -> str:
    return json.dumps([letter.as_dict() for letter in letters], ensure_ascii=False, indent=2)
