"""Upload sniffing on real files of each container, and the ladder rules."""

import subprocess

import pytest

from apps.support.video.services.command import TranscodePlan, ffmpeg_command
from apps.support.video.services.ladder import renditions_for
from apps.support.video.services.sniffing import SNIFF_BYTES, sniff
from tools.testing import media


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return media.make_video(tmp_path_factory.mktemp("clip") / "clip.mp4", width=160, height=120, seconds=0.5)


@pytest.mark.parametrize("extension, muxer, expected", [
    ("mp4", "mp4", "mp4"), ("mov", "mov", "mov"), ("mkv", "matroska", "matroska"),
    ("ts", "mpegts", "mpeg-ts"), ("avi", "avi", "avi"), ("flv", "flv", "flv"),
])
def test_video_containers_are_recognised_by_their_bytes(clip, tmp_path, extension, muxer, expected):
    # The name says nothing: the file is saved without its extension.
    target = tmp_path / "upload"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(clip), "-c", "copy", "-f", muxer, str(target)],
                   check=True)
    assert sniff(target.read_bytes()[:SNIFF_BYTES]).name == expected


def test_things_that_are_not_videos_are_refused(tmp_path):
    assert sniff(b"lecture notes\n" * 100) is None
    assert sniff(b"") is None
    assert sniff(media.make_still_image(tmp_path / "slide.png").read_bytes()[:SNIFF_BYTES]) is None
    assert sniff(media.make_audio_only(tmp_path / "tone.m4a", seconds=0.5).read_bytes()[:SNIFF_BYTES]) is None


@pytest.mark.parametrize("size, expected", [
    ((3840, 2160), [("1080p", 1920, 1080), ("720p", 1280, 720), ("360p", 640, 360)]),
    ((1920, 1080), [("1080p", 1920, 1080), ("720p", 1280, 720), ("360p", 640, 360)]),
    ((1280, 720), [("720p", 1280, 720), ("360p", 640, 360)]),
    ((1000, 700), [("360p", 514, 360)]),
    ((1080, 1920), [("1080p", 1080, 1920), ("720p", 720, 1280), ("360p", 360, 640)]),
    ((1440, 1080), [("1080p", 1440, 1080), ("720p", 960, 720), ("360p", 480, 360)]),
    ((321, 241), [("240p", 318, 240)]),
])
def test_the_ladder_never_exceeds_the_source(size, expected):
    assert [(r.name, r.width, r.height) for r in renditions_for(*size)] == expected


def test_the_command_is_one_ffmpeg_run_with_two_second_keyframes(tmp_path):
    plan = TranscodePlan(source=tmp_path / "in.mp4", out_dir=tmp_path / "hls", renditions=renditions_for(1920, 1080),
                         has_audio=True, duration=60, frame_rate=30, segment_seconds=5)
    argv = ffmpeg_command(plan)
    assert argv.count("-i") == 1 and argv.count("-f") == 3  # one input, three HLS outputs (+ the poster)
    assert argv.count("expr:gte(t,n_forced*2)") == 3 and argv.count("60") == 6  # -g and -keyint_min
    assert plan.hls_time == 6 and argv.count("vod") == 3
    assert "master" not in " ".join(argv)
