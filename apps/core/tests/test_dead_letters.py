"""manage dlq against a real SQS-speaking server (moto's, over HTTP): listing gives every
message back, redrive re-opens the job and requeues its message, purge takes only what
names no job that could still run."""

import io
import json
import uuid

import pytest
from django.core.management import CommandError, call_command

from apps.core.models import JobClaim
from apps.core.queues import SQSQueue, dead_letters
from apps.core.queues.dead_letters import JobKind, JobRecord, JobState
from apps.shared.contracts import VideoTranscodeMessage, decode, encode
from tools.testing.sqs_server import sqs_server, unique_name  # noqa: F401

pytestmark = pytest.mark.django_db

# The records of a kind of job this test owns: job id -> status.
RECORDS: dict[uuid.UUID, str] = {}


def _describe(message):
    state = RECORDS.get(message.job_id)
    if state is None:
        return JobRecord(JobState.UNKNOWN, "no such job")
    return JobRecord({"failed": JobState.FAILED, "done": JobState.FINISHED}.get(state, JobState.OPEN),
                     f"test job: {state}")


def _reopen(message):
    assert RECORDS[message.job_id] == "failed"
    RECORDS[message.job_id] = "queued"


@pytest.fixture
def queue(sqs_server, settings, monkeypatch):  # noqa: F811
    monkeypatch.setattr(dead_letters, "_KINDS", {"video.transcode": JobKind("video.transcode", _describe, _reopen)})
    RECORDS.clear()
    queue = SQSQueue(name=unique_name("dlq-test"), client=sqs_server.client())
    queue.ensure(max_receive_count=2)
    # One queue of the platform is this one; the others do not exist on this server.
    settings.SQS_QUEUES = {**settings.SQS_QUEUES, "video": queue.name}
    monkeypatch.setattr(dead_letters, "SQSQueue", lambda name: SQSQueue(name=name, client=sqs_server.client()))
    return queue


def _job(state=None):
    message = VideoTranscodeMessage(job_id=uuid.uuid4(), tenant_id=uuid.uuid4(), video_id=uuid.uuid4(),
                                    source_key="lectures/수업.mp4")
    if state is not None:
        RECORDS[message.job_id] = state
    return message


def _moved_by_redrive_policy(queue, body):
    """As SQS moves a message after maxReceiveCount: the body alone, no reason attribute."""
    queue.client.send_message(QueueUrl=queue.dlq_url, MessageBody=body)


def _dlq(command, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command("dlq", command, *args, stdout=out, stderr=err)
    return out.getvalue()


def _depths(queue):
    depth = {}
    for name, url in (("queue", queue.url), ("dlq", queue.dlq_url)):
        attributes = queue.client.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
        depth[name] = sum(int(v) for v in attributes["Attributes"].values())
    return depth


def test_list_show_redrive_and_purge(queue):
    gave_up, finished, unknown = _job("failed"), _job("done"), _job()
    JobClaim.objects.create(job_id=gave_up.job_id, kind="video.transcode", tenant_id=gave_up.tenant_id,
                            status=JobClaim.Status.FAILED, error="gave up after 2 attempts: RuntimeError('disk')")
    for message in (gave_up, finished, unknown):
        _moved_by_redrive_policy(queue, encode(message))
    queue.dead_letter("{not json", reason="body is not JSON")

    listed = {row["job_id"] or "poison": row for row in json.loads(_dlq("list", "--queue", "video", "--json"))}
    assert {key: row["state"] for key, row in listed.items()} == {
        str(gave_up.job_id): "failed", str(finished.job_id): "finished", str(unknown.job_id): "unknown",
        "poison": "unknown"}
    assert listed[str(gave_up.job_id)]["reason"] == "gave up after 2 attempts: RuntimeError('disk')"
    assert listed["poison"]["reason"] == "body is not JSON"
    assert _depths(queue) == {"queue": 0, "dlq": 4}, "a listing gives every message back at once"
    assert "RuntimeError('disk')" in _dlq("show", str(gave_up.job_id))
    with pytest.raises(CommandError, match="no message of job"):
        _dlq("show", str(uuid.uuid4()))

    out = _dlq("redrive", "--dry-run")
    assert "1 message(s) would be redriven, 3 skipped" in out and RECORDS[gave_up.job_id] == "failed"
    out = _dlq("redrive", "--queue", queue.name)
    assert "1 message(s) redriven, 3 skipped" in out
    assert RECORDS[gave_up.job_id] == "queued"
    assert JobClaim.objects.get(job_id=gave_up.job_id).status == JobClaim.Status.RUNNING
    [back] = queue.client.receive_message(QueueUrl=queue.url, MessageAttributeNames=["All"])["Messages"]
    assert decode(back["Body"]) == gave_up and back["MessageAttributes"]["kind"]["StringValue"] == "video.transcode"

    assert "3 message(s) purged, 0 skipped" in _dlq("purge", "--queue", "video")
    assert _depths(queue)["dlq"] == 0


def test_a_job_that_can_still_run_is_never_purged_and_a_wrong_queue_is_named(queue):
    waiting = _job("queued")
    _moved_by_redrive_policy(queue, encode(waiting))
    assert "0 message(s) purged, 1 skipped" in _dlq("purge", "--job", str(waiting.job_id))
    with pytest.raises(CommandError, match="no queue 'nope'; the platform's queues are video"):
        _dlq("list", "--queue", "nope")
    with pytest.raises(CommandError, match="no message of job"):
        _dlq("redrive", "--job", str(uuid.uuid4()))
