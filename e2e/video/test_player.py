"""Protected playback end to end: a lecture uploaded, transcoded and encrypted by the video
worker, a playback session from the academy's key, and Debian's headless chromium playing
it on the player page (hls.js) with its watermark and heartbeats, on both storages: the
filesystem default (segments served by the API) and S3 on moto's server (segments from the
bucket, as from a CDN). Then the academy reads what was watched, revokes the session, and
the URLs copied out of the player stop working."""

import pytest
import requests

from tools.testing import media
from tools.testing.chromium import headless_chromium
from tools.testing.local_platform import VIDEO_WORKER
from tools.testing.player_page import PlayerPage
from tools.testing.waiting import wait_until

# What a browser on another origin needs to read the bucket's segments (a real bucket, or
# the CDN in front of it, needs the same rule).
BUCKET_CORS = {"CORSRules": [{"AllowedMethods": ["GET", "HEAD"], "AllowedOrigins": ["*"],
                              "AllowedHeaders": ["*"], "MaxAgeSeconds": 3600}]}


@pytest.fixture(scope="module")
def lecture_clip(tmp_path_factory):
    return media.make_video(tmp_path_factory.mktemp("clip") / "lecture.mp4", width=640, height=360, seconds=12)


def played_seconds(browser) -> float:
    """What the browser itself says it played: the measure of video.played."""
    return browser.execute("const p = window.academyPlayer.video.played; let s = 0;"
                           "for (let i = 0; i < p.length; i++) { s += p.end(i) - p.start(i); } return s;")


@pytest.mark.parametrize("storage", ["filesystem", "s3"])
def test_the_player_plays_the_protected_stream(make_stack, tmp_path, lecture_clip, storage):
    stack = make_stack(MEDIA_STORAGE=storage, PLAYBACK_HEARTBEAT_SECONDS="2")
    if storage == "s3":
        stack.s3().put_bucket_cors(Bucket=stack.bucket, CORSConfiguration=BUCKET_CORS)
    key = stack.api_key("haebeop", name="해법수학학원")
    api = stack.start_api()
    http = stack.client(key)
    video_url = http.upload_video(lecture_clip, title="미적분 1강")
    assert stack.start_worker(VIDEO_WORKER, "--once").wait(120) == 0, stack.log("worker")
    video = http.get(video_url).json()
    assert video["status"] == "ready" and video["protected"] and video["playback_url"] is None, video

    session = http.call("POST", video_url + "playback-sessions/", expect=201,
                        json={"viewer": "2026-0117", "viewer_label": "김민준"})
    with headless_chromium(tmp_path / "chromium") as browser:
        page = PlayerPage(browser)
        page.open(session["player_url"])
        state = page.play_past(5.5)
        assert not state["paused"], state
        assert page.watermark() == "김민준 · 해법수학학원"
        first = page.watermark_position()
        wait_until(lambda: page.watermark_position() != first, 15, "the watermark to move", 0.5)

        browser.execute("window.academyPlayer.video.pause();")
        watched = played_seconds(browser)
        sent = page.state()["sent"]
        page.wait_for_heartbeats(sent + 1)  # the heartbeat a pause sends
        progress = http.get(video_url + "progress/").json()["results"]
        assert [(p["viewer"], p["viewer_label"]) for p in progress] == [("2026-0117", "김민준")]
        assert progress[0]["covered_seconds"] == pytest.approx(watched, abs=0.75), (progress, watched)
        assert progress[0]["covered_seconds"] > 5

        # A URL copied out of the player works while the session lives, and not after.
        master = session["master_playlist_url"]
        assert requests.get(master, timeout=10).status_code == 200
        http.call("DELETE", f"{api}/api/v1/playback-sessions/{session['id']}/", expect=204)
        for url in (master, master.replace("master.m3u8", "key"), master.replace("master.m3u8", "360p/index.m3u8")):
            refused = requests.get(url, timeout=10)
            assert refused.status_code == 403 and b"#EXT" not in refused.content, url
        browser.execute("window.academyPlayer.video.play();")
        stopped = wait_until(lambda: (s := page.state())["stopped"] and s, 20, "the player to stop", 0.5)
        assert stopped["lastStatus"] == 403 and "중지" in page.status()
