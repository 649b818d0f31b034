import json
import pathlib
import uuid

import pytest

from apps.shared.contracts import (
    MAX_MESSAGE_BYTES,
    AIJobMessage,
    AIJobType,
    PoisonMessage,
    SendMessagesMessage,
    VideoTranscodeMessage,
    decode,
    encode,
)
from apps.shared.contracts import export_schemas


def video_message(**overrides):
    fields = dict(job_id=uuid.uuid4(), tenant_id=uuid.uuid4(), video_id=uuid.uuid4(), source_key="t/1/source.mp4")
    return VideoTranscodeMessage(**{**fields, **overrides})


def test_round_trip_keeps_every_field():
    message = video_message()
    assert decode(encode(message)) == message
    ai = AIJobMessage(job_id=uuid.uuid4(), tenant_id=uuid.uuid4(), job_type=AIJobType.EMBED, question_ids=[uuid.uuid4()])
    assert decode(encode(ai), expected=AIJobMessage) == ai


def test_encode_refuses_an_oversized_message():
    with pytest.raises(ValueError, match="over the 65536-byte limit"):
        encode(video_message().model_copy(update={"source_key": "k" * MAX_MESSAGE_BYTES}))


@pytest.mark.parametrize(
    "body, reason",
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        (json.dumps({"schema_version": 99}), "unknown schema_version 99"),
        (json.dumps({"schema_version": 1, "kind": "video.transcode"}), "does not match its contract"),
        (json.dumps({"schema_version": 1, "kind": "nope", "job_id": str(uuid.uuid4())}), "does not match"),
        ("x" * (MAX_MESSAGE_BYTES + 1), "over 65536 bytes"),
    ],
)
def test_poison_messages_name_their_reason(body, reason):
    with pytest.raises(PoisonMessage, match=reason):
        decode(body)


def test_unknown_fields_are_refused():
    raw = json.loads(encode(video_message()))
    raw["file_body"] = "AAAA"
    with pytest.raises(PoisonMessage, match="file_body"):
        decode(json.dumps(raw))


def test_a_message_on_the_wrong_queue_is_poison():
    body = encode(SendMessagesMessage(job_id=uuid.uuid4(), tenant_id=uuid.uuid4(), batch_id=uuid.uuid4()))
    with pytest.raises(PoisonMessage, match="messaging.send message on a queue for VideoTranscodeMessage"):
        decode(body, expected=VideoTranscodeMessage)


def test_exported_schemas_are_up_to_date():
    docs = pathlib.Path("docs/contracts")
    for name, text in export_schemas.schemas().items():
        path = docs / name
        assert path.exists() and path.read_text() == text, (
            f"{path} is out of date, run tools/bazel run //apps/shared/contracts:export_schemas"
        )
