"""The source video as a local file for ffprobe and ffmpeg.

A storage with local paths (the filesystem backend) hands its own path out, so nothing is
copied; any other (S3) is streamed into the job's scratch directory.
"""

import shutil
from pathlib import Path

COPY_CHUNK = 8 * 1024 * 1024


class SourceMissing(Exception):
    pass


def local_source(storage, key: str, work_dir: Path) -> Path:
    if not storage.exists(key):
        raise SourceMissing(f"the uploaded file {key!r} is not in storage")
    try:
        return Path(storage.path(key))
    except NotImplementedError:
        pass
    target = work_dir / ("source" + Path(key).suffix)
    with storage.open(key, "rb") as remote, open(target, "wb") as local:
        shutil.copyfileobj(remote, local, COPY_CHUNK)
    return target
