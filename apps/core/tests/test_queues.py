"""SQSQueue against a real SQS-speaking server (moto's, over HTTP)."""

import json
import uuid

import pytest

from apps.core.queues import QueueMissing, SQSQueue
from apps.shared.contracts import MAX_MESSAGE_BYTES, SendMessagesMessage, VideoTranscodeMessage, decode
from tools.testing.sqs_server import sqs_server, unique_name  # noqa: F401


class VideoQueue(SQSQueue):
    message_type = VideoTranscodeMessage


def _video():
    return VideoTranscodeMessage(job_id=uuid.uuid4(), tenant_id=uuid.uuid4(), video_id=uuid.uuid4(), source_key="k")


@pytest.fixture
def client(sqs_server):
    return sqs_server.client()


def test_ensure_creates_the_queue_and_its_dlq_with_a_redrive_policy(client):
    queue = VideoQueue(name=unique_name(), client=client)
    assert not queue.exists()
    setup = queue.ensure(max_receive_count=3, visibility_timeout=45)
    assert queue.exists() and queue.problems() == []
    assert (setup.max_receive_count, setup.visibility_timeout) == (3, 45)
    assert setup.dlq_name == queue.name + "-dlq" and setup.dlq_url.endswith(setup.dlq_name)
    redrive = json.loads(client.get_queue_attributes(QueueUrl=setup.url, AttributeNames=["RedrivePolicy"])
                         ["Attributes"]["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"].endswith(":" + setup.dlq_name)


def test_ensure_is_idempotent_and_converges_changed_settings(client):
    name = unique_name()
    first = VideoQueue(name=name, client=client).ensure(max_receive_count=5, visibility_timeout=30)
    again = VideoQueue(name=name, client=client).ensure(max_receive_count=5, visibility_timeout=30)
    assert again == first
    changed = VideoQueue(name=name, client=client).ensure(max_receive_count=8, visibility_timeout=60)
    assert (changed.url, changed.max_receive_count, changed.visibility_timeout) == (first.url, 8, 60)


def test_a_missing_queue_is_reported_with_the_fix(client):
    queue = VideoQueue(name=unique_name("missing"), client=client)
    with pytest.raises(QueueMissing, match="create_queues"):
        queue.url  # noqa: B018
    assert "does not exist" in queue.problems()[0]


def test_a_queue_without_redrive_is_a_problem(client):
    queue = VideoQueue(name=unique_name(), client=client)
    client.create_queue(QueueName=queue.dlq_name)
    client.create_queue(QueueName=queue.name)
    assert "no redrive policy" in queue.problems()[0]


def test_send_encodes_the_contract_and_refuses_other_types_and_oversize(client):
    queue = VideoQueue(name=unique_name(), client=client)
    queue.ensure()
    message = _video()
    queue.send(message)
    [received] = client.receive_message(QueueUrl=queue.url, MessageAttributeNames=["All"])["Messages"]
    assert decode(received["Body"], VideoTranscodeMessage) == message
    assert received["MessageAttributes"]["trace_id"]["StringValue"] == message.trace_id

    with pytest.raises(TypeError, match="takes VideoTranscodeMessage"):
        queue.send(SendMessagesMessage(job_id=uuid.uuid4(), tenant_id=uuid.uuid4(), batch_id=uuid.uuid4()))
    with pytest.raises(ValueError, match="byte limit"):
        queue.send(message.model_copy(update={"source_key": "k" * MAX_MESSAGE_BYTES}))


def test_settings_name_the_queues(settings, client):
    settings.SQS_QUEUES = {**settings.SQS_QUEUES, "video": "academy-video-test"}

    class KeyedQueue(SQSQueue):
        key = "video"

    assert KeyedQueue(client=client).name == "academy-video-test"
    with pytest.raises(TypeError, match="needs a settings key"):
        SQSQueue(client=client)
