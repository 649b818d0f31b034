"""Protected playback through the API in process: a real encrypted ladder (the video job
run here with ffmpeg), sessions, the viewer's playlists and key, every refusal, the
concurrent-viewer policy, heartbeats and progress as JSON and CSV."""

import csv
import io
import json
import re
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from apps.domains.lectures import content_keys, services
from apps.domains.lectures.models import LectureVideo
from apps.domains.playback.models import PlaybackSession
from apps.shared.contracts import VideoTranscodeMessage
from apps.support.video.services import jobs
from apps.support.video.services.uploads import accept_upload
from tools.testing import media

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return media.make_video(tmp_path_factory.mktemp("clip") / "clip.mp4", width=320, height=240, seconds=4)


@pytest.fixture
def video(alice, video_queue, media_root, clip, settings):
    """alice's lecture video, uploaded, transcoded and encrypted by the video job, ready."""
    settings.VIDEO_WORK_DIR = str(media_root.parent / "work")
    lecture = services.create_lecture(tenant=alice.tenant, title="미적분 1강")
    with open(clip, "rb") as handle:
        video = accept_upload(lecture=lecture, upload=SimpleUploadedFile("1강.mp4", handle.read()))
    jobs.handle(VideoTranscodeMessage(job_id=video.job_id, tenant_id=video.tenant_id, video_id=video.id,
                                      source_key=video.source_key), None)
    video.refresh_from_db()
    assert video.status == "ready" and video.is_protected
    return video


def sessions_url(video):
    return f"/api/v1/lectures/{video.lecture_id}/videos/{video.id}/playback-sessions/"


def start(caller, video, viewer="2026-0117", **extra):
    return caller.json("post", sessions_url(video), {"viewer": viewer, "viewer_label": "김민준", **extra})


def viewer_path(url: str) -> str:
    return urlsplit(url).path


def beat(client, session, sequence, ranges, position=None, **extra):
    body = {"sequence": sequence, "ranges": ranges, "position": ranges[-1][1] if position is None else position,
            **extra}
    return client.post(f"/api/v1/playback/{session['token']}/heartbeats", json.dumps(body),
                       content_type="application/json")


def let_time_pass(session, seconds):
    """The session's clock moved back, as if `seconds` had passed since its last sign."""
    then = timezone.now() - timedelta(seconds=seconds)
    PlaybackSession.objects.filter(pk=session["id"]).update(last_seen_at=then, created_at=then)


def test_a_session_plays_the_encrypted_ladder(alice, video, client, media_root, tmp_path):
    created = start(alice, video)
    assert created.status_code == 201, created.content
    session = created.json()
    assert session["protected"] and session["state"] == "live" and session["viewer_label"] == "김민준"
    assert session["player_url"].endswith(f"/play/{session['token']}")

    # The viewer's side: no API key, the token only.
    master = client.get(viewer_path(session["master_playlist_url"]))
    assert master.status_code == 200 and master["Cache-Control"] == "no-store"
    variant = next(line for line in master.content.decode().splitlines() if line.endswith(".m3u8"))
    playlist = client.get(f"/api/v1/playback/{session['token']}/{variant}")
    text = playlist.content.decode()
    assert playlist["Content-Type"] == "application/vnd.apple.mpegurl"
    key_line = next(line for line in text.splitlines() if line.startswith("#EXT-X-KEY:"))
    assert 'METHOD=AES-128,URI="../key"' in key_line
    segment_url = next(line for line in text.splitlines() if line.endswith(".ts"))
    assert segment_url.startswith("/media/lectures/")

    key = client.get(f"/api/v1/playback/{session['token']}/key")
    assert key.status_code == 200 and key["Cache-Control"] == "no-store" and len(key.content) == 16
    assert key.content == content_keys.unseal(bytes(video.content_key_sealed), video_id=video.id)

    # The segment, as the storage serves it, is not a video; decrypted with the key it is.
    raw = b"".join(client.get(segment_url).streaming_content)
    (tmp_path / "raw.ts").write_bytes(raw)
    assert not media.decodes(tmp_path / "raw.ts")[0]
    iv = bytes.fromhex(key_line.split("IV=0x", 1)[1][:32])
    decryptor = Cipher(algorithms.AES(key.content), modes.CBC(iv)).decryptor()
    unpadder = padding.PKCS7(128).unpadder()
    plain = unpadder.update(decryptor.update(raw) + decryptor.finalize()) + unpadder.finalize()
    (tmp_path / "plain.ts").write_bytes(plain)
    assert media.decodes(tmp_path / "plain.ts") == (True, "")

    # The storage's own playlists are no stream: their key URI names nothing.
    stored = client.get("/media/" + video.renditions[0]["playlist_key"])
    stored_text = b"".join(stored.streaming_content).decode()
    assert 'URI="key"' in stored_text
    assert client.get("/media/" + video.renditions[0]["playlist_key"].rsplit("/", 1)[0] + "/key").status_code == 404
    # The upload itself is never served.
    assert client.get("/media/" + video.source_key).status_code == 404
    assert alice.get(f"/api/v1/lectures/{video.lecture_id}/videos/{video.id}/").json()["playback_url"] is None


def test_the_player_page(alice, video, client):
    session = start(alice, video).json()
    page = client.get(viewer_path(session["player_url"]))
    assert page.status_code == 200
    html = page.content.decode()
    embedded = json.loads(re.search(r'<script id="playback-session" type="application/json">(.*?)</script>', html,
                                    re.S).group(1))
    assert (embedded["viewer_label"], embedded["academy_name"]) == ("김민준", alice.tenant.name)
    assert embedded["master_playlist_url"] == session["master_playlist_url"]
    assert "script-src 'self'" in page["Content-Security-Policy"]
    for asset in ("hls.min.js", "player.js", "player.css"):
        url = next(part.split('"')[0] for part in html.split('/play/assets/')[1:] if part.startswith(asset))
        fetched = client.get(f"/play/assets/{url}")
        assert fetched.status_code == 200 and "immutable" in fetched["Cache-Control"], asset
    assert client.get("/play/assets/../settings.py").status_code == 404
    services_revoked = alice.client.delete(f"/api/v1/playback-sessions/{session['id']}/",
                                           HTTP_AUTHORIZATION=f"Api-Key {alice.key}")
    assert services_revoked.status_code == 204
    refused = client.get(viewer_path(session["player_url"]))
    assert refused.status_code == 403 and "revoked" in refused.content.decode()


@pytest.mark.parametrize("how, reason", [
    ("revoke", "revoked"),
    ("expire", "expired"),
    ("lapse", "lapsed"),
    ("forge", "signature"),
    ("truncate", "token"),
])
def test_dead_tokens_get_403_and_no_bytes(alice, video, client, how, reason):
    session = start(alice, video).json()
    token = session["token"]
    if how == "revoke":
        assert alice.client.delete(f"/api/v1/playback-sessions/{session['id']}/",
                                   HTTP_AUTHORIZATION=f"Api-Key {alice.key}").status_code == 204
    elif how == "expire":
        PlaybackSession.objects.filter(pk=session["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
        reason = "expired"
    elif how == "lapse":
        let_time_pass(session, 3600)
    elif how == "forge":
        token = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    else:
        token = token.split(":")[0]
    for path in ("master.m3u8", f"{video.renditions[0]['name']}/index.m3u8", "key", ""):
        response = client.get(f"/api/v1/playback/{token}/{path}")
        assert response.status_code == 403, (path, response.content)
        assert reason in response.json()["detail"] and b"#EXTM3U" not in response.content
    assert beat(client, {"token": token}, 1, [[0, 1]]).status_code == 403


def test_expired_tokens_are_refused_even_if_the_row_says_otherwise(alice, video, client, settings):
    session = start(alice, video, ttl_seconds=60).json()
    PlaybackSession.objects.filter(pk=session["id"]).update(expires_at=timezone.now() + timedelta(days=1))
    # The token's own expiry still holds: simulate its passing by reading it 61 s later.
    from apps.domains.playback import selectors
    from apps.domains.playback.errors import SessionRefused

    with pytest.raises(SessionRefused, match="expired"):
        selectors.session_for_token(session["token"], now=timezone.now() + timedelta(seconds=61))


def test_other_tenants_see_nothing(alice, bob, video, client):
    assert start(bob, video).status_code == 404
    session = start(alice, video).json()
    assert bob.get(f"/api/v1/playback-sessions/{session['id']}/").status_code == 404
    assert bob.client.delete(f"/api/v1/playback-sessions/{session['id']}/",
                             HTTP_AUTHORIZATION=f"Api-Key {bob.key}").status_code == 404
    assert bob.get(f"/api/v1/lectures/{video.lecture_id}/videos/{video.id}/progress/").status_code == 404
    assert bob.get("/api/v1/viewers/2026-0117/progress/").status_code == 404
    assert bob.get("/api/v1/playback-sessions/").json()["results"] == []


def test_bad_session_requests(alice, video):
    for body, field in [({"viewer": "a b"}, "viewer"), ({"viewer": "학생"}, "viewer"), ({}, "viewer"),
                        ({"viewer": "x", "ttl_seconds": 10}, "ttl_seconds"),
                        ({"viewer": "x", "ttl_seconds": 10**9}, "ttl_seconds"),
                        ({"viewer": "x", "viewer_label": "a\nb"}, "viewer_label")]:
        response = alice.json("post", sessions_url(video), body)
        assert response.status_code == 400 and field in response.json(), (body, response.content)
    processing = LectureVideo.objects.filter(pk=video.pk)
    processing.update(status="processing")
    refused = start(alice, video)
    assert refused.status_code == 409 and "ready" in refused.json()["detail"]
    assert alice.get("/api/v1/viewers/a%20b/progress/").status_code == 400
    assert alice.get("/api/v1/playback-sessions/", live="maybe").status_code == 400
    assert alice.get("/api/v1/playback-sessions/", video="nope").status_code == 400


def test_the_limit_refuses_or_evicts(alice, video, client, settings):
    settings.PLAYBACK_MAX_SESSIONS_PER_VIEWER = 1
    first = start(alice, video).json()
    refused = start(alice, video)
    assert refused.status_code == 409
    assert [s["id"] for s in refused.json()["live_sessions"]] == [first["id"]]
    assert "token" not in refused.json()["live_sessions"][0]

    policy = alice.json("patch", "/api/v1/tenant/playback-policy/", {"on_limit": "evict_oldest"})
    assert policy.status_code == 200 and policy.json()["overridden"] == ["on_limit"]
    second = start(alice, video)
    assert second.status_code == 201
    evicted = client.get(f"/api/v1/playback/{first['token']}/key")
    assert evicted.status_code == 403 and "another device" in evicted.json()["detail"]
    listed = alice.get(sessions_url(video)).json()["results"]
    assert {s["id"]: s["state"] for s in listed} == {first["id"]: "evicted", second.json()["id"]: "live"}
    assert [s["id"] for s in alice.get("/api/v1/playback-sessions/", live="true").json()["results"]] == \
        [second.json()["id"]]
    assert alice.json("patch", "/api/v1/tenant/playback-policy/", {"on_limit": "sometimes"}).status_code == 400
    reset = alice.json("put", "/api/v1/tenant/playback-policy/", {})
    assert reset.json() == {"max_sessions_per_viewer": 1, "on_limit": "refuse", "completion_percent": 90,
                            "overridden": []}


def test_heartbeats_become_progress(alice, video, client):
    session = start(alice, video).json()
    let_time_pass(session, 5)
    answer = beat(client, session, 1, [[0, 2.5]])
    assert answer.status_code == 200, answer.content
    assert answer.json()["covered_seconds"] == 2.5 and answer.json()["completed"] is False
    replayed = beat(client, session, 1, [[2.5, 3]])
    assert replayed.status_code == 409 and replayed.json()["last_sequence"] == 1
    for body, status in [({"sequence": 2, "ranges": [[3, 1]], "position": 1}, 400),
                         ({"sequence": 2, "ranges": [[0, 9999]], "position": 1}, 400),
                         ({"sequence": 2, "ranges": "all", "position": 1}, 400),
                         ({"sequence": 0, "ranges": [], "position": 1}, 400),
                         ({"sequence": 2, "ranges": [], "position": -5}, 400)]:
        response = client.post(f"/api/v1/playback/{session['token']}/heartbeats", json.dumps(body),
                               content_type="application/json")
        assert response.status_code == status and response.json(), (body, response.content)
    huge = json.dumps({"sequence": 2, "ranges": [[0, 1]] * 5000, "position": 1})
    assert client.post(f"/api/v1/playback/{session['token']}/heartbeats", huge,
                       content_type="application/json").status_code == 413
    assert client.post(f"/api/v1/playback/{session['token']}/heartbeats", "{not json",
                       content_type="application/json").status_code == 400
    let_time_pass(session, 5)
    done = beat(client, session, 2, [[2.5, video.duration_seconds]], position=video.duration_seconds)
    assert done.status_code == 200 and done.json()["completed"] is True

    rows = alice.get(f"/api/v1/lectures/{video.lecture_id}/videos/{video.id}/progress/").json()["results"]
    assert [(r["viewer"], r["viewer_label"], r["percent"], r["completed"]) for r in rows] == \
        [("2026-0117", "김민준", 100.0, True)]
    exported = alice.get(f"/api/v1/lectures/{video.lecture_id}/videos/{video.id}/progress/", format="csv")
    assert exported.status_code == 200 and exported["Content-Type"].startswith("text/csv")
    text = exported.content.decode("utf-8")
    assert text.startswith("\ufeff")
    table = list(csv.DictReader(io.StringIO(text[1:])))
    assert table[0]["viewer_label"] == "김민준" and table[0]["completed"] == "True"
    by_viewer = alice.get("/api/v1/viewers/2026-0117/progress/").json()["results"]
    assert [r["video_id"] for r in by_viewer] == [str(video.id)]
    info = client.get(f"/api/v1/playback/{session['token']}/").json()
    assert info["resume_position_seconds"] == 0.0  # finished: it starts again
    assert alice.get("/api/v1/viewers/nobody/progress/").status_code == 404
    assert alice.get(f"/api/v1/lectures/{video.lecture_id}/videos/{uuid.uuid4()}/progress/").status_code == 404
