"""HLS AES-128 at transcode time: what storage holds is useless without the sealed key, the
key opens it, and the key itself is nowhere but sealed in the database."""

import base64
import logging
import os
import stat
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from django.core.files.storage import storages

from apps.domains.lectures import content_keys, status
from apps.support.video.services import hls_keys, jobs
from apps.support.video.services.command import KEY_URI_PLACEHOLDER, TranscodePlan, ffmpeg_command
from apps.support.video.services.ladder import renditions_for
from apps.support.video.services.publish import IncompleteOutput, publish, read_media_playlist
from apps.support.video.tests.helpers import (
    content_key,
    context_for,
    decrypt_segment,
    lecture,
    message_for,
    playable_copy,
    playlist_iv,
    stored_video,
)
from tools.testing import media

pytestmark = pytest.mark.django_db


def probes(path: Path) -> bool:
    result = subprocess.run(["ffprobe", "-v", "error", "-show_streams", str(path)], capture_output=True, check=False)
    return result.returncode == 0


def forms_of(key: bytes) -> list[bytes]:
    """The key as raw bytes and as the text a leak would most likely show."""
    return [key, key.hex().encode(), key.hex().upper().encode(), base64.b64encode(key),
            base64.urlsafe_b64encode(key).rstrip(b"=")]


@pytest.fixture
def work_dir_at_publish(monkeypatch):
    """The job's scratch directory as it is when publishing starts: {relative path: bytes}."""
    seen = {}
    real = jobs.publish

    def spy(*, plan, **kwargs):
        work = plan.out_dir.parent
        seen.update({str(p.relative_to(work)): p.read_bytes() for p in work.rglob("*") if p.is_file()})
        return real(plan=plan, **kwargs)

    monkeypatch.setattr(jobs, "publish", spy)
    return seen


def test_stored_segments_open_only_with_the_sealed_key(media_root, tmp_path, caplog, capfd, work_dir_at_publish):
    caplog.set_level(logging.DEBUG)
    source = media.make_video(tmp_path / "in.mp4", width=1280, height=720, seconds=3)
    video = stored_video(lecture(), source)
    message = message_for(video)
    jobs.handle(message, context_for(message))
    video.refresh_from_db()
    assert video.status == status.READY and video.is_protected
    assert len(video.content_key_iv) == 32
    key = content_key(video)
    iv = bytes.fromhex(video.content_key_iv)
    assert len(key) == 16

    for rendition in video.renditions:
        playlist = media_root / rendition["playlist_key"]
        # Every media playlist names the placeholder URI (the API rewrites it) and the stored IV.
        assert (f'#EXT-X-KEY:METHOD=AES-128,URI="{KEY_URI_PLACEHOLDER}",IV=0x{video.content_key_iv}'
                in playlist.read_text().splitlines())
        assert playlist_iv(playlist) == iv
        segments = read_media_playlist(playlist)
        for name, _ in segments:
            stored = (playlist.parent / name).read_bytes()
            # Not MPEG-TS in the clear (a sync byte every 188 bytes), and whole AES blocks.
            assert not all(stored[i] == 0x47 for i in range(0, 188 * 10, 188)) and len(stored) % 16 == 0
        first = playlist.parent / segments[0][0]
        # As stored, a segment is noise to a decoder; decrypted with the unsealed key it plays.
        assert not probes(first)
        clear = tmp_path / "clear" / rendition["name"] / first.name
        clear.parent.mkdir(parents=True)
        clear.write_bytes(decrypt_segment(first.read_bytes(), key=key, iv=iv))
        assert clear.read_bytes()[:1] == b"\x47"
        assert {s["codec_type"] for s in media.probe(clear)["streams"]} == {"video", "audio"}
        ok, errors = media.decodes(playable_copy(playlist, key, tmp_path / "play" / rendition["name"]))
        assert ok, errors
        # And a wrong key does not open it.
        with pytest.raises(ValueError):
            decrypt_segment(first.read_bytes(), key=bytes(16), iv=iv)

    # The key is in no stored file, was gone from the work dir before publishing, and was never logged.
    stored_files = [p for p in media_root.rglob("*") if p.is_file()]
    assert stored_files and not [p for p in stored_files if any(f in p.read_bytes() for f in forms_of(key))]
    assert work_dir_at_publish, "the spy saw the work dir"
    assert not {hls_keys.KEY_NAME, hls_keys.KEY_INFO_NAME} & set(work_dir_at_publish)
    assert not [name for name, data in work_dir_at_publish.items() if any(f in data for f in forms_of(key))]
    out, err = capfd.readouterr()
    logged = (caplog.text + out + err).encode()
    assert "ready" in caplog.text and not [f for f in forms_of(key) if f in logged]


def test_a_retried_job_encrypts_with_a_new_key(media_root, tmp_path, monkeypatch):
    video = stored_video(lecture(), media.make_video(tmp_path / "in.mp4", width=320, height=240, seconds=2))
    message = message_for(video)
    first_ivs = []
    real = jobs.publish

    def storage_down_once(*, plan, **kwargs):
        if not first_ivs:
            first_ivs.append(playlist_iv(plan.rendition_dir(plan.renditions[0]) / "index.m3u8"))
            raise OSError("storage unreachable")
        return real(plan=plan, **kwargs)

    monkeypatch.setattr(jobs, "publish", storage_down_once)
    with pytest.raises(OSError):
        jobs.handle(message, context_for(message))
    video.refresh_from_db()
    assert video.status == status.PROCESSING and not video.is_protected and not video.content_key_iv
    jobs.handle(message, context_for(message))
    video.refresh_from_db()
    assert video.status == status.READY and bytes.fromhex(video.content_key_iv) != first_ivs[0]
    playlist = media_root / video.renditions[0]["playlist_key"]
    assert playlist_iv(playlist) == bytes.fromhex(video.content_key_iv)
    ok, errors = media.decodes(playable_copy(playlist, content_key(video), tmp_path / "play"))
    assert ok, errors


def test_the_key_is_sealed_before_ffmpeg_runs(media_root, tmp_path, settings, monkeypatch):
    settings.VIDEO_KEY_ENCRYPTION_KEYS = [b"short"]
    monkeypatch.setattr(jobs, "run_ffmpeg", lambda *a, **k: pytest.fail("ffmpeg ran"))
    video = stored_video(lecture(), media.make_video(tmp_path / "in.mp4", width=320, height=240, seconds=1))
    message = message_for(video)
    with pytest.raises(ValueError):
        jobs.handle(message, context_for(message))
    assert not list(media_root.rglob("*.m3u8"))


def test_key_files_are_private_while_ffmpeg_may_read_them_and_gone_after(tmp_path):
    key = content_keys.new_content_key()
    with pytest.raises(RuntimeError, match="ffmpeg died"), hls_keys.key_files(tmp_path, key) as info:
        key_file = tmp_path / hls_keys.KEY_NAME
        assert info.read_text().splitlines() == [KEY_URI_PLACEHOLDER, str(key_file), key.iv_hex]
        assert key_file.read_bytes() == key.key
        assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(info).st_mode) == 0o600
        raise RuntimeError("ffmpeg died")
    assert list(tmp_path.iterdir()) == []
    assert key.key.hex() not in repr(key) and repr(key.key) not in repr(key)


def plan_for(tmp_path, source, **changes) -> TranscodePlan:
    info = media.probe(source)["streams"]
    picture = next(s for s in info if s["codec_type"] == "video")
    plan = TranscodePlan(source=source, out_dir=tmp_path / "hls", renditions=renditions_for(picture["width"],
                         picture["height"]), has_audio=True, duration=1.0, segment_seconds=2, preset="ultrafast")
    return replace(plan, **changes)


def test_every_rendition_output_gets_the_key_info_file(tmp_path):
    source = tmp_path / "in.mp4"
    plain = ffmpeg_command(plan_for(tmp_path, media.make_video(source, width=1280, height=720, seconds=0.5)))
    assert "-hls_key_info_file" not in plain
    argv = ffmpeg_command(plan_for(tmp_path, source, key_info_file=tmp_path / "k.keyinfo"))
    playlists = [i for i, arg in enumerate(argv) if arg.endswith("index.m3u8")]
    options = [i for i, arg in enumerate(argv) if arg == "-hls_key_info_file"]
    assert len(options) == len(playlists) == 2
    assert all(argv[i + 1] == str(tmp_path / "k.keyinfo") for i in options)
    # Each rendition's option comes before its own playlist, after the previous one's.
    assert options[0] < playlists[0] < options[1] < playlists[1]
    assert [a for a in argv if a != "-hls_key_info_file" and a != str(tmp_path / "k.keyinfo")] == plain


def test_a_plan_to_encrypt_that_gave_clear_segments_publishes_nothing(media_root, tmp_path):
    plan = plan_for(tmp_path, media.make_video(tmp_path / "in.mp4", width=320, height=240, seconds=1))
    for rendition in plan.renditions:
        plan.rendition_dir(rendition).mkdir(parents=True)
    subprocess.run(ffmpeg_command(plan, progress=None), check=True)
    with pytest.raises(IncompleteOutput, match="not encrypted as planned: no #EXT-X-KEY"):
        publish(plan=replace(plan, key_info_file=tmp_path / "gone.keyinfo"), storage=storages["default"],
                prefix="lectures/x/hls", key_iv="00" * 16)
    assert not media_root.exists() or not list(media_root.rglob("*"))
