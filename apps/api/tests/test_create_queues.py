"""manage create_queues against a real SQS-speaking server, as operators run it."""

import json
import subprocess
import sys

from tools.testing.sqs_server import sqs_server, unique_name  # noqa: F401


def _run(env, *args):
    return subprocess.run([sys.executable, "-m", "apps.api.manage", "create_queues", *args], env=env,
                          capture_output=True, text=True, timeout=60, check=False)


def _env(tmp_path, server, **extra):
    return {"PYTHONPATH": ":".join(sys.path), "ACADEMY_DATA_DIR": str(tmp_path), "LANG": "C.UTF-8",
            **server.env(), **extra}


def test_creates_every_queue_with_its_dlq_and_is_safe_to_rerun(tmp_path, sqs_server):
    prefix = unique_name("cq")
    env = _env(tmp_path, sqs_server, SQS_VIDEO_QUEUE=f"{prefix}-video", SQS_AI_CPU_QUEUE=f"{prefix}-ai-cpu",
               SQS_AI_GPU_QUEUE=f"{prefix}-ai-gpu", SQS_MESSAGING_QUEUE=f"{prefix}-messaging")
    first = _run(env, "--max-receive-count", "7")
    assert first.returncode == 0, first.stderr
    for role in ("video", "ai-cpu", "ai-gpu", "messaging"):
        assert f"{role}: {sqs_server.endpoint_url}" in first.stdout
        assert f"{prefix}-{role}-dlq" in first.stdout
    assert first.stdout.count("maxReceiveCount=7") == 4

    again = _run(env, "--max-receive-count", "7")
    assert again.returncode == 0 and again.stdout == first.stdout

    client = sqs_server.client()
    url = client.get_queue_url(QueueName=f"{prefix}-video")["QueueUrl"]
    redrive = client.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])["Attributes"]
    assert json.loads(redrive["RedrivePolicy"])["maxReceiveCount"] in ("7", 7)


def test_one_queue_by_role(tmp_path, sqs_server):
    name = unique_name("cq")
    result = _run(_env(tmp_path, sqs_server, SQS_MESSAGING_QUEUE=name), "--queue", "messaging")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("messaging: ") and "video" not in result.stdout


def test_exit_codes_for_bad_arguments_and_an_unreachable_endpoint(tmp_path, sqs_server):
    env = _env(tmp_path, sqs_server)
    assert _run(env, "--queue", "nope").returncode == 2
    assert _run(env, "--max-receive-count", "0").returncode == 2
    down = _run({**env, "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}, "--queue", "video")
    assert down.returncode == 1 and "video (academy-video) at http://127.0.0.1:9" in down.stderr
    help_text = _run(env, "--help")
    assert help_text.returncode == 0 and "--max-receive-count" in help_text.stdout
