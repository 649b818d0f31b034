"""Publishing a finished transcode: check every rendition, store it, write the master last.

    published = publish(plan=plan, storage=storages["default"], prefix=keys.hls_prefix(video))

Every rendition's playlist must be complete (VOD, #EXT-X-ENDLIST) with every segment it
names on disk; then segments, rendition playlists and the poster are stored (in
parallel), and only after all of them the master playlist. A worker killed half way
leaves no master, so nothing points at a half-stored ladder; the retry stores the same
keys again. BANDWIDTH and AVERAGE-BANDWIDTH in the master are measured from the
segments themselves (peak and mean bits per second).

An encrypted plan (plan.key_info_file set) must have given encrypted playlists: each one's
segments all under one #EXT-X-KEY:METHOD=AES-128 with the placeholder URI and key_iv,
checked before anything is stored, so segments in the clear are never published for a
video that is to be protected.
"""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from django.core.files import File
from django.core.files.base import ContentFile

from apps.support.video.services.command import KEY_URI_PLACEHOLDER, PLAYLIST_NAME, POSTER_NAME, TranscodePlan
from apps.support.video.services.ladder import Rendition

MASTER_NAME = "master.m3u8"
AUDIO_CODEC = "mp4a.40.2"  # AAC-LC
UPLOAD_THREADS = 8


class IncompleteOutput(Exception):
    """ffmpeg exited cleanly but a rendition is missing pieces (retryable: it should not happen)."""


@dataclass(frozen=True)
class RenditionOutput:
    rendition: Rendition
    directory: Path
    segments: list[tuple[str, float]]  # (file name, seconds)
    bandwidth: int
    average_bandwidth: int
    codecs: str


@dataclass(frozen=True)
class Published:
    master_key: str
    thumbnail_key: str
    renditions: list[dict]


def inspect_outputs(plan: TranscodePlan, *, key_iv: str = "") -> list[RenditionOutput]:
    outputs = []
    for rendition in plan.renditions:
        directory = plan.rendition_dir(rendition)
        segments = read_media_playlist(directory / PLAYLIST_NAME)
        if plan.key_info_file is not None:
            check_encrypted(directory / PLAYLIST_NAME, key_iv=key_iv)
        sizes = []
        for name, _ in segments:
            path = directory / name
            if not path.is_file() or path.stat().st_size == 0:
                raise IncompleteOutput(f"rendition {rendition.name}: segment {name} is missing")
            sizes.append(path.stat().st_size)
        total_seconds = sum(seconds for _, seconds in segments)
        peak = max(size * 8 / max(seconds, 0.1) for size, (_, seconds) in zip(sizes, segments))
        codecs = f"{rendition.codecs_video},{AUDIO_CODEC}" if plan.has_audio else rendition.codecs_video
        outputs.append(RenditionOutput(
            rendition=rendition, directory=directory, segments=segments, bandwidth=int(peak),
            average_bandwidth=int(sum(sizes) * 8 / max(total_seconds, 0.1)), codecs=codecs,
        ))
    if not (plan.out_dir / POSTER_NAME).is_file():
        raise IncompleteOutput("the poster frame was not written")
    return outputs


def read_media_playlist(path: Path) -> list[tuple[str, float]]:
    """(segment, seconds) pairs of a complete VOD media playlist."""
    if not path.is_file():
        raise IncompleteOutput(f"{path.parent.name}/{path.name} is missing")
    lines = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    if "#EXT-X-ENDLIST" not in lines:
        raise IncompleteOutput(f"{path.parent.name}/{path.name} is not complete (no #EXT-X-ENDLIST)")
    segments, seconds = [], None
    for line in lines:
        if line.startswith("#EXTINF:"):
            seconds = float(line[len("#EXTINF:"):].split(",", 1)[0])
        elif not line.startswith("#") and seconds is not None:
            segments.append((line, seconds))
            seconds = None
    if not segments:
        raise IncompleteOutput(f"{path.parent.name}/{path.name} lists no segments")
    return segments


def check_encrypted(path: Path, *, key_iv: str) -> None:
    """One AES-128 key tag (placeholder URI, IV 0x<key_iv>) above the first segment, no other."""
    expected = f'#EXT-X-KEY:METHOD=AES-128,URI="{KEY_URI_PLACEHOLDER}",IV=0x{key_iv}'
    lines = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    keys = [i for i, line in enumerate(lines) if line.startswith("#EXT-X-KEY:")]
    first_segment = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    if len(keys) != 1 or keys[0] > first_segment or lines[keys[0]].lower() != expected.lower():
        found = [lines[i] for i in keys] or "no #EXT-X-KEY"
        raise IncompleteOutput(f"{path.parent.name}/{path.name} is not encrypted as planned: {found}")


def master_playlist(outputs: list[RenditionOutput], *, frame_rate: float | None) -> str:
    lines = ["#EXTM3U", "#EXT-X-VERSION:6", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for out in outputs:
        attributes = [
            f"BANDWIDTH={out.bandwidth}",
            f"AVERAGE-BANDWIDTH={out.average_bandwidth}",
            f"RESOLUTION={out.rendition.width}x{out.rendition.height}",
            f'CODECS="{out.codecs}"',
        ]
        if frame_rate:
            attributes.append(f"FRAME-RATE={frame_rate:.3f}")
        lines += [f"#EXT-X-STREAM-INF:{','.join(attributes)}", f"{out.rendition.name}/{PLAYLIST_NAME}"]
    return "\n".join(lines) + "\n"


def publish(*, plan: TranscodePlan, storage, prefix: str, key_iv: str = "",
            on_progress: Callable[[float], None] | None = None) -> Published:
    """key_iv: the IV (hex) an encrypted plan's playlists must name."""
    outputs = inspect_outputs(plan, key_iv=key_iv)
    files: list[tuple[str, Path]] = []
    for out in outputs:
        base = f"{prefix}/{out.rendition.name}"
        files += [(f"{base}/{name}", out.directory / name) for name, _ in out.segments]
        files.append((f"{base}/{PLAYLIST_NAME}", out.directory / PLAYLIST_NAME))
    thumbnail_key = f"{prefix}/{POSTER_NAME}"
    files.append((thumbnail_key, plan.out_dir / POSTER_NAME))

    done = 0
    with ThreadPoolExecutor(max_workers=UPLOAD_THREADS, thread_name_prefix="hls-upload") as pool:
        for _ in pool.map(lambda item: _store(storage, *item), files):
            done += 1
            if on_progress is not None:
                on_progress(done / len(files))

    # Last: from here on the ladder is playable.
    master_key = f"{prefix}/{MASTER_NAME}"
    stored = storage.save(master_key, ContentFile(master_playlist(outputs, frame_rate=plan.frame_rate).encode()))
    _expect_key(stored, master_key)
    renditions = [
        {
            "name": out.rendition.name,
            "width": out.rendition.width,
            "height": out.rendition.height,
            "bandwidth": out.bandwidth,
            "average_bandwidth": out.average_bandwidth,
            "codecs": out.codecs,
            "segments": len(out.segments),
            "playlist_key": f"{prefix}/{out.rendition.name}/{PLAYLIST_NAME}",
        }
        for out in outputs
    ]
    return Published(master_key=master_key, thumbnail_key=thumbnail_key, renditions=renditions)


def _store(storage, key: str, path: Path) -> None:
    with open(path, "rb") as handle:
        stored = storage.save(key, File(handle, name=path.name))
    _expect_key(stored, key)


def _expect_key(stored: str, key: str) -> None:
    # A storage that renames instead of overwriting would break the relative paths in
    # the playlists: STORAGES["default"] must overwrite (see apps/core/settings/base.py).
    if stored != key:
        raise IncompleteOutput(f"storage stored {key!r} as {stored!r}; it must be configured to overwrite")
