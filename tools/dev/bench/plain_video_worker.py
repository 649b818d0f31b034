"""The video worker with its HLS key step left out: video_bench's "plain worker" baseline.

    python -m tools.dev.bench.plain_video_worker --once

The same process as `python -m apps.worker.video.sqs_main`, except that hls_keys.key_files
gives no key info file, so ffmpeg runs the plan without -hls_key_info_file and writes the
segments in the clear, and publishing checks no key tags. Everything else (probing,
progress, sealing a key, publishing, the status changes) runs as in the worker, so the
difference between the two timings is the cost of encryption. Benchmarks only: the row it
leaves says "protected" for a ladder that is not.
"""

import contextlib
import sys

from apps.support.video.services import hls_keys
from apps.worker.video.sqs_main import main


def _no_key_files(directory, content_key):
    return contextlib.nullcontext(None)


if __name__ == "__main__":
    hls_keys.key_files = _no_key_files
    sys.exit(main())
