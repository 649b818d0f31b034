"""A worker for the runtime tests: the real entry point, on the queue named by
$TEST_QUEUE, running tests/handlers.py."""

import os
import sys

from apps.core.queues import SQSQueue
from apps.shared.contracts import VideoTranscodeMessage
from apps.worker.runtime.entrypoint import run
from apps.worker.runtime.tests import handlers


def make_queue() -> SQSQueue:
    return SQSQueue(name=os.environ["TEST_QUEUE"], message_type=VideoTranscodeMessage)


def main(argv: list[str] | None = None) -> int:
    return run("test", __doc__, argv, queue=make_queue, handler=handlers.handle)


if __name__ == "__main__":
    sys.exit(main())
