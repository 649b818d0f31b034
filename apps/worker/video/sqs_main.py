"""The video worker: transcodes uploaded lectures to HLS with ffmpeg."""

import sys

from apps.support.video.services.queue import VideoSQSQueue
from apps.worker.runtime.entrypoint import lazy, run


def load_handler():
    """The job handler, imported once Django is set up (it imports models)."""
    from apps.support.video.services import jobs

    return jobs.handle


def check_key_encryption() -> str | None:
    """The worker seals every video's key; the API must be able to open it."""
    from apps.domains.lectures import content_keys

    return content_keys.sealing_problem()


def main(argv: list[str] | None = None) -> int:
    return run("video", __doc__, argv, queue=VideoSQSQueue, handler=lazy(load_handler),
               checks=[check_key_encryption])


if __name__ == "__main__":
    sys.exit(main())
