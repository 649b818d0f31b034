"""The HTTP client of the platform's upload API: its endpoints, retried with backoff, the part
URLs the part threads share, and the API's and S3's errors in a few words."""

import math
import re
import threading
import time
from datetime import datetime, timezone

import requests

from tools.dev.upload.errors import UploadError, UploadInterrupted, _Stopped
from tools.dev.upload.parts import Part

MAX_URLS_PER_REQUEST = 1000

API_TIMEOUT = (10, 60)  # (connect, read) seconds
COMPLETE_TIMEOUT = (10, 600)  # the filesystem storage concatenates gigabytes before answering
BACKOFF_FIRST, BACKOFF_MAX = 0.5, 15.0
URL_MARGIN_S = 60  # a part URL expiring sooner than this is asked anew rather than used


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
