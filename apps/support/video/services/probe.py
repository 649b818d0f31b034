"""What the source is, by ffprobe, and whether the worker will transcode it.

    info = probe_source(path)          # SourceRejected: unreadable, no video stream
    check_source(info, max_duration)   # SourceRejected: zero or unknown duration, too long

`ffprobe -show_format -show_streams -of json` (the command ffmpeg-python's probe() runs)
through apps.core.subprocesses, so it dies with the worker; its last stderr line is the
reason shown to the user.
"""

import json
import subprocess
from dataclasses import dataclass

from apps.core import subprocesses


class SourceRejected(Exception):
    """The source can never be transcoded; the message says why."""


@dataclass(frozen=True)
class SourceInfo:
    duration: float          # seconds; 0.0 when ffprobe could not tell
    width: int               # as displayed (rotation applied)
    height: int
    frame_rate: float | None
    has_audio: bool
    video_codec: str


def probe_source(path: str, *, ffprobe_bin: str = "ffprobe") -> SourceInfo:
    done = subprocesses.run([ffprobe_bin, "-show_format", "-show_streams", "-of", "json", path],
                            stdin=subprocess.DEVNULL, capture_output=True)
    if done.returncode != 0:
        raise SourceRejected(f"the file is not a readable video: {_last_line(done.stderr)}")
    data = json.loads(done.stdout.decode("utf-8"))
    streams = data.get("streams", [])
    video = next((s for s in streams if s.get("codec_type") == "video"
                  and not s.get("disposition", {}).get("attached_pic")), None)
    if video is None:
        raise SourceRejected("the file has no video stream")
    width, height = int(video.get("width") or 0), int(video.get("height") or 0)
    if width <= 0 or height <= 0:
        raise SourceRejected("the video stream has no picture size")
    if abs(_rotation(video)) in (90, 270):
        width, height = height, width
    return SourceInfo(
        duration=_duration(data.get("format", {}), video),
        width=width,
        height=height,
        frame_rate=_rate(video.get("avg_frame_rate")) or _rate(video.get("r_frame_rate")),
        has_audio=any(s.get("codec_type") == "audio" for s in streams),
        video_codec=video.get("codec_name", ""),
    )


def check_source(info: SourceInfo, *, max_duration: float) -> None:
    if info.duration <= 0:
        raise SourceRejected("the video has no duration (an empty or still-image file?)")
    if info.duration > max_duration:
        raise SourceRejected(f"the video is {info.duration:.0f} s long; the limit is {max_duration:.0f} s")


def _duration(fmt: dict, video: dict) -> float:
    for value in (fmt.get("duration"), video.get("duration")):
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            continue
        if seconds > 0:
            return seconds
    return 0.0


def _rotation(video: dict) -> int:
    for side in video.get("side_data_list", []):
        if "rotation" in side:
            return int(float(side["rotation"]))
    try:
        return int(video.get("tags", {}).get("rotate", 0))
    except ValueError:
        return 0


def _rate(text: str | None) -> float | None:
    if not text or "/" not in text:
        return None
    num, den = text.split("/", 1)
    try:
        value = float(num) / float(den)
    except (ValueError, ZeroDivisionError):
        return None
    return value if 0 < value <= 240 else None


def _last_line(stderr: bytes | None) -> str:
    lines = [line.strip() for line in (stderr or b"").decode(errors="replace").splitlines() if line.strip()]
    return lines[-1] if lines else "ffprobe failed"
