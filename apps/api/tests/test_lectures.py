"""The lectures API in process: CRUD, uploads into a real moto SQS queue, tenant
isolation on every endpoint, API-key failures and the upload limits."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.core.services.api_keys import create_api_key, revoke_api_key
from apps.domains.lectures import services
from apps.domains.lectures.models import LectureVideo
from apps.shared.contracts import VideoTranscodeMessage, decode
from tools.testing import media

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return media.make_video(tmp_path_factory.mktemp("clip") / "clip.mp4", width=320, height=240, seconds=1)


def upload(caller, lecture_id, content: bytes, name="lecture.mp4"):
    return caller.post(f"/api/v1/lectures/{lecture_id}/videos/", {"file": SimpleUploadedFile(name, content)})


def test_lecture_crud(alice):
    created = alice.json("post", "/api/v1/lectures/", {"title": "Calculus", "description": "limits"})
    assert created.status_code == 201, created.content
    lecture_id = created.json()["id"]
    assert alice.get("/api/v1/lectures/").json()["results"][0]["title"] == "Calculus"
    assert alice.json("patch", f"/api/v1/lectures/{lecture_id}/", {"title": "Calculus I"}).json()["title"] == \
        "Calculus I"
    replaced = alice.json("put", f"/api/v1/lectures/{lecture_id}/", {"title": "Calculus II"}).json()
    assert (replaced["title"], replaced["description"]) == ("Calculus II", "")
    assert alice.json("post", "/api/v1/lectures/", {"title": ""}).status_code == 400
    assert alice.delete(f"/api/v1/lectures/{lecture_id}/").status_code == 204
    assert alice.get(f"/api/v1/lectures/{lecture_id}/").status_code == 404


def test_an_upload_is_stored_sniffed_and_queued(alice, video_queue, media_root, clip):
    lecture = services.create_lecture(tenant=alice.tenant, title="Calculus")
    # The name claims .txt: the bytes decide.
    response = upload(alice, lecture.id, clip.read_bytes(), name="notes.txt")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["container"], body["original_filename"]) == ("queued", "mp4", "notes.txt")
    assert body["playback_url"] is None and body["renditions"] == []
    video = LectureVideo.objects.get(pk=body["id"])
    assert (media_root / video.source_key).read_bytes() == clip.read_bytes()
    sent = video_queue.client.receive_message(QueueUrl=video_queue.url, WaitTimeSeconds=1)["Messages"]
    message = decode(sent[0]["Body"], VideoTranscodeMessage)
    assert (message.video_id, message.job_id, message.tenant_id, message.source_key) == \
        (video.id, video.job_id, alice.tenant.id, video.source_key)
    shown = alice.get(f"/api/v1/lectures/{lecture.id}/videos/{video.id}/").json()
    assert (shown["status"], shown["progress_percent"]) == ("queued", 0)
    assert [v["id"] for v in alice.get(f"/api/v1/lectures/{lecture.id}/videos/").json()["results"]] == [body["id"]]


def test_a_file_that_is_not_a_video_is_refused_whatever_its_name(alice, video_queue, media_root):
    lecture = services.create_lecture(tenant=alice.tenant, title="Calculus")
    response = upload(alice, lecture.id, b"%PDF-1.7 lecture notes" * 50, name="lecture.mp4")
    assert response.status_code == 415 and "not a video" in response.json()["detail"]
    assert not LectureVideo.objects.exists() and not media_root.exists()


def test_uploads_over_the_limit_get_413(alice, video_queue, media_root, settings, clip):
    lecture = services.create_lecture(tenant=alice.tenant, title="Calculus")
    settings.VIDEO_UPLOAD_MAX_BYTES = clip.stat().st_size - 1
    response = upload(alice, lecture.id, clip.read_bytes())
    assert response.status_code == 413 and "limit is" in response.json()["detail"]
    # Far over the limit: refused from the Content-Length, before the body is parsed.
    settings.VIDEO_UPLOAD_MAX_BYTES = 1000
    response = upload(alice, lecture.id, b"\0" * 200_000)
    assert response.status_code == 413
    assert not LectureVideo.objects.exists()
    assert upload(alice, lecture.id, b"").status_code == 400  # an empty file is no upload


def test_an_unreachable_queue_is_a_503_and_the_video_stays_uploaded(alice, media_root, settings, clip, monkeypatch):
    lecture = services.create_lecture(tenant=alice.tenant, title="Calculus")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    settings.AWS_ENDPOINT_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    response = upload(alice, lecture.id, clip.read_bytes())
    assert response.status_code == 503 and response["Retry-After"] == "5"
    video = LectureVideo.objects.get()
    assert response.json() == {"detail": f"video {video.id} is stored but could not be queued; try again later"}
    assert video.status == "uploaded"


def test_no_endpoint_shows_or_touches_another_tenants_lecture(alice, bob, video_queue, media_root, clip):
    lecture = services.create_lecture(tenant=alice.tenant, title="Alice's")
    video_id = upload(alice, lecture.id, clip.read_bytes()).json()["id"]
    base = f"/api/v1/lectures/{lecture.id}"
    assert bob.get("/api/v1/lectures/").json()["results"] == []
    assert bob.get(f"{base}/").status_code == 404
    assert bob.json("patch", f"{base}/", {"title": "mine"}).status_code == 404
    assert bob.json("put", f"{base}/", {"title": "mine"}).status_code == 404
    assert bob.delete(f"{base}/").status_code == 404
    assert bob.get(f"{base}/videos/").status_code == 404
    assert upload(bob, lecture.id, clip.read_bytes()).status_code == 404
    assert bob.get(f"{base}/videos/{video_id}/").status_code == 404
    # Nor through a lecture of bob's own.
    bobs = services.create_lecture(tenant=bob.tenant, title="Bob's")
    assert bob.get(f"/api/v1/lectures/{bobs.id}/videos/{video_id}/").status_code == 404
    assert alice.get(f"{base}/videos/{video_id}/").status_code == 200
    assert alice.get(f"{base}/").json()["title"] == "Alice's" and LectureVideo.objects.count() == 1


def test_every_endpoint_wants_a_valid_key(alice, client):
    lecture = services.create_lecture(tenant=alice.tenant, title="Calculus")
    urls = ["/api/v1/lectures/", f"/api/v1/lectures/{lecture.id}/", f"/api/v1/lectures/{lecture.id}/videos/",
            f"/api/v1/lectures/{lecture.id}/videos/{uuid.uuid4()}/"]
    revoked = create_api_key(tenant=alice.tenant, name="old")
    revoke_api_key(api_key=revoked.api_key)
    for headers in ({}, {"HTTP_AUTHORIZATION": "Api-Key nonsense"},
                    {"HTTP_AUTHORIZATION": f"Api-Key {revoked.raw}"}):
        for url in urls:
            assert client.get(url, **headers).status_code == 401, (url, headers)
        assert client.post(urls[2], {"file": SimpleUploadedFile("a.mp4", b"x")}, **headers).status_code == 401
        assert client.post(urls[0], {"title": "x"}, **headers).status_code == 401
    assert not LectureVideo.objects.exists()
