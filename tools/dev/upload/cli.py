"""The command line: its arguments and help text, and main(), which uploads FILE (or aborts
its saved upload) and answers an exit status."""

import argparse
import os
import re
import signal
import sys

from tools.dev.upload.console import Console
from tools.dev.upload.errors import RESUME_HINT, UploadError, UploadInterrupted
from tools.dev.upload.parts import DEFAULT_PART_SIZE, MAX_PART_SIZE, MAX_PARTS, MIN_PART_SIZE, MiB
from tools.dev.upload.uploader import abort_saved_upload, upload_file

EXIT_OK, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 130  # and argparse's 2 for bad usage


def parse_size(text: str) -> int:
    """'16MiB', '16M', '16m', '1GiB', '5242880': binary units, so 8M is 8 MiB."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(?:([KMGT])(?:i?B)?|B)?\s*", text, re.IGNORECASE)
    if not found:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (say 16MiB, 8M or a number of bytes)")
    power = " KMGT".index(found.group(2).upper()) if found.group(2) else 0
    size = int(float(found.group(1)) * 1024**power)
    if not MIN_PART_SIZE <= size <= MAX_PART_SIZE:
        raise argparse.ArgumentTypeError(f"{text} is outside 5MiB..5GiB, the sizes a part may have")
    return size


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"not a positive number: {text!r}")
    return value


EPILOG = f"""\
resume:
  The upload is started once the first part is checksummed; the parts are sent while
  the rest of FILE is checksummed, each as soon as its MD5 is known. The upload's id and
  the checksums known so far are kept in a state file from the moment the upload is
  started. If a run stops (a network outage longer than the retries, Ctrl-C, SIGTERM, a
  crash), run the same command again: it checksums only the parts it had not, asks the
  platform which parts the storage already holds (and whose MD5 matches) and sends only
  the rest. A part that fails on a connection error, a timeout or a 5xx is retried with
  backoff (0.5 s doubling to 15 s, --retries attempts), so an outage of some tens of
  seconds passes within one run. Part URLs that expired are asked for again. If FILE
  changed (size or modification time) since the state was written, or the platform
  aborted the upload, a new upload is started, and the tool says so. --part-size is
  the one the upload started with; the platform may choose larger parts for a file
  that would need more than {MAX_PARTS:,}.

state:
  One JSON file per (FILE, API, lecture) in --state-dir, by default
  $XDG_CACHE_HOME/academy-upload, else ~/.cache/academy-upload. It is removed once the
  video exists; --abort removes it too, after aborting the upload on the platform.

output:
  Progress and messages go to stderr (--quiet: errors only); the video's id is the last
  line on stdout, so VIDEO=$(upload.py ... FILE) works.

exit status:
  0    the video exists (its transcode is queued); --abort: nothing left to resume
  1    failed, or interrupted by the network: the message says whether running the same
       command again resumes
  2    bad usage
  130  interrupted by Ctrl-C or SIGTERM; running the same command again resumes

environment:
  ACADEMY_API_URL, ACADEMY_API_KEY  defaults for --api and --key
  XDG_CACHE_HOME                    where the default --state-dir lies
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="upload.py", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG,
        description="Upload a lecture video (up to a few GB) to the academy platform: checksummed,\n"
                    "sent in parallel parts straight to the storage, resumable.")
    parser.add_argument("file", metavar="FILE", help="the video file")
    parser.add_argument("--api", default=os.environ.get("ACADEMY_API_URL"), metavar="URL",
                        help="the platform's address, e.g. https://api.example.com (default: $ACADEMY_API_URL)")
    parser.add_argument("--key", default=os.environ.get("ACADEMY_API_KEY"),
                        help="the academy's API key (default: $ACADEMY_API_KEY)")
    parser.add_argument("--lecture", required=True, metavar="LECTURE_ID", help="the lecture the video is for")
    parser.add_argument("--parallel", type=_positive, default=4, metavar="N",
                        help="parts sent at a time (default: 4)")
    parser.add_argument("--part-size", type=parse_size, default=DEFAULT_PART_SIZE, metavar="SIZE",
                        help="bytes per part, 5MiB to 5GiB: 16MiB, 8M or bytes (default: 16MiB)")
    parser.add_argument("--state-dir", metavar="DIR", help="where resume state is kept (default: see below)")
    parser.add_argument("--retries", type=_positive, default=8, metavar="N",
                        help="attempts per part and per API call before the run stops (default: 8)")
    parser.add_argument("--quiet", action="store_true", help="no progress or messages, only errors and the id")
    parser.add_argument("--abort", action="store_true",
                        help="abort the upload saved for FILE on the platform and forget it, instead of uploading")
    args = parser.parse_args(argv)
    if not args.api:
        parser.error("--api is required (or set ACADEMY_API_URL)")
    if not re.match(r"https?://", args.api):
        parser.error(f"--api must be an http:// or https:// URL, not {args.api!r}")
    if not args.key:
        parser.error("--key is required (or set ACADEMY_API_KEY)")
    return args


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_interrupt)  # a SIGTERM stops as Ctrl-C does
    console = Console(sys.stderr, args.quiet)
    where = dict(api_url=args.api, key=args.key, lecture_id=args.lecture, path=args.file, state_dir=args.state_dir)
    try:
        if args.abort:
            if not abort_saved_upload(**where, log=console.message):
                console.message(f"no saved upload for {args.file}: nothing to abort")
            return EXIT_OK
        big = os.path.getsize(args.file) >= 256 * MiB if os.path.isfile(args.file) else False
        video = upload_file(**where, parallel=args.parallel, part_size=args.part_size, retries=args.retries,
                            progress=console.upload_progress(),
                            checksum_progress=console.checksum_progress() if big else None,
                            log=console.message)
    except KeyboardInterrupt:
        console.error(f"upload interrupted: stopped by a signal; {RESUME_HINT}")
        return EXIT_INTERRUPTED
    except UploadInterrupted as exc:
        console.error(f"upload interrupted: {exc}; {exc.hint}")
        return EXIT_FAILED
    except UploadError as exc:
        console.error(f"upload failed: {exc}")
        return EXIT_FAILED
    console.message(f"video {video['id']} (status {video.get('status')})")
    print(video["id"], flush=True)
    return EXIT_OK
