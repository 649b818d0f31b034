"""The messaging worker: SMS, LMS and KakaoTalk Alimtalk through SOLAPI."""

import sys

from apps.support.messaging.services.queue import MessagingSQSQueue
from apps.worker.runtime.entrypoint import lazy, run


def load_handler():
    """The job handler, imported once Django is set up (it imports models)."""
    from apps.support.messaging.services import jobs

    return jobs.handle


def main(argv: list[str] | None = None) -> int:
    return run("messaging", __doc__, argv, queue=MessagingSQSQueue, handler=lazy(load_handler))


if __name__ == "__main__":
    sys.exit(main())
