import pytest

from e2e.video.stack import Stack
from tools.testing.sqs_server import sqs_server  # noqa: F401


@pytest.fixture
def make_stack(tmp_path, sqs_server):  # noqa: F811
    stacks = []

    def make(**kwargs) -> Stack:
        stack = Stack(tmp_path, sqs_server, **kwargs)
        stacks.append(stack)
        return stack

    yield make
    for stack in stacks:
        stack.close()
