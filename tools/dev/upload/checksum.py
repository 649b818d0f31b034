"""The parts' MD5s: the file read once, in order, a block at a time, with progress, stopped as
soon as the run stops."""

import hashlib
import threading
import time

from tools.dev.upload.errors import UploadError, _Stopped
from tools.dev.upload.parts import MiB
from tools.dev.upload.progress import Progress

READ_BYTES = MiB  # a block checksummed: read into one buffer (no allocation), still in the cache when hashed


class Checksummer:
    """The file read once, in order, for the parts' MD5s: a block at a time in memory, never
    a part; checksum_progress(done, total) follows the bytes read (from `done` on: the
    parts whose MD5 the state already holds are not read again)."""

    def __init__(self, path: str, size: int, progress: Progress | None, stop: threading.Event, done: int = 0):
        self.path, self.size, self.progress, self.stop = path, size, progress, stop
        self.done = done
        self.file = None
        self.buffer = memoryview(bytearray(READ_BYTES))
        self.reported, self.percent = 0.0, -1

    def md5(self, offset: int, size: int) -> bytes:
        if self.file is None:
            try:
                self.file = open(self.path, "rb", buffering=0)
            except OSError as exc:
                raise UploadError(f"cannot read {self.path}: {exc.strerror}") from None
            self._report()
        self.file.seek(offset)
        digest, left = hashlib.md5(usedforsecurity=False), size
        while left:
            if self.stop.is_set():
                raise _Stopped()
            count = self.file.readinto(self.buffer[:min(READ_BYTES, left)])
            if not count:
                raise UploadError(f"{self.path} got shorter while it was checksummed")
            digest.update(self.buffer[:count])
            left -= count
            self.done += count
            self._report()
        return digest.digest()

    def _report(self) -> None:
        """10 times a second, at every whole percent and at the end, as Meter does."""
        now, percent = time.monotonic(), 100 * self.done // self.size
        if self.progress and (now - self.reported >= 0.1 or percent != self.percent or self.done >= self.size):
            self.reported, self.percent = now, percent
            self.progress(self.done, self.size)

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None

