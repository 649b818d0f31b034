"""Direct, resumable uploads of big lecture videos: the client sends the bytes in parts
straight to the storage (S3 multipart, or the API's part endpoint on the filesystem
default), and the API only keeps the books.

    upload, urls = start_upload(lecture=lecture, filename="week1.mp4", size=4 * 2**30, content_type="video/mp4",
                                part_size=16 * 2**20, md5s={1: "<base64 MD5 of part 1>", ...}, base_url=...)
    urls = part_urls(upload=upload, md5s={2: "...", ...}, base_url="https://api...")   # more, or fresh
    stored_parts(upload=upload)                    # what the storage holds, for a resume
    video, created = complete_upload(upload=upload, etags={1: '"..."', ...})
    abort_upload(upload=upload)

complete_upload ends as the one-request upload does: the video is recorded "uploaded"
(services.create_video), its transcode queued (uploads.request_transcode), and it becomes
"queued". Every refusal is an UploadRefused subclass whose message says what to do; a
refusal leaves the upload as it was (the client mends and completes again) or, where
nothing can mend it (a file that is not a video), aborts it and frees its parts.
"""

import math
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.core.status_machine import InvalidTransition
from apps.domains.lectures import keys, selectors, services, upload_status
from apps.domains.lectures.models import Lecture, LectureVideo, VideoUpload
from apps.support.video.services import uploads
from apps.support.video.services.part_stores import (
    BadDigest,  # noqa: F401 (re-exported for the part endpoint)
    PartStoreError,
    PartURL,
    StoredPart,
    md5_etag,
    part_store,
    valid_content_md5,
)
from apps.support.video.services.sniffing import SNIFF_BYTES

# S3's limits on multipart uploads: every part but the last at least 5 MiB, at most 5 GiB,
# at most 10,000 parts.
MIN_PART_BYTES = 5 * 1024**2
MAX_PART_BYTES = 5 * 1024**3
MAX_PARTS = 10_000
# Part URLs one answer carries at most; ask for more with part_urls().
MAX_URLS_PER_REQUEST = 1000
# A completion that has not finished after this long was cut off (its process died); the
# next complete request takes it over.
STALE_COMPLETION = timedelta(minutes=15)


class UploadRefused(Exception):
    pass


class InvalidUpload(UploadRefused):
    """400: the request does not fit the upload."""


class TooManyUploads(UploadRefused):
    """429: the academy has VIDEO_UPLOADS_MAX_IN_PROGRESS uploads open already."""


class UploadBusy(UploadRefused):
    """409: another request is completing this upload right now."""


class UploadClosed(UploadRefused):
    """409: the upload was aborted; start a new one."""


UploadTooLarge = uploads.UploadTooLarge  # 413
NotAVideo = uploads.NotAVideo  # 415
StorageUnavailable = PartStoreError  # 503: the storage refused or is unreachable


def plan_parts(size: int, part_size: int | None = None) -> tuple[int, int]:
    """(part size, part count) for a file of `size` bytes: the client's part size if it asks
    for one S3 allows, else VIDEO_UPLOAD_PART_BYTES; grown (to whole MiB) where the file
    would otherwise need more than 10,000 parts."""
    if part_size is not None and not MIN_PART_BYTES <= part_size <= MAX_PART_BYTES:
        raise InvalidUpload(f"part_size must be between {MIN_PART_BYTES} and {MAX_PART_BYTES} bytes")
    chosen = part_size or settings.VIDEO_UPLOAD_PART_BYTES
    if math.ceil(size / chosen) > MAX_PARTS:
        chosen = math.ceil(size / MAX_PARTS / 1024**2) * 1024**2
    return chosen, max(1, math.ceil(size / chosen))


def expected_part_size(upload: VideoUpload, number: int) -> int:
    if number < upload.part_count:
        return upload.part_size
    return upload.size_bytes - upload.part_size * (upload.part_count - 1)


def start_upload(*, lecture: Lecture, filename: str, size: int, content_type: str = "",
                 part_size: int | None = None, md5s: dict[int, str] | None = None,
                 base_url: str = "") -> tuple[VideoUpload, list[PartURL]]:
    """Opens an upload, with URLs for the parts of `md5s` when they were computed for the
    part size chosen (the client's). Every check runs before the storage is asked."""
    if size < 1:
        raise InvalidUpload("size must be at least 1 byte")
    uploads.check_upload_size(size)
    chosen, count = plan_parts(size, part_size)
    md5s = md5s if md5s and chosen == part_size else {}
    _check_md5s(md5s, count)
    in_progress = selectors.uploads_in_progress(tenant_id=lecture.tenant_id)
    if in_progress >= settings.VIDEO_UPLOADS_MAX_IN_PROGRESS:
        raise TooManyUploads(f"the academy has {in_progress} uploads in progress (the limit is "
                             f"{settings.VIDEO_UPLOADS_MAX_IN_PROGRESS}): complete or abort one first")
    video_id = uuid.uuid4()
    key = keys.direct_upload_key(tenant_id=lecture.tenant_id, lecture_id=lecture.id, video_id=video_id)
    store = part_store()
    storage_upload_id = store.start(key, content_type)
    try:
        upload = services.create_upload(lecture=lecture, video_id=video_id, filename=filename,
                                        content_type=content_type, size_bytes=size, part_size=chosen,
                                        part_count=count, storage=store.name, storage_key=key,
                                        storage_upload_id=storage_upload_id)
    except Exception:
        # Nothing half-created: the storage's upload goes with the row that failed.
        store.abort(VideoUpload(storage_key=key, storage_upload_id=storage_upload_id))
        raise
    return upload, _sign(upload, store, md5s, base_url)


def part_urls(*, upload: VideoUpload, md5s: dict[int, str], base_url: str) -> list[PartURL]:
    """Short-lived PUT URLs for the given parts, each bound to the part's Content-MD5."""
    _require_open(upload)
    _check_md5s(md5s, upload.part_count)
    return _sign(upload, part_store(), md5s, base_url)


def _check_md5s(md5s: dict[int, str], part_count: int) -> None:
    if len(md5s) > MAX_URLS_PER_REQUEST:
        raise InvalidUpload(f"at most {MAX_URLS_PER_REQUEST} part URLs per request")
    outside = sorted(n for n in md5s if not 1 <= n <= part_count)
    if outside:
        raise InvalidUpload(f"part numbers {outside} are outside 1..{part_count}")
    malformed = sorted(n for n, md5 in md5s.items() if not valid_content_md5(md5))
    if malformed:
        raise InvalidUpload(f"content_md5 of parts {malformed} is not a base64 MD5 digest")


def _sign(upload: VideoUpload, store, md5s: dict[int, str], base_url: str) -> list[PartURL]:
    if not md5s:
        return []
    services.declare_part_md5s(upload=upload, md5s=md5s)
    return [store.part_url(upload, number, md5s[number], base_url) for number in sorted(md5s)]


def stored_parts(*, upload: VideoUpload) -> list[StoredPart]:
    """The parts the storage has received (S3's ListParts, or the part files on disk)."""
    if upload.status not in upload_status.IN_PROGRESS:
        return []
    return part_store().parts(upload)


def receive_part(*, upload: VideoUpload, number: int, content_md5: str, body, length: int) -> str:
    """The filesystem part endpoint's work: checks the part fits the upload, streams it to
    disk against its Content-MD5 and returns its ETag."""
    _require_open(upload)
    if upload.status != upload_status.UPLOADING:
        raise UploadBusy("the upload is being completed")
    store = part_store()
    if store.name != upload.storage:
        raise InvalidUpload(f"this upload's parts go to {upload.storage}, not to this endpoint")
    if not 1 <= number <= upload.part_count:
        raise InvalidUpload(f"part {number} is outside 1..{upload.part_count}")
    expected = expected_part_size(upload, number)
    if length != expected:
        raise InvalidUpload(f"part {number} must be {expected} bytes, not {length}")
    return store.receive(upload, number, content_md5, body, length)


def complete_upload(*, upload: VideoUpload, etags: dict[int, str]) -> tuple[LectureVideo, bool]:
    """Completes the upload into a queued video; (video, False) when it was completed before."""
    if upload.status == upload_status.COMPLETED:
        return _completed_video(upload), False
    _require_open(upload)
    _check_listing(upload, etags)
    _take_completion(upload)
    try:
        video = _complete_in_storage(upload, etags)
    except BaseException:
        # Nothing was decided: the client may mend and complete again.
        if upload.status == upload_status.COMPLETING:
            services.reopen_upload(upload=upload)
        raise
    return video, True


def abort_upload(*, upload: VideoUpload, reason: str = "aborted by the client") -> VideoUpload:
    """Frees the upload's parts and closes it. A completed upload cannot be aborted."""
    if upload.status == upload_status.ABORTED:
        return upload
    if upload.status == upload_status.COMPLETED:
        raise UploadClosed("the upload is completed: delete its video instead")
    if upload.status == upload_status.COMPLETING and not _completion_is_stale(upload):
        raise UploadBusy("the upload is being completed")
    part_store().abort(upload)
    return services.mark_upload_aborted(upload=upload, reason=reason)


def cleanup(*, older_than: timedelta) -> dict[str, int]:
    """Aborts uploads started more than `older_than` ago and never completed, and frees
    storage parts no open upload owns (S3 multipart uploads under lectures/, part
    directories on disk) of the same age. Returns what it did, by kind."""
    cutoff = timezone.now() - older_than
    done = {"uploads_aborted": 0, "orphans_freed": 0}
    for upload in selectors.stale_uploads(started_before=cutoff):
        try:
            abort_upload(upload=upload, reason=f"abandoned: not completed within {older_than}")
            done["uploads_aborted"] += 1
        except (UploadRefused, InvalidTransition):
            continue  # completed or taken in the meantime
    store = part_store()
    keep = selectors.open_storage_upload_ids() if store.name == "s3" else selectors.open_upload_ids()
    done["orphans_freed"] = store.free_orphans(keep=keep, older_than=older_than)
    return done


# --- completion, step by step --------------------------------------------------------------

def _require_open(upload: VideoUpload) -> None:
    if upload.status == upload_status.ABORTED:
        raise UploadClosed(f"the upload was aborted ({upload.failure_reason}): start a new one")
    if upload.status == upload_status.COMPLETED:
        raise UploadClosed("the upload is completed")


def _check_listing(upload: VideoUpload, etags: dict[int, str]) -> None:
    """The client's list must name every part once, 1..N, before the storage is asked."""
    numbers = list(etags)
    expected = list(range(1, upload.part_count + 1))
    if numbers != expected:
        missing = sorted(set(expected) - set(numbers))
        extra = sorted(set(numbers) - set(expected))
        problems = [f"missing parts {missing}" if missing else "", f"unknown parts {extra}" if extra else "",
                    "parts out of order" if not missing and not extra else ""]
        raise InvalidUpload(f"complete needs every part 1..{upload.part_count} in order, each with its ETag: "
                            + "; ".join(p for p in problems if p))


def _take_completion(upload: VideoUpload) -> None:
    if upload.status == upload_status.COMPLETING and _completion_is_stale(upload):
        services.reopen_upload(upload=upload)
    try:
        services.start_completing(upload=upload)
    except InvalidTransition:
        upload.refresh_from_db()
        if upload.status == upload_status.COMPLETING:
            raise UploadBusy("another request is completing this upload: ask again in a moment") from None
        _require_open(upload)
        raise


def _completion_is_stale(upload: VideoUpload) -> bool:
    return upload.updated_at < timezone.now() - STALE_COMPLETION


def _complete_in_storage(upload: VideoUpload, etags: dict[int, str]) -> LectureVideo:
    store = part_store()
    stored = {part.number: part for part in store.parts(upload)}
    if not stored and store.stored_size(upload.storage_key) == upload.size_bytes:
        # An earlier completion assembled the object and was cut off before it recorded the
        # video: the parts are gone into it, so go on from the object.
        return _accept_object(upload, store)
    missing = [n for n in etags if n not in stored]
    if missing:
        raise InvalidUpload(f"the storage has not received parts {missing}: upload them, then complete again")
    forged = [n for n, etag in etags.items() if _unquote(etag) != _unquote(stored[n].etag)]
    if forged:
        raise InvalidUpload(f"the ETags of parts {forged} are not those of the parts the storage holds")
    declared = selectors.declared_md5s(upload=upload)
    damaged = [n for n in etags if n not in declared or _unquote(md5_etag(declared[n])) != _unquote(stored[n].etag)]
    if damaged:
        raise InvalidUpload(f"parts {damaged} do not match the Content-MD5 declared for them: upload them again")
    wrong_size = [f"part {n} has {stored[n].size} bytes, not {expected_part_size(upload, n)}"
                  for n in etags if stored[n].size != expected_part_size(upload, n)]
    if wrong_size:
        raise InvalidUpload("the parts do not add up to the declared size: " + "; ".join(wrong_size))
    store.complete(upload, [stored[n] for n in sorted(stored) if n in etags])
    return _accept_object(upload, store)


def _accept_object(upload: VideoUpload, store) -> LectureVideo:
    """The assembled object checked as the one-request upload checks a file, then the video
    recorded and queued. A refusal deletes the object and closes the upload."""
    size = store.stored_size(upload.storage_key)
    if size != upload.size_bytes:
        _refuse(upload, store, f"the stored file has {size} bytes, not the {upload.size_bytes} declared")
        raise InvalidUpload(upload.failure_reason)
    try:
        container = uploads.check_container(store.read_head(upload.storage_key, SNIFF_BYTES))
    except uploads.NotAVideo as exc:
        _refuse(upload, store, str(exc))
        raise
    with transaction.atomic():
        video = services.create_video(lecture=upload.lecture, video_id=upload.video_id,
                                      source_key=upload.storage_key, original_filename=upload.filename,
                                      size_bytes=upload.size_bytes, container=container.name)
        services.mark_upload_completed(upload=upload)
    return uploads.request_transcode(video=video)


def _refuse(upload: VideoUpload, store, reason: str) -> None:
    store.delete(upload.storage_key)
    services.mark_upload_aborted(upload=upload, reason=reason)


def _completed_video(upload: VideoUpload) -> LectureVideo:
    """The video of a completed upload, queued again if an earlier completion could not."""
    video = LectureVideo.objects.get(pk=upload.video_id, tenant_id=upload.tenant_id)
    return uploads.request_transcode(video=video)


def _unquote(etag: str) -> str:
    return etag.strip().strip('"').lower()
