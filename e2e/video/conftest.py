import pytest

from e2e.pipeline import pipeline
from tools.testing.sqs_server import sqs_server  # noqa: F401


@pytest.fixture
def make_stack(tmp_path, sqs_server):  # noqa: F811
    stacks = []

    def make(**kwargs):
        env = {
            # Served straight from the bucket, as a player would fetch it through a CDN.
            "AWS_DEFAULT_ACL": "public-read",
            "VIDEO_HLS_SEGMENT_SECONDS": "2",
            "VIDEO_X264_PRESET": "ultrafast",
            "VIDEO_WORK_DIR": str(tmp_path),
            **kwargs,
        }
        stack = pipeline(tmp_path, sqs_server, role="video", **env)
        stacks.append(stack)
        return stack

    yield make
    for stack in stacks:
        stack.stop(grace_seconds=0)
