"""End to end, every piece a real process talking HTTP: upload through the API (gunicorn),
the message on moto's SQS, `video worker --once`, encrypted files on moto's S3, then
playback of a playback session's HLS over HTTP with ffmpeg."""

import os
import signal

import requests

from tools.testing import media
from tools.testing.local_platform import VIDEO_WORKER
from tools.testing.waiting import wait_until


def test_upload_transcode_and_play(make_stack, tmp_path):
    stack = make_stack()
    key = stack.api_key("daechi")
    api = stack.start_api()
    http = stack.client(key)
    video_url = http.upload_video(media.make_video(tmp_path / "camera.mov", width=1280, height=720, seconds=3))
    assert http.get(video_url).json()["status"] == "queued"

    worker = stack.start_worker(VIDEO_WORKER, "--once")
    assert worker.wait(90) == 0, stack.log("worker")

    video = http.get(video_url).json()
    assert (video["status"], video["progress_percent"], video["failure_reason"]) == ("ready", 100, ""), video
    assert [(r["name"], r["width"], r["height"]) for r in video["renditions"]] == [("720p", 1280, 720),
                                                                                    ("360p", 640, 360)]
    assert video["protected"] and video["playback_url"] is None, video
    stored_master = next(k for k in stack.keys("lectures/") if k.endswith("master.m3u8"))
    stored = f"{stack.sqs.endpoint_url}/{stack.bucket}/{stored_master}"
    # The bucket's own playlists are no stream: the segments are encrypted and the key is not there.
    assert requests.get(stored, timeout=10).text.startswith("#EXTM3U")
    assert not media.decodes(stored.replace("master.m3u8", "360p/index.m3u8"))[0]
    # A playback session's master: ffmpeg fetches the playlists and the key from the API and
    # the segments from the bucket, as a player does.
    session = http.call("POST", video_url + "playback-sessions/", expect=201, json={"viewer": "s-1"})
    master = session["master_playlist_url"]
    playlist = requests.get(master, timeout=10)
    assert playlist.status_code == 200 and playlist.text.startswith("#EXTM3U")
    assert "720p/index.m3u8" in playlist.text and "360p/index.m3u8" in playlist.text
    ok, errors = media.decodes(master)
    assert ok, errors
    for rendition in ("720p", "360p"):
        ok, errors = media.decodes(master.replace("master.m3u8", f"{rendition}/index.m3u8"))
        assert ok, f"{rendition}: {errors}"
    assert requests.get(video["thumbnail_url"], timeout=10).content[:2] == b"\xff\xd8"  # a JPEG

    # Another academy's key sees none of it.
    other = stack.client(stack.api_key("other"))
    assert other.get(video_url).status_code == 404
    assert other.get(f"{api}/api/v1/lectures/").json()["results"] == []


def test_a_worker_killed_mid_transcode_publishes_nothing_and_the_retry_finishes(make_stack, tmp_path):
    # A 3 s visibility timeout: the killed worker's message comes back quickly.
    stack = make_stack(visibility_timeout=3, VIDEO_X264_PRESET="veryfast")
    key = stack.api_key("daechi")
    stack.start_api()
    http = stack.client(key)
    video_url = http.upload_video(media.make_video(tmp_path / "long.mp4", width=1920, height=1080, seconds=6,
                                                   rate=20))

    worker = stack.start_worker(VIDEO_WORKER, name="killed")
    wait_until(lambda: http.get(video_url).json()["progress_percent"] > 0, 60, "transcode progress", 0.2)
    os.killpg(worker.pid, signal.SIGKILL)  # the worker and its ffmpeg, mid-transcode
    worker.wait(10)

    video = http.get(video_url).json()
    assert video["status"] == "processing" and 0 < video["progress_percent"] < 100, video
    assert video["playback_url"] is None
    assert not [k for k in stack.keys("lectures/") if k.endswith("master.m3u8")]

    wait_until(lambda: stack.visible_messages("video") > 0, 30, "the message to come back", 0.5)
    retry = stack.start_worker(VIDEO_WORKER, "--once", name="retry")
    assert retry.wait(120) == 0, stack.log("retry")
    video = http.get(video_url).json()
    assert video["status"] == "ready", video
    masters = [k for k in stack.keys("lectures/") if k.endswith("master.m3u8")]
    assert len(masters) == 1 and video["protected"]
    session = http.call("POST", video_url + "playback-sessions/", expect=201, json={"viewer": "s-1"})
    ok, errors = media.decodes(session["master_playlist_url"])
    assert ok, errors
    assert "taking over" in stack.log("retry")
