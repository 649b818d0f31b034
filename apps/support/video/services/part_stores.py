"""Where the parts of a direct upload go, behind one interface for both storages.

    store = part_store()                       # from STORAGES["default"]
    ref = store.start(key, content_type)       # S3: CreateMultipartUpload's UploadId
    url = store.part_url(upload, number, md5)  # a short-lived PUT URL bound to the part's Content-MD5
    store.parts(upload)                        # [StoredPart(number, size, etag)]: what the storage holds
    store.complete(upload, parts)              # the object at upload.storage_key, parts in order
    store.abort(upload)                        # frees every part

S3 (`S3PartStore`): parts are S3's own multipart upload; part URLs are SigV4 presigned
UploadPart URLs with Content-MD5 among the signed headers, so S3 refuses a PUT without
exactly that header (SignatureDoesNotMatch) and a body that does not match it (BadDigest);
the API never sees a video byte. The listing is S3's ListParts, never the client's word.

Filesystem (`FilesystemPartStore`): parts are PUT to the API's own part endpoint
(apps/api/v1/lectures/part_views.py) through a signed token (part_tokens.py) and written
in place into one file under VIDEO_UPLOAD_PARTS_DIR; completion renames it into the storage.

ETags are S3's: the quoted hex MD5 of the part's bytes (true of unencrypted and SSE-S3
objects, not of SSE-KMS ones; see the README).
"""

import base64
import binascii
import functools
import hashlib
import os
import shutil
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import BinaryIO

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages

from apps.support.video.services import part_tokens

READ_CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class StoredPart:
    number: int
    size: int
    etag: str  # quoted hex MD5, as S3 answers it


@dataclass(frozen=True)
class PartURL:
    number: int
    url: str
    headers: dict[str, str]
    expires_at: datetime


class PartStoreError(Exception):
    """The storage refused or could not be reached; nothing the client can mend."""


class BadDigest(Exception):
    """The bytes of a part do not match its declared Content-MD5."""


def md5_etag(md5_b64: str) -> str:
    """S3's ETag for a part whose Content-MD5 is md5_b64."""
    return '"' + base64.b64decode(md5_b64).hex() + '"'


def valid_content_md5(value: str) -> bool:
    try:
        return len(base64.b64decode(value, validate=True)) == 16
    except (binascii.Error, ValueError):
        return False


def part_store() -> "S3PartStore | FilesystemPartStore":
    storage = storages["default"]
    if isinstance(storage, FileSystemStorage):
        return FilesystemPartStore(storage)
    return S3PartStore(storage)


def _code(exc: PartStoreError) -> str:
    cause = exc.__cause__
    return cause.response.get("Error", {}).get("Code", "") if isinstance(cause, ClientError) else ""


def _expiry(ttl: int) -> datetime:
    return datetime.fromtimestamp(datetime.now(timezone.utc).timestamp() + ttl, timezone.utc)


@functools.lru_cache(maxsize=4)
def _s3_client(endpoint_url: str | None, region: str):
    """One client per endpoint for the process (building one costs tens of milliseconds; a
    client is thread-safe). Our own rather than the storage's: presigned part URLs must
    carry the Content-MD5 we sign and no checksum the SDK would add by itself."""
    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint_url, region_name=region,
        config=Config(signature_version="s3v4", request_checksum_calculation="when_required",
                      response_checksum_validation="when_required"))


class S3PartStore:
    name = "s3"

    def __init__(self, storage):
        self.storage = storage
        self.bucket = storage.bucket_name
        self.client = _s3_client(settings.AWS_S3_ENDPOINT_URL, settings.AWS_REGION)

    def object_key(self, key: str) -> str:
        """The key inside the bucket: the storage's AWS_S3_LOCATION prefix applied."""
        return self.storage._normalize_name(key)  # django-storages' own rule, so both agree

    def _call(self, doing: str, operation: str, **params):
        """One S3 call; anything but an answer becomes PartStoreError saying what failed."""
        try:
            return getattr(self.client, operation)(Bucket=self.bucket, **params)
        except (BotoCoreError, ClientError) as exc:
            raise PartStoreError(f"S3 did not {doing}: {exc}") from exc

    def start(self, key: str, content_type: str) -> str:
        answer = self._call("start the upload", "create_multipart_upload", Key=self.object_key(key),
                            ContentType=content_type or "application/octet-stream")
        return answer["UploadId"]

    def part_url(self, upload, number: int, content_md5: str, base_url: str = "") -> PartURL:
        ttl = settings.VIDEO_UPLOAD_URL_TTL_SECONDS
        url = self.client.generate_presigned_url(  # signed here, no request to S3
            "upload_part", ExpiresIn=ttl, HttpMethod="PUT",
            Params={"Bucket": self.bucket, "Key": self.object_key(upload.storage_key),
                    "UploadId": upload.storage_upload_id, "PartNumber": number, "ContentMD5": content_md5})
        return PartURL(number, url, {"Content-MD5": content_md5}, _expiry(ttl))

    def parts(self, upload) -> list[StoredPart]:
        found, marker = [], 0
        while True:
            try:
                answer = self._call("list the parts", "list_parts", Key=self.object_key(upload.storage_key),
                                    UploadId=upload.storage_upload_id, PartNumberMarker=marker)
            except PartStoreError as exc:
                if _code(exc) == "NoSuchUpload":  # completed or aborted: no parts any more
                    return []
                raise
            found += [StoredPart(p["PartNumber"], p["Size"], p["ETag"]) for p in answer.get("Parts", [])]
            if not answer.get("IsTruncated"):
                return found
            marker = int(answer["NextPartNumberMarker"])

    def complete(self, upload, parts: list[StoredPart]) -> None:
        self._call("complete the upload", "complete_multipart_upload", Key=self.object_key(upload.storage_key),
                   UploadId=upload.storage_upload_id,
                   MultipartUpload={"Parts": [{"PartNumber": p.number, "ETag": p.etag} for p in parts]})

    def abort(self, upload) -> None:
        try:
            self._call("abort the upload", "abort_multipart_upload", Key=self.object_key(upload.storage_key),
                       UploadId=upload.storage_upload_id)
        except PartStoreError as exc:
            if _code(exc) != "NoSuchUpload":
                raise

    def stored_size(self, key: str) -> int | None:
        """The object's size, None when there is no such object."""
        try:
            return int(self._call("read the object's size", "head_object", Key=self.object_key(key))["ContentLength"])
        except PartStoreError as exc:
            if _code(exc) in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def read_head(self, key: str, length: int) -> bytes:
        """The object's first bytes, by a ranged GET: the API reads no more of the video."""
        answer = self._call("read the object", "get_object", Key=self.object_key(key), Range=f"bytes=0-{length - 1}")
        return answer["Body"].read()

    def delete(self, key: str) -> None:
        self._call("delete the object", "delete_object", Key=self.object_key(key))

    def free_orphans(self, *, keep: set[str], older_than: timedelta) -> int:
        """Aborts S3 multipart uploads under lectures/ older than older_than whose UploadId
        is not in keep (no open upload owns them), on ListMultipartUploads' word."""
        cutoff = datetime.now(timezone.utc) - older_than
        freed = 0
        paginator = self.client.get_paginator("list_multipart_uploads")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.object_key("lectures/")):
            for item in page.get("Uploads", []):
                if item["UploadId"] not in keep and item["Initiated"] < cutoff:
                    self.client.abort_multipart_upload(Bucket=self.bucket, Key=item["Key"], UploadId=item["UploadId"])
                    freed += 1
        return freed


class FilesystemPartStore:
    """Parts written in place: every part of an upload goes straight to its offset in one
    file, <parts dir>/<upload id>/data, so completing is a rename into the storage, not a
    copy of gigabytes. A part counts as received once its marker, <number>.part (its ETag
    and size), exists: the marker is removed before the part's bytes are (re)written and
    written only after they matched their Content-MD5, so a listed part is a whole one."""

    name = "filesystem"

    def __init__(self, storage: FileSystemStorage):
        self.storage = storage
        configured = settings.VIDEO_UPLOAD_PARTS_DIR
        self.root = Path(configured) if configured else Path(storage.location).parent / "upload-parts"

    def upload_dir(self, upload) -> Path:
        return self.root / str(upload.id)

    def start(self, key: str, content_type: str) -> str:
        return ""

    def part_url(self, upload, number: int, content_md5: str, base_url: str = "") -> PartURL:
        ttl = settings.VIDEO_UPLOAD_URL_TTL_SECONDS
        token = part_tokens.sign(tenant_id=upload.tenant_id, upload_id=upload.id, part_number=number,
                                 content_md5=content_md5)
        return PartURL(number, f"{base_url}/api/v1/uploads/parts/{token}", {"Content-MD5": content_md5},
                       _expiry(ttl))

    def receive(self, upload, number: int, content_md5: str, body: BinaryIO, length: int) -> str:
        """Streams `length` bytes of body to the part's place in the upload's file, checking
        them against content_md5 on the way; returns the ETag. One chunk in memory at a time."""
        directory = self.upload_dir(upload)
        directory.mkdir(parents=True, exist_ok=True)
        marker = directory / f"{number}.part"
        marker.unlink(missing_ok=True)
        digest = hashlib.md5()  # noqa: S324 - S3's ETag and Content-MD5 are MD5
        received = 0
        descriptor = os.open(directory / "data", os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            offset = (number - 1) * upload.part_size
            while received < length:
                chunk = body.read(min(READ_CHUNK_BYTES, length - received))
                if not chunk:
                    break
                digest.update(chunk)
                os.pwrite(descriptor, chunk, offset + received)
                received += len(chunk)
        finally:
            os.close(descriptor)
        if received != length:
            raise BadDigest(f"the part ended after {received} of its {length} bytes")
        if base64.b64encode(digest.digest()).decode() != content_md5:
            raise BadDigest("the part's bytes do not match its Content-MD5")
        etag = f'"{digest.hexdigest()}"'
        temporary = marker.with_name(f"{marker.name}.{os.urandom(4).hex()}")
        temporary.write_text(f"{etag} {length}")
        os.replace(temporary, marker)
        return etag

    def parts(self, upload) -> list[StoredPart]:
        directory = self.upload_dir(upload)
        if not directory.is_dir():
            return []
        found = []
        for marker in directory.glob("*.part"):
            if marker.stem.isdigit():
                etag, size = marker.read_text().split()
                found.append(StoredPart(int(marker.stem), int(size), etag))
        return sorted(found, key=lambda p: p.number)

    def complete(self, upload, parts: list[StoredPart]) -> None:
        data = self.upload_dir(upload) / "data"
        os.truncate(data, sum(part.size for part in parts))
        target = Path(self.storage.path(upload.storage_key))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(data, target)  # a rename on one filesystem (the default), else a copy
        shutil.rmtree(self.upload_dir(upload), ignore_errors=True)

    def abort(self, upload) -> None:
        shutil.rmtree(self.upload_dir(upload), ignore_errors=True)

    def stored_size(self, key: str) -> int | None:
        return self.storage.size(key) if self.storage.exists(key) else None

    def read_head(self, key: str, length: int) -> bytes:
        with self.storage.open(key, "rb") as handle:
            return handle.read(length)

    def delete(self, key: str) -> None:
        self.storage.delete(key)

    def free_orphans(self, *, keep: set[str], older_than: timedelta) -> int:
        """Removes part directories not written to for older_than whose upload id is not in keep."""
        if not self.root.is_dir():
            return 0
        freed = 0
        for directory in self.root.iterdir():
            idle = time.time() - directory.stat().st_mtime
            if directory.is_dir() and directory.name not in keep and idle > older_than.total_seconds():
                shutil.rmtree(directory, ignore_errors=True)
                freed += 1
        return freed
