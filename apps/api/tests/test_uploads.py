"""Direct uploads in process: the API under Django's test client, the parts PUT to moto's
S3 server (over HTTP, with presigned URLs, as a browser or the uploader sends them) or to
the API's own part endpoint on the filesystem storage; every refusal the API owes."""

import base64
import hashlib
import os
import time
import urllib.parse
import uuid
from datetime import timedelta

import boto3
import pytest
import requests
from django.core.management import call_command
from django.utils import timezone

from apps.domains.lectures import services
from apps.domains.lectures.models import LectureVideo, VideoUpload
from apps.shared.contracts import VideoTranscodeMessage, decode
from tools.testing import media
from tools.testing.sqs_server import unique_name

pytestmark = pytest.mark.django_db

MiB = 1024 * 1024
PART = 5 * MiB


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A real MP4 made 11 MiB (three 5 MiB parts, the last short) by a tail of random bytes
    after its last box, which players and ffprobe skip."""
    path = media.make_video(tmp_path_factory.mktemp("clip") / "lecture.mp4", width=320, height=240, seconds=1)
    data = path.read_bytes()
    return data + os.urandom(11 * MiB - len(data))


@pytest.fixture
def s3(settings, sqs_server, video_queue):
    """STORAGES["default"] on a fresh bucket of moto's server; returns the boto3 client."""
    bucket = unique_name("media")
    client = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                   region_name=sqs_server.region).client("s3", endpoint_url=sqs_server.endpoint_url)
    client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": sqs_server.region})
    settings.AWS_S3_ENDPOINT_URL = sqs_server.endpoint_url
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"bucket_name": bucket, "endpoint_url": sqs_server.endpoint_url, "region_name": sqs_server.region,
                    "querystring_auth": False, "file_overwrite": True}}}
    client.bucket = bucket
    return client


@pytest.fixture
def disk(settings, media_root, video_queue, tmp_path):
    settings.VIDEO_UPLOAD_PARTS_DIR = str(tmp_path / "parts")
    return media_root


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def split(data: bytes, size: int = PART) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


def start(caller, lecture, data: bytes, *, with_urls=True, **fields):
    body = {"filename": "week1.mp4", "size": len(data), "content_type": "video/mp4", "part_size": PART, **fields}
    if with_urls:
        body["parts"] = [{"part_number": n, "content_md5": md5_b64(p)} for n, p in enumerate(split(data), 1)]
    return caller.json("post", f"/api/v1/lectures/{lecture.id}/uploads/", body)


def put_part(client, url: dict, body: bytes):
    """PUT one part as a client does: to S3 over HTTP, or to the API's own part endpoint."""
    parsed = urllib.parse.urlsplit(url["url"])
    if parsed.path.startswith("/api/v1/uploads/parts/"):
        extra = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in url["headers"].items()}
        return client.put(parsed.path, body, content_type="application/octet-stream", **extra)
    return requests.put(url["url"], data=body, headers=url["headers"], timeout=30)


def etag_of(response) -> str:
    return response.headers["ETag"]


def complete(caller, lecture, upload_id, etags: list[str], numbers=None):
    parts = [{"part_number": n, "etag": e} for n, e in zip(numbers or range(1, len(etags) + 1), etags)]
    return caller.json("post", f"/api/v1/lectures/{lecture.id}/uploads/{upload_id}/complete", {"parts": parts})


@pytest.fixture(params=["s3", "filesystem"])
def storage(request):
    """Runs a test on both storages; the test gets the storage's name."""
    request.getfixturevalue("s3" if request.param == "s3" else "disk")
    return request.param


def stored_bytes(storage_name, s3_or_root, key) -> bytes:
    if storage_name == "s3":
        return s3_or_root.get_object(Bucket=s3_or_root.bucket, Key=key)["Body"].read()
    return (s3_or_root / key).read_bytes()


def test_three_parts_interrupted_after_the_second_resume_from_the_storage_and_complete(
        alice, client, storage, video_queue, request, source):
    lecture = services.create_lecture(tenant=alice.tenant, title="Calculus")
    started = start(alice, lecture, source)
    assert started.status_code == 201, started.content
    upload = started.json()
    assert (upload["status"], upload["part_size"], upload["part_count"], upload["storage"]) == \
        ("uploading", PART, 3, storage)
    assert [u["part_number"] for u in upload["part_urls"]] == [1, 2, 3]
    parts = split(source)
    for url, body in zip(upload["part_urls"][:2], parts[:2]):
        answer = put_part(client, url, body)
        assert answer.status_code == 200, answer.content
        assert etag_of(answer) == f'"{hashlib.md5(body).hexdigest()}"'
    # The client is gone; a new one asks what the storage holds.
    shown = alice.get(f"/api/v1/lectures/{lecture.id}/uploads/{upload['id']}/").json()
    assert [(p["part_number"], p["size"]) for p in shown["parts"]] == [(1, PART), (2, PART)]
    etags = [p["etag"] for p in shown["parts"]]
    fresh = alice.json("post", f"/api/v1/lectures/{lecture.id}/uploads/{upload['id']}/part-urls/",
                       {"parts": [{"part_number": 3, "content_md5": md5_b64(parts[2])}]})
    assert fresh.status_code == 200, fresh.content
    answer = put_part(client, fresh.json()["part_urls"][0], parts[2])
    assert answer.status_code == 200, answer.content
    done = complete(alice, lecture, upload["id"], [*etags, etag_of(answer)])
    assert done.status_code == 201, done.content
    video = done.json()["video"]
    assert (video["status"], video["container"], video["size_bytes"]) == ("queued", "mp4", len(source))
    assert done.json()["upload"]["video_id"] == video["id"]
    row = LectureVideo.objects.get(pk=video["id"])
    target = request.getfixturevalue("s3" if storage == "s3" else "disk")
    assert hashlib.sha256(stored_bytes(storage, target, row.source_key)).hexdigest() == \
        hashlib.sha256(source).hexdigest()
    assert row.source_key.startswith(f"lectures/{alice.tenant.id}/")
    sent = video_queue.client.receive_message(QueueUrl=video_queue.url, WaitTimeSeconds=1)["Messages"]
    assert decode(sent[0]["Body"], VideoTranscodeMessage).video_id == row.id
    # Completing again is the same video, not a second one.
    again = complete(alice, lecture, upload["id"], [*etags, etag_of(answer)])
    assert again.status_code == 200 and again.json()["video"]["id"] == video["id"]
    assert LectureVideo.objects.count() == 1
    if storage == "s3":
        assert target.list_multipart_uploads(Bucket=target.bucket).get("Uploads", []) == []


def test_part_urls_are_short_lived_and_signed_for_their_content_md5(alice, s3, settings, source):
    settings.VIDEO_UPLOAD_URL_TTL_SECONDS = 600
    lecture = services.create_lecture(tenant=alice.tenant, title="Calculus")
    url = start(alice, lecture, source).json()["part_urls"][0]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url["url"]).query)
    assert query["X-Amz-Expires"] == ["600"]
    assert "content-md5" in query["X-Amz-SignedHeaders"][0].split(";")
    assert url["headers"] == {"Content-MD5": md5_b64(split(source)[0])}


def test_refusals_before_anything_is_stored(alice, storage, settings, source):
    lecture = services.create_lecture(tenant=alice.tenant, title="Calculus")
    path = f"/api/v1/lectures/{lecture.id}/uploads/"
    assert alice.json("post", path, {"filename": "a.mp4", "size": 0}).status_code == 400
    settings.VIDEO_UPLOAD_MAX_BYTES = 10 * MiB
    too_big = alice.json("post", path, {"filename": "a.mp4", "size": 10 * MiB + 1})
    assert too_big.status_code == 413 and "limit" in too_big.json()["detail"]
    assert alice.json("post", path, {"filename": "a.mp4", "size": MiB, "part_size": 1024}).status_code == 400
    no_size = alice.json("post", path, {"filename": "a.mp4", "size": 6 * MiB,
                                        "parts": [{"part_number": 1, "content_md5": md5_b64(b"x")}]})
    assert no_size.status_code == 400 and "part_size" in str(no_size.json())
    assert alice.json("post", f"/api/v1/lectures/{uuid.uuid4()}/uploads/", {"filename": "a", "size": 1}).status_code \
        == 404
    assert not VideoUpload.objects.exists()
    settings.VIDEO_UPLOAD_MAX_BYTES = 4 * 1024 * MiB
    settings.VIDEO_UPLOADS_MAX_IN_PROGRESS = 2
    for _ in range(2):
        assert start(alice, lecture, source, with_urls=False).status_code == 201
    busy = start(alice, lecture, source, with_urls=False)
    assert busy.status_code == 429 and "in progress" in busy.json()["detail"]


def test_bad_part_requests_and_completions(alice, client, storage, source):
    lecture = services.create_lecture(tenant=alice.tenant, title="Calculus")
    upload = start(alice, lecture, source).json()
    base = f"/api/v1/lectures/{lecture.id}/uploads/{upload['id']}"
    out_of_range = alice.json("post", f"{base}/part-urls/", {"parts": [{"part_number": 4, "content_md5": md5_b64(b"")}]})
    assert out_of_range.status_code == 400 and "outside 1..3" in out_of_range.json()["detail"]
    not_md5 = alice.json("post", f"{base}/part-urls/", {"parts": [{"part_number": 1, "content_md5": "abc"}]})
    assert not_md5.status_code == 400
    parts = split(source)
    etags = [etag_of(put_part(client, u, p)) for u, p in zip(upload["part_urls"][:2], parts[:2])]

    missing = complete(alice, lecture, upload["id"], etags)
    assert missing.status_code == 400 and "missing parts [3]" in missing.json()["detail"]
    not_received = complete(alice, lecture, upload["id"], [*etags, '"' + "0" * 32 + '"'])
    assert not_received.status_code == 400 and "not received parts [3]" in not_received.json()["detail"]
    etags.append(etag_of(put_part(client, upload["part_urls"][2], parts[2])))
    reordered = complete(alice, lecture, upload["id"], etags, numbers=[2, 1, 3])
    assert reordered.status_code == 400 and "order" in reordered.json()["detail"]
    forged = complete(alice, lecture, upload["id"], [etags[0], '"' + "f" * 32 + '"', etags[2]])
    assert forged.status_code == 400 and "ETags of parts [2]" in forged.json()["detail"]
    twice = alice.json("post", f"{base}/complete", {"parts": [{"part_number": 1, "etag": etags[0]}] * 2})
    assert twice.status_code == 400
    # Every refusal left the upload open: the right list completes it.
    assert alice.get(f"{base}/").json()["status"] == "uploading"
    assert complete(alice, lecture, upload["id"], etags).status_code == 201


def test_another_tenant_sees_no_upload(alice, bob, client, storage, source):
    lecture = services.create_lecture(tenant=alice.tenant, title="Calculus")
    upload = start(alice, lecture, source).json()
    base = f"/api/v1/lectures/{lecture.id}/uploads/{upload['id']}"
    assert bob.get(f"{base}/").status_code == 404
    assert bob.json("post", f"{base}/complete", {"parts": [{"part_number": 1, "etag": "x"}]}).status_code == 404
    assert bob.json("post", f"{base}/part-urls/", {"parts": [{"part_number": 1, "content_md5": md5_b64(b"")}]}) \
        .status_code == 404
    assert bob.delete(f"{base}/").status_code == 404
    bobs = services.create_lecture(tenant=bob.tenant, title="Bob's")
    assert bob.get(f"/api/v1/lectures/{bobs.id}/uploads/{upload['id']}/").status_code == 404
    assert alice.get(f"{base}/").json()["status"] == "uploading"


def test_a_file_that_is_not_a_video_is_refused_and_nothing_is_left(alice, client, storage, request):
    lecture = services.create_lecture(tenant=alice.tenant, title="Calculus")
    notes = b"%PDF-1.7 lecture notes\n" + os.urandom(6 * MiB)
    upload = start(alice, lecture, notes).json()
    etags = [etag_of(put_part(client, u, p)) for u, p in zip(upload["part_urls"], split(notes))]
    refused = complete(alice, lecture, upload["id"], etags)
    assert refused.status_code == 415 and "not a video" in refused.json()["detail"]
    assert not LectureVideo.objects.exists()
    shown = alice.get(f"/api/v1/lectures/{lecture.id}/uploads/{upload['id']}/").json()
    assert shown["status"] == "aborted" and "not a video" in shown["failure_reason"]
    target = request.getfixturevalue("s3" if storage == "s3" else "disk")
    key = VideoUpload.objects.get(pk=upload["id"]).storage_key
    if storage == "s3":
        assert target.list_objects_v2(Bucket=target.bucket).get("KeyCount", 0) == 0
        assert target.list_multipart_uploads(Bucket=target.bucket).get("Uploads", []) == []
    else:
        assert not (target / key).exists()
    assert complete(alice, lecture, upload["id"], etags).status_code == 409


def test_a_part_whose_bytes_do_not_match_its_content_md5_is_refused(alice, client, storage, source):
    lecture = services.create_lecture(tenant=alice.tenant, title="Calculus")
    upload = start(alice, lecture, source).json()
    parts = split(source)
    damaged = bytearray(parts[0])
    damaged[1000] ^= 0xFF
    answer = put_part(client, upload["part_urls"][0], bytes(damaged))
    etags = [etag_of(put_part(client, u, p)) for u, p in zip(upload["part_urls"][1:], parts[1:])]
    if storage == "filesystem":
        # The part endpoint checks the bytes as they stream in and keeps nothing.
        assert answer.status_code == 400 and answer.json()["code"] == "bad_digest"
        assert [p["part_number"] for p in alice.get(f"/api/v1/lectures/{lecture.id}/uploads/{upload['id']}/")
                .json()["parts"]] == [2, 3]
        return
    # S3 refuses it itself (BadDigest); moto stores it, and completion catches it instead.
    refused = complete(alice, lecture, upload["id"], [etag_of(answer), *etags])
    assert refused.status_code == 400 and "parts [1] do not match the Content-MD5" in refused.json()["detail"]
    again = put_part(client, upload["part_urls"][0], parts[0])
    assert complete(alice, lecture, upload["id"], [etag_of(again), *etags]).status_code == 201


def test_a_client_that_lies_about_the_size_cannot_complete(alice, client, storage, source):
    lecture = services.create_lecture(tenant=alice.tenant, title="Calculus")
    claimed = source[:len(source) - MiB // 2]  # declares 10.5 MiB, sends the last part longer
    upload = start(alice, lecture, claimed).json()
    parts = split(claimed)
    longer = source[2 * PART:]
    urls = alice.json("post", f"/api/v1/lectures/{lecture.id}/uploads/{upload['id']}/part-urls/",
                      {"parts": [{"part_number": 3, "content_md5": md5_b64(longer)}]}).json()["part_urls"]
    etags = [etag_of(put_part(client, u, p)) for u, p in zip(upload["part_urls"][:2], parts[:2])]
    answer = put_part(client, urls[0], longer)
    if storage == "filesystem":
        assert answer.status_code == 400 and "must be" in answer.json()["detail"]
        return
    refused = complete(alice, lecture, upload["id"], [*etags, etag_of(answer)])
    assert refused.status_code == 400 and "declared size" in refused.json()["detail"]
    assert not LectureVideo.objects.exists()


def test_abort_frees_the_parts(alice, client, storage, request, source):
    lecture = services.create_lecture(tenant=alice.tenant, title="Calculus")
    upload = start(alice, lecture, source).json()
    put_part(client, upload["part_urls"][0], split(source)[0])
    base = f"/api/v1/lectures/{lecture.id}/uploads/{upload['id']}"
    assert alice.delete(f"{base}/").status_code == 204
    assert alice.get(f"{base}/").json()["status"] == "aborted"
    assert alice.json("post", f"{base}/part-urls/", {"parts": [{"part_number": 1, "content_md5": md5_b64(b"")}]}) \
        .status_code == 409
    target = request.getfixturevalue("s3" if storage == "s3" else "disk")
    if storage == "s3":
        assert target.list_multipart_uploads(Bucket=target.bucket).get("Uploads", []) == []
    else:
        assert not any((target.parent / "parts").glob("*/*.part"))


def test_the_part_endpoint_refuses_expired_forged_and_mismatched_requests(alice, client, disk, settings, source):
    lecture = services.create_lecture(tenant=alice.tenant, title="Calculus")
    upload = start(alice, lecture, source).json()
    url = upload["part_urls"][0]
    path = urllib.parse.urlsplit(url["url"]).path
    body = split(source)[0]
    md5 = {"HTTP_CONTENT_MD5": url["headers"]["Content-MD5"]}
    tampered = path[:-3] + ("A" if path[-3] != "A" else "B") + path[-2:]
    assert client.put(tampered, body, content_type="application/octet-stream", **md5).status_code == 403
    wrong_md5 = client.put(path, body, content_type="application/octet-stream", HTTP_CONTENT_MD5=md5_b64(b"other"))
    assert wrong_md5.status_code == 400 and wrong_md5.json()["code"] == "bad_content_md5"
    assert client.put(path, body[:-1], content_type="application/octet-stream", **md5).status_code == 400
    assert client.get(path).status_code == 405
    assert client.options(path).status_code == 200
    settings.VIDEO_UPLOAD_URL_TTL_SECONDS = 1
    time.sleep(2.1)
    expired = client.put(path, body, content_type="application/octet-stream", **md5)
    assert expired.status_code == 403 and "expired" in expired.json()["detail"]
    assert alice.get(f"/api/v1/lectures/{lecture.id}/uploads/{upload['id']}/").json()["parts"] == []


def test_uploads_cleanup_aborts_abandoned_uploads_and_orphaned_parts(alice, client, storage, request, source):
    lecture = services.create_lecture(tenant=alice.tenant, title="Calculus")
    old = start(alice, lecture, source).json()
    put_part(client, old["part_urls"][0], split(source)[0])
    recent = start(alice, lecture, source).json()
    VideoUpload.objects.filter(pk=old["id"]).update(created_at=timezone.now() - timedelta(hours=25))
    target = request.getfixturevalue("s3" if storage == "s3" else "disk")
    if storage == "s3":  # a multipart upload no row knows (its row was lost)
        target.create_multipart_upload(Bucket=target.bucket, Key="lectures/x/orphan")
        # moto dates every multipart upload 2010-11-10 (its ListMultipartUploads template),
        # so only the row-owned upload tells "kept" from "freed" at 24h.
    else:  # a part directory no row knows, last written two days ago
        orphan = target.parent / "parts" / str(uuid.uuid4())
        orphan.mkdir(parents=True)
        (orphan / "1.part").write_bytes(b"x")
        two_days_ago = time.time() - 2 * 86400
        os.utime(orphan, (two_days_ago, two_days_ago))
    call_command("uploads_cleanup", "--older-than", "24h")
    assert VideoUpload.objects.get(pk=old["id"]).status == "aborted"
    assert VideoUpload.objects.get(pk=recent["id"]).status == "uploading"
    if storage == "s3":
        left = {u["UploadId"] for u in target.list_multipart_uploads(Bucket=target.bucket).get("Uploads", [])}
        assert VideoUpload.objects.get(pk=recent["id"]).storage_upload_id in left
        assert VideoUpload.objects.get(pk=old["id"]).storage_upload_id not in left
        call_command("uploads_cleanup", "--older-than", "0s")
        assert target.list_multipart_uploads(Bucket=target.bucket).get("Uploads", []) == []
        assert VideoUpload.objects.get(pk=recent["id"]).status == "aborted"
    else:
        assert not (target.parent / "parts" / old["id"]).exists() and not orphan.exists()


def test_uploads_cleanup_wants_a_readable_age():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="24h"):
        call_command("uploads_cleanup", "--older-than", "yesterday")


def test_a_completion_cut_off_after_the_storage_assembled_the_file_is_taken_over(alice, client, storage, source):
    from apps.support.video.services import direct_uploads
    from apps.support.video.services.part_stores import part_store

    lecture = services.create_lecture(tenant=alice.tenant, title="Calculus")
    started = start(alice, lecture, source).json()
    etags = [etag_of(put_part(client, u, p)) for u, p in zip(started["part_urls"], split(source))]
    # A first completion assembled the object, then its process died before recording the video.
    upload = VideoUpload.objects.get(pk=started["id"])
    part_store().complete(upload, part_store().parts(upload))
    VideoUpload.objects.filter(pk=upload.pk).update(
        status="completing", updated_at=timezone.now() - direct_uploads.STALE_COMPLETION - timedelta(seconds=1))
    done = complete(alice, lecture, started["id"], etags)
    assert done.status_code == 201, done.content
    assert done.json()["video"]["size_bytes"] == len(source)


def test_an_upload_being_completed_answers_409_to_a_second_completion_and_to_abort(alice, client, storage, source):
    lecture = services.create_lecture(tenant=alice.tenant, title="Calculus")
    started = start(alice, lecture, source).json()
    etags = [etag_of(put_part(client, u, p)) for u, p in zip(started["part_urls"], split(source))]
    VideoUpload.objects.filter(pk=started["id"]).update(status="completing", updated_at=timezone.now())
    busy = complete(alice, lecture, started["id"], etags)
    assert busy.status_code == 409 and "completing" in busy.json()["detail"]
    assert alice.delete(f"/api/v1/lectures/{lecture.id}/uploads/{started['id']}/").status_code == 409
    assert not LectureVideo.objects.exists()


def test_an_unreachable_storage_is_a_503_and_nothing_is_recorded(alice, s3, settings, source):
    lecture = services.create_lecture(tenant=alice.tenant, title="Calculus")
    settings.AWS_S3_ENDPOINT_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    refused = start(alice, lecture, source)
    assert refused.status_code == 503 and "S3 did not start the upload" in refused.json()["detail"]
    assert not VideoUpload.objects.exists()


def test_a_start_with_bad_part_checksums_creates_nothing(alice, storage, request, source):
    lecture = services.create_lecture(tenant=alice.tenant, title="Calculus")
    path = f"/api/v1/lectures/{lecture.id}/uploads/"
    base = {"filename": "a.mp4", "size": len(source), "part_size": PART}
    for parts in ([{"part_number": 4, "content_md5": md5_b64(b"")}],
                  [{"part_number": 1, "content_md5": "not-md5"}]):
        assert alice.json("post", path, {**base, "parts": parts}).status_code == 400
    assert not VideoUpload.objects.exists()
    if storage == "s3":
        target = request.getfixturevalue("s3")
        assert target.list_multipart_uploads(Bucket=target.bucket).get("Uploads", []) == []
