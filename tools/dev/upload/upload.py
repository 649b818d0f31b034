"""Uploads a big lecture video to the academy platform in parallel parts, resumably.

    upload.py --api https://api.example.com --key KEY --lecture LECTURE_ID week1.mp4
    tools/bazel run //tools/dev/upload -- --api URL --key KEY --lecture ID FILE

    from tools.dev.upload.upload import upload_file
    video = upload_file(api_url=..., key=..., lecture_id=..., path="week1.mp4")
    video["id"], video["status"]                  # "queued": the transcode is on its way

A direct upload is started (POST /api/v1/lectures/{id}/uploads/) once the first part is
checksummed (MD5: each part URL is signed for its part's Content-MD5), and the parts are PUT
straight to the storage (presigned S3 URLs, or the platform's own part endpoint on the
filesystem storage) a few at a time, in order, while the rest of the file is checksummed:
each part goes as soon as its MD5 is known. Then the upload is completed into a queued
video. The upload's id and the parts' checksums known so far are kept in a state file from
the moment the upload exists, so a run that stops (network, Ctrl-C, a crash, even while
checksumming) is resumed by running the same command again: only the parts not checksummed
yet are read for their MD5, and only the parts the storage does not hold yet are sent. The
state file is removed once the video exists.

This module is the command and the library's entry point; the work is done in
uploader.py (one upload, start to end), checksum.py (the parts' MD5s), sending.py (the part
threads), api.py (the platform's upload API), state.py (the resume state file), parts.py
(the part plan), progress.py (the callbacks), console.py (the display), cli.py (the
arguments and main) and errors.py.

Only the standard library and requests.
"""

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script, sys.path[0] is tools/dev/upload: make `tools.dev.upload` importable
    sys.path.insert(0, str(Path(__file__).absolute().parents[3]))

from tools.dev.upload.cli import main  # noqa: E402
from tools.dev.upload.errors import UploadError, UploadInterrupted  # noqa: E402
from tools.dev.upload.parts import DEFAULT_PART_SIZE, MAX_PART_SIZE, MIN_PART_SIZE, MiB  # noqa: E402
from tools.dev.upload.progress import Log, Progress  # noqa: E402
from tools.dev.upload.uploader import abort_saved_upload, upload_file  # noqa: E402

__all__ = ["upload_file", "abort_saved_upload", "main", "UploadError", "UploadInterrupted", "Progress", "Log",
           "MiB", "DEFAULT_PART_SIZE", "MIN_PART_SIZE", "MAX_PART_SIZE"]


if __name__ == "__main__":
    sys.exit(main())
