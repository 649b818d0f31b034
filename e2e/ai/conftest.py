import pytest

from e2e.stack import Stack
from tools.testing.sqs_server import sqs_server  # noqa: F401


@pytest.fixture(scope="module")
def stack(tmp_path_factory, sqs_server):  # noqa: F811
    """The API and the CPU AI worker over one database, bucket and queue, for the module."""
    stack = Stack(tmp_path_factory.mktemp("ai"), sqs_server, worker="apps.worker.ai.sqs_main_cpu",
                  queue_setting="SQS_AI_CPU_QUEUE", AI_EMBED_DEVICE="cpu", HF_HUB_OFFLINE="1")
    yield stack
    stack.close()
