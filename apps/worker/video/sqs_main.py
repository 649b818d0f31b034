"""The video worker: transcodes uploaded lectures to HLS with ffmpeg."""

import os
import sys

from apps.support.video.services.queue import VideoSQSQueue
from apps.worker.runtime.entrypoint import lazy, run


def load_handler():
    """The job handler, imported once Django is set up (it imports models)."""
    from apps.support.video.services import jobs

    return jobs.handle


def check_key_encryption() -> str | None:
    """The worker seals every video's key; the API must be able to open it. Without
    VIDEO_KEY_ENCRYPTION_KEYS the key-encryption key is derived from DJANGO_SECRET_KEY, and a
    worker with neither would seal with the development fallback, which the API does not hold."""
    if os.environ.get("VIDEO_KEY_ENCRYPTION_KEYS") or os.environ.get("DJANGO_SECRET_KEY"):
        return None
    if os.environ.get("DJANGO_DEBUG") == "1":
        return None
    return ("set VIDEO_KEY_ENCRYPTION_KEYS to the API's value (or DJANGO_SECRET_KEY to the API's, from which "
            "it is derived): the keys this worker seals must open on the API")


def main(argv: list[str] | None = None) -> int:
    return run("video", __doc__, argv, queue=VideoSQSQueue, handler=lazy(load_handler),
               checks=[check_key_encryption])


if __name__ == "__main__":
    sys.exit(main())
