"""The key file and key info file ffmpeg encrypts a ladder with, on disk only while it runs.

    with key_files(work, content_key) as key_info_file:
        run_ffmpeg(ffmpeg_command(replace(plan, key_info_file=key_info_file)), ...)

The content key must reach ffmpeg, and ffmpeg's HLS muxer takes it only from a file named
in a key info file (see command.py). So the 16 key bytes are written to `work` (the job's
private scratch directory, mode 0700) in a file created new with mode 0600, and both files
are removed when the block ends, whatever ends it, before anything is published. The key
never goes into the argv (which /proc shows to the host's other processes), the ffmpeg log,
the output directory or storage.

A worker killed by SIGKILL during ffmpeg's run cannot remove them; its scratch directory
(the source copy, the half-made ladder and these files) stays until the host's temp
cleaning, as before. The retried job makes a new key.
"""

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from apps.support.video.services.command import KEY_URI_PLACEHOLDER

KEY_NAME = "hls.key"
KEY_INFO_NAME = "hls.keyinfo"


@contextlib.contextmanager
def key_files(directory: Path, content_key) -> Iterator[Path]:
    """Writes the key and key info files for `content_key` (content_keys.ContentKey) into
    `directory` and yields the key info file's path; removes both on the way out."""
    directory = Path(directory).absolute()
    key_path, info_path = directory / KEY_NAME, directory / KEY_INFO_NAME
    try:
        _write_new(key_path, content_key.key)
        _write_new(info_path, f"{KEY_URI_PLACEHOLDER}\n{key_path}\n{content_key.iv_hex}\n".encode())
        yield info_path
    finally:
        for path in (key_path, info_path):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def _write_new(path: Path, data: bytes) -> None:
    # O_EXCL: a file left there by someone else is an error, never written through.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
