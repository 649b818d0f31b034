"""Sending parts: each part streamed from disk to its URL, retried with backoff until the
storage answers the part's MD5 as its ETag, a few parts at a time by threads fed while the
file is still being checksummed."""

import queue
import threading

import requests
from requests.adapters import HTTPAdapter

from tools.dev.upload.api import PartUrls, backoff, describe, error_code, error_detail
from tools.dev.upload.errors import UploadError, UploadInterrupted, _Stopped
from tools.dev.upload.parts import MiB, Part, same_etag
from tools.dev.upload.progress import Meter

SEND_BYTES = MiB  # a block of a part's body handed to the socket (urllib3 would read 16 KiB at a time)
PUT_TIMEOUT = (10, 300)  # a part on a slow link
RETRYABLE_PUT_400 = {"BadDigest", "bad_digest", "IncompleteBody", "RequestTimeout"}  # S3's and the platform's


class PartReader:
    """One part of the file as a request body: read from disk a block at a time (never the
    whole part in memory), counted on the way, cut short when the run stops. It is not
    hashed again: the storage checks the bytes against the part's Content-MD5 and answers
    their MD5 as the ETag, which put_part compares (a second MD5 pass here cost a sixth of
    the upload's time against S3 on two cores; see docs/benchmarks.md)."""

    def __init__(self, path: str, part: Part, meter: Meter, stop: threading.Event):
        self.file = open(path, "rb")
        self.file.seek(part.offset)
        self.left = part.size
        self.sent = 0
        self.meter, self.stop = meter, stop

    def __len__(self) -> int:  # requests sends it as the Content-Length
        return self.left

    def __iter__(self):  # requests streams a body only if it is iterable
        while block := self.read(SEND_BYTES):
            yield block

    def read(self, size: int = -1) -> bytes:
        if self.stop.is_set():
            raise _Stopped()
        size = self.left if size is None or size < 0 else min(size, self.left)
        block = self.file.read(size)
        if size and not block:
            raise UploadError(f"{self.file.name} got shorter since it was checksummed: start over")
        self.left -= len(block)
        self.sent += len(block)
        self.meter.add(len(block))
        return block

    def close(self) -> None:
        self.file.close()


class _BlockAdapter(HTTPAdapter):
    """Connections that read a request body SEND_BYTES at a time: a part is then handed to
    the socket in 1 MiB blocks, not urllib3's 16 KiB, a 64th of the Python calls per byte
    (reads, progress, sends) on the way."""

    def init_poolmanager(self, *args, **kwargs):
        kwargs["blocksize"] = SEND_BYTES
        super().init_poolmanager(*args, **kwargs)


def part_session() -> requests.Session:
    session = requests.Session()
    session.mount("https://", _BlockAdapter())
    session.mount("http://", _BlockAdapter())
    return session


def put_part(session: requests.Session, part: Part, *, path: str, urls: PartUrls, meter: Meter,
             stop: threading.Event, retries: int) -> None:
    """PUTs one part until the storage answers the part's own MD5 as its ETag."""
    last = ""
    for _ in backoff(retries, stop):
        url = urls.get(part)
        reader = PartReader(path, part, meter, stop)
        try:
            response = session.put(url["url"], data=reader, timeout=PUT_TIMEOUT, allow_redirects=False,
                                   headers={**url.get("headers", {}), "Content-Length": str(part.size)})
        except (requests.ConnectionError, requests.Timeout) as exc:
            last = describe(exc)
            meter.add(-reader.sent)
            continue
        finally:
            reader.close()
        if 200 <= response.status_code < 300:
            etag = response.headers.get("ETag")
            if same_etag(etag, part.md5):
                return
            last = f"the storage answered ETag {etag}, not the part's MD5 (did {path} change?)"
        elif response.status_code == 403:  # expired or refused URL: ask for a fresh one
            urls.forget(part.number)
            last = f"the part URL was refused: {error_detail(response)}"
        elif response.status_code >= 500 or error_code(response) in RETRYABLE_PUT_400:
            last = f"{error_detail(response)} (HTTP {response.status_code})"
        else:
            raise UploadInterrupted(f"part {part.number} was refused: {error_detail(response)} "
                                    f"(HTTP {response.status_code})")
        meter.add(-reader.sent)
    raise UploadInterrupted(f"part {part.number} failed {retries} times; last: {last}")


class PartSenders:
    """The part threads, fed while the file is still being checksummed: each part is handed
    over (put) as soon as its MD5 is known, and the threads take them in that order, so part 1
    is on the wire while the next ones are read. Up to `parallel` threads, started as parts
    come, each with its own connection. The first part to fail for good stops the others,
    and its error is raised by check() and wait()."""

    def __init__(self, *, path: str, urls: PartUrls, meter: Meter, stop: threading.Event, parallel: int,
                 retries: int):
        self.path, self.urls, self.meter, self.stop = path, urls, meter, stop
        self.parallel, self.retries = max(1, parallel), retries
        self.todo: queue.SimpleQueue[Part | None] = queue.SimpleQueue()
        self.threads: list[threading.Thread] = []
        self.errors: list[BaseException] = []
        self.queued = 0

    def put(self, part: Part) -> None:
        self.urls.want(part)
        self.todo.put(part)
        self.queued += 1
        if len(self.threads) < min(self.parallel, self.queued):
            # Daemon threads: a Ctrl-C need not wait for a PUT in flight; the state file is
            # never written by them, so nothing is left half-done.
            thread = threading.Thread(target=self._work, name=f"part-{len(self.threads) + 1}", daemon=True)
            self.threads.append(thread)
            thread.start()

    def check(self) -> None:
        if self.errors:
            raise self.errors[0]

    def wait(self) -> None:
        """No more parts: waits until the threads have sent those handed over."""
        for _ in self.threads:
            self.todo.put(None)
        for thread in self.threads:
            # A timed join lets KeyboardInterrupt reach this thread; after a failure the others
            # are not waited for (one may sit in a 300 s read), they end at their next block.
            while thread.is_alive() and not self.stop.is_set():
                thread.join(0.2)
        self.check()

    def _work(self) -> None:
        with part_session() as session:
            try:
                while not self.stop.is_set():
                    try:
                        part = self.todo.get(timeout=0.2)
                    except queue.Empty:
                        continue
                    if part is None:
                        return
                    put_part(session, part, path=self.path, urls=self.urls, meter=self.meter, stop=self.stop,
                             retries=self.retries)
                    self.urls.stored(part.number)
            except _Stopped:
                pass
            except BaseException as exc:
                self.errors.append(exc)
                self.stop.set()


def send_parts(parts: list[Part], *, path: str, urls: PartUrls, meter: Meter, stop: threading.Event,
               parallel: int, retries: int) -> None:
    """Sends parts whose MD5s are all known, `parallel` at a time; the first part to fail for
    good stops the others, and its error is raised here."""
    senders = PartSenders(path=path, urls=urls, meter=meter, stop=stop, parallel=parallel, retries=retries)
    for part in parts:
        senders.put(part)
    senders.wait()
