import pytest

from e2e.pipeline import pipeline
from tools.testing.sqs_server import sqs_server  # noqa: F401


@pytest.fixture(scope="module")
def stack(tmp_path_factory, sqs_server):  # noqa: F811
    """The API and the CPU AI worker over one database, bucket and queue, for the module."""
    stack = pipeline(tmp_path_factory.mktemp("ai"), sqs_server, role="ai-cpu", AI_EMBED_DEVICE="cpu")
    yield stack
    stack.stop(grace_seconds=0)
