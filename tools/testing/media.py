"""Test media made on the spot with ffmpeg's lavfi sources, and ffprobe to check results.

    make_video(tmp_path / "in.mp4", width=640, height=360, seconds=3)     # picture + tone
    make_video(path, width=320, height=240, seconds=2, audio=False)
    make_audio_only(path, seconds=2)
    truncated_copy(src, dst, keep=0.5)                                   # a cut-off upload
    probe(path)                                                          # ffprobe's JSON

Inputs are encoded with x264 "ultrafast" at a low frame rate, so a few seconds of video
cost a fraction of a second to make. The moov atom is left at the end (no faststart), as
many cameras write it: a truncated copy then has no index and cannot be read.
"""

import json
import subprocess
from pathlib import Path

FFMPEG = "ffmpeg"
FFPROBE = "ffprobe"


def make_video(path: Path, *, width: int, height: int, seconds: float, rate: int = 15, audio: bool = True,
               pattern: str = "testsrc2", grain: int = 0) -> Path:
    """A real H.264 clip. grain > 0 adds that much changing noise and encodes losslessly:
    megabytes per second of video, for tests that need a file of many upload parts."""
    argv = [FFMPEG, "-nostdin", "-v", "error", "-y",
            "-f", "lavfi", "-i", f"{pattern}=size={width}x{height}:rate={rate}:duration={seconds}"]
    if audio:
        argv += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}"]
    if grain:
        argv += ["-vf", f"noise=alls={grain}:allf=t", "-qp", "0"]
    argv += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if audio:
        argv += ["-c:a", "aac", "-b:a", "64k"]
    argv += ["-shortest" if audio else "-an", str(path)]
    subprocess.run(argv, check=True)
    return path


def make_audio_only(path: Path, *, seconds: float) -> Path:
    subprocess.run([FFMPEG, "-nostdin", "-v", "error", "-y", "-f", "lavfi",
                    "-i", f"sine=frequency=440:duration={seconds}", "-c:a", "aac", str(path)], check=True)
    return path


def make_still_image(path: Path, *, width: int = 320, height: int = 240) -> Path:
    subprocess.run([FFMPEG, "-nostdin", "-v", "error", "-y", "-f", "lavfi",
                    "-i", f"testsrc2=size={width}x{height}", "-frames:v", "1", str(path)], check=True)
    return path


def truncated_copy(source: Path, target: Path, *, keep: float = 0.5) -> Path:
    data = source.read_bytes()
    target.write_bytes(data[: int(len(data) * keep)])
    return target


def probe(path_or_url: str | Path) -> dict:
    result = subprocess.run([FFPROBE, "-v", "error", "-show_format", "-show_streams", "-of", "json",
                             str(path_or_url)], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def decodes(path_or_url: str | Path) -> tuple[bool, str]:
    """(True, "") when ffmpeg decodes every frame without an error."""
    result = subprocess.run([FFMPEG, "-nostdin", "-v", "error", "-xerror", "-i", str(path_or_url),
                             "-f", "null", "-"], capture_output=True, text=True, check=False)
    return result.returncode == 0 and not result.stderr.strip(), result.stderr[-2000:]
