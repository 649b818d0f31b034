"""The transcode handler in process, with real ffprobe/ffmpeg on generated inputs and the
filesystem storage backend."""

import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core.queues import PermanentJobError, is_long_running
from apps.domains.lectures import status
from apps.domains.lectures.models import LectureVideo
from apps.support.video.services import jobs
from apps.support.video.services.publish import read_media_playlist
from apps.support.video.tests.helpers import (
    content_key,
    context_for,
    lecture,
    message_for,
    playable_copy,
    stored_video,
)
from tools.testing import media

pytestmark = pytest.mark.django_db


def transcode(video):
    message = message_for(video)
    jobs.handle(message, context_for(message))
    video.refresh_from_db()
    return video


def master_entries(path):
    """(attributes, uri) pairs of a master playlist."""
    lines = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    return [(lines[i][len("#EXT-X-STREAM-INF:"):], lines[i + 1])
            for i in range(len(lines)) if lines[i].startswith("#EXT-X-STREAM-INF:")]


def check_ladder(media_root, video, expected: dict[str, tuple[int, int]], *, audio: bool, duration: float,
                 scratch):
    master = media_root / video.hls_master_key
    assert video.is_protected
    entries = master_entries(master)
    assert [uri for _, uri in entries] == [f"{name}/index.m3u8" for name in expected]
    assert [r["name"] for r in video.renditions] == list(expected)
    for (attributes, uri), (name, (width, height)) in zip(entries, expected.items()):
        assert f"RESOLUTION={width}x{height}" in attributes and "BANDWIDTH=" in attributes
        assert ("mp4a.40.2" in attributes) == audio
        playlist = master.parent / uri
        segments = read_media_playlist(playlist)
        # Segments on the 2 s target (tests' VIDEO_HLS_SEGMENT_SECONDS); only the last may be shorter.
        assert all(abs(seconds - 2.0) < 0.15 for _, seconds in segments[:-1]), segments
        assert 0 < segments[-1][1] <= 2.15
        assert sum(seconds for _, seconds in segments) == pytest.approx(duration, abs=0.3)
        # With the video's key (as a playback session serves it), the rendition plays from its
        # playlist end to end, at its size.
        playable = playable_copy(playlist, content_key(video), scratch / name)
        ok, errors = media.decodes(playable)
        assert ok, f"{name}: {errors}"
        probed = media.probe(playable)
        picture = next(s for s in probed["streams"] if s["codec_type"] == "video")
        assert (picture["width"], picture["height"]) == (width, height)
        assert picture["codec_name"] == "h264"
        assert any(s["codec_type"] == "audio" for s in probed["streams"]) == audio
    poster = media.probe(media_root / video.thumbnail_key)["streams"][0]
    assert poster["codec_name"] == "mjpeg"
    assert (poster["width"], poster["height"]) == next(iter(expected.values()))


def test_the_handler_is_long_running():
    assert is_long_running(jobs.handle)


def test_a_1080p_source_gets_the_whole_ladder(media_root, tmp_path):
    source = media.make_video(tmp_path / "in.mp4", width=1920, height=1080, seconds=3)
    video = transcode(stored_video(lecture(), source))
    assert video.status == status.READY and video.progress_percent == 100 and not video.failure_reason
    assert (video.width, video.height) == (1920, 1080) and video.duration_seconds == pytest.approx(3, abs=0.1)
    check_ladder(media_root, video, {"1080p": (1920, 1080), "720p": (1280, 720), "360p": (640, 360)},
                 audio=True, duration=3, scratch=tmp_path / "play")


def test_a_small_source_is_never_upscaled(media_root, tmp_path):
    source = media.make_video(tmp_path / "in.mp4", width=854, height=480, seconds=2.5)
    video = transcode(stored_video(lecture(), source))
    check_ladder(media_root, video, {"360p": (640, 360)}, audio=True, duration=2.5, scratch=tmp_path / "play")


def test_a_tiny_silent_portrait_source_keeps_its_own_size(media_root, tmp_path):
    source = media.make_video(tmp_path / "in.mp4", width=240, height=320, seconds=2, audio=False)
    video = transcode(stored_video(lecture(), source))
    check_ladder(media_root, video, {"240p": (240, 320)}, audio=False, duration=2, scratch=tmp_path / "play")


def test_progress_is_written_while_ffmpeg_runs(media_root, tmp_path):
    source = media.make_video(tmp_path / "in.mp4", width=1280, height=720, seconds=8, rate=25)
    video = stored_video(lecture(), source)
    with CaptureQueriesContext(connection) as queries:
        video = transcode(video)
    assert video.status == status.READY
    prefix = 'UPDATE "lectures_lecturevideo" SET "progress_percent" = '
    written = [int(q["sql"][len(prefix):].split(",", 1)[0]) for q in queries.captured_queries
               if q["sql"].startswith(prefix)]
    # Written from inside the transcode (which fills 0..95 %), rising, before "ready" sets 100.
    assert written and 0 < written[0] < 95 and written == sorted(written), written


@pytest.mark.parametrize("make, reason", [
    (lambda d: media.truncated_copy(media.make_video(d / "whole.mp4", width=320, height=240, seconds=2),
                                    d / "cut.mp4"), "not a readable video"),
    (lambda d: (d / "notes.mp4").write_bytes(b"these are lecture notes, not a video\n" * 100) and d / "notes.mp4",
     "not a readable video"),
    (lambda d: media.make_audio_only(d / "tone.m4a", seconds=1), "no video stream"),
    (lambda d: media.make_still_image(d / "slide.png"), "no duration"),
], ids=["truncated", "not-a-video", "audio-only", "still-image"])
def test_unusable_sources_fail_for_good_with_a_reason(media_root, tmp_path, make, reason):
    video = stored_video(lecture(), make(tmp_path))
    message = message_for(video)
    with pytest.raises(PermanentJobError, match=reason):
        jobs.handle(message, context_for(message))
    video.refresh_from_db()
    assert video.status == status.FAILED and reason in video.failure_reason
    assert not list(media_root.rglob("master.m3u8"))
    # Another delivery of the same job changes nothing and is not retried either.
    with pytest.raises(PermanentJobError, match="already failed"):
        jobs.handle(message, context_for(message))


def test_a_source_over_the_maximum_duration_is_refused(media_root, tmp_path, settings):
    settings.VIDEO_MAX_DURATION_SECONDS = 1.5
    video = stored_video(lecture(), media.make_video(tmp_path / "in.mp4", width=320, height=240, seconds=3))
    with pytest.raises(PermanentJobError, match="the limit is 2 s"):
        transcode(video)
    video.refresh_from_db()
    assert video.status == status.FAILED and "3 s long" in video.failure_reason


def test_a_missing_source_fails(media_root, tmp_path):
    video = stored_video(lecture(), media.make_video(tmp_path / "in.mp4", width=320, height=240, seconds=1))
    (media_root / video.source_key).unlink()
    with pytest.raises(PermanentJobError, match="not in storage"):
        transcode(video)


def test_a_message_for_another_tenant_finds_nothing(media_root, tmp_path):
    video = stored_video(lecture(), media.make_video(tmp_path / "in.mp4", width=320, height=240, seconds=1))
    other = lecture("other")
    message = message_for(video).model_copy(update={"tenant_id": other.tenant_id})
    with pytest.raises(PermanentJobError, match="does not exist"):
        jobs.handle(message, context_for(message))
    video.refresh_from_db()
    assert video.status == status.QUEUED


def test_repeated_deliveries_are_safe(media_root, tmp_path):
    video = stored_video(lecture(), media.make_video(tmp_path / "in.mp4", width=320, height=240, seconds=2))
    # An earlier delivery died mid-transcode: the video is "processing", half its files written.
    LectureVideo.objects.filter(pk=video.pk).update(status=status.PROCESSING, progress_percent=40)
    stale = media_root / video.source_key.rsplit("/", 1)[0] / "hls" / "240p" / "seg_00000.ts"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"half")
    video.refresh_from_db()
    video = transcode(video)
    assert video.status == status.READY
    assert stale.stat().st_size > 4 and not list(stale.parent.glob("seg_00000_*"))
    ready_at = video.finished_at
    assert transcode(video).finished_at == ready_at  # done already: nothing happens


def test_a_cancelled_job_stops_ffmpeg_and_is_retried(media_root, tmp_path):
    video = stored_video(lecture(), media.make_video(tmp_path / "in.mp4", width=1280, height=720, seconds=6))
    message = message_for(video)
    cancelled = threading.Event()
    cancelled.set()
    with pytest.raises(Exception, match="shutting down") as raised:
        jobs.handle(message, context_for(message, cancelled))
    assert not isinstance(raised.value, PermanentJobError)
    video.refresh_from_db()
    assert video.status == status.PROCESSING and not video.hls_master_key
    assert not list(media_root.rglob("master.m3u8"))
