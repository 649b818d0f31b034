"""Uploads a big lecture video to the academy platform in parallel parts, resumably.

    upload.py --api https://api.example.com --key KEY --lecture LECTURE_ID week1.mp4
    tools/bazel run //tools/upload -- --api URL --key KEY --lecture ID FILE

    from tools.upload.upload import upload_file
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

Only the standard library and requests.
"""

import argparse
import base64
import hashlib
import json
import math
import mimetypes
import os
import queue
import re
import signal
import sys
import threading
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, TextIO

import requests
from requests.adapters import HTTPAdapter

MiB = 2**20
DEFAULT_PART_SIZE = 16 * MiB
# S3's multipart limits, which the platform applies to both storages.
MIN_PART_SIZE = 5 * MiB
MAX_PART_SIZE = 5 * 2**30
MAX_PARTS = 10_000
MAX_URLS_PER_REQUEST = 1000
READ_BYTES = MiB  # a block checksummed: read into one buffer (no allocation), still in the cache when hashed
SEND_BYTES = MiB  # a block of a part's body handed to the socket (urllib3 would read 16 KiB at a time)

API_TIMEOUT = (10, 60)  # (connect, read) seconds
PUT_TIMEOUT = (10, 300)  # a part on a slow link
COMPLETE_TIMEOUT = (10, 600)  # the filesystem storage concatenates gigabytes before answering
BACKOFF_FIRST, BACKOFF_MAX = 0.5, 15.0
URL_MARGIN_S = 60  # a part URL expiring sooner than this is asked anew rather than used
STATE_SAVE_S = 1.0  # the MD5s checksummed meanwhile are written to the state file this often
BUSY_WAIT_S, BUSY_LIMIT_S = 2, 600  # 409 on complete: another completion is running
REPAIR_ROUNDS = 3  # complete -> 400 "parts missing" -> send them -> complete, at most this often
RETRYABLE_PUT_400 = {"BadDigest", "bad_digest", "IncompleteBody", "RequestTimeout"}  # S3's and the platform's

EXIT_OK, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 130  # and argparse's 2 for bad usage
RESUME_HINT = "run the same command again to resume"

Progress = Callable[[int, int], None]
Log = Callable[[str], None]


class UploadError(Exception):
    """The upload cannot go on; the message says why."""


class UploadInterrupted(UploadError):
    """The run stopped, but the state is kept: the same command again picks up from here."""

    def __init__(self, reason: str, hint: str = RESUME_HINT):
        super().__init__(reason)
        self.hint = hint


class _Stopped(Exception):
    """Raised in a part thread when the run is stopping; never leaves this module."""


# --- the file's parts -----------------------------------------------------------------------

@dataclass(frozen=True)
class Part:
    number: int
    offset: int
    size: int
    md5: bytes

    @property
    def content_md5(self) -> str:
        return base64.b64encode(self.md5).decode()

    @property
    def etag(self) -> str:
        return f'"{self.md5.hex()}"'


def fit_part_size(size: int, part_size: int) -> int:
    """The platform's own rule: parts grow (to whole MiB) where the file would need more than
    10,000. Applied here first so the file is usually checksummed once."""
    if math.ceil(size / part_size) > MAX_PARTS:
        return math.ceil(size / MAX_PARTS / MiB) * MiB
    return part_size


def split(size: int, part_size: int, md5s: list[bytes]) -> list[Part]:
    return [Part(i + 1, i * part_size, min(part_size, size - i * part_size), md5) for i, md5 in enumerate(md5s)]


def part_count(size: int, part_size: int) -> int:
    return max(1, math.ceil(size / part_size))


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


def checksum_parts(path: str, size: int, part_size: int, progress: Progress | None = None,
                   stop: threading.Event | None = None) -> list[bytes]:
    """The MD5 digest of each part, in one read pass over the file."""
    checksummer = Checksummer(path, size, progress, stop or threading.Event())
    try:
        return [checksummer.md5(offset, min(part_size, size - offset)) for offset in range(0, size, part_size)]
    finally:
        checksummer.close()


def same_etag(etag: str | None, md5: bytes) -> bool:
    return bool(etag) and etag.strip().strip('"').lower() == md5.hex()


def parts_to_send(parts: list[Part], stored: list[dict]) -> list[Part]:
    """The parts the storage does not hold whole: missing, another size, or other bytes."""
    held = {p.get("part_number"): p for p in stored}
    return [p for p in parts
            if not (p.number in held and held[p.number].get("size") == p.size
                    and same_etag(held[p.number].get("etag"), p.md5))]


# --- the state file -------------------------------------------------------------------------

@dataclass
class State:
    api: str
    lecture: str
    path: str
    size: int
    mtime_ns: int
    part_size: int
    md5s: list[str]  # hex, parts 1, 2, ... as far as they are checksummed (at the platform's part size)
    upload_id: str


def default_state_dir() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "academy-upload"


def state_file(state_dir: str | os.PathLike | None, path: str, api: str, lecture: str) -> Path:
    """One state file per (file, platform, lecture): the same video may go to two lectures."""
    name = hashlib.sha256("\0".join([path, api, lecture]).encode()).hexdigest()
    return Path(state_dir or default_state_dir()) / f"{name}.json"


def load_state(file: Path, log: Log) -> State | None:
    try:
        return State(**json.loads(file.read_text()))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError) as exc:
        log(f"ignoring the unreadable state file {file}: {exc}")
        return None


def save_state(file: Path, state: State) -> None:
    """Written to a temporary name and renamed, so a crash leaves the old state or the new."""
    file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = file.with_name(f"{file.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(asdict(state), indent=1))
    os.replace(temporary, file)


def forget_state(file: Path) -> None:
    file.unlink(missing_ok=True)


# --- HTTP -------------------------------------------------------------------------------------

def describe(exc: requests.RequestException) -> str:
    """A connection failure in a few words, not urllib3's paragraph."""
    if isinstance(exc, requests.Timeout):
        return "the request timed out"
    text = str(exc)
    found = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", text) or re.search(r"\w+\('([^']+)'\)", text)
    return f"connection failed: {found.group(1) if found else text[:200]}"


def _flatten(value) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_flatten(v)}" if k != "detail" else _flatten(v) for k, v in value.items() if v)
    if isinstance(value, list):
        return "; ".join(_flatten(v) for v in value if v)
    return str(value)


def error_detail(response: requests.Response) -> str:
    """The API's {"detail": ...} or field errors, S3's XML <Code>/<Message>, or the text."""
    try:
        return _flatten(response.json()) or response.reason
    except ValueError:
        pass
    code = re.search(r"<Code>(.*?)</Code>", response.text or "")
    message = re.search(r"<Message>(.*?)</Message>", response.text or "", re.S)
    if code:
        return f"{code.group(1)}: {message.group(1).strip()}" if message else code.group(1)
    return (response.text or "").strip()[:300] or response.reason


def error_code(response: requests.Response) -> str:
    try:
        body = response.json()
        return str(body.get("code", "")) if isinstance(body, dict) else ""
    except ValueError:
        found = re.search(r"<Code>(.*?)</Code>", response.text or "")
        return found.group(1) if found else ""


def backoff(retries: int, stop: threading.Event):
    """Yields before each of `retries` attempts, waiting 0.5 s, 1 s, 2 s ... at most 15 s
    between them; raises _Stopped as soon as the run is stopping."""
    delay = BACKOFF_FIRST
    for attempt in range(max(1, retries)):
        if attempt and stop.wait(delay):
            raise _Stopped()
        if stop.is_set():
            raise _Stopped()
        yield attempt
        delay = min(delay * 2, BACKOFF_MAX)


def normalize_api_url(url: str) -> str:
    url = url.strip().rstrip("/")
    return url[: -len("/api/v1")] if url.endswith("/api/v1") else url


class Api:
    """The platform's upload endpoints. Connection errors, timeouts and the 5xx in `retry_on`
    are retried with backoff; any other answer goes back to the caller to judge."""

    def __init__(self, base_url: str, key: str, lecture: str, *, retries: int, stop: threading.Event):
        self.base = normalize_api_url(base_url)
        self.lecture = lecture
        self.retries = retries
        self.stop = stop
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Api-Key {key}", "Accept": "application/json",
                                     "User-Agent": "academy-upload/1"})

    def uploads_path(self, upload_id: str = "") -> str:
        path = f"/api/v1/lectures/{self.lecture}/uploads/"
        return f"{path}{upload_id}/" if upload_id else path

    def call(self, method: str, path: str, *, what: str, json_body=None, timeout=API_TIMEOUT,
             retry_on=(500, 502, 503, 504)) -> requests.Response:
        last = ""
        for _ in backoff(self.retries, self.stop):
            try:
                response = self.session.request(method, self.base + path, json=json_body, timeout=timeout)
            except (requests.ConnectionError, requests.Timeout) as exc:
                last = describe(exc)
                continue
            except requests.RequestException as exc:  # a malformed URL: no retry mends it
                raise UploadError(f"{what}: {exc}") from None
            if response.status_code not in retry_on:
                return response
            last = f"{error_detail(response)} (HTTP {response.status_code})"
        raise UploadInterrupted(f"could not {what} after {self.retries} attempts: {last}")

    def refused(self, response: requests.Response, what: str) -> UploadError:
        """The error for an answer the caller did not expect, worded by its status."""
        detail, status = error_detail(response), response.status_code
        if status in (401, 403):
            return UploadError(f"the API refused the key ({status}): {detail}")
        if status == 404:
            return UploadError(f"could not {what}: no lecture {self.lecture} in this key's academy ({detail})")
        return UploadError(f"could not {what}: {detail} (HTTP {status})")

    def get_upload(self, upload_id: str) -> dict | None:
        """The upload with the parts as the storage holds them; None when it is gone."""
        response = self.call("GET", self.uploads_path(upload_id), what="read the upload")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise self.refused(response, "read the upload")
        return response.json()

    def start_upload(self, body: dict) -> dict:
        what = "start the upload"
        response = self.call("POST", self.uploads_path(), what=what, json_body=body)
        if response.status_code == 201:
            return response.json()
        detail = error_detail(response)
        if response.status_code == 413:
            raise UploadError(f"{body['filename']} is too large for the platform: {detail}")
        if response.status_code == 429:
            raise UploadError(f"too many uploads in progress for the academy: {detail}")
        if response.status_code == 400:
            raise UploadError(f"the platform refused the upload: {detail}")
        raise self.refused(response, what)

    def part_urls(self, upload_id: str, parts: list[Part]) -> list[dict]:
        what = "get part URLs"
        body = {"parts": [{"part_number": p.number, "content_md5": p.content_md5} for p in parts]}
        response = self.call("POST", self.uploads_path(upload_id) + "part-urls/", what=what, json_body=body)
        if response.status_code == 200:
            return response.json()["part_urls"]
        if response.status_code in (404, 409):  # aborted or cleaned up meanwhile
            raise UploadInterrupted(f"the platform closed the upload: {error_detail(response)}")
        raise self.refused(response, what)

    def complete(self, upload_id: str, parts: list[Part]) -> requests.Response:
        body = {"parts": [{"part_number": p.number, "etag": p.etag} for p in parts]}
        # 503 is not retried here: there it means the video exists but its transcode could
        # not be queued; a later complete (the next run) queues it.
        return self.call("POST", self.uploads_path(upload_id) + "complete", what="complete the upload",
                         json_body=body, timeout=COMPLETE_TIMEOUT, retry_on=(500, 502, 504))

    def abort(self, upload_id: str) -> requests.Response:
        return self.call("DELETE", self.uploads_path(upload_id), what="abort the upload")


class PartUrls:
    """The parts' PUT URLs, shared by the part threads. A part URL is signed for the part's
    Content-MD5, so only parts whose MD5 is known are asked for: when a thread needs one,
    the URLs of every part handed to the threads (wanted) that has none still fresh are asked
    for with it, in order, up to 1000 a request; a URL about to expire, or one the storage
    refused, is asked anew."""

    def __init__(self, api: Api, upload_id: str, initial: list[dict] = ()):
        self.api = api
        self.upload_id = upload_id
        self.lock = threading.Lock()  # one request at a time: the threads waiting get its URLs
        self.urls: dict[int, dict] = {}
        self.expiry: dict[int, float] = {}
        self.wanted: dict[int, Part] = {}  # handed to the threads, not stored yet
        self.wanted_lock = threading.Lock()  # never held across a request: the checksumming goes on
        for url in initial:
            self._keep(url)

    def want(self, part: Part) -> None:
        with self.wanted_lock:
            self.wanted[part.number] = part

    def stored(self, number: int) -> None:
        with self.wanted_lock:
            self.wanted.pop(number, None)

    def get(self, part: Part) -> dict:
        with self.lock:
            if not self._fresh(part.number):
                with self.wanted_lock:
                    others = sorted(n for n in self.wanted if n != part.number and not self._fresh(n))
                    batch = [part] + [self.wanted[n] for n in others[: MAX_URLS_PER_REQUEST - 1]]
                for url in self.api.part_urls(self.upload_id, batch):
                    self._keep(url)
                if part.number not in self.urls:
                    raise UploadError(f"the platform answered no URL for part {part.number}")
            return self.urls[part.number]

    def forget(self, number: int) -> None:
        with self.lock:
            self.urls.pop(number, None)

    def _keep(self, url: dict) -> None:
        number = url["part_number"]
        try:
            expires = datetime.fromisoformat(url["expires_at"])
            if expires.tzinfo is None:
                expires = expires.replace(tzinfo=timezone.utc)
            self.expiry[number] = expires.timestamp()
        except (KeyError, TypeError, ValueError):
            self.expiry[number] = math.inf  # no expiry to go by: a 403 will say when it is stale
        self.urls[number] = url

    def _fresh(self, number: int) -> bool:
        return number in self.urls and self.expiry.get(number, math.inf) - time.time() > URL_MARGIN_S


# --- sending parts ----------------------------------------------------------------------------

class Meter:
    """Bytes sent so far, from every thread, reported 10 times a second and at every whole
    percent (so a line per 10 % shows each one, however fast the link)."""

    def __init__(self, total: int, done: int, progress: Progress | None):
        self.total, self.done, self.progress = total, done, progress
        self.lock = threading.Lock()
        self.reported, self.percent = 0.0, -1
        self.add(0)

    def add(self, count: int) -> None:
        with self.lock:
            self.done += count
            now, percent = time.monotonic(), 100 * self.done // self.total
            if self.progress and (now - self.reported >= 0.1 or percent != self.percent):
                self.reported, self.percent = now, percent
                self.progress(self.done, self.total)


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


# --- one upload, start to end -----------------------------------------------------------------

class _Upload:
    """One run of upload_file: resume or start, send what is missing while the rest is
    checksummed, complete.

    The file is read twice: once here, in order, for the parts' MD5s (this thread), and once
    by the part threads as they send (PartReader). A part is handed to them as soon as its
    MD5 is known, so sending starts after the first part is checksummed, not the whole file.
    The MD5s known so far go into the state file now and then (STATE_SAVE_S) and whenever
    the run ends, so a resumed run reads again only the parts it had not checksummed."""

    def __init__(self, *, api_url: str, key: str, lecture_id: str, path: str, parallel: int, part_size: int,
                 state_dir, retries: int, progress: Progress | None, checksum_progress: Progress | None,
                 log: Log | None):
        self.stop = threading.Event()
        self.lecture = lecture_id.strip().lower()  # the API's ids are lower-case UUIDs
        self.api = Api(api_url, key, self.lecture, retries=retries, stop=self.stop)
        self.path = os.path.abspath(path)
        self.name = os.path.basename(self.path)
        self.parallel, self.part_size, self.retries = parallel, part_size, retries
        self.progress, self.checksum_progress = progress, checksum_progress
        self.log = log or (lambda message: None)
        self.state_file = state_file(state_dir, self.path, self.api.base, self.lecture)
        self.said_waiting = False
        self.state: State | None = None  # the state file's, while it is kept
        self.md5s: list[bytes] = []  # parts 1, 2, ... as far as they are checksummed
        self.saved, self.saved_at = 0, 0.0  # how many of them the state file holds, since when
        self.checksummer: Checksummer | None = None

    def run(self) -> dict:
        try:
            return self._run()
        except _Stopped:
            raise KeyboardInterrupt from None
        finally:
            self.stop.set()  # part threads still running end at their next block
            if self.checksummer:
                self.checksummer.close()
            try:
                self._save_md5s()  # what this run checksummed is not read again
            except OSError:
                pass

    def _run(self) -> dict:
        self._stat()
        state = self._saved_state()
        upload = self._resume(state) if state else None
        if upload is None:
            state, upload = self._start()
        else:
            self._keep(state)
        count = part_count(self.size, state.part_size)
        if upload.get("part_count", count) != count:
            raise UploadError(f"the platform counts {upload.get('part_count')} parts, this tool {count}")
        self.urls = PartUrls(self.api, state.upload_id, upload.get("part_urls") or ())
        self._transfer(upload.get("parts") or [], send=upload["status"] != "completed")
        video = self._complete(state.upload_id, split(self.size, state.part_size, self.md5s))
        self._forget()
        return video

    def _stat(self) -> None:
        try:
            stat = os.stat(self.path)
        except OSError as exc:
            raise UploadError(f"cannot read {self.path}: {exc.strerror}") from None
        if not os.path.isfile(self.path):
            raise UploadError(f"{self.path} is not a regular file")
        if stat.st_size == 0:
            raise UploadError(f"{self.path} is empty")
        self.size, self.mtime_ns = stat.st_size, stat.st_mtime_ns

    def _saved_state(self) -> State | None:
        state = load_state(self.state_file, self.log)
        if state is None:
            return None
        if (state.path, state.api, state.lecture) != (self.path, self.api.base, self.lecture):
            return None
        if (state.size, state.mtime_ns) != (self.size, self.mtime_ns):
            self.log(f"{self.name} changed since the last run: abandoning upload {state.upload_id}, starting over")
            self._abort_quietly(state.upload_id)
            forget_state(self.state_file)
            return None
        return state

    def _resume(self, state: State) -> dict | None:
        upload = self.api.get_upload(state.upload_id)
        if upload is None or upload.get("status") == "aborted":
            why = "is gone" if upload is None else f"was aborted ({upload.get('failure_reason') or 'no reason given'})"
            self.log(f"the saved upload {state.upload_id} {why}: starting a new upload")
            forget_state(self.state_file)
            return None
        if upload.get("part_size") != state.part_size or upload.get("size") != self.size:
            self.log(f"the saved upload {state.upload_id} does not match the state file: starting a new upload")
            self._abort_quietly(state.upload_id)
            forget_state(self.state_file)
            return None
        if upload["status"] == "completed":
            self.log(f"upload {state.upload_id} was completed before")
        else:
            held = len(upload.get("parts") or [])
            self.log(f"resuming upload {state.upload_id}: the storage holds {held} of "
                     f"{upload.get('part_count')} parts")
        return upload

    def _keep(self, state: State) -> None:
        """Takes the MD5s a saved state holds: parts 1.. as far as they were checksummed (all
        of them in a state written by an earlier version); the rest is checksummed here."""
        self.state, self.saved_at = state, time.monotonic()
        try:
            md5s = [bytes.fromhex(h) for h in state.md5s]
        except (TypeError, ValueError):
            md5s = None
        if md5s is None or len(md5s) > part_count(self.size, state.part_size) or any(len(m) != 16 for m in md5s):
            self.log("the state file's checksums are damaged: checksumming again")
            md5s = []
        self.md5s, self.saved = md5s, len(md5s)

    def _start(self) -> tuple[State, dict]:
        """Checksums the first part, starts the upload with its MD5 (the answer carries its
        URL) and writes the state file: from here on a stop is resumed, however far the
        checksumming got."""
        part_size = fit_part_size(self.size, self.part_size)
        if part_size != self.part_size:
            self.log(f"parts of {part_size // MiB} MiB: {self.name} would need more than {MAX_PARTS} parts")
        self.checksummer = Checksummer(self.path, self.size, self.checksum_progress, self.stop)
        first = Part(1, 0, min(part_size, self.size), self.checksummer.md5(0, min(part_size, self.size)))
        content_type = mimetypes.guess_type(self.path)[0] or "application/octet-stream"
        upload = self.api.start_upload({
            "filename": self.name, "size": self.size, "content_type": content_type, "part_size": part_size,
            "parts": [{"part_number": first.number, "content_md5": first.content_md5}]})
        matches = upload["part_size"] == part_size
        self.md5s = [first.md5] if matches else []
        self.state = State(api=self.api.base, lecture=self.lecture, path=self.path, size=self.size,
                           mtime_ns=self.mtime_ns, part_size=upload["part_size"],
                           md5s=[m.hex() for m in self.md5s], upload_id=upload["id"])
        save_state(self.state_file, self.state)
        self.saved, self.saved_at = len(self.md5s), time.monotonic()
        count = upload["part_count"]
        self.log(f"started upload {upload['id']}: {count} part{'s' if count != 1 else ''} of "
                 f"{upload['part_size'] / MiB:.0f} MiB to {upload.get('storage', 'the storage')}")
        if not matches:  # the URL answered was signed for the checksum of another split
            upload["part_urls"] = []
            self.log(f"the platform chose parts of {upload['part_size'] / MiB:.0f} MiB: checksumming again")
            self.checksummer.close()
            self.checksummer = None
        return self.state, upload

    def _transfer(self, stored: list[dict], send: bool = True) -> None:
        """Goes through the parts in order: checksums those whose MD5 is not known yet, and
        hands each the storage does not hold whole (missing, another size, other bytes) to
        the part threads as soon as its MD5 is known; then waits for them. A part the storage
        holds at the right size counts as sent until its MD5 says otherwise. With send False
        (a completed upload) it only completes the MD5s, which the completion names."""
        part_size, known = self.state.part_size, len(self.md5s)
        count = part_count(self.size, part_size)
        held = {p.get("part_number"): p for p in stored}

        def size_of(number: int) -> int:
            return min(part_size, self.size - (number - 1) * part_size)

        def held_whole(number: int) -> bool:
            return number in held and held[number].get("size") == size_of(number)

        if self.checksummer is None and known < count:
            self.checksummer = Checksummer(self.path, self.size, self.checksum_progress, self.stop,
                                           done=known * part_size)
        senders = None
        if send:
            counted = sum(size_of(n) for n in range(1, count + 1)
                          if held_whole(n) and (n > known or same_etag(held[n].get("etag"), self.md5s[n - 1])))
            meter = Meter(self.size, counted, self.progress)
            senders = PartSenders(path=self.path, urls=self.urls, meter=meter, stop=self.stop,
                                  parallel=self.parallel, retries=self.retries)
        try:
            for number in range(1, count + 1):
                offset = (number - 1) * part_size
                if number > len(self.md5s):
                    self.md5s.append(self.checksummer.md5(offset, size_of(number)))
                    self._save_md5s(every=STATE_SAVE_S)
                if senders is None:
                    continue
                part = Part(number, offset, size_of(number), self.md5s[number - 1])
                if held_whole(number):
                    if same_etag(held[number].get("etag"), part.md5):
                        continue
                    if number > known:
                        meter.add(-part.size)  # counted as held while its MD5 was not known
                senders.put(part)
            self._save_md5s()
            if self.checksummer:
                self.checksummer.close()
            if senders:
                senders.wait()
        except _Stopped:
            if senders:
                senders.check()  # a part failed for good: that is why the run stops
            raise

    def _save_md5s(self, every: float | None = None) -> None:
        """Writes the MD5s checksummed since the state file was last written, if any (and,
        with `every`, if it was written longer ago than that)."""
        if self.state is None or len(self.md5s) <= self.saved:
            return
        if every is not None and time.monotonic() - self.saved_at < every:
            return
        self.state.md5s = [m.hex() for m in self.md5s]
        save_state(self.state_file, self.state)
        self.saved, self.saved_at = len(self.md5s), time.monotonic()

    def _forget(self) -> None:
        forget_state(self.state_file)
        self.state = None

    def _send(self, todo: list[Part]) -> None:
        meter = Meter(self.size, self.size - sum(p.size for p in todo), self.progress)
        send_parts(todo, path=self.path, urls=self.urls, meter=meter, stop=self.stop,
                   parallel=self.parallel, retries=self.retries)

    def _complete(self, upload_id: str, parts: list[Part]) -> dict:
        """Completes the upload into a video. An upload already completed answers its video
        again (and queues its transcode if an earlier completion could not)."""
        busy_until, repairs = time.monotonic() + BUSY_LIMIT_S, 0
        while True:
            response = self.api.complete(upload_id, parts)
            status = response.status_code
            if status in (200, 201):
                return response.json()["video"]
            detail = error_detail(response)
            if status == 409:
                self._wait_for_other_completion(upload_id, busy_until)
            elif status == 400 and repairs < REPAIR_ROUNDS:
                repairs += 1
                self._repair(upload_id, parts, detail)
            elif status == 404:
                raise UploadInterrupted(f"the platform no longer has upload {upload_id}: {detail}",
                                        hint="run the same command again to start a new upload")
            elif status == 415:
                self._forget()  # the platform aborted the upload and freed its parts
                raise UploadError(f"{self.name} is not a video the platform takes: {detail}")
            elif status == 503:
                raise UploadInterrupted(f"the platform could not finish: {detail}",
                                        hint="run the same command again later to finish it")
            else:
                raise self.api.refused(response, "complete the upload")

    def _wait_for_other_completion(self, upload_id: str, busy_until: float) -> None:
        upload = self.api.get_upload(upload_id)
        if upload is None or upload.get("status") == "aborted":
            raise UploadInterrupted(f"the platform aborted the upload "
                                    f"({(upload or {}).get('failure_reason') or 'it is gone'})",
                                    hint="run the same command again to start a new upload")
        if upload.get("status") == "completed":
            return  # the next complete answers its video
        if time.monotonic() > busy_until:
            raise UploadInterrupted("another completion of this upload is still running",
                                    hint="run the same command again later")
        if not self.said_waiting:
            self.log("another request is completing this upload: waiting for it")
            self.said_waiting = True
        if self.stop.wait(BUSY_WAIT_S):
            raise _Stopped()

    def _repair(self, upload_id: str, parts: list[Part], detail: str) -> None:
        """complete answered 400: send again what the storage lacks, if it lacks anything."""
        upload = self.api.get_upload(upload_id)
        if upload is None or upload.get("status") == "aborted":
            self._forget()
            raise UploadError(f"the platform refused the upload: {detail}")
        missing = parts_to_send(parts, upload.get("parts") or [])
        if not missing:
            raise UploadError(f"the platform refused to complete the upload: {detail}")
        self.log(f"the platform did not complete the upload ({detail}): "
                 f"sending parts {', '.join(str(p.number) for p in missing)} again")
        self._send(missing)

    def _abort_quietly(self, upload_id: str) -> None:
        """Frees an abandoned upload's parts (and its place among the academy's uploads in
        progress); the platform's cleanup does it later where this fails."""
        try:
            self.api.abort(upload_id)
        except UploadError:
            pass


def upload_file(*, api_url: str, key: str, lecture_id: str, path: str, parallel: int = 4,
                part_size: int = DEFAULT_PART_SIZE, state_dir: str | os.PathLike | None = None,
                retries: int = 8, progress: Progress | None = None, checksum_progress: Progress | None = None,
                log: Log | None = None) -> dict:
    """Uploads `path` as a video of lecture `lecture_id` and returns the API's video
    ({"id", "status", ...}), resuming the upload a state file in `state_dir` remembers.

    progress(done, total) follows the bytes stored, checksum_progress(done, total) the
    checksumming pass (which runs alongside: parts are sent as they are checksummed; the
    two are called from different threads), log(message) says what happens (resumes,
    restarts). Raises
    UploadInterrupted where running again resumes, UploadError where it cannot go on, and
    KeyboardInterrupt as it came, the state kept in both first cases."""
    if not MIN_PART_SIZE <= part_size <= MAX_PART_SIZE:
        raise ValueError(f"part_size must be between {MIN_PART_SIZE} and {MAX_PART_SIZE} bytes")
    return _Upload(api_url=api_url, key=key, lecture_id=lecture_id, path=path, parallel=parallel,
                   part_size=part_size, state_dir=state_dir, retries=retries, progress=progress,
                   checksum_progress=checksum_progress, log=log).run()


def abort_saved_upload(*, api_url: str, key: str, lecture_id: str, path: str,
                       state_dir: str | os.PathLike | None = None, log: Log | None = None) -> bool:
    """Aborts the upload the state file remembers for `path` and forgets it; False when
    there was none."""
    log = log or (lambda message: None)
    lecture = lecture_id.strip().lower()
    api = Api(api_url, key, lecture, retries=3, stop=threading.Event())
    file = state_file(state_dir, os.path.abspath(path), api.base, lecture)
    state = load_state(file, log)
    if state is None:
        return False
    response = api.abort(state.upload_id)
    if response.status_code == 409:
        raise UploadError(f"upload {state.upload_id} cannot be aborted: {error_detail(response)}")
    if response.status_code not in (204, 404):
        raise api.refused(response, "abort the upload")
    forget_state(file)
    log(f"aborted upload {state.upload_id}" if response.status_code == 204
        else f"upload {state.upload_id} was already gone")
    return True


# --- the command line -------------------------------------------------------------------------

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


def format_seconds(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class Console:
    """What the command shows on stderr: messages, and progress as one line rewritten in
    place on a terminal, or a line per 10 % otherwise. The checksumming runs alongside the
    upload: on a terminal it is the upload line's "hashing N%" once that line shows (its own
    line only before, or after the upload line has ended)."""

    BAR_WIDTH = 24

    def __init__(self, out: TextIO, quiet: bool):
        self.out, self.quiet = out, quiet
        self.tty = out.isatty()
        self.lock = threading.RLock()  # the part threads report the upload, this one the checksumming
        self.bar_shown = False
        self.drawn = 0  # the length of the line on screen, to blank what a shorter one leaves
        self.transient = False  # the line on screen is the checksumming's, to make way for the upload's
        self.upload_line: str | None = None  # the upload's line while it is on screen
        self.hashing, self.hashing_drawn = "", 0.0

    def message(self, text: str) -> None:
        if not self.quiet:
            with self.lock:
                self.end_bar()
                self.out.write(f"{text}\n")
                self.out.flush()

    def error(self, text: str) -> None:
        with self.lock:
            self.end_bar()
            self.out.write(f"{text}\n")
            self.out.flush()

    def end_bar(self) -> None:
        with self.lock:
            if self.bar_shown and self.transient:
                self.out.write("\r" + " " * self.drawn + "\r")  # the upload line takes its place
            elif self.bar_shown:
                self.out.write("\n")
            if self.bar_shown:
                self.out.flush()
            self.bar_shown, self.drawn, self.transient = False, 0, False

    def _draw(self, line: str, transient: bool = False) -> None:
        self.out.write(f"\r{line.ljust(self.drawn)}")
        self.bar_shown, self.drawn, self.transient = True, len(line), transient

    def progress(self, label: str, draw: Callable[[str, int, int], None] | None = None) -> Progress | None:
        """A progress callback for one phase, or None when nothing is to be shown; on a
        terminal, draw(line, done, total) puts the line on screen (by default: the phase's
        own line, ended when done)."""
        if self.quiet:
            return None
        started, first, shown = time.monotonic(), [None], [-1]

        def show(done: int, total: int) -> None:
            with self.lock:
                if first[0] is None:
                    first[0] = done  # bytes already stored before this run: not this run's speed
                elapsed = max(time.monotonic() - started, 1e-6)
                rate = (done - first[0]) / elapsed
                percent = 100 * done // total if total else 100
                eta = format_seconds((total - done) / rate) if rate > 0 else "?"
                figures = f"{percent:3d}%  {done / MiB:,.1f}/{total / MiB:,.1f} MiB  {rate / MiB:6.1f} MiB/s"
                if self.tty:
                    filled = self.BAR_WIDTH * percent // 100
                    bar = "#" * filled + "-" * (self.BAR_WIDTH - filled)
                    (draw or self._own_line)(f"{label:<12} [{bar}] {figures}  ETA {eta:<7}", done, total)
                elif percent // 10 > shown[0]:
                    shown[0] = percent // 10
                    self.out.write(f"{label:<12} {figures}\n")
                self.out.flush()

        return show

    def _own_line(self, line: str, done: int, total: int) -> None:
        self._draw(line)
        if done >= total:
            self.end_bar()

    def upload_progress(self) -> Progress | None:
        def draw(line: str, done: int, total: int) -> None:
            self.upload_line = line
            self._draw(line + self.hashing)
            if done >= total:
                self.upload_line = None
                self.end_bar()

        return self.progress("uploading", draw)

    def checksum_progress(self) -> Progress | None:
        def draw(line: str, done: int, total: int) -> None:
            self.hashing = f"  hashing {100 * done // total}%" if done < total else ""
            if self.upload_line is None:
                self._draw(line, transient=done < total)
                if done >= total:
                    self.end_bar()
            elif done >= total or time.monotonic() - self.hashing_drawn >= 0.1:
                self.hashing_drawn = time.monotonic()
                self._draw(self.upload_line + self.hashing)

        return self.progress("checksumming", draw)


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


if __name__ == "__main__":
    sys.exit(main())
