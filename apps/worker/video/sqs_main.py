"""The video worker: transcodes uploaded lectures to HLS with ffmpeg."""

import sys

from apps.worker.runtime.entrypoint import run


def main(argv: list[str] | None = None) -> int:
    return run("video", __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
