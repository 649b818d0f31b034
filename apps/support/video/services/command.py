"""The ffmpeg command line that turns one source into the whole HLS ladder in one run.

One decode feeds a filter graph that splits the picture once per rendition (plus once
for the poster), scales each branch, and hands it to its own x264 encoder and HLS muxer.
Every rendition is a separate output with its own directory, VOD playlist and segments;
the master playlist is not ffmpeg's job here (publish.py writes it last, once every
rendition is stored). Keyframes every 2 s, forced on the clock and with scene-cut
keyframes off, so every rendition's segments start at the same instants and a player
can switch between them at any segment boundary.

The list is built by hand, not with ffmpeg-python's graph builder: the command is a flat
sequence of per-output options (-b:v, -maxrate, -force_key_frames "expr:...",
-hls_segment_filename, ...) repeated per rendition, plus global options (-progress,
-nostats) that ffmpeg-python has no place for, and the benchmark runs the exact same
list as a bare command line. Written out, it reads like the ffmpeg documentation.

Encryption (HLS AES-128): with plan.key_info_file, every rendition's muxer gets
`-hls_key_info_file`, a file of three lines that ffmpeg reads when it opens the first
segment: the key URI it writes into the playlist (KEY_URI_PLACEHOLDER; the API rewrites
it per playback session), the path of the 16-byte key file, and the IV in hex. Every
segment is then AES-128-CBC with PKCS#7 padding under that one key and IV, and each media
playlist starts with #EXT-X-KEY:METHOD=AES-128,URI="key",IV=0x... (hls_keys.py writes
both files and removes them once ffmpeg is done).
"""

import math
from dataclasses import dataclass
from pathlib import Path

from apps.support.video.services.ladder import Rendition

KEYFRAME_SECONDS = 2
PLAYLIST_NAME = "index.m3u8"
SEGMENT_PATTERN = "seg_%05d.ts"
POSTER_NAME = "poster.jpg"
# The key URI in stored media playlists: resolved against the playlist's URL it names nothing
# in storage, so the key is only ever served by the API, which rewrites the URI per session.
KEY_URI_PLACEHOLDER = "key"


@dataclass(frozen=True)
class TranscodePlan:
    source: Path
    out_dir: Path
    renditions: list[Rendition]
    has_audio: bool
    duration: float
    frame_rate: float | None = None
    segment_seconds: int = 6
    preset: str = "veryfast"
    ffmpeg_bin: str = "ffmpeg"
    # ffmpeg's HLS key info file (see hls_keys.py); None: segments in the clear.
    key_info_file: Path | None = None

    @property
    def hls_time(self) -> int:
        """The segment target, a whole number of keyframe intervals."""
        return max(1, math.ceil(self.segment_seconds / KEYFRAME_SECONDS)) * KEYFRAME_SECONDS

    @property
    def poster_at(self) -> float:
        """A frame a little way in (openings are often black), early enough to exist."""
        return 0.0 if self.duration < 2 else min(3.0, self.duration / 3)

    def rendition_dir(self, rendition: Rendition) -> Path:
        return self.out_dir / rendition.name


def ffmpeg_command(plan: TranscodePlan, *, progress: str | None = "pipe:1") -> list[str]:
    """The argv; with progress="pipe:1", ffmpeg writes key=value progress blocks to stdout."""
    argv = [plan.ffmpeg_bin, "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    if progress:
        argv += ["-nostats", "-progress", progress]
    argv += ["-i", str(plan.source), "-filter_complex", _filter_graph(plan)]
    for index, rendition in enumerate(plan.renditions):
        argv += _rendition_output(plan, index, rendition)
    argv += ["-map", "[poster]", "-frames:v", "1", "-q:v", "3", "-update", "1", str(plan.out_dir / POSTER_NAME)]
    return argv


def _filter_graph(plan: TranscodePlan) -> str:
    count = len(plan.renditions)
    branches = "".join(f"[s{i}]" for i in range(count))
    parts = [f"[0:v:0]split={count + 1}{branches}[sp]"]
    for i, rendition in enumerate(plan.renditions):
        # yuv420p: High profile cannot carry 4:4:4 or 10-bit sources as they are.
        parts.append(f"[s{i}]scale={rendition.width}:{rendition.height},setsar=1,format=yuv420p[v{i}]")
    top = plan.renditions[0]
    parts.append(f"[sp]select='gte(t\\,{plan.poster_at:.3f})',scale={top.width}:{top.height},setsar=1[poster]")
    return ";".join(parts)


def _rendition_output(plan: TranscodePlan, index: int, rendition: Rendition) -> list[str]:
    out = plan.rendition_dir(rendition)
    kbps = rendition.video_kbps
    argv = ["-map", f"[v{index}]"]
    if plan.has_audio:
        argv += ["-map", "0:a:0"]
    argv += [
        "-c:v", "libx264", "-preset", plan.preset, "-profile:v", "high", "-level:v", rendition.level,
        "-b:v", f"{kbps}k", "-maxrate", f"{int(kbps * 1.1)}k", "-bufsize", f"{kbps * 2}k",
        "-force_key_frames", f"expr:gte(t,n_forced*{KEYFRAME_SECONDS})", "-sc_threshold", "0",
    ]
    if plan.frame_rate:
        gop = max(1, round(plan.frame_rate * KEYFRAME_SECONDS))
        argv += ["-g", str(gop), "-keyint_min", str(gop)]
    if plan.has_audio:
        argv += ["-c:a", "aac", "-b:a", f"{rendition.audio_kbps}k", "-ac", "2"]
    argv += [
        "-max_muxing_queue_size", "1024",
        "-f", "hls", "-hls_time", str(plan.hls_time), "-hls_playlist_type", "vod", "-hls_list_size", "0",
        "-hls_flags", "independent_segments", "-hls_segment_type", "mpegts",
    ]
    if plan.key_info_file is not None:
        argv += ["-hls_key_info_file", str(plan.key_info_file)]
    argv += ["-hls_segment_filename", str(out / SEGMENT_PATTERN), str(out / PLAYLIST_NAME)]
    return argv
